"""Tables of agreements: parties, status history, amendments and structured terms."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.registry.models import Organisation
from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column


class AgreementKind(enum.StrEnum):
    MOU = "mou"
    PROJECT_ARRANGEMENT = "project_arrangement"
    CONSORTIUM_AGREEMENT = "consortium_agreement"
    NDA = "nda"
    TECHNICAL_ASSISTANCE_AGREEMENT = "technical_assistance_agreement"
    ANNEX = "annex"


class AgreementStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_FORCE = "in_force"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    EXPIRED = "expired"


class DecisionRule(enum.StrEnum):
    UNANIMITY = "unanimity"
    CONSENSUS = "consensus"
    MAJORITY = "majority"
    QUALIFIED_MAJORITY = "qualified_majority"


class IpRegime(enum.StrEnum):
    """How results and background are shared: the default access rights the `ip_use` rule
    grants participants (coalition.ip.rules.default_access_purposes)."""

    OWNER_KEEPS_RESULTS_ROYALTY_FREE_PROJECT_USE = "owner_keeps_results_royalty_free_project_use"
    JOINT_OWNERSHIP = "joint_ownership"
    GOVERNMENT_PURPOSE_RIGHTS = "government_purpose_rights"
    NO_ACCESS_RIGHTS = "no_access_rights"


class CostShareRule(enum.StrEnum):
    """How the parties divide the shared cost (coalition.funding.rules.agreed_shares)."""

    EQUAL = "equal"
    #: Percentages per party nation (``cost_shares``).
    FIXED_SHARES = "fixed_shares"
    #: A stated amount per party nation (``fixed_contributions``, accounting currency).
    FIXED_CONTRIBUTIONS = "fixed_contributions"
    #: Percentages per work package (``work_package_shares``), weighted by its budget.
    BY_WORK_PACKAGE = "by_work_package"
    PROPORTIONAL_TO_WORKSHARE = "proportional_to_workshare"
    EACH_BEARS_OWN = "each_bears_own"


class Agreement(Entity, Base):
    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("expires_on IS NULL OR expires_on > effective_from", name="validity"),
    )
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[AgreementKind] = mapped_column(enum_column(AgreementKind))
    status: Mapped[AgreementStatus] = mapped_column(
        enum_column(AgreementStatus), default=AgreementStatus.DRAFT
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    effective_from: Mapped[date]
    expires_on: Mapped[date | None]
    summary: Mapped[str | None] = mapped_column(Text)
    # Structured terms: later capabilities (release decisions, IP, funding, governance,
    # disputes) read these fields, so they are typed columns, not free text.
    classification_ceiling: Mapped[int] = mapped_column(default=0)
    default_releasability: Mapped[list[str]] = mapped_column(default=list)
    decision_rule: Mapped[DecisionRule] = mapped_column(
        enum_column(DecisionRule), default=DecisionRule.UNANIMITY
    )
    qualified_majority_percent: Mapped[int | None]
    dispute_ladder: Mapped[list[Any]] = mapped_column(default=list)
    ip_regime: Mapped[IpRegime] = mapped_column(
        enum_column(IpRegime), default=IpRegime.OWNER_KEEPS_RESULTS_ROYALTY_FREE_PROJECT_USE
    )
    #: IP clock terms: an invention is disclosed to the other parties within this many days
    #: of conception; each country's filing decision is due this many days after disclosure;
    #: the other parties may object to a transfer for this many days after notice.
    invention_disclosure_days: Mapped[int] = mapped_column(default=60)
    filing_decision_days: Mapped[int] = mapped_column(default=120)
    transfer_objection_days: Mapped[int] = mapped_column(default=45)
    cost_share_rule: Mapped[CostShareRule] = mapped_column(
        enum_column(CostShareRule), default=CostShareRule.EQUAL
    )
    #: Percent per nation, as decimal strings ("40", "33.3333").
    cost_shares: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Amount per nation in the accounting currency, as decimal strings.
    fixed_contributions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: "PROJECT/WP" -> nation -> percent, as decimal strings.
    work_package_shares: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Cost-share accounting is kept in this currency; other currencies convert at the
    #: rates the agreement fixes: units of accounting currency per one unit of each.
    accounting_currency: Mapped[str | None] = mapped_column(String(3))
    exchange_rates: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Workshare balance tolerance: a nation's balance coefficient (share of work received
    #: over share of contributions made) should lie within [low, high] percent.
    balance_band_low_percent: Mapped[int] = mapped_column(default=95)
    balance_band_high_percent: Mapped[int] = mapped_column(default=105)
    parent: Mapped[Agreement | None] = relationship(remote_side="Agreement.id")
    parties: Mapped[list[AgreementParty]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan"
    )
    status_changes: Mapped[list[AgreementStatusChange]] = relationship(
        back_populates="agreement",
        cascade="all, delete-orphan",
        order_by="AgreementStatusChange.at",
    )
    amendments: Mapped[list[Amendment]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="Amendment.number"
    )


class AgreementParty(Base):
    __tablename__ = "agreement_parties"
    __table_args__ = (UniqueConstraint("agreement_id", "organisation_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    signed_on: Mapped[date | None]
    agreement: Mapped[Agreement] = relationship(back_populates="parties")
    organisation: Mapped[Organisation] = relationship()


class AgreementStatusChange(Base):
    __tablename__ = "agreement_status_changes"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[AgreementStatus] = mapped_column(enum_column(AgreementStatus))
    to_status: Mapped[AgreementStatus] = mapped_column(enum_column(AgreementStatus))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    agreement: Mapped[Agreement] = relationship(back_populates="status_changes")


class Amendment(Entity, Base):
    __tablename__ = "amendments"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)
    agreement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    signed_on: Mapped[date]
    effective_from: Mapped[date]
    #: Which structured terms this amendment changed (empty for a recorded text amendment).
    changed_fields: Mapped[list[str]] = mapped_column(default=list)
    #: Each binding term the amendment changed, with its value before and after: the
    #: history funding reads to know which cost shares applied on a given day.
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    agreement: Mapped[Agreement] = relationship(back_populates="amendments")
