"""Commands and views of funding. Commands name projects, work packages, organisations and
agreements by the codes people write in spreadsheets (project code, work package code,
organisation short name, agreement reference), so that one shape serves the API, the CLI,
the web forms and the CSV / XLSX import (docs/decisions/0015-funding.md)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from coalition.common.validation import CurrencyCode, Name, NationCode, Reason
from coalition.funding.models import (
    AwardKind,
    ContributionKind,
    ContributionStatus,
    CostCategory,
    InKindType,
    PlanKind,
    SpendKind,
)
from coalition.registry.schemas import Command, View

Reference = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
LongText = Field(default=None, max_length=10000)
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
#: Money as typed: a decimal in major units. Its currency's minor unit is checked by the
#: use case (JPY has none, KWD has three).
Money = Annotated[Decimal, Field(max_digits=20, decimal_places=3, allow_inf_nan=False)]
FiscalYear = Annotated[int, Field(ge=1990, le=2200, description="Named by the year it ends in.")]


class BudgetLineIn(Command):
    """Set the budget (or forecast) of a work package for one cost category and one fiscal
    year of the nation that funds it; setting it again replaces the amount."""

    project: Code = Field(description="Project code.")
    work_package: Code = Field(description="Work package code within the project.")
    category: CostCategory
    nation: NationCode = Field(description="The funding nation, whose fiscal years apply.")
    fiscal_year: FiscalYear
    kind: PlanKind = PlanKind.BUDGET
    amount: Money = Field(ge=0)
    currency: CurrencyCode
    note: str | None = LongText


class ExpenditureIn(Command):
    """A commitment or actual cost; a correction is a negative amount."""

    project: Code
    work_package: Code
    category: CostCategory
    organisation: Code = Field(description="Short name of the organisation that spent it.")
    kind: SpendKind = SpendKind.ACTUAL
    incurred_on: date
    amount: Money
    currency: CurrencyCode
    reference: str | None = Field(default=None, max_length=80)
    description: str | None = LongText

    @model_validator(mode="after")
    def _not_zero(self) -> Self:
        if self.amount == 0:
            raise ValueError("amount: a cost of zero records nothing")
        return self


class ContributionIn(Command):
    reference: str = Reference
    agreement: Code = Field(description="Agreement reference.")
    project: Code | None = Field(default=None, description="Project code, if for one project.")
    work_package: Code | None = None
    organisation: Code = Field(description="Short name of the contributing organisation.")
    kind: ContributionKind
    in_kind_type: InKindType | None = None
    made_on: date
    amount: Money = Field(gt=0, description="Cash paid, or the stated value in kind.")
    currency: CurrencyCode
    description: str | None = LongText
    valuation_method: str | None = LongText
    evidence: str | None = LongText

    @model_validator(mode="after")
    def _in_kind_needs_a_valuation(self) -> Self:
        if self.kind is ContributionKind.IN_KIND:
            if self.in_kind_type is None:
                raise ValueError("in_kind_type: say what is contributed in kind")
            if not self.valuation_method:
                raise ValueError("valuation_method: state how the contribution was valued")
            if not self.evidence:
                raise ValueError("evidence: name the evidence for the valuation")
        elif self.in_kind_type is not None:
            raise ValueError("in_kind_type: only for a contribution in kind")
        if self.work_package is not None and self.project is None:
            raise ValueError("project: name the project of the work package")
        return self


class ContributionDecisionIn(Command):
    """The oversight body's decision on an in-kind valuation."""

    outcome: Literal["accepted", "rejected"]
    decided_on: date
    decided_by: Name = Field(description="The oversight body, e.g. 'CSAR-MAS steering committee'.")
    decision_reference: str | None = Field(default=None, max_length=80)
    note: str | None = LongText


class WithdrawalIn(Command):
    """Withdraw a contribution or an award recorded in error: it stays in the books, with
    the reason, and counts nowhere."""

    withdrawn_on: date
    reason: Reason


class WorkshareAwardIn(Command):
    reference: str = Reference
    project: Code
    work_package: Code | None = None
    organisation: Code = Field(description="Short name of the organisation awarded the work.")
    kind: AwardKind = AwardKind.CONTRACT
    title: Name
    awarded_on: date
    value: Money = Field(gt=0)
    currency: CurrencyCode


class BudgetLineOut(View):
    id: uuid.UUID
    project: str
    work_package: str
    category: CostCategory
    nation: str
    fiscal_year: int
    kind: PlanKind
    amount: Decimal
    currency: str
    note: str | None


class ExpenditureOut(View):
    id: uuid.UUID
    project: str
    work_package: str
    category: CostCategory
    organisation: str
    nation: str
    kind: SpendKind
    incurred_on: date
    amount: Decimal
    currency: str
    reference: str | None
    description: str | None


class ContributionOut(View):
    id: uuid.UUID
    reference: str
    agreement: str
    project: str | None
    work_package: str | None
    organisation: str
    nation: str
    kind: ContributionKind
    in_kind_type: InKindType | None
    made_on: date
    amount: Decimal
    currency: str
    description: str | None
    valuation_method: str | None
    evidence: str | None
    status: ContributionStatus
    decided_on: date | None
    decided_by: str | None
    decision_reference: str | None
    decision_note: str | None
    withdrawn_on: date | None
    withdrawal_reason: str | None


class WorkshareAwardOut(View):
    id: uuid.UUID
    reference: str
    agreement: str
    project: str
    work_package: str | None
    organisation: str
    nation: str
    kind: AwardKind
    title: str
    awarded_on: date
    value: Decimal
    currency: str
    withdrawn_on: date | None
    withdrawal_reason: str | None


class RowProblem(View):
    row: int = Field(description="Row number in the file, the header being row 1.")
    field: str
    message: str


class ImportResult(View):
    imported: int
    skipped: list[RowProblem] = Field(
        default_factory=list, description="Rows left out (only when partial import was asked)."
    )


class NationBalance(View):
    nation: str
    agreed_share_percent: Decimal | None
    cash: Decimal
    in_kind: Decimal
    contributed: Decimal
    contribution_share_percent: Decimal
    workshare: Decimal
    workshare_share_percent: Decimal
    coefficient: Decimal | None
    standing: str


class BalanceReport(View):
    agreement: str
    currency: str
    fiscal_calendar: str = Field(description="Whose fiscal years the periods follow.")
    band_low_percent: int
    band_high_percent: int
    cost_share_rule: str
    nations: list[NationBalance]
    total_contributed: Decimal
    total_workshare: Decimal
    periods: list[str]
    contributed_by_period: dict[str, list[Decimal]] = Field(
        description="Cumulative contributions per nation at the end of each period."
    )
    agreed_by_period: dict[str, list[Decimal]] = Field(
        description="What each nation would have contributed at its agreed share."
    )
    coefficient_by_period: dict[str, list[Decimal | None]]
    alerts: list[str]


class BudgetRow(View):
    work_package: str
    category: CostCategory | None = Field(description="None on the totals row.")
    budget: Decimal
    forecast: Decimal
    committed: Decimal
    actual: Decimal
    remaining: Decimal = Field(description="Budget less actual.")


class FiscalYearRow(View):
    nation: str
    fiscal_year: str
    budget: Decimal
    forecast: Decimal
    committed: Decimal
    actual: Decimal


class BudgetReport(View):
    project: str
    currency: str
    rows: list[BudgetRow]
    by_fiscal_year: list[FiscalYearRow] = Field(
        description="Per nation, in that nation's own fiscal years: budgets and forecasts "
        "under the nation that funds them, costs under the nation of the organisation "
        "that booked them."
    )
    totals: BudgetRow
