"""Tables of funding: budgets and forecasts per work package, cost category and national
fiscal year; commitments and actual expenditure; contributions in cash and in kind; and
the work awarded to each organisation (workshare). Amounts are whole minor units of their
currency (coalition.funding.money), so sums in SQL are exact on every database."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.projects.models import Project, WorkPackage
from coalition.registry.models import Organisation
from coalition.store.base import Base, Entity
from coalition.store.enums import enum_column


class CostCategory(enum.StrEnum):
    PERSONNEL = "personnel"
    SUBCONTRACTING = "subcontracting"
    TRAVEL = "travel"
    EQUIPMENT = "equipment"
    OTHER_GOODS_AND_SERVICES = "other_goods_and_services"
    INDIRECT = "indirect"


class PlanKind(enum.StrEnum):
    """A budget is what was approved; a forecast what is now expected to be spent."""

    BUDGET = "budget"
    FORECAST = "forecast"


class SpendKind(enum.StrEnum):
    COMMITMENT = "commitment"
    ACTUAL = "actual"


class ContributionKind(enum.StrEnum):
    CASH = "cash"
    IN_KIND = "in_kind"


class InKindType(enum.StrEnum):
    FACILITY_TIME = "facility_time"
    STAFF = "staff"
    EQUIPMENT = "equipment"
    DATA = "data"


class ContributionStatus(enum.StrEnum):
    """Cash counts once recorded; an in-kind contribution counts once the oversight body
    has accepted its valuation."""

    ACCEPTED = "accepted"
    PROPOSED = "proposed"
    REJECTED = "rejected"
    #: Recorded in error: kept in the books, counted nowhere.
    WITHDRAWN = "withdrawn"


class AwardKind(enum.StrEnum):
    CONTRACT = "contract"
    TASK = "task"


class BudgetLine(Entity, Base):
    """The budget (or forecast) of one work package, cost category and fiscal year of the
    nation that funds it, in that nation's fiscal years."""

    __tablename__ = "funding_budget_lines"
    __table_args__ = (
        UniqueConstraint("work_package_id", "category", "nation_code", "fiscal_year", "kind"),
    )
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"), index=True)
    work_package_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_packages.id"))
    category: Mapped[CostCategory] = mapped_column(enum_column(CostCategory))
    nation_code: Mapped[str] = mapped_column(ForeignKey("nations.code"))
    fiscal_year: Mapped[int]
    kind: Mapped[PlanKind] = mapped_column(enum_column(PlanKind))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(Text)
    work_package: Mapped[WorkPackage] = relationship()


class Expenditure(Entity, Base):
    """A commitment or an actual cost booked against a work package. A correction is a
    negative amount, never an edit: the books keep what was booked."""

    __tablename__ = "funding_expenditures"
    __table_args__ = (Index("ix_funding_expenditures_project_day", "project_id", "incurred_on"),)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"))
    work_package_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_packages.id"))
    category: Mapped[CostCategory] = mapped_column(enum_column(CostCategory))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    #: The organisation's nation when booked: whose fiscal years the cost falls in.
    nation_code: Mapped[str] = mapped_column(String(3))
    kind: Mapped[SpendKind] = mapped_column(enum_column(SpendKind))
    incurred_on: Mapped[date]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(Text)


class Contribution(Entity, Base):
    __tablename__ = "funding_contributions"
    __table_args__ = (Index("ix_funding_contributions_agreement_day", "agreement_id", "made_on"),)
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"))
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"), index=True)
    work_package_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("work_packages.id"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    nation_code: Mapped[str] = mapped_column(String(3))
    kind: Mapped[ContributionKind] = mapped_column(enum_column(ContributionKind))
    in_kind_type: Mapped[InKindType | None] = mapped_column(enum_column(InKindType))
    made_on: Mapped[date]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str | None] = mapped_column(Text)
    #: In kind: how the value was arrived at (e.g. "published facility rate x hours") and
    #: the evidence for it (invoices, timesheets, rate cards, by reference).
    valuation_method: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ContributionStatus] = mapped_column(enum_column(ContributionStatus))
    #: The oversight body's decision on an in-kind valuation.
    decided_on: Mapped[date | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_reference: Mapped[str | None] = mapped_column(String(80))
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: A record made in error is withdrawn, never deleted: the books keep what was entered.
    withdrawn_on: Mapped[date | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    organisation: Mapped[Organisation] = relationship()
    project: Mapped[Project | None] = relationship()


class WorkshareAward(Entity, Base):
    """Work awarded to an organisation: a contract or a task, with its value."""

    __tablename__ = "funding_workshare_awards"
    __table_args__ = (Index("ix_funding_workshare_agreement_day", "agreement_id", "awarded_on"),)
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"), index=True)
    work_package_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("work_packages.id"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    nation_code: Mapped[str] = mapped_column(String(3))
    kind: Mapped[AwardKind] = mapped_column(enum_column(AwardKind))
    title: Mapped[str] = mapped_column(String(300))
    awarded_on: Mapped[date]
    value_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    withdrawn_on: Mapped[date | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    organisation: Mapped[Organisation] = relationship()
    project: Mapped[Project] = relationship()
