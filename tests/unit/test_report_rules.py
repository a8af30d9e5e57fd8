"""Periods of reports and where a plan's items stand: tables of cases (quarter boundaries,
the next period, a period within the project) and Hypothesis properties (every day lies in
exactly one period of each frequency, periods follow one another without gap or overlap, a
schedule owes exactly the periods that have ended). Also the PDF a report's content makes:
its banner on every page and its content read back whole."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from coalition.projects.models import DeliverableStatus, MilestoneStatus
from coalition.reports import pdf, rules
from coalition.reports.models import Frequency, ReportScope
from coalition.reports.rules import Period, Span
from coalition.reports.schemas import (
    DisputeSection,
    FundingSection,
    GovernanceSection,
    IpSection,
    PlanSummary,
    ProgressSection,
    ReleaseCount,
    ReleaseSection,
    ReportContent,
    RiskSection,
)
from coalition.risks.reading import heat_map_of

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
FREQUENCY = st.sampled_from(list(Frequency))
Q = Frequency.QUARTERLY


@pytest.mark.parametrize(
    ("day", "start", "end", "label"),
    [
        (date(2026, 1, 1), date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
        (date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
        (date(2026, 4, 1), date(2026, 4, 1), date(2026, 6, 30), "2026-Q2"),
        (date(2026, 9, 30), date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
        (date(2026, 10, 1), date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        (date(2024, 2, 29), date(2024, 1, 1), date(2024, 3, 31), "2024-Q1"),
    ],
)
def test_quarters_follow_the_calendar(day: date, start: date, end: date, label: str) -> None:
    period = rules.period_of(day, Q)
    assert (period.start, period.end, period.label()) == (start, end, label)


def test_months_and_years_and_other_periods_are_named() -> None:
    assert rules.period_of(date(2024, 2, 10), Frequency.MONTHLY) == Period(
        date(2024, 2, 1), date(2024, 2, 29)
    )
    assert rules.period_of(date(2024, 2, 10), Frequency.MONTHLY).label() == "2024-02"
    assert rules.period_of(date(2026, 7, 4), Frequency.YEARLY).label() == "2026"
    assert Period(date(2026, 2, 3), date(2026, 3, 31)).label() == "2026-02-03 to 2026-03-31"
    with pytest.raises(ValueError, match="ends on or after its start"):
        Period(date(2026, 2, 3), date(2026, 2, 2))


@pytest.mark.parametrize(
    ("start", "frequency", "following"),
    [
        (date(2026, 10, 1), Q, date(2027, 1, 1)),
        (date(2026, 12, 1), Frequency.MONTHLY, date(2027, 1, 1)),
        (date(2026, 1, 31), Frequency.MONTHLY, date(2026, 2, 1)),
        (date(2026, 2, 14), Q, date(2026, 4, 1)),  # a clipped first quarter
        (date(2026, 6, 1), Frequency.YEARLY, date(2027, 1, 1)),
    ],
)
def test_the_next_period(start: date, frequency: Frequency, following: date) -> None:
    assert rules.next_period(Period(start, start), frequency).start == following


def test_a_period_is_clipped_to_the_project() -> None:
    q1 = rules.period_of(date(2026, 2, 1), Q)
    assert rules.clipped(q1, date(2026, 2, 14), None) == Period(
        date(2026, 2, 14), date(2026, 3, 31)
    )
    assert rules.clipped(q1, date(2025, 1, 1), date(2026, 3, 10)) == Period(
        date(2026, 1, 1), date(2026, 3, 10)
    )
    assert rules.clipped(q1, date(2026, 4, 1), None) is None


PROJECT = Span("project RADAR", date(2025, 1, 1), date(2028, 12, 31))
TODAY = date(2026, 4, 2)


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        (date(2026, 1, 1), date(2026, 3, 31), []),
        (date(2025, 1, 1), date(2026, 4, 2), []),  # up to today
        (date(2024, 10, 1), date(2024, 12, 31), ["period_start"]),
        (date(2026, 3, 1), date(2026, 2, 1), ["period_end"]),
        (date(2026, 1, 1), date(2026, 6, 30), ["period_end"]),
        (date(2026, 5, 1), date(2026, 6, 30), ["period_start"]),
    ],
)
def test_a_period_must_be_past_and_within_the_project(
    start: date, end: date, fields: list[str]
) -> None:
    assert [f for f, _ in rules.period_problems(start, end, TODAY, PROJECT)] == fields


def test_a_period_outside_the_project_is_refused_with_its_dates() -> None:
    late = Span("project RADAR", date(2025, 1, 1), date(2025, 12, 31))
    problems = dict(rules.period_problems(date(2025, 10, 1), date(2026, 3, 31), TODAY, late))
    assert problems == {
        "period_end": "2026-03-31 is after project RADAR ends: project RADAR runs from "
        "2025-01-01 to 2025-12-31"
    }
    open_ended = Span("agreement PA-X", date(2025, 6, 1), None)
    (field, message), *_ = rules.period_problems(
        date(2025, 1, 1), date(2025, 3, 31), TODAY, open_ended
    )
    assert field == "period_start" and "with no end date" in message


@given(DAYS, FREQUENCY)
def test_every_day_lies_in_its_period_which_starts_a_month_aligned(
    day: date, frequency: Frequency
) -> None:
    period = rules.period_of(day, frequency)
    assert period.contains(day) and period.start.day == 1
    assert (period.start.month - 1) % rules.MONTHS[frequency] == 0
    assert (
        rules.period_of(period.start, frequency) == period == rules.period_of(period.end, frequency)
    )
    assert period.after == rules.period_of(period.after, frequency).start


@given(DAYS, FREQUENCY, st.integers(min_value=1, max_value=40))
def test_periods_follow_one_another_without_gap_or_overlap(
    day: date, frequency: Frequency, count: int
) -> None:
    period = rules.period_of(day, frequency)
    for _ in range(count):
        following = rules.next_period(period, frequency)
        assert following.start == period.end + timedelta(days=1)
        period = following


@given(DAYS, FREQUENCY, st.integers(min_value=0, max_value=800))
def test_a_schedule_owes_exactly_the_periods_that_have_ended(
    start: date, frequency: Frequency, days: int
) -> None:
    today = start + timedelta(days=days)
    owed = rules.ended_periods(start, frequency, today)
    assert all(p.end < today for p in owed)
    first = rules.period_of(start, frequency)
    if owed:
        assert owed[0] == first
        assert all(b.start == a.after for a, b in pairwise(owed))
        assert rules.next_period(owed[-1], frequency).end >= today
    else:
        assert first.end >= today


@given(DAYS, DAYS, DAYS)
def test_clipping_stays_inside_both(a: date, b: date, c: date) -> None:
    period = rules.period_of(a, Q)
    first, last = min(b, c), max(b, c)
    found = rules.clipped(period, first, last)
    if found is None:
        assert period.end < first or period.start > last
    else:
        assert period.start <= found.start <= found.end <= period.end
        assert first <= found.start and found.end <= last


M = MilestoneStatus


@pytest.mark.parametrize(
    ("status", "achieved_on", "at", "state", "late"),
    [
        (M.ACHIEVED, date(2026, 2, 10), date(2026, 4, 1), "achieved", None),
        (M.ACHIEVED, date(2026, 2, 20), date(2026, 4, 1), "achieved_late", 5),
        (M.ACHIEVED, date(2026, 4, 10), date(2026, 4, 1), "late", 44),  # achieved after
        (M.PLANNED, None, date(2026, 4, 1), "late", 44),
        (M.PLANNED, None, date(2026, 2, 15), "planned", None),  # due that day: not late yet
        (M.PLANNED, None, date(2026, 2, 16), "late", 0),  # its due day has just passed
        (M.MISSED, None, date(2026, 4, 1), "missed", 44),
    ],
)
def test_where_a_milestone_stands(
    status: MilestoneStatus, achieved_on: date | None, at: date, state: str, late: int | None
) -> None:
    due = date(2026, 2, 15)
    assert rules.milestone_state(due, status, achieved_on, at).value == state
    assert rules.days_late(due, achieved_on, at) == late


def test_where_a_deliverable_stands() -> None:
    due, after = date(2026, 3, 1), date(2026, 4, 1)
    status = DeliverableStatus
    assert rules.deliverable_state(due, status.ACCEPTED, after).value == "delivered"
    assert rules.deliverable_state(due, status.IN_PROGRESS, after).value == "late"
    assert rules.deliverable_state(due, status.PLANNED, due).value == "open"


def _content(banner: str) -> ReportContent:
    empty = PlanSummary(
        milestones_due=0,
        milestones_achieved=0,
        milestones_on_time=0,
        milestones_late=0,
        milestones_missed=0,
        deliverables_due=0,
        deliverables_delivered=0,
        deliverables_late=0,
    )
    return ReportContent(
        title="Report on RADAR, 2026-Q1",
        scope=ReportScope.PROJECT,
        project="RADAR",
        project_title="Cognitive <radar> & co",
        agreement="PA-RADAR",
        agreement_title="Radar arrangement",
        projects=["RADAR"],
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        period="2026-Q1",
        generated_at=datetime(2026, 4, 2, tzinfo=UTC),
        generated_by="paula",
        banner=banner,
        progress=ProgressSection(
            summary=empty, milestones=[], deliverables=[], trl=[], spend=None, spend_note="none"
        ),
        risks=RiskSection(
            raised_in_period=0, closed_in_period=0, live_at_end=0, rows=[], heat=heat_map_of([])
        ),
        governance=GovernanceSection(
            decisions=[], actions_assigned=0, actions_done=0, actions_overdue=[]
        ),
        disputes=DisputeSection(raised_in_period=0, settled_in_period=0, open_at_end=0, rows=[]),
        releases=ReleaseSection(
            requests=2,
            items=3,
            counts=[ReleaseCount(nation="GBR", level="SECRET", items=3)],
            nations=["GBR"],
            levels=["SECRET"],
        ),
        ip=IpSection(
            conceived_in_period=0, due_in_period=0, disclosed_in_period=1, overdue_at_end=0
        ),
        funding=FundingSection(
            currency=None, band_low_percent=95, band_high_percent=105, nations=[], note="none"
        ),
    )


def test_the_pdf_carries_its_banner_on_every_page_and_its_content_whole() -> None:
    banner = "SECRET//REL TO USA, GBR"
    content = _content(banner)
    document = pdf.build(content)
    reader = PdfReader(io.BytesIO(document))
    for page in reader.pages:
        assert page.extract_text().count(banner) >= 2
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Cognitive <radar> & co" in text and "2 release request(s) approved" in text
    assert pdf.content_of(document) == content
    with pytest.raises(pdf.ContentError):
        pdf.content_of(b"%PDF-1.4 not really")
