"""Periods of reports and where a plan's items stand. Pure: dates in, answers out.

Periods follow the calendar: a month, a quarter (January to March, April to June, July to
September, October to December) or a year; a period's ``end`` is its last day. A period
may be reported on once it lies within the project (or agreement) and has no day after
today. A schedule walks the calendar periods one after another and clips each to the
project's own dates, so a project starting in February has a first quarter of February
and March.

Where a milestone or deliverable stands is judged *at* a day: by the end of the day before
it. A report on a period is judged at the day after its end; the progress page at today
(an item due today is not late yet)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from coalition.projects.models import DeliverableStatus, MilestoneStatus
from coalition.reports.models import Frequency

MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class Period:
    start: date
    #: The period's last day.
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period ends on or after its start, not {self.end} < {self.start}")

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    @property
    def after(self) -> date:
        """The first day after the period: where its items are judged."""
        return self.end + ONE_DAY

    def label(self) -> str:
        """``2026-Q1``, ``2026-03`` or ``2026`` for a calendar period, else the two days."""
        start, end = self.start, self.end
        for frequency in Frequency:
            if period_of(start, frequency) == self:
                if frequency is Frequency.MONTHLY:
                    return f"{start:%Y-%m}"
                if frequency is Frequency.QUARTERLY:
                    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
                return str(start.year)
        return f"{start} to {end}"


def _add_months(first: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_start(day: date, frequency: Frequency) -> date:
    """The first day of the calendar period holding ``day``."""
    months = MONTHS[frequency]
    month = (day.month - 1) // months * months + 1
    return date(day.year, month, 1)


def period_of(day: date, frequency: Frequency) -> Period:
    start = period_start(day, frequency)
    return Period(start, _add_months(start, MONTHS[frequency]) - ONE_DAY)


def next_period(period: Period, frequency: Frequency) -> Period:
    """The calendar period after the one holding ``period``'s start."""
    return period_of(period_of(period.start, frequency).end + ONE_DAY, frequency)


def clipped(period: Period, first: date, last: date | None) -> Period | None:
    """The part of ``period`` between ``first`` and ``last`` (both days included; no
    ``last``: open-ended); None when they do not meet."""
    start = max(period.start, first)
    end = period.end if last is None else min(period.end, last)
    return Period(start, end) if start <= end else None


def ended_periods(next_start: date, frequency: Frequency, today: date) -> list[Period]:
    """The calendar periods from the one holding ``next_start`` on that ended before
    ``today``, in order: what a schedule still owes."""
    found: list[Period] = []
    period = period_of(next_start, frequency)
    while period.end < today:
        found.append(period)
        period = next_period(period, frequency)
    return found


@dataclass(frozen=True)
class Span:
    """What a report may cover: a project's days or an agreement's, both days included."""

    what: str
    first: date
    last: date | None

    def describe(self) -> str:
        until = f"to {self.last}" if self.last else "with no end date"
        return f"{self.what} runs from {self.first} {until}"


def period_problems(start: date, end: date, today: date, span: Span) -> list[tuple[str, str]]:
    """Why ``start``..``end`` cannot be reported on, field by field; empty when it can."""
    problems: list[tuple[str, str]] = []
    if end < start:
        problems.append(("period_end", f"{end} is before period_start {start}"))
    if start > today:
        problems.append(("period_start", f"{start} is in the future: a report covers days past"))
    elif end > today:
        problems.append(
            ("period_end", f"{end} is after today ({today}): a report covers days past")
        )
    if start < span.first:
        problems.append(
            ("period_start", f"{start} is before {span.what} starts: {span.describe()}")
        )
    if span.last is not None and end > span.last:
        problems.append(("period_end", f"{end} is after {span.what} ends: {span.describe()}"))
    return problems


# --- where a plan's items stand -------------------------------------------------------------


class MilestoneState(enum.StrEnum):
    ACHIEVED = "achieved"  # on or before its due day
    ACHIEVED_LATE = "achieved_late"
    MISSED = "missed"  # recorded as missed
    LATE = "late"  # its due day has passed and it is not achieved
    PLANNED = "planned"  # not yet due


class DeliverableState(enum.StrEnum):
    DELIVERED = "delivered"  # submitted or accepted
    LATE = "late"
    OPEN = "open"  # not yet due


DELIVERED = frozenset({DeliverableStatus.SUBMITTED, DeliverableStatus.ACCEPTED})


def milestone_state(
    due_on: date, status: MilestoneStatus, achieved_on: date | None, at: date
) -> MilestoneState:
    """Where a milestone stood by the end of the day before ``at``: one achieved later
    than that was still late (or planned) then."""
    if achieved_on is not None and achieved_on < at:
        return MilestoneState.ACHIEVED if achieved_on <= due_on else MilestoneState.ACHIEVED_LATE
    if due_on >= at:
        return MilestoneState.PLANNED
    if status is MilestoneStatus.MISSED:
        return MilestoneState.MISSED
    return MilestoneState.LATE


def days_late(due_on: date, achieved_on: date | None, at: date) -> int | None:
    """How many days after its due day a milestone was achieved, or has been waited for
    by the end of the day before ``at``; None when it is not late."""
    if achieved_on is not None and achieved_on < at:
        return (achieved_on - due_on).days if achieved_on > due_on else None
    last = at - ONE_DAY
    return (last - due_on).days if last >= due_on else None


def deliverable_state(due_on: date, status: DeliverableStatus, at: date) -> DeliverableState:
    """A deliverable's status carries no date: it is taken as recorded now."""
    if status in DELIVERED:
        return DeliverableState.DELIVERED
    return DeliverableState.LATE if due_on < at else DeliverableState.OPEN
