"""The progress figures of projects: milestones and deliverables against their plan,
technology readiness over time, and planned against actual spend. Read inside the caller's
unit of work; nothing here checks who asks.

Technology readiness: the levels recorded for each project (coalition.projects, one
assessment a day) up to the end of the period; a project with none says so.

Spend: budgets are set per work package and fiscal year of the nation that funds them,
costs are booked by day (coalition.funding). *Planned to date* is the budget of every
fiscal year that has begun by the end of the period, in each funding nation's own fiscal
years; *actual to date* the actual costs booked up to the end; *actual in period* those
booked within it. Amounts are summed in whole minor units, converted exactly at the
agreement's fixed rates and rounded once, by largest remainder so that columns add up."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from fractions import Fraction

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from coalition.agreements.models import Agreement
from coalition.funding import money
from coalition.funding.models import BudgetLine, Expenditure, PlanKind, SpendKind
from coalition.funding.rules import CALENDAR_YEAR
from coalition.funding.services import calendars, rates_of
from coalition.projects.models import Participant, Project, WorkPackage
from coalition.reports import rules
from coalition.reports.models import Frequency
from coalition.reports.rules import DeliverableState, MilestoneState, Period
from coalition.reports.schemas import (
    DeliverableRow,
    MilestoneRow,
    PlanSummary,
    Spend,
    SpendPoint,
    SpendRow,
    TrlHistory,
    TrlPoint,
)

NO_TRL = "No technology readiness level is recorded for this project yet."
TOTAL = "Total"
_COLUMNS = ("budget", "planned_to_date", "committed_to_date", "actual_to_date", "actual_in_period")


def projects_query() -> Select[Project]:
    return select(Project).options(
        selectinload(Project.agreement).selectinload(Agreement.parties),
        selectinload(Project.participants).selectinload(Participant.organisation),
        selectinload(Project.work_packages).selectinload(WorkPackage.deliverables),
        selectinload(Project.milestones),
    )


# --- milestones and deliverables ----------------------------------------------------------------


def plan(
    projects: Sequence[Project], first: date, at: date, *, every_row: bool = False
) -> tuple[PlanSummary, list[MilestoneRow], list[DeliverableRow]]:
    """The plan's items due or achieved from ``first`` up to the day before ``at``, and
    those still late at ``at``; with ``every_row``, every item (the progress page)."""

    def counted(day: date | None) -> bool:
        return day is not None and first <= day < at

    milestones: list[MilestoneRow] = []
    deliverables: list[DeliverableRow] = []
    counts: dict[str, int] = defaultdict(int)
    for project in sorted(projects, key=lambda p: p.code):
        for m in project.milestones:
            state = rules.milestone_state(m.due_on, m.status, m.achieved_on, at)
            achieved_here = counted(m.achieved_on)
            counts["milestones_due"] += counted(m.due_on)
            counts["milestones_achieved"] += achieved_here
            counts["milestones_on_time"] += achieved_here and state is MilestoneState.ACHIEVED
            counts["milestones_late"] += state is MilestoneState.LATE
            counts["milestones_missed"] += state is MilestoneState.MISSED and counted(m.due_on)
            if every_row or counted(m.due_on) or achieved_here or state is MilestoneState.LATE:
                milestones.append(
                    MilestoneRow(
                        project=project.code,
                        code=m.code,
                        title=m.title,
                        due_on=m.due_on,
                        status=m.status.value,
                        achieved_on=m.achieved_on,
                        state=state.value,
                        days_late=rules.days_late(m.due_on, m.achieved_on, at),
                    )
                )
        for wp in project.work_packages:
            for d in wp.deliverables:
                state_d = rules.deliverable_state(d.due_on, d.status, at)
                counts["deliverables_due"] += counted(d.due_on)
                counts["deliverables_delivered"] += (
                    counted(d.due_on) and state_d is DeliverableState.DELIVERED
                )
                counts["deliverables_late"] += state_d is DeliverableState.LATE
                if every_row or counted(d.due_on) or state_d is DeliverableState.LATE:
                    deliverables.append(
                        DeliverableRow(
                            project=project.code,
                            work_package=wp.code,
                            code=d.code,
                            title=d.title,
                            due_on=d.due_on,
                            status=d.status.value,
                            state=state_d.value,
                        )
                    )
    milestones.sort(key=lambda r: (r.project, r.due_on, r.code))
    deliverables.sort(key=lambda r: (r.project, r.due_on, r.work_package, r.code))
    return PlanSummary(**counts), milestones, deliverables


def trl_history(projects: Iterable[Project], until: date) -> list[TrlHistory]:
    """Each project's readiness levels as assessed up to ``until``, oldest first."""
    found: list[TrlHistory] = []
    for project in projects:
        points = [
            TrlPoint(on=t.assessed_on, level=t.level, source=t.note or t.recorded_by)
            for t in project.trl_assessments
            if t.assessed_on <= until
        ]
        found.append(TrlHistory(project=project.code, points=points, note="" if points else NO_TRL))
    return found


# --- planned against actual spend -------------------------------------------------------------


def spend(
    session: Session,
    agreement: Agreement,
    projects: Sequence[Project],
    period: Period,
    *,
    by_work_package: bool,
) -> tuple[Spend | None, str | None]:
    """Spend against plan up to the end of ``period`` (rows per work package, or per
    project), or why there is none."""
    rates = rates_of(agreement)
    if rates is None:
        return None, f"{agreement.reference} names no accounting currency: no spend figures"
    currency = rates.accounting
    ids = [p.id for p in projects]
    keys: dict[tuple[uuid.UUID, uuid.UUID | None], str] = {}
    for project in sorted(projects, key=lambda p: p.code):
        if by_work_package:
            keys |= {(project.id, wp.id): wp.code for wp in project.work_packages}
        else:
            keys[(project.id, None)] = project.code

    def key_of(project_id: uuid.UUID, wp_id: uuid.UUID) -> str:
        return keys[(project_id, wp_id if by_work_package else None)]

    fiscal = calendars(session)
    exact: dict[str, dict[str, Fraction]] = {k: defaultdict(Fraction) for k in keys.values()}
    monthly: dict[str, Fraction] = defaultdict(Fraction)
    try:
        for project_id, wp_id, nation, year, cur, minor in session.execute(
            select(
                BudgetLine.project_id,
                BudgetLine.work_package_id,
                BudgetLine.nation_code,
                BudgetLine.fiscal_year,
                BudgetLine.currency,
                func.sum(BudgetLine.amount_minor),
            )
            .where(BudgetLine.project_id.in_(ids), BudgetLine.kind == PlanKind.BUDGET)
            .group_by(
                BudgetLine.project_id,
                BudgetLine.work_package_id,
                BudgetLine.nation_code,
                BudgetLine.fiscal_year,
                BudgetLine.currency,
            )
        ):
            value = rates.convert_minor(int(minor), cur, currency)
            row = exact[key_of(project_id, wp_id)]
            row["budget"] += value
            if fiscal.get(nation, CALENDAR_YEAR).bounds(int(year))[0] <= period.end:
                row["planned_to_date"] += value
        for project_id, wp_id, spent, cur, day, minor in session.execute(
            select(
                Expenditure.project_id,
                Expenditure.work_package_id,
                Expenditure.kind,
                Expenditure.currency,
                Expenditure.incurred_on,
                func.sum(Expenditure.amount_minor),
            )
            .where(Expenditure.project_id.in_(ids), Expenditure.incurred_on <= period.end)
            .group_by(
                Expenditure.project_id,
                Expenditure.work_package_id,
                Expenditure.kind,
                Expenditure.currency,
                Expenditure.incurred_on,
            )
        ):
            value = rates.convert_minor(int(minor), cur, currency)
            row = exact[key_of(project_id, wp_id)]
            if spent == SpendKind.COMMITMENT:
                row["committed_to_date"] += value
                continue
            row["actual_to_date"] += value
            monthly[f"{day:%Y-%m}"] += value
            if day >= period.start:
                row["actual_in_period"] += value
    except ValueError as exc:  # a currency the agreement fixes no rate for
        return None, f"no spend figures: {exc}"
    return _rounded(exact, monthly, currency, period), None


def _rounded(
    exact: dict[str, dict[str, Fraction]],
    monthly: dict[str, Fraction],
    currency: str,
    period: Period,
) -> Spend:
    order = list(exact)
    rounded = {c: money.allocate({k: exact[k][c] for k in order}) for c in _COLUMNS}

    def row(key: str, values: dict[str, int]) -> SpendRow:
        amounts = {c: money.from_minor(values[c], currency) for c in _COLUMNS}
        return SpendRow(
            key=key,
            **amounts,
            variance=amounts["planned_to_date"] - amounts["actual_to_date"],
        )

    rows = [row(k, {c: rounded[c][k] for c in _COLUMNS}) for k in order]
    total = row(TOTAL, {c: sum(rounded[c].values()) for c in _COLUMNS})
    points: list[SpendPoint] = []
    if monthly:
        running = Fraction(0)
        month = date.fromisoformat(f"{min(monthly)}-01")
        while f"{month:%Y-%m}" <= f"{period.end:%Y-%m}":
            running += monthly.get(f"{month:%Y-%m}", Fraction(0))
            points.append(
                SpendPoint(
                    month=f"{month:%Y-%m}",
                    actual_to_date=money.from_minor(money.round_half_even(running), currency),
                )
            )
            month = rules.period_of(month, Frequency.MONTHLY).after
    return Spend(currency=currency, rows=rows, total=total, by_month=points)
