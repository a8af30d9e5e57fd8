"""The pure rules of facility bookings: overlaps and conflicts, the occurrences of a recurring
booking (RFC 5545 RRULE, repeated in the time zone of its start), opening hours and
closures, and the free slots offered instead of a conflicting case.

The properties check against readings that do not share the code's interval arithmetic:
overlaps and opening hours minute by minute, conflicts by trying every pair, free slots by
walking every step of the grid, and recurring local times by building them day by day.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.facilities.rules import (
    MAX_HORIZON,
    MAX_OCCURRENCES,
    Hours,
    Slot,
    conflicts,
    free_slots,
    occurrences,
    outside_hours,
)

BASE = datetime(2026, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
LONDON = ZoneInfo("Europe/London")
BERLIN = ZoneInfo("Europe/Berlin")
#: Zones whose clocks change by an hour (both hemispheres), and two that never change.
ZONES = (
    "UTC",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
)
#: The days the clocks change in 2026 in those zones.
CHANGES = (
    date(2026, 3, 8),  # New York, spring
    date(2026, 3, 29),  # London and Berlin, spring
    date(2026, 4, 5),  # Sydney, autumn
    date(2026, 10, 4),  # Sydney, spring
    date(2026, 10, 25),  # London and Berlin, autumn
    date(2026, 11, 1),  # New York, autumn
)

WEEKDAYS = Hours(dict.fromkeys(range(5), (8 * 60, 18 * 60)), "Europe/Berlin")
ALL_DAY = Hours(dict.fromkeys(range(7), (0, 24 * 60)), "Europe/Berlin")
ALWAYS = Hours({})


def at(minutes: int) -> datetime:
    return BASE + minutes * MINUTE


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def starting(message: str) -> str:
    """A pattern for ``pytest.raises``: the error's text begins with ``message``."""
    return "^" + re.escape(message)


def minutes_of(slot: Slot) -> set[int]:
    """The minutes (counted from BASE) that ``slot`` covers."""
    return set(range((slot.starts - BASE) // MINUTE, (slot.ends - BASE) // MINUTE))


def slots(max_start: int = 7 * 24 * 60, max_length: int = 12 * 60) -> st.SearchStrategy[Slot]:
    return st.builds(
        lambda start, length: Slot(at(start), at(start + length)),
        st.integers(0, max_start),
        st.integers(1, max_length),
    )


# Slots and conflicts


@given(slots(), slots())
def test_overlaps_is_symmetric_and_means_sharing_a_minute(a: Slot, b: Slot) -> None:
    assert a.overlaps(b) == b.overlaps(a)
    assert a.overlaps(b) == bool(minutes_of(a) & minutes_of(b))


@given(slots(), st.integers(1, 12 * 60))
def test_touching_slots_do_not_overlap(a: Slot, length: int) -> None:
    b = Slot(a.ends, a.ends + length * MINUTE)
    assert not a.overlaps(b)
    assert not b.overlaps(a)


@given(slots())
def test_a_slot_overlaps_itself_and_lasts_from_start_to_end(a: Slot) -> None:
    assert a.overlaps(a)
    assert a.duration == a.ends - a.starts == len(minutes_of(a)) * MINUTE


@given(st.lists(slots(), max_size=12), st.lists(slots(), max_size=12))
def test_conflicts_are_exactly_the_overlapping_pairs(wanted: list[Slot], taken: list[Slot]) -> None:
    found = conflicts(wanted, taken)
    every_pair = [(w, t) for w in wanted for t in taken if minutes_of(w) & minutes_of(t)]
    assert sorted(found) == sorted(every_pair)
    assert [w for w, _ in found] == sorted(w for w, _ in found)  # in time order


def test_conflicts_in_other_zones_are_compared_as_instants() -> None:
    wanted = Slot(berlin(2026, 3, 16, 10), berlin(2026, 3, 16, 11))  # 09:00-10:00 UTC
    assert conflicts([wanted], [Slot(utc(2026, 3, 16, 9, 30), utc(2026, 3, 16, 12))])
    assert not conflicts([wanted], [Slot(utc(2026, 3, 16, 10), utc(2026, 3, 16, 12))])


# Occurrences


def test_a_one_off_booking_is_one_slot_in_utc() -> None:
    out = occurrences(berlin(2026, 7, 14, 9), berlin(2026, 7, 14, 17, 30), None)
    assert out == [Slot(utc(2026, 7, 14, 7), utc(2026, 7, 14, 15, 30))]
    assert out[0].starts.tzinfo is UTC and out[0].ends.tzinfo is UTC


def test_a_weekly_london_booking_keeps_nine_o_clock_across_the_clock_change() -> None:
    out = occurrences(
        datetime(2026, 3, 16, 9, tzinfo=LONDON),
        datetime(2026, 3, 16, 10, 30, tzinfo=LONDON),
        "FREQ=WEEKLY;COUNT=4",
    )
    assert [s.starts for s in out] == [
        utc(2026, 3, 16, 9),
        utc(2026, 3, 23, 9),
        utc(2026, 3, 30, 8),  # British Summer Time from 29 March
        utc(2026, 4, 6, 8),
    ]
    assert {s.starts.astimezone(LONDON).time() for s in out} == {time(9)}
    assert {s.ends.astimezone(LONDON).time() for s in out} == {time(10, 30)}


def test_the_rule_may_carry_its_rrule_prefix_and_any_case() -> None:
    starts, ends = utc(2026, 5, 4, 9), utc(2026, 5, 4, 10)
    plain = occurrences(starts, ends, "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4")
    assert occurrences(starts, ends, " RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4\n") == plain
    assert occurrences(starts, ends, "freq=weekly;byday=mo,we;count=4") == plain
    assert [s.starts.day for s in plain] == [4, 6, 11, 13]


def test_until_ends_the_series_inclusively() -> None:
    out = occurrences(utc(2026, 5, 4, 9), utc(2026, 5, 4, 10), "FREQ=DAILY;UNTIL=20260507T090000Z")
    assert [s.starts.day for s in out] == [4, 5, 6, 7]


def test_an_exception_that_names_no_occurrence_changes_nothing() -> None:
    starts, ends = utc(2026, 5, 4, 9), utc(2026, 5, 4, 10)
    every = occurrences(starts, ends, "FREQ=DAILY;COUNT=3")
    assert occurrences(starts, ends, "FREQ=DAILY;COUNT=3", [utc(2026, 5, 5, 9, 1)]) == every


# The occurrence that starts in the hour skipped in spring, and the one that spans the
# change: each lasts exactly as long as the booking (RFC 5545 3.8.5.3), never less than
# nothing.


def test_an_occurrence_in_the_spring_gap_lasts_as_long_as_the_others() -> None:
    out = occurrences(
        datetime(2026, 3, 27, 1, 30, tzinfo=LONDON),
        datetime(2026, 3, 27, 2, 0, tzinfo=LONDON),
        "FREQ=DAILY;COUNT=4",
    )
    assert [s.starts for s in out] == [
        utc(2026, 3, 27, 1, 30),
        utc(2026, 3, 28, 1, 30),
        # 01:30 does not exist on 29 March: read with the offset before the gap (RFC
        # 5545 3.3.5), i.e. 02:30 British Summer Time.
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 30, 0, 30),
    ]
    assert {s.duration for s in out} == {timedelta(minutes=30)}


def test_an_overnight_booking_lasts_as_long_on_the_night_the_clocks_change() -> None:
    out = occurrences(
        datetime(2026, 3, 27, 23, 30, tzinfo=LONDON),
        datetime(2026, 3, 28, 2, 30, tzinfo=LONDON),
        "FREQ=DAILY;COUNT=3",
    )
    assert {s.duration for s in out} == {3 * HOUR}
    assert out[1].ends.astimezone(LONDON) == datetime(2026, 3, 29, 3, 30, tzinfo=LONDON)


def test_a_booking_given_across_the_change_lasts_its_real_length() -> None:
    """23:30 to 02:30 on the night the clocks go forward is two hours, not three."""
    starts = datetime(2026, 3, 28, 23, 30, tzinfo=LONDON)
    ends = datetime(2026, 3, 29, 2, 30, tzinfo=LONDON)
    assert occurrences(starts, ends, None)[0].duration == 2 * HOUR
    assert {s.duration for s in occurrences(starts, ends, "FREQ=DAILY;COUNT=3")} == {2 * HOUR}


def test_an_hourly_rule_through_the_spring_gap_gives_each_instant_once() -> None:
    out = occurrences(
        datetime(2026, 3, 29, 0, 0, tzinfo=LONDON),
        datetime(2026, 3, 29, 0, 30, tzinfo=LONDON),
        "FREQ=HOURLY;COUNT=4",
    )
    # 01:00 local does not exist (it is read as 01:00 GMT) and 02:00 BST is that instant.
    assert [s.starts for s in out] == [
        utc(2026, 3, 29, 0),
        utc(2026, 3, 29, 1),
        utc(2026, 3, 29, 2),
    ]


@dataclass(frozen=True)
class Series:
    zone: ZoneInfo
    first: datetime  # naive local start
    rule: str
    freq: str
    interval: int
    count: int
    length: timedelta
    #: The least time between two starts on the wall clock.
    gap: timedelta

    @property
    def starts(self) -> datetime:
        return self.first.replace(tzinfo=self.zone)

    @property
    def ends(self) -> datetime:
        return (self.starts.astimezone(UTC) + self.length).astimezone(self.zone)


#: (FREQ, largest INTERVAL, largest COUNT, shortest period): kept within MAX_HORIZON.
FREQUENCIES = {
    "DAILY": (7, 60, timedelta(days=1)),
    "WEEKLY": (4, 20, timedelta(weeks=1)),
    "MONTHLY": (3, 6, timedelta(days=28)),
    "HOURLY": (6, 72, HOUR),
}

start_days = st.dates(date(2025, 6, 1), date(2027, 6, 1)) | st.sampled_from(CHANGES).flatmap(
    lambda change: st.integers(0, 10).map(lambda back: change - timedelta(days=back))
)
#: Biased to the hours around which clocks change.
start_times = st.builds(
    time,
    st.sampled_from([0, 1, 2, 3, 23]) | st.integers(0, 23),
    st.sampled_from([0, 30]) | st.integers(0, 59),
)


@st.composite
def series(
    draw: st.DrawFn, frequencies: tuple[str, ...] = ("DAILY", "WEEKLY", "MONTHLY")
) -> Series:
    freq = draw(st.sampled_from(frequencies))
    most_interval, most_count, period = FREQUENCIES[freq]
    interval = draw(st.integers(1, most_interval))
    count = draw(st.integers(1, most_count))
    day = draw(start_days)
    if freq == "MONTHLY":
        day = day.replace(day=min(day.day, 28))  # a day every month has
    gap = interval * period
    length = draw(st.integers(1, gap // MINUTE)) * MINUTE
    return Series(
        zone=ZoneInfo(draw(st.sampled_from(ZONES))),
        first=datetime.combine(day, draw(start_times)),
        rule=f"FREQ={freq};INTERVAL={interval};COUNT={count}",
        freq=freq,
        interval=interval,
        count=count,
        length=length,
        gap=gap,
    )


def exists(local: datetime, zone: ZoneInfo) -> bool:
    """Whether the naive ``local`` time happens in ``zone`` (is not in a spring gap)."""
    aware = local.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local


@settings(max_examples=300)
@given(series())
def test_count_n_gives_n_occurrences_of_one_length_one_after_another(case: Series) -> None:
    out = occurrences(case.starts, case.ends, case.rule)
    assert len(out) == case.count
    # (In UTC: Python never finds a time in a spring gap equal to one in another zone.)
    assert out[0].starts == case.starts.astimezone(UTC)
    assert all(s.starts.tzinfo is UTC and s.ends.tzinfo is UTC for s in out)
    assert {s.duration for s in out} == {case.length}
    assert all(a.starts < b.starts for a, b in pairwise(out))
    # A clock change can bring two starts an hour closer than the wall clock says.
    if case.length <= case.gap - HOUR:
        assert not any(a.overlaps(b) for a, b in pairwise(out))


@settings(max_examples=300)
@given(series(("DAILY", "WEEKLY")))
def test_daily_and_weekly_occurrences_keep_the_local_time_of_the_first(case: Series) -> None:
    out = occurrences(case.starts, case.ends, case.rule)
    step = timedelta(days=case.interval * (7 if case.freq == "WEEKLY" else 1))
    for n, slot in enumerate(out):
        local = case.first + n * step
        assert slot.starts == local.replace(tzinfo=case.zone).astimezone(UTC)
        if exists(local, case.zone):
            assert slot.starts.astimezone(case.zone).replace(tzinfo=None) == local


@settings(max_examples=300)
@given(series(("HOURLY",)))
def test_hourly_occurrences_never_repeat_an_instant(case: Series) -> None:
    out = occurrences(case.starts, case.ends, case.rule)
    # At most one spring gap in 72 hours, where two local hours are one instant.
    assert case.count - 1 <= len(out) <= case.count
    assert {s.duration for s in out} == {case.length}
    assert all(a.starts < b.starts for a, b in pairwise(out))
    if case.length <= max(HOUR, case.gap - HOUR):
        assert not any(a.overlaps(b) for a, b in pairwise(out))


@settings(max_examples=200)
@given(series(), st.data())
def test_exceptions_remove_exactly_the_occurrences_they_name(
    case: Series, data: st.DataObject
) -> None:
    every = occurrences(case.starts, case.ends, case.rule)
    removed = data.draw(st.sets(st.sampled_from(range(len(every))), max_size=len(every) - 1))
    zone = data.draw(st.sampled_from([case.zone, UTC, ZoneInfo("Asia/Tokyo")]))
    exceptions = [every[n].starts.astimezone(zone) for n in removed]
    out = occurrences(case.starts, case.ends, case.rule, exceptions)
    assert len(out) == case.count - len(removed)
    assert out == [slot for n, slot in enumerate(every) if n not in removed]


START, END = utc(2026, 5, 4, 9), utc(2026, 5, 4, 10)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=WEEKLY", "recurrence: give COUNT or UNTIL"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "recurrence: give COUNT or UNTIL"),
        ("", "recurrence: give COUNT or UNTIL"),
        ("FREQ=FORTNIGHTLY;COUNT=3", "recurrence: not an RFC 5545 RRULE"),
        ("COUNT=3", "recurrence: not an RFC 5545 RRULE"),
        ("FREQ=DAILY;COUNT=three", "recurrence: not an RFC 5545 RRULE"),
        ("every Tuesday, COUNT=3", "recurrence: not an RFC 5545 RRULE"),
        ("FREQ=DAILY;BYDAY=XX;COUNT=3", "recurrence: not an RFC 5545 RRULE"),
        # UNTIL must be in UTC when the start has a time zone.
        ("FREQ=DAILY;UNTIL=20260510T090000", "recurrence: not an RFC 5545 RRULE"),
        (f"FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}", "recurrence: more than 500 occurrences"),
        ("FREQ=HOURLY;UNTIL=20260601T000000Z", "recurrence: more than 500 occurrences"),
        ("FREQ=WEEKLY;COUNT=120", "recurrence: runs more than two years ahead"),
        ("FREQ=MONTHLY;UNTIL=20300101T000000Z", "recurrence: runs more than two years ahead"),
    ],
)
def test_a_rule_that_is_unbounded_malformed_or_too_long_is_refused(rule: str, message: str) -> None:
    with pytest.raises(ValueError, match=starting(message)):
        occurrences(START, END, rule)


def test_the_limits_themselves_are_allowed() -> None:
    assert len(occurrences(START, END, f"FREQ=DAILY;COUNT={MAX_OCCURRENCES}")) == MAX_OCCURRENCES
    # Every other day up to exactly MAX_HORIZON ahead, then a day past it.
    last = START + MAX_HORIZON
    out = occurrences(START, END, f"FREQ=DAILY;INTERVAL=2;UNTIL={last:%Y%m%dT%H%M%SZ}")
    assert out[-1].starts == last
    beyond = last + timedelta(days=2)
    with pytest.raises(ValueError, match=starting("recurrence: runs more than two years ahead")):
        occurrences(START, END, f"FREQ=DAILY;INTERVAL=2;UNTIL={beyond:%Y%m%dT%H%M%SZ}")


def test_a_series_whose_every_occurrence_is_excepted_is_refused() -> None:
    every = [s.starts for s in occurrences(START, END, "FREQ=DAILY;COUNT=3")]
    with pytest.raises(ValueError, match=starting("recurrence: leaves no occurrence")):
        occurrences(START, END, "FREQ=DAILY;COUNT=3", every)


def test_a_rule_that_never_happens_is_refused() -> None:
    with pytest.raises(ValueError, match=starting("recurrence: leaves no occurrence")):
        occurrences(START, END, "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=1")


@pytest.mark.parametrize("rule", [None, "FREQ=DAILY;COUNT=2"])
@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        (datetime(2026, 5, 4, 9), END),
        (START, datetime(2026, 5, 4, 10)),
        (datetime(2026, 5, 4, 9), datetime(2026, 5, 4, 10)),
    ],
)
def test_naive_times_are_refused(starts: datetime, ends: datetime, rule: str | None) -> None:
    with pytest.raises(ValueError, match="time zone"):
        occurrences(starts, ends, rule)


@pytest.mark.parametrize("rule", [None, "FREQ=DAILY;COUNT=2"])
@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        (START, START),
        (END, START),
        # The same instant written in two zones is no length at all.
        (berlin(2026, 5, 4, 11), START),
    ],
)
def test_a_booking_must_end_after_it_starts(
    starts: datetime, ends: datetime, rule: str | None
) -> None:
    with pytest.raises(ValueError, match=starting("ends: must be after starts")):
        occurrences(starts, ends, rule)


# Opening hours and closures


def test_a_slot_within_weekday_hours_is_allowed() -> None:
    slot = Slot(berlin(2026, 3, 17, 10), berlin(2026, 3, 17, 12))  # a Tuesday
    assert outside_hours(slot, WEEKDAYS) is None
    assert outside_hours(Slot(berlin(2026, 3, 17, 8), berlin(2026, 3, 17, 18)), WEEKDAYS) is None


def test_opening_hours_are_read_in_the_facility_s_zone() -> None:
    # 06:00 UTC is 08:00 in Berlin in summer, 07:00 in winter.
    summer = Slot(utc(2026, 7, 14, 6), utc(2026, 7, 14, 7))
    winter = Slot(utc(2026, 1, 13, 6), utc(2026, 1, 13, 7))
    assert outside_hours(summer, WEEKDAYS) is None
    assert outside_hours(winter, WEEKDAYS) == (
        "2026-01-13 (Tuesday): open 08:00 to 18:00 Europe/Berlin"
    )


def test_a_slot_before_opening_is_refused_naming_the_hours() -> None:
    slot = Slot(berlin(2026, 3, 16, 7, 30), berlin(2026, 3, 16, 9))
    assert outside_hours(slot, WEEKDAYS) == (
        "2026-03-16 (Monday): open 08:00 to 18:00 Europe/Berlin"
    )


def test_a_slot_past_closing_is_refused() -> None:
    slot = Slot(berlin(2026, 3, 16, 17), berlin(2026, 3, 16, 18, 1))
    assert outside_hours(slot, WEEKDAYS) == (
        "2026-03-16 (Monday): open 08:00 to 18:00 Europe/Berlin"
    )
    late = Hours({0: (8 * 60, 24 * 60)}, "Europe/Berlin")
    overnight = Slot(berlin(2026, 3, 16, 22), berlin(2026, 3, 17, 1))
    assert outside_hours(overnight, late) == "the facility is closed on Tuesdays"
    early = Slot(berlin(2026, 3, 16, 7), berlin(2026, 3, 16, 9))
    assert outside_hours(early, late) == "2026-03-16 (Monday): open 08:00 to 24:00 Europe/Berlin"


@pytest.mark.parametrize(("day", "name"), [(21, "Saturdays"), (22, "Sundays")])
def test_a_day_without_hours_is_closed(day: int, name: str) -> None:
    slot = Slot(berlin(2026, 3, day, 10), berlin(2026, 3, day, 11))
    assert outside_hours(slot, WEEKDAYS) == f"the facility is closed on {name}"


def test_a_closure_refuses_every_day_from_its_first_to_its_last() -> None:
    christmas = [(date(2026, 12, 24), date(2027, 1, 1))]
    for day in (date(2026, 12, 24), date(2026, 12, 28), date(2027, 1, 1)):
        start = datetime.combine(day, time(10), BERLIN)
        slot = Slot(start, start + HOUR)
        assert outside_hours(slot, ALWAYS, christmas) == (
            "the facility is closed from 2026-12-24 to 2027-01-01"
        )
    for day in (date(2026, 12, 23), date(2027, 1, 2)):
        start = datetime.combine(day, time(10), BERLIN)
        assert outside_hours(Slot(start, start + HOUR), ALWAYS, christmas) is None


def test_closures_are_days_in_the_facility_s_zone() -> None:
    closed = [(date(2026, 3, 17), date(2026, 3, 17))]
    # 23:30 UTC on the 16th is already the 17th in Berlin.
    assert outside_hours(Slot(utc(2026, 3, 16, 23, 30), utc(2026, 3, 17)), ALL_DAY, closed)
    assert outside_hours(Slot(utc(2026, 3, 16, 22), utc(2026, 3, 16, 23)), ALL_DAY, closed) is None


def test_a_slot_over_several_days_needs_every_day_it_touches_open_all_day() -> None:
    monday_night = Slot(berlin(2026, 3, 16, 20), berlin(2026, 3, 17, 4))
    assert outside_hours(monday_night, ALL_DAY) is None
    assert outside_hours(monday_night, WEEKDAYS) is not None
    week = Slot(berlin(2026, 3, 16, 9), berlin(2026, 3, 22, 17))
    assert outside_hours(week, ALL_DAY) is None
    no_sunday = Hours(dict.fromkeys(range(6), (0, 24 * 60)), "Europe/Berlin")
    assert outside_hours(week, no_sunday) == "the facility is closed on Sundays"
    # One day closing a minute early is enough to refuse.
    short_wednesday = Hours({**ALL_DAY.by_weekday, 2: (0, 24 * 60 - 1)}, "Europe/Berlin")
    assert outside_hours(week, short_wednesday) == (
        "2026-03-18 (Wednesday): open 00:00 to 23:59 Europe/Berlin"
    )


def test_a_slot_ending_at_midnight_does_not_touch_the_next_day() -> None:
    friday = Hours({4: (0, 24 * 60)}, "Europe/Berlin")
    assert outside_hours(Slot(berlin(2026, 3, 20, 22), berlin(2026, 3, 21)), friday) is None
    assert outside_hours(Slot(berlin(2026, 3, 20, 22), berlin(2026, 3, 21, 0, 1)), friday) == (
        "the facility is closed on Saturdays"
    )


@given(slots(max_start=365 * 24 * 60, max_length=10 * 24 * 60), st.sampled_from(ZONES))
def test_no_hours_means_always_open(slot: Slot, zone: str) -> None:
    assert outside_hours(slot, Hours({}, zone)) is None


#: Opening times away from the small hours, where the clocks change (see `is_open`).
openings = st.sampled_from([0]) | st.integers(5 * 60, 20 * 60)


@st.composite
def opening_hours(draw: st.DrawFn) -> Hours:
    by_weekday = {}
    for day in draw(st.sets(st.integers(0, 6))):
        opens = draw(openings)
        by_weekday[day] = (opens, draw(st.integers(max(opens + 1, 5 * 60), 24 * 60)))
    return Hours(by_weekday, draw(st.sampled_from(["Europe/Berlin", "America/New_York"])))


def is_open(instant: datetime, hours: Hours, closures: list[tuple[date, date]]) -> bool:
    """Whether the minute from ``instant`` is within ``hours`` and no closure, read off the
    local clock. (In the hour repeated in autumn the local clock runs back, so this reading
    and the slot's wall-clock reading could differ there; opening times avoid it.)"""
    local = instant.astimezone(ZoneInfo(hours.zone))
    if any(first <= local.date() <= last for first, last in closures):
        return False
    if not hours.by_weekday:
        return True
    window = hours.by_weekday.get(local.weekday())
    return window is not None and window[0] <= local.hour * 60 + local.minute < window[1]


closure_lists = st.lists(
    st.tuples(st.dates(date(2026, 1, 1), date(2026, 12, 31)), st.integers(0, 5)).map(
        lambda pair: (pair[0], pair[0] + timedelta(days=pair[1]))
    ),
    max_size=3,
)
#: Slots in 2026, often on a day the clocks change.
slots_in_2026 = st.builds(
    lambda start, length: Slot(start, start + length * MINUTE),
    st.builds(at, st.integers(0, 364 * 24 * 60))
    | st.sampled_from(CHANGES).flatmap(
        lambda day: st.integers(-12 * 60, 36 * 60).map(
            lambda offset: datetime.combine(day, time(), UTC) + offset * MINUTE
        )
    ),
    st.integers(1, 3 * 24 * 60),
)


@settings(max_examples=300, deadline=None)
@given(slots_in_2026, opening_hours(), closure_lists)
def test_outside_hours_agrees_with_a_minute_by_minute_reading(
    slot: Slot, hours: Hours, closures: list[tuple[date, date]]
) -> None:
    every_minute_open = all(
        is_open(slot.starts + n * MINUTE, hours, closures) for n in range(slot.duration // MINUTE)
    )
    assert (outside_hours(slot, hours, closures) is None) == every_minute_open


# Free slots


def test_free_slots_on_a_free_calendar_start_at_the_next_step() -> None:
    found = free_slots(HOUR, berlin(2026, 3, 16, 9, 10), [], WEEKDAYS)
    assert found == [
        Slot(berlin(2026, 3, 16, 9, 30), berlin(2026, 3, 16, 10, 30)),
        Slot(berlin(2026, 3, 16, 10, 30), berlin(2026, 3, 16, 11, 30)),
        Slot(berlin(2026, 3, 16, 11, 30), berlin(2026, 3, 16, 12, 30)),
    ]


def test_free_slots_go_past_the_booking_in_the_way() -> None:
    taken = [
        Slot(berlin(2026, 3, 16, 9), berlin(2026, 3, 16, 12, 10)),
        Slot(berlin(2026, 3, 16, 13, 45), berlin(2026, 3, 16, 15)),
    ]
    found = free_slots(HOUR, berlin(2026, 3, 16, 9), taken, WEEKDAYS, count=2)
    assert found == [
        Slot(berlin(2026, 3, 16, 12, 30), berlin(2026, 3, 16, 13, 30)),
        Slot(berlin(2026, 3, 16, 15), berlin(2026, 3, 16, 16)),
    ]


def test_free_slots_skip_the_weekend_and_closures() -> None:
    friday_evening = berlin(2026, 3, 20, 17, 30)
    assert free_slots(HOUR, friday_evening, [], WEEKDAYS, count=1) == [
        Slot(berlin(2026, 3, 23, 8), berlin(2026, 3, 23, 9))
    ]
    closed_monday = [(date(2026, 3, 23), date(2026, 3, 23))]
    assert free_slots(HOUR, friday_evening, [], WEEKDAYS, closed_monday, count=1) == [
        Slot(berlin(2026, 3, 24, 8), berlin(2026, 3, 24, 9))
    ]


def test_no_free_slot_when_nothing_fits_within_the_horizon() -> None:
    after = berlin(2026, 3, 16, 9)
    closed = [(date(2026, 3, 1), date(2026, 6, 30))]
    assert free_slots(HOUR, after, [], WEEKDAYS, closed) == []
    assert free_slots(11 * HOUR, after, [], WEEKDAYS) == []  # longer than any day
    assert free_slots(HOUR, after, [], WEEKDAYS, horizon=timedelta(0)) == []


HOURS = (
    ALWAYS,
    WEEKDAYS,
    Hours(dict.fromkeys(range(7), (0, 24 * 60)), "Europe/London"),
    Hours({0: (9 * 60, 17 * 60), 2: (9 * 60, 17 * 60), 4: (9 * 60, 13 * 60)}, "America/New_York"),
    Hours(dict.fromkeys(range(6), (7 * 60 + 30, 22 * 60)), "Asia/Kolkata"),
)


@dataclass(frozen=True)
class Request:
    length: timedelta
    after: datetime
    taken: list[Slot]
    hours: Hours
    closures: list[tuple[date, date]]
    count: int
    step: timedelta
    horizon: timedelta

    def ask(self) -> list[Slot]:
        return free_slots(
            self.length,
            self.after,
            self.taken,
            self.hours,
            self.closures,
            count=self.count,
            step=self.step,
            horizon=self.horizon,
        )

    @property
    def first_candidate(self) -> datetime:
        """``after`` rounded up to the step, counted from midnight UTC (steps divide a day)."""
        midnight = datetime.combine(self.after.date(), time(), UTC)
        steps = math.ceil((self.after - midnight).total_seconds() / self.step.total_seconds())
        return midnight + steps * self.step

    def fits(self, slot: Slot) -> bool:
        return not any(slot.overlaps(t) for t in self.taken) and (
            outside_hours(slot, self.hours, self.closures) is None
        )


@st.composite
def free_slot_requests(draw: st.DrawFn, taken: bool = True) -> Request:
    after = at(draw(st.integers(0, 364 * 24 * 60))) + draw(st.integers(0, 59)) * timedelta(
        seconds=1
    )
    near = st.builds(
        lambda start, length: Slot(after + start * MINUTE, after + (start + length) * MINUTE),
        st.integers(-24 * 60, 10 * 24 * 60),
        st.integers(1, 8 * 60),
    )
    closures = st.tuples(st.integers(-2, 10), st.integers(0, 3)).map(
        lambda pair: (
            after.date() + timedelta(days=pair[0]),
            after.date() + timedelta(days=pair[0] + pair[1]),
        )
    )
    return Request(
        length=draw(st.integers(1, 10 * 60)) * MINUTE,
        after=after,
        taken=draw(st.lists(near, max_size=12)) if taken else [],
        hours=draw(st.sampled_from(HOURS)),
        closures=draw(st.lists(closures, max_size=2)),
        count=draw(st.integers(1, 5)),
        step=draw(st.sampled_from([5, 15, 30, 60, 120])) * MINUTE,
        horizon=draw(st.integers(0, 14 * 24 * 60)) * MINUTE,
    )


@settings(max_examples=300, deadline=None)
@given(free_slot_requests())
def test_free_slots_are_free_within_hours_and_in_order(case: Request) -> None:
    found = case.ask()
    assert len(found) <= case.count
    for slot in found:
        assert slot.duration == case.length
        assert slot.starts >= case.after
        assert slot.starts < case.first_candidate + case.horizon
        assert not any(slot.overlaps(t) for t in case.taken)
        assert outside_hours(slot, case.hours, case.closures) is None
    assert all(a.ends <= b.starts for a, b in pairwise(found))


@settings(max_examples=300, deadline=None)
@given(free_slot_requests())
def test_the_first_free_slot_is_the_earliest_that_fits_on_the_grid(case: Request) -> None:
    found = case.ask()
    candidate, end = case.first_candidate, case.first_candidate + case.horizon
    while candidate < end and not case.fits(Slot(candidate, candidate + case.length)):
        candidate += case.step
    if candidate < end:
        assert found[0].starts == candidate
    else:
        assert found == []


@settings(max_examples=300, deadline=None)
@given(free_slot_requests(taken=False))
def test_on_a_free_calendar_the_first_suggestion_is_after_rounded_up_to_the_step(
    case: Request,
) -> None:
    first = Slot(case.first_candidate, case.first_candidate + case.length)
    found = case.ask()
    if case.horizon > timedelta(0) and case.fits(first):
        assert found[0] == first
    if case.hours is ALWAYS and not case.closures and case.horizon > (case.count - 1) * case.length:
        assert found == [
            Slot(first.starts + n * case.length, first.ends + n * case.length)
            for n in range(case.count)
        ]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=1", "recurrence: leaves no occurrence"),
        ("FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31;COUNT=2", "recurrence: leaves no occurrence"),
        ("FREQ=YEARLY;BYWEEKNO=60;COUNT=1", "recurrence: BYWEEKNO is not used for bookings"),
        ("FREQ=DAILY;BYHOUR=9,14;COUNT=4", "recurrence: BYHOUR is not used for bookings"),
        ("DTSTART:20270101T090000Z\nRRULE:FREQ=DAILY;COUNT=2", "recurrence: give one RRULE"),
        ("FREQ=DAILY;COUNT=2\nEXDATE:20260302T090000Z", "recurrence: give one RRULE"),
        ("FREQ=MINUTELY;INTERVAL=45;COUNT=9", "recurrence: repeat hourly at most"),
    ],
)
def test_rules_a_booking_does_not_need_are_refused_before_any_search(
    rule: str, message: str
) -> None:
    """Refused from the text alone: an impossible day would otherwise make dateutil search
    until the year 9999, a DTSTART line would move the booking."""
    zone = ZoneInfo("Europe/London")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        occurrences(
            datetime(2026, 3, 1, 9, tzinfo=zone), datetime(2026, 3, 1, 10, tzinfo=zone), rule
        )


def test_the_last_day_of_the_month_exists_in_some_month() -> None:
    zone = ZoneInfo("Europe/London")
    slots = occurrences(
        datetime(2026, 1, 31, 9, tzinfo=zone),
        datetime(2026, 1, 31, 10, tzinfo=zone),
        "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3",
    )
    assert [s.starts.date() for s in slots] == [
        date(2026, 1, 31),
        date(2026, 3, 31),
        date(2026, 5, 31),
    ]
