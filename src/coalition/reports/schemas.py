"""Commands and views of reports, their schedules and the progress of projects.

:class:`ReportContent` is what a report says: it is written into the PDF (as its text and,
whole, as an embedded ``report.json``), from which the report's page is drawn again, so
the page and the PDF never differ."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, Field, model_validator

from coalition.registry.schemas import Command, View
from coalition.reports.models import Frequency, ReportScope
from coalition.risks.schemas import HeatMapOut


class _Scoped(Command):
    scope: ReportScope = ReportScope.PROJECT
    project: str | None = Field(
        default=None, max_length=40, description="The project's code (project scope)."
    )
    agreement: str | None = Field(
        default=None, max_length=80, description="The agreement's reference (agreement scope)."
    )

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if self.scope is ReportScope.PROJECT and (not self.project or self.agreement):
            raise ValueError("a project report names a project (and no agreement)")
        if self.scope is ReportScope.AGREEMENT and (not self.agreement or self.project):
            raise ValueError("an agreement report names an agreement (and no project)")
        return self


class ReportIn(_Scoped):
    period_start: date
    period_end: date = Field(description="The period's last day.")


class ScheduleIn(_Scoped):
    frequency: Frequency = Frequency.QUARTERLY
    first_period_start: date | None = Field(
        default=None,
        description="A day in the first period to report on; default: the period holding "
        "today (or the project's start, if later).",
    )


class ReportOut(View):
    id: uuid.UUID
    reference: str
    title: str
    scope: ReportScope
    project: str | None
    agreement: str
    period_start: date
    period_end: date
    period: str
    #: The report's security label as a banner; the report is an artifact under it.
    banner: str
    artifact_id: uuid.UUID
    filename: str
    size: int
    sha256: str
    schedule_id: uuid.UUID | None
    generated_at: datetime
    generated_by: str


class ScheduleOut(View):
    id: uuid.UUID
    scope: ReportScope
    project: str | None
    agreement: str
    frequency: Frequency
    #: The next period to report on, once it has ended (clipped to the project's dates).
    next_period_start: date
    next_period_end: date
    active: bool
    reports: int
    created_by: str
    created_at: datetime


class ScheduleFailure(View):
    schedule_id: uuid.UUID
    period_start: date
    period_end: date
    reason: str


class RunDueOut(View):
    generated: list[ReportOut]
    #: A failed period writes nothing and is tried again at the next run.
    failed: list[ScheduleFailure]
    #: Schedules whose project or agreement has ended, stopped.
    completed: list[uuid.UUID]


# --- progress ---------------------------------------------------------------------------------


class MilestoneRow(BaseModel):
    project: str
    code: str
    title: str
    due_on: date
    status: str
    achieved_on: date | None
    #: achieved, achieved_late, missed, late or planned (coalition.reports.rules).
    state: str
    days_late: int | None


class DeliverableRow(BaseModel):
    project: str
    work_package: str
    code: str
    title: str
    due_on: date
    #: As recorded when the figures were drawn: deliverables keep no dated history.
    status: str
    #: delivered, late or open.
    state: str


class PlanSummary(BaseModel):
    milestones_due: int = Field(description="Due in the period (to date, on the progress page).")
    milestones_achieved: int = Field(description="Achieved in the period.")
    milestones_on_time: int
    milestones_late: int = Field(description="Due, and not achieved, by the end.")
    milestones_missed: int
    deliverables_due: int
    deliverables_delivered: int
    deliverables_late: int


class TrlPoint(BaseModel):
    on: date
    level: int = Field(ge=1, le=9)
    source: str


class TrlHistory(BaseModel):
    """Technology readiness over time, as recorded; empty while nothing records it."""

    project: str
    points: list[TrlPoint]
    note: str


class SpendRow(BaseModel):
    #: A work package's code (project scope) or a project's (agreement scope); "Total".
    key: str
    budget: Decimal
    #: The budget of the fiscal years begun by the end (each in its funding nation's years).
    planned_to_date: Decimal
    committed_to_date: Decimal
    actual_to_date: Decimal
    actual_in_period: Decimal
    #: Planned to date less actual to date: positive is underspent.
    variance: Decimal


class SpendPoint(BaseModel):
    month: str
    actual_to_date: Decimal


class Spend(BaseModel):
    currency: str
    rows: list[SpendRow]
    total: SpendRow
    by_month: list[SpendPoint]


class ProgressSection(BaseModel):
    summary: PlanSummary
    milestones: list[MilestoneRow]
    deliverables: list[DeliverableRow]
    trl: list[TrlHistory]
    spend: Spend | None
    #: Why there are no spend figures, when there are none.
    spend_note: str | None = None


class ProgressOut(ProgressSection):
    project: str
    title: str
    agreement: str
    start_on: date
    end_on: date | None
    #: Items are judged at this day: due today is not late yet.
    on: date


# --- the other sections of a report -----------------------------------------------------------


class RiskRow(BaseModel):
    reference: str
    project: str
    title: str
    likelihood: int
    impact: int
    score: int
    band: str
    status: str
    trend: str
    owner: str


class RiskSection(BaseModel):
    """The register as it stood at the end of the period (each risk's last assessment
    up to then)."""

    raised_in_period: int
    closed_in_period: int
    live_at_end: int
    rows: list[RiskRow]
    heat: HeatMapOut


class DecisionRow(BaseModel):
    reference: str
    body: str
    title: str
    outcome: str
    carried_option: str | None
    closed_on: date
    effective_on: date | None
    explanation: str | None


class ActionRow(BaseModel):
    reference: str
    body: str
    title: str
    owner: str
    due_on: date


class GovernanceSection(BaseModel):
    decisions: list[DecisionRow]
    actions_assigned: int
    actions_done: int
    actions_overdue: list[ActionRow]


class DisputeRow(BaseModel):
    reference: str
    subject: str
    title: str
    raised_on: date
    settled_on: date | None
    #: open at the end of the period, or how it ended (resolved, withdrawn).
    status: str


class DisputeSection(BaseModel):
    raised_in_period: int
    settled_in_period: int
    open_at_end: int
    rows: list[DisputeRow]


class ReleaseCount(BaseModel):
    nation: str
    level: str
    items: int


class ReleaseSection(BaseModel):
    """Releases approved in the period: counts only, never what was released."""

    requests: int
    items: int
    counts: list[ReleaseCount]
    nations: list[str]
    levels: list[str]


class IpSection(BaseModel):
    """Invention disclosures of the scope's IP assets: counts only."""

    conceived_in_period: int
    due_in_period: int
    disclosed_in_period: int
    overdue_at_end: int


class NationFunding(BaseModel):
    nation: str
    contributed_in_period: Decimal
    contributed_to_date: Decimal
    workshare_in_period: Decimal
    workshare_to_date: Decimal
    coefficient: Decimal | None
    standing: str


class FundingSection(BaseModel):
    currency: str | None
    band_low_percent: int
    band_high_percent: int
    nations: list[NationFunding]
    note: str | None = None


class ReportContent(BaseModel):
    """Everything a report says. ``format`` changes when this shape changes."""

    format: int = 1
    title: str
    scope: ReportScope
    project: str | None
    project_title: str | None
    agreement: str
    agreement_title: str
    projects: list[str]
    period_start: date
    period_end: date
    period: str
    generated_at: datetime
    generated_by: str
    banner: str = ""
    progress: ProgressSection
    risks: RiskSection
    governance: GovernanceSection
    disputes: DisputeSection
    releases: ReleaseSection
    ip: IpSection
    funding: FundingSection


class ReportView(BaseModel):
    """A report as its page shows it: the record, and what the report says."""

    report: ReportOut
    content: ReportContent
