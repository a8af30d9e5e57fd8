"""Capability profiles of organisations and people: what they know and can do (taxonomy
codes, keywords, technology readiness), with publications and artifacts that show it.
A profile is labelled like technical data: what a lab works on can itself be sensitive, so
the label's releasability decides who may find it."""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.policy.models import LabelClass
from coalition.registry.models import Organisation, Person
from coalition.store.base import Base, Entity
from coalition.store.enums import enum_column


class ProfileKind(enum.StrEnum):
    ORGANISATION = "organisation"
    PERSON = "person"


class ProfileStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class ExpertiseProfile(Entity, Base):
    __tablename__ = "expertise_profiles"
    __table_args__ = (
        CheckConstraint("trl IS NULL OR (trl >= 1 AND trl <= 9)", name="trl"),
        CheckConstraint(
            "(kind = 'person') = (person_id IS NOT NULL)", name="person_for_person_profiles"
        ),
        # The searches filter by what the reader may see (label) and by status first.
        Index("ix_expertise_profiles_visible", "status", "label_id"),
        # Listing by filters alone pages in headline order without sorting every row.
        Index("ix_expertise_profiles_browse", "status", "headline", "id"),
    )
    kind: Mapped[ProfileKind] = mapped_column(enum_column(ProfileKind))
    #: The organisation the profile belongs to (a person's employer when it was made).
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: One profile per person at most.
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"), unique=True)
    headline: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(default=list)
    #: The highest technology readiness level (1-9) demonstrated in this expertise.
    trl: Mapped[int | None]
    #: [{"title", "year", "reference"}]: papers, reports, patents.
    publications: Mapped[list[Any]] = mapped_column(default=list)
    #: Technical data that shows the expertise; shown only to whoever may see each one.
    artifact_ids: Mapped[list[Any]] = mapped_column(default=list)
    label_id: Mapped[int] = mapped_column(ForeignKey("label_classes.id"))
    status: Mapped[ProfileStatus] = mapped_column(
        enum_column(ProfileStatus), default=ProfileStatus.ACTIVE
    )
    organisation: Mapped[Organisation] = relationship()
    person: Mapped[Person | None] = relationship()
    label: Mapped[LabelClass] = relationship()
    #: Capability codes of the taxonomy shared with facilities (docs/facilities.md), one
    #: row each so that a search by code or branch is an indexed lookup.
    capability_rows: Mapped[list[ProfileCapability]] = relationship(
        cascade="all, delete-orphan", order_by="ProfileCapability.code"
    )

    @property
    def capabilities(self) -> list[str]:
        return [row.code for row in self.capability_rows]


class ProfileCapability(Base):
    __tablename__ = "expertise_capabilities"
    __table_args__ = (
        UniqueConstraint("profile_id", "code"),
        # A search by code or branch reads the profiles from the index alone.
        Index("ix_expertise_capabilities_code", "code", "profile_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("expertise_profiles.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(80))


class ProfileVector(Base):
    """A profile's embedding, kept when the semantic extra is installed
    (coalition.expertise.semantic): float32 little-endian, unit length."""

    __tablename__ = "expertise_vectors"
    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("expertise_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(60))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
