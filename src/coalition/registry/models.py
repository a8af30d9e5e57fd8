"""Tables of the registry: who the partners are and what their people are cleared for."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column as _enum


class ClassificationScheme(Base):
    """A nation's (or NATO's / the EU's) classification scheme, from editable configuration."""

    __tablename__ = "classification_schemes"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    policy_identifier: Mapped[str | None] = mapped_column(String(200))
    policy_oid: Mapped[str | None] = mapped_column(String(200))
    needs_verification: Mapped[bool] = mapped_column(default=False)
    levels: Mapped[list[ClassificationLevel]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan", order_by="ClassificationLevel.rank"
    )


class ClassificationLevel(Base):
    __tablename__ = "classification_levels"
    __table_args__ = (UniqueConstraint("scheme_code", "marking"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    scheme_code: Mapped[str] = mapped_column(ForeignKey("classification_schemes.code"))
    marking: Mapped[str] = mapped_column(String(80))
    level: Mapped[int] = mapped_column(CheckConstraint("level BETWEEN 0 AND 4", name="level"))
    requires_clearance: Mapped[bool]
    legacy: Mapped[bool] = mapped_column(default=False)
    rank: Mapped[int]
    scheme: Mapped[ClassificationScheme] = relationship(back_populates="levels")


class ClearanceLevelName(Base):
    """A vetting level an issuer grants (e.g. GBR "SC") and the common level it reaches."""

    __tablename__ = "clearance_level_names"
    __table_args__ = (UniqueConstraint("issuer", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(80))
    level: Mapped[int]


class Nation(Base):
    __tablename__ = "nations"
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    scheme_code: Mapped[str | None] = mapped_column(ForeignKey("classification_schemes.code"))
    fiscal_year_start_month: Mapped[int] = mapped_column(default=1)
    fiscal_year_start_day: Mapped[int] = mapped_column(default=1)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NationGroup(Base):
    __tablename__ = "nation_groups"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    memberships: Mapped[list[GroupMembership]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupMembership.nation_code"
    )


class GroupMembership(Base):
    """Membership is dated: a releasability decision uses membership on its own date."""

    __tablename__ = "group_memberships"
    __table_args__ = (UniqueConstraint("group_code", "nation_code", "joined_on"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    group_code: Mapped[str] = mapped_column(ForeignKey("nation_groups.code"))
    # Any ISO 3166 nation may be a member, not only nations taking part on this node.
    nation_code: Mapped[str] = mapped_column(String(3))
    joined_on: Mapped[date]
    left_on: Mapped[date | None]
    group: Mapped[NationGroup] = relationship(back_populates="memberships")


class OrganisationKind(enum.StrEnum):
    LAB = "lab"
    AGENCY = "agency"
    COMPANY = "company"
    UNIVERSITY = "university"


class Organisation(Entity, Base):
    __tablename__ = "organisations"
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(_enum(OrganisationKind))
    nation_code: Mapped[str] = mapped_column(ForeignKey("nations.code"), index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    city: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(300))
    #: Published in this node's signed directory for partner nodes (docs/federation.md).
    directory_listed: Mapped[bool] = mapped_column(default=False)
    nation: Mapped[Nation] = relationship()
    parent: Mapped[Organisation | None] = relationship(remote_side="Organisation.id")


class PersonStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DEPARTED = "departed"


class Person(Entity, Base):
    __tablename__ = "people"
    given_name: Mapped[str] = mapped_column(String(120))
    family_name: Mapped[str] = mapped_column(String(120), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    employer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[PersonStatus] = mapped_column(_enum(PersonStatus), default=PersonStatus.ACTIVE)
    job_title: Mapped[str | None] = mapped_column(String(200))
    employer: Mapped[Organisation] = relationship()
    citizenships: Mapped[list[Citizenship]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Citizenship.nation_code"
    )
    clearances: Mapped[list[Clearance]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Clearance.valid_from"
    )
    briefings: Mapped[list[Briefing]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Briefing.given_on"
    )

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Citizenship(Base):
    __tablename__ = "citizenships"
    __table_args__ = (UniqueConstraint("person_id", "nation_code"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    nation_code: Mapped[str] = mapped_column(String(3))
    person: Mapped[Person] = relationship(back_populates="citizenships")


class ClearanceStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class Clearance(Entity, Base):
    __tablename__ = "clearances"
    __table_args__ = (CheckConstraint("valid_until > valid_from", name="validity"),)
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(8))
    level_name: Mapped[str] = mapped_column(String(80))
    level: Mapped[int]
    valid_from: Mapped[date]
    valid_until: Mapped[date] = mapped_column(index=True)
    status: Mapped[ClearanceStatus] = mapped_column(
        _enum(ClearanceStatus), default=ClearanceStatus.ACTIVE
    )
    reference: Mapped[str | None] = mapped_column(String(80))
    #: The key of the identity provider that asserted this clearance at a sign-in; NULL
    #: when a security officer recorded it.
    asserted_by: Mapped[str | None] = mapped_column(String(40))
    person: Mapped[Person] = relationship(back_populates="clearances")
    history: Mapped[list[ClearanceChange]] = relationship(
        back_populates="clearance", cascade="all, delete-orphan", order_by="ClearanceChange.at"
    )


class ClearanceChange(Base):
    """Every change to a clearance, with who made it and why."""

    __tablename__ = "clearance_changes"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    clearance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clearances.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    changes: Mapped[dict[str, Any]]
    reason: Mapped[str] = mapped_column(Text)
    clearance: Mapped[Clearance] = relationship(back_populates="history")


class BriefingKind(enum.StrEnum):
    BRIEFING = "briefing"
    ACKNOWLEDGEMENT = "acknowledgement"


class Briefing(Entity, Base):
    """A briefing given (e.g. a compartment) or a notice acknowledged (export-control notice)."""

    __tablename__ = "briefings"
    __table_args__ = (UniqueConstraint("person_id", "name", "given_on"),)
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[BriefingKind] = mapped_column(_enum(BriefingKind))
    name: Mapped[str] = mapped_column(String(120))
    given_on: Mapped[date]
    expires_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)
    person: Mapped[Person] = relationship(back_populates="briefings")


class SecurityAgreement(Entity, Base):
    """Nations (or NATO / the EU) recognising each other's clearances up to a level."""

    __tablename__ = "security_agreements"
    __table_args__ = (
        CheckConstraint("in_force_until IS NULL OR in_force_until > in_force_from", name="dates"),
    )
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    max_level: Mapped[int]
    in_force_from: Mapped[date]
    in_force_until: Mapped[date | None]
    parties: Mapped[list[SecurityAgreementParty]] = relationship(
        back_populates="agreement",
        cascade="all, delete-orphan",
        order_by="SecurityAgreementParty.party",
    )


class SecurityAgreementParty(Base):
    __tablename__ = "security_agreement_parties"
    __table_args__ = (UniqueConstraint("agreement_id", "party"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("security_agreements.id", ondelete="CASCADE")
    )
    party: Mapped[str] = mapped_column(String(8))
    agreement: Mapped[SecurityAgreement] = relationship(back_populates="parties")


class DualNationalExemption(Entity, Base):
    """A recorded decision that one permitted citizenship suffices for a dual national
    (the `releasability` rule reads it); it lapses on ``expires_on``."""

    __tablename__ = "dual_national_exemptions"
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    granted_on: Mapped[date]
    expires_on: Mapped[date | None]
