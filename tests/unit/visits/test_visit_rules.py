"""The timetable of a request for visit: lead times in the host nation's working days (its
public holidays from the `holidays` library), the day of the request where the facility is,
the two offices' deadlines, reminders, and when an escort is needed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from coalition.common.workdays import (
    is_working_day,
    working_days_after,
    working_days_before,
    working_days_between,
)
from coalition.visits import rules

NATIONS = st.sampled_from(["USA", "GBR", "DEU", "FRA", "NOR", "AUS", "CAN", "XXX"])
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


def test_lead_time_skips_weekends_and_each_nations_holidays() -> None:
    # Requested on Monday 14 December 2026 with 10 working days' notice.
    asked = date(2026, 12, 14)
    # USA: Christmas Day (Fri 25th) is not counted.
    assert rules.earliest_first_day(asked, 10, "USA") == date(2026, 12, 29)
    # GBR: nor Boxing Day (Sat 26th, observed on Mon 28th).
    assert rules.earliest_first_day(asked, 10, "GBR") == date(2026, 12, 30)
    # A nation the library does not know: weekends only.
    assert rules.earliest_first_day(asked, 10, "XXX") == date(2026, 12, 28)


def test_holidays_in_the_window_are_named() -> None:
    found = rules.holidays_between(date(2026, 12, 14), date(2027, 1, 5), "GBR")
    assert [d for d, _ in found] == [date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)]
    assert found[0][1] == "Christmas Day"


def test_the_request_day_is_the_facilitys_local_day() -> None:
    moment = datetime(2027, 1, 8, 23, 30, tzinfo=UTC)  # Friday night in London
    assert rules.local_day(moment, "Europe/London") == date(2027, 1, 8)
    assert rules.local_day(moment, "Australia/Canberra") == date(2027, 1, 9)  # Saturday
    assert rules.local_day(moment, "America/Los_Angeles") == date(2027, 1, 8)
    # A Saturday request counts from Saturday: Monday is its first working day.
    assert rules.earliest_first_day(date(2027, 1, 9), 1, "AUS") == date(2027, 1, 11)
    # Across the date line the same moment is two different requests.
    early = datetime(2027, 1, 10, 12, 30, tzinfo=UTC)
    assert rules.local_day(early, "Pacific/Auckland") == date(2027, 1, 11)
    assert rules.local_day(early, "Pacific/Honolulu") == date(2027, 1, 10)


def test_deadlines_of_the_two_offices() -> None:
    due = rules.deadlines(
        date(2027, 1, 4),
        date(2027, 3, 2),
        home_nation="GBR",
        host_nation="USA",
        clearance_days=5,
        clearance_needed=True,
    )
    assert due == rules.Deadlines(date(2027, 1, 11), date(2027, 3, 1))
    # The home office is never due after the host's own deadline.
    short = rules.deadlines(
        date(2027, 1, 4),
        date(2027, 1, 6),
        home_nation="GBR",
        host_nation="USA",
        clearance_days=5,
        clearance_needed=True,
    )
    assert short == rules.Deadlines(date(2027, 1, 5), date(2027, 1, 5))
    # A visit starting the next working day is decided the day it is asked.
    asap = rules.deadlines(
        date(2027, 1, 4),
        date(2027, 1, 4),
        home_nation="GBR",
        host_nation="USA",
        clearance_days=5,
        clearance_needed=False,
    )
    assert asap == rules.Deadlines(None, date(2027, 1, 4))


def test_standing_against_a_due_day() -> None:
    due = date(2027, 1, 11)  # a Monday
    assert rules.standing(due, date(2027, 1, 6), "GBR", 2) is rules.Standing.ON_TIME
    assert rules.standing(due, date(2027, 1, 7), "GBR", 2) is rules.Standing.DUE_SOON
    assert rules.standing(due, date(2027, 1, 11), "GBR", 2) is rules.Standing.DUE_SOON
    assert rules.standing(due, date(2027, 1, 12), "GBR", 2) is rules.Standing.OVERDUE


def test_escort_reasons() -> None:
    assert rules.escort_reason(False, ["USA"], "USA") is None
    assert rules.escort_reason(False, ["GBR", "USA"], "USA") is None
    assert rules.escort_reason(False, ["GBR"], "USA") == "the visitor is not a citizen of USA"
    assert rules.escort_reason(True, ["GBR"], "USA") == (
        "a technology control plan applies at the facility; the visitor is not a citizen of USA"
    )


@given(DAYS, st.integers(min_value=0, max_value=60), NATIONS)
def test_the_earliest_day_is_a_working_day_exactly_that_many_working_days_on(
    asked: date, days: int, nation: str
) -> None:
    earliest = rules.earliest_first_day(asked, days, nation)
    assert working_days_between(asked, earliest, nation) == days
    if days:
        assert is_working_day(earliest, nation)
        # No earlier day gives the full notice.
        assert working_days_between(asked, earliest - timedelta(days=1), nation) == days - 1


@given(DAYS, st.integers(min_value=1, max_value=40), NATIONS)
def test_before_undoes_after(day: date, days: int, nation: str) -> None:
    later = working_days_after(day, days, nation)
    back = working_days_before(later, days, nation)
    assert back <= day and working_days_between(back, day, nation) == 0


@given(DAYS, DAYS, NATIONS)
def test_working_days_between_is_antisymmetric_and_additive(a: date, b: date, nation: str) -> None:
    assert working_days_between(a, b, nation) == -working_days_between(b, a, nation)
    middle = min(a, b) + (max(a, b) - min(a, b)) / 2
    assert working_days_between(min(a, b), max(a, b), nation) == working_days_between(
        min(a, b), middle, nation
    ) + working_days_between(middle, max(a, b), nation)


@given(
    DAYS,
    st.integers(min_value=0, max_value=400),
    st.integers(min_value=1, max_value=20),
    st.booleans(),
    NATIONS,
    NATIONS,
)
def test_deadlines_are_ordered(
    asked: date, ahead: int, clearance_days: int, needed: bool, home: str, host: str
) -> None:
    first = asked + timedelta(days=ahead)
    due = rules.deadlines(
        asked,
        first,
        home_nation=home,
        host_nation=host,
        clearance_days=clearance_days,
        clearance_needed=needed,
    )
    assert asked <= due.decision_due and (due.decision_due < first or due.decision_due == asked)
    if needed:
        assert due.clearance_due is not None
        assert asked <= due.clearance_due <= due.decision_due
    else:
        assert due.clearance_due is None
