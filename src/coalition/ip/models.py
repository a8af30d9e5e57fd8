"""The IP register: background and results with their owners, protection, invention
disclosures with filing decisions per country, licences and access rights, and transfer
notices with their objections. The `ip_use` rule reads owners and licences."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.projects.models import WorkPackage
from coalition.registry.models import Organisation, Person
from coalition.store.base import Base, Entity
from coalition.store.enums import enum_column


class IpKind(enum.StrEnum):
    BACKGROUND = "background"
    RESULT = "result"


class BackgroundStatus(enum.StrEnum):
    """Whether a party's background is made available under the agreement."""

    INCLUDED = "included"
    EXCLUDED = "excluded"


#: Work packages a result came out of.
asset_work_packages = Table(
    "ip_asset_work_packages",
    Base.metadata,
    Column("asset_id", ForeignKey("ip_assets.id", ondelete="CASCADE"), primary_key=True),
    Column("work_package_id", ForeignKey("work_packages.id"), primary_key=True),
)


class IpAsset(Entity, Base):
    __tablename__ = "ip_assets"
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[IpKind] = mapped_column(enum_column(IpKind))
    #: Background is brought under an agreement; a result comes out of one of its projects.
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    #: Background only: included in or excluded from what the agreement makes available.
    background_status: Mapped[BackgroundStatus | None] = mapped_column(
        enum_column(BackgroundStatus)
    )
    restrictions: Mapped[str | None] = mapped_column(Text)
    #: Results only: the joint owners' own terms (who files, who pays, who may license).
    joint_ownership_terms: Mapped[str | None] = mapped_column(Text)
    #: The day the result was conceived or the background brought in.
    created_on: Mapped[date | None]
    owners: Mapped[list[IpOwner]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="IpOwner.id"
    )
    protections: Mapped[list[IpProtection]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="IpProtection.created_at"
    )
    work_packages: Mapped[list[WorkPackage]] = relationship(
        secondary=asset_work_packages, order_by="WorkPackage.code"
    )


class IpOwner(Base):
    __tablename__ = "ip_owners"
    __table_args__ = (UniqueConstraint("asset_id", "organisation_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ip_assets.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    share_percent: Mapped[int] = mapped_column(default=100)
    asset: Mapped[IpAsset] = relationship(back_populates="owners")
    organisation: Mapped[Organisation] = relationship()


class ProtectionKind(enum.StrEnum):
    PATENT_APPLICATION = "patent_application"
    PATENT = "patent"
    REGISTERED_DESIGN = "registered_design"
    COPYRIGHT = "copyright"
    TRADE_SECRET = "trade_secret"  # noqa: S105  (a kind of protection, not a secret)


class IpProtection(Entity, Base):
    """How an asset is protected: a patent application or grant in one country, or
    copyright or trade secret (no country)."""

    __tablename__ = "ip_protections"
    asset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ip_assets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ProtectionKind] = mapped_column(enum_column(ProtectionKind))
    nation_code: Mapped[str | None] = mapped_column(ForeignKey("nations.code"))
    number: Mapped[str | None] = mapped_column(String(80))
    filed_on: Mapped[date | None]
    granted_on: Mapped[date | None]
    expires_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)
    asset: Mapped[IpAsset] = relationship(back_populates="protections")


disclosure_inventors = Table(
    "ip_disclosure_inventors",
    Base.metadata,
    Column(
        "disclosure_id",
        ForeignKey("ip_invention_disclosures.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("person_id", ForeignKey("people.id"), primary_key=True),
)


class InventionDisclosure(Entity, Base):
    """An invention reported to the other parties; the agreement sets how many days after
    conception it is due (``due_on``), and each country's filing decision has its own date."""

    __tablename__ = "ip_invention_disclosures"
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ip_assets.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    conceived_on: Mapped[date]
    due_on: Mapped[date]
    disclosed_on: Mapped[date | None]
    summary: Mapped[str | None] = mapped_column(Text)
    inventors: Mapped[list[Person]] = relationship(
        secondary=disclosure_inventors, order_by="Person.family_name"
    )
    filing_decisions: Mapped[list[FilingDecision]] = relationship(
        back_populates="disclosure", cascade="all, delete-orphan", order_by="FilingDecision.id"
    )


class FilingChoice(enum.StrEnum):
    PENDING = "pending"
    FILE = "file"
    DO_NOT_FILE = "do_not_file"


class FilingDecision(Base):
    __tablename__ = "ip_filing_decisions"
    __table_args__ = (UniqueConstraint("disclosure_id", "nation_code"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    disclosure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ip_invention_disclosures.id", ondelete="CASCADE"), index=True
    )
    nation_code: Mapped[str] = mapped_column(ForeignKey("nations.code"))
    decide_by: Mapped[date]
    choice: Mapped[FilingChoice] = mapped_column(
        enum_column(FilingChoice), default=FilingChoice.PENDING
    )
    decided_on: Mapped[date | None]
    #: The owner that will file (and pay), when the choice is to file.
    filing_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    note: Mapped[str | None] = mapped_column(Text)
    disclosure: Mapped[InventionDisclosure] = relationship(back_populates="filing_decisions")


class LicenceKind(enum.StrEnum):
    #: Negotiated between the parties.
    LICENCE = "licence"
    #: Granted by the agreement's IP regime (recorded so that it can be seen and exported).
    ACCESS_RIGHT = "access_right"


class Royalty(enum.StrEnum):
    ROYALTY_FREE = "royalty_free"
    FAIR_AND_REASONABLE = "fair_and_reasonable"
    AGREED_ROYALTY = "agreed_royalty"


class LicenceStatus(enum.StrEnum):
    ACTIVE = "active"
    TERMINATED = "terminated"


class Licence(Entity, Base):
    """A licence or access right from an owner (or a licensee allowed to sublicense) of an
    asset to another organisation."""

    __tablename__ = "ip_licences"
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[LicenceKind] = mapped_column(enum_column(LicenceKind), default=LicenceKind.LICENCE)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ip_assets.id"), index=True)
    licensor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    licensee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    purposes: Mapped[list[str]]
    #: Nations where it may be used; empty means worldwide.
    territory: Mapped[list[str]]
    field_of_use: Mapped[str | None] = mapped_column(String(300))
    royalty: Mapped[Royalty] = mapped_column(enum_column(Royalty), default=Royalty.ROYALTY_FREE)
    royalty_terms: Mapped[str | None] = mapped_column(Text)
    sublicensing: Mapped[bool] = mapped_column(default=False)
    exclusive: Mapped[bool] = mapped_column(default=False)
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    status: Mapped[LicenceStatus] = mapped_column(
        enum_column(LicenceStatus), default=LicenceStatus.ACTIVE
    )
    terms: Mapped[str | None] = mapped_column(Text)


class TransferKind(enum.StrEnum):
    ASSIGNMENT = "assignment"
    EXCLUSIVE_LICENCE = "exclusive_licence"


class TransferStatus(enum.StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class TransferNotice(Entity, Base):
    """Notice that an owner will assign its share of a result, or license it exclusively.
    The other parties may object until ``objection_until``; a transferee from a nation that
    is not a party to the agreement also needs the parties' approval."""

    __tablename__ = "ip_transfer_notices"
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ip_assets.id"), index=True)
    kind: Mapped[TransferKind] = mapped_column(enum_column(TransferKind))
    transferor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    transferee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    #: Assignment only: the part of the transferor's share that moves.
    share_percent: Mapped[int | None]
    notified_on: Mapped[date]
    #: The last day an objection may be lodged.
    objection_until: Mapped[date]
    needs_approval: Mapped[bool] = mapped_column(default=False)
    approved_on: Mapped[date | None]
    approval_reference: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[TransferStatus] = mapped_column(
        enum_column(TransferStatus), default=TransferStatus.PENDING
    )
    completed_on: Mapped[date | None]
    summary: Mapped[str | None] = mapped_column(Text)
    objections: Mapped[list[TransferObjection]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="TransferObjection.id"
    )


class ObjectionOutcome(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"


class TransferObjection(Base):
    __tablename__ = "ip_transfer_objections"
    __table_args__ = (UniqueConstraint("notice_id", "organisation_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    notice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ip_transfer_notices.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    lodged_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    outcome: Mapped[ObjectionOutcome] = mapped_column(
        enum_column(ObjectionOutcome), default=ObjectionOutcome.OPEN
    )
    resolved_on: Mapped[date | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    notice: Mapped[TransferNotice] = relationship(back_populates="objections")
