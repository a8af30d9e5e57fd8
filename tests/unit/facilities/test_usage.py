"""The pure arithmetic of quotas and utilisation: periods in the facility's zone (weeks from
Monday, months, calendar years, days of a clock change), time split across periods, the
first period over a quota, open time, and the figures of the report. Properties: no
sequence of accepted requests ever exceeds a quota; used, no-show and cancelled time never
exceed what was requested; the parts add up; utilisation stays between 0 and 100."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.facilities import usage
from coalition.facilities.models import QuotaPeriod
from coalition.facilities.rules import Hours, Slot
from coalition.facilities.usage import Outcome

NEW_YORK = ZoneInfo("America/New_York")
ADELAIDE = ZoneInfo("Australia/Adelaide")
H = timedelta(hours=1)


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "period", "start", "following"),
    [
        (date(2027, 3, 3), QuotaPeriod.WEEK, date(2027, 3, 1), date(2027, 3, 8)),
        (date(2027, 3, 1), QuotaPeriod.WEEK, date(2027, 3, 1), date(2027, 3, 8)),
        (date(2027, 12, 31), QuotaPeriod.WEEK, date(2027, 12, 27), date(2028, 1, 3)),
        (date(2027, 12, 31), QuotaPeriod.MONTH, date(2027, 12, 1), date(2028, 1, 1)),
        (date(2028, 2, 29), QuotaPeriod.MONTH, date(2028, 2, 1), date(2028, 3, 1)),
        (date(2027, 7, 14), QuotaPeriod.YEAR, date(2027, 1, 1), date(2028, 1, 1)),
    ],
)
def test_periods_start_on_a_monday_the_first_or_new_year(
    day: date, period: QuotaPeriod, start: date, following: date
) -> None:
    assert usage.period_start(day, period) == start
    assert usage.next_start(start, period) == following


def test_period_names() -> None:
    assert usage.period_name(date(2027, 3, 1), QuotaPeriod.WEEK) == "the week of 2027-03-01"
    assert usage.period_name(date(2027, 3, 1), QuotaPeriod.MONTH) == "March 2027"
    assert usage.period_name(date(2027, 1, 1), QuotaPeriod.YEAR) == "2027"


def test_a_slot_across_a_local_week_boundary_counts_in_both_weeks() -> None:
    # Sunday 22:00 to Monday 02:00 in New York.
    slot = Slot(local(NEW_YORK, 2027, 3, 7, 22), local(NEW_YORK, 2027, 3, 8, 2))
    assert usage.by_period([slot], QuotaPeriod.WEEK, NEW_YORK) == {
        date(2027, 3, 1): 2 * H,
        date(2027, 3, 8): 2 * H,
    }
    # The same instant is all in one week in Adelaide (Monday 12:30 to 16:30).
    assert usage.by_period([slot], QuotaPeriod.WEEK, ADELAIDE) == {date(2027, 3, 8): 4 * H}


def test_the_first_excess_names_the_period_and_the_hours() -> None:
    held = [Slot(local(NEW_YORK, 2027, 3, 2, 9), local(NEW_YORK, 2027, 3, 2, 12))]
    wanted = [
        Slot(local(NEW_YORK, 2027, 3, 3, 9), local(NEW_YORK, 2027, 3, 3, 11)),
        Slot(local(NEW_YORK, 2027, 3, 10, 9), local(NEW_YORK, 2027, 3, 10, 13)),
    ]
    assert usage.first_excess(held, wanted, QuotaPeriod.WEEK, NEW_YORK, 5 * H) is None
    assert usage.first_excess(held, wanted, QuotaPeriod.WEEK, NEW_YORK, 4 * H) == usage.Excess(
        date(2027, 3, 1), 3 * H, 2 * H, 4 * H
    )
    assert usage.first_excess(held, wanted, QuotaPeriod.MONTH, NEW_YORK, 8 * H) == usage.Excess(
        date(2027, 3, 1), 3 * H, 6 * H, 8 * H
    )


def test_time_held_in_a_period_nothing_is_asked_for_is_not_an_excess() -> None:
    held = [Slot(local(NEW_YORK, 2027, 3, 2, 9), local(NEW_YORK, 2027, 3, 2, 19))]
    wanted = [Slot(local(NEW_YORK, 2027, 3, 9, 9), local(NEW_YORK, 2027, 3, 9, 10))]
    assert usage.first_excess(held, wanted, QuotaPeriod.WEEK, NEW_YORK, 2 * H) is None


def test_open_time_follows_hours_closures_and_the_clock_change() -> None:
    week = Hours(dict.fromkeys(range(5), (480, 1080)), "America/New_York")
    windows = usage.open_windows(week, [(date(2027, 3, 3), date(2027, 3, 4))], *_march_week())
    assert usage.total(windows) == 30 * H
    always = Hours({}, "America/New_York")
    # 14 March 2027 has 23 hours in New York, 7 November 25.
    assert usage.total(usage.open_windows(always, [], date(2027, 3, 14), date(2027, 3, 14))) == (
        23 * H
    )
    assert usage.total(usage.open_windows(always, [], date(2027, 11, 7), date(2027, 11, 7))) == (
        25 * H
    )


def _march_week() -> tuple[date, date]:
    return date(2027, 3, 1), date(2027, 3, 7)


def test_outcomes_follow_the_occurrence_first_then_the_booking() -> None:
    assert usage.outcome("approved", "cancelled") is Outcome.CANCELLED
    assert usage.outcome("cancelled", "no_show") is Outcome.NO_SHOW
    assert usage.outcome("approved", "scheduled") is Outcome.APPROVED
    assert usage.outcome("requested", "scheduled") is Outcome.PENDING
    assert usage.outcome("rejected", "scheduled") is Outcome.REJECTED
    assert usage.outcome("cancelled", "scheduled") is Outcome.CANCELLED


def test_figures_count_the_part_inside_the_window_and_used_time_up_to_now() -> None:
    window = Slot(local(NEW_YORK, 2027, 3, 1, 0), local(NEW_YORK, 2027, 3, 8, 0))
    items = [
        # Sunday 28 February 22:00 to Monday 02:00: two hours inside.
        (Slot(local(NEW_YORK, 2027, 2, 28, 22), local(NEW_YORK, 2027, 3, 1, 2)), Outcome.APPROVED),
        (Slot(local(NEW_YORK, 2027, 3, 2, 9), local(NEW_YORK, 2027, 3, 2, 13)), Outcome.APPROVED),
        (Slot(local(NEW_YORK, 2027, 3, 3, 9), local(NEW_YORK, 2027, 3, 3, 10)), Outcome.NO_SHOW),
        (Slot(local(NEW_YORK, 2027, 3, 4, 9), local(NEW_YORK, 2027, 3, 4, 10)), Outcome.CANCELLED),
        (Slot(local(NEW_YORK, 2027, 3, 5, 9), local(NEW_YORK, 2027, 3, 5, 10)), Outcome.PENDING),
        (Slot(local(NEW_YORK, 2027, 3, 5, 9), local(NEW_YORK, 2027, 3, 5, 10)), Outcome.REJECTED),
        (Slot(local(NEW_YORK, 2027, 3, 9, 9), local(NEW_YORK, 2027, 3, 9, 10)), Outcome.APPROVED),
    ]
    now = local(NEW_YORK, 2027, 3, 2, 11)  # halfway through Tuesday's four hours
    f = usage.figures(items, window, now)
    assert f == usage.Figures(
        requested=10 * H,
        approved=7 * H,
        pending=H,
        rejected=H,
        cancelled=H,
        no_show=H,
        used=4 * H,
    )
    assert usage.utilisation(f.used, 50 * H, 1) == Decimal("8.0")
    assert usage.utilisation(f.used, 50 * H, 2) == Decimal("4.0")
    assert usage.utilisation(f.used, timedelta(0), 1) == Decimal("0.0")
    assert usage.utilisation(60 * H, 50 * H, 1) == Decimal("100")
    assert usage.hours(timedelta(minutes=20)) == Decimal("0.33")


# --- properties ---------------------------------------------------------------------------------

BASE = datetime(2027, 3, 1, tzinfo=UTC)
slots = st.builds(
    lambda start, length: Slot(
        BASE + timedelta(minutes=start), BASE + timedelta(minutes=start + length)
    ),
    st.integers(0, 60 * 24 * 70),
    st.integers(15, 60 * 30),
)
periods = st.sampled_from(list(QuotaPeriod))
zones = st.sampled_from([NEW_YORK, ADELAIDE, ZoneInfo("UTC"), ZoneInfo("Europe/London")])


@given(
    st.lists(st.lists(slots, min_size=1, max_size=4), max_size=12),
    periods,
    zones,
    st.integers(30, 60 * 40),
)
def test_no_sequence_of_accepted_requests_exceeds_a_quota(
    requests: list[list[Slot]], period: QuotaPeriod, zone: ZoneInfo, minutes: int
) -> None:
    allowed = timedelta(minutes=minutes)
    held: list[Slot] = []
    for wanted in requests:
        if usage.first_excess(held, wanted, period, zone, allowed) is None:
            held.extend(wanted)
    assert all(v <= allowed for v in usage.by_period(held, period, zone).values())


@given(st.lists(slots, max_size=10), periods, zones)
def test_splitting_by_period_keeps_every_minute(
    some: list[Slot], period: QuotaPeriod, zone: ZoneInfo
) -> None:
    assert sum(usage.by_period(some, period, zone).values(), timedelta(0)) == usage.total(some)


@given(
    st.lists(st.tuples(slots, st.sampled_from(list(Outcome))), max_size=15),
    st.integers(0, 60 * 24 * 60),
    st.integers(60, 60 * 24 * 30),
    st.integers(0, 60 * 24 * 80),
    st.integers(0, 60 * 24 * 40),
    st.integers(1, 4),
)
def test_figures_add_up_and_utilisation_stays_within_bounds(
    items: list[tuple[Slot, Outcome]],
    start: int,
    length: int,
    now: int,
    open_minutes: int,
    capacity: int,
) -> None:
    window = Slot(BASE + timedelta(minutes=start), BASE + timedelta(minutes=start + length))
    f = usage.figures(items, window, BASE + timedelta(minutes=now))
    assert f.used + f.no_show + f.cancelled <= f.requested
    assert f.requested == f.approved + f.pending + f.rejected + f.cancelled
    assert f.used + f.no_show <= f.approved
    assert all(v >= timedelta(0) for v in vars(f).values())
    percent = usage.utilisation(f.used, timedelta(minutes=open_minutes), capacity)
    assert Decimal(0) <= percent <= Decimal(100)
