"""National fiscal years: each day in exactly one, years back to back, and regrouping the
same dated amounts by another nation's calendar never changes the grand total.

Membership is checked day by day against `bounds`, and `years_between` and
`fiscal_year_in_period` against a walk over the days, not against the same comparisons
`year_of` makes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.funding.money import Rates, allocate, round_half_even
from coalition.funding.rules import CALENDAR_YEAR, FiscalCalendar, fiscal_year_in_period

USA = FiscalCalendar(10, 1)
GBR = FiscalCalendar(4, 1)
AUS = FiscalCalendar(7, 1)
FRA = FiscalCalendar(1, 1)
#: The UK's personal tax year: a start that is not the first of a month.
APRIL_6 = FiscalCalendar(4, 6)
NAMED = (USA, GBR, AUS, FRA, APRIL_6, CALENDAR_YEAR)

#: Any start a nation may set: a day of a non-leap year (no 29 February).
any_start = st.dates(date(2001, 1, 1), date(2001, 12, 31)).map(
    lambda d: FiscalCalendar(d.month, d.day)
)
calendars = st.sampled_from(NAMED) | any_start
days = st.dates(date(1990, 1, 1), date(2060, 12, 31))
years = st.integers(1990, 2060)
CURRENCIES = ("USD", "GBP", "EUR", "JPY", "KWD", "AUD")
RATES = Rates(
    "EUR",
    {
        "USD": Decimal("0.912345"),
        "GBP": Decimal("1.187654"),
        "JPY": Decimal("0.006021"),
        "KWD": Decimal("2.975311"),
        "AUD": Decimal("0.603917"),
    },
)
dated_amounts = st.lists(
    st.tuples(days, st.sampled_from(CURRENCIES), st.integers(0, 10**11)), max_size=40
)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize(
    ("calendar", "year", "first", "last"),
    [
        (USA, 2026, date(2025, 10, 1), date(2026, 9, 30)),
        (GBR, 2026, date(2025, 4, 1), date(2026, 3, 31)),
        (AUS, 2026, date(2025, 7, 1), date(2026, 6, 30)),
        (FRA, 2026, date(2026, 1, 1), date(2026, 12, 31)),
        (APRIL_6, 2026, date(2025, 4, 6), date(2026, 4, 5)),
        (GBR, 2024, date(2023, 4, 1), date(2024, 3, 31)),  # ends in a leap February
        (FiscalCalendar(3, 1), 2024, date(2023, 3, 1), date(2024, 2, 29)),
    ],
)
def test_a_fiscal_year_is_named_by_the_year_it_ends_in(
    calendar: FiscalCalendar, year: int, first: date, last: date
) -> None:
    assert calendar.bounds(year) == (first, last)
    assert calendar.year_of(first) == calendar.year_of(last) == year
    assert calendar.year_of(first - timedelta(days=1)) == year - 1
    assert calendar.year_of(last + timedelta(days=1)) == year + 1
    assert calendar.label(year) == f"FY{year}"


@given(calendars, days)
def test_every_day_falls_in_exactly_one_fiscal_year(calendar: FiscalCalendar, day: date) -> None:
    year = calendar.year_of(day)
    containing = [
        y
        for y in range(year - 2, year + 3)
        if calendar.bounds(y)[0] <= day <= calendar.bounds(y)[1]
    ]
    assert containing == [year]


@given(calendars, years)
def test_fiscal_years_are_back_to_back(calendar: FiscalCalendar, year: int) -> None:
    first, last = calendar.bounds(year)
    next_first, _ = calendar.bounds(year + 1)
    assert last + timedelta(days=1) == next_first
    assert (last - first).days + 1 in (365, 366)
    assert calendar.year_of(first) == calendar.year_of(last) == year


@given(calendars, days, st.integers(0, 2000))
def test_years_between_names_the_years_of_the_days_between(
    calendar: FiscalCalendar, first: date, length: int
) -> None:
    last = first + timedelta(days=length)
    walked = sorted({calendar.year_of(d) for d in _days(first, last)})
    assert calendar.years_between(first, last) == walked


@given(
    calendars,
    years,
    days,
    st.one_of(st.none(), st.integers(1, 1200)),
)
def test_a_fiscal_year_is_in_a_period_when_they_share_a_day(
    calendar: FiscalCalendar, year: int, starts: date, length: int | None
) -> None:
    ends = None if length is None else starts + timedelta(days=length)
    first, last = calendar.bounds(year)
    if ends is None:
        shares_a_day = last >= starts
    else:
        shares_a_day = any(starts <= d < ends for d in _days(first, last))
    assert fiscal_year_in_period(calendar, year, starts, ends) == shares_a_day


def test_a_period_ending_on_the_first_day_of_a_year_leaves_that_year_out() -> None:
    assert not fiscal_year_in_period(USA, 2027, date(2025, 1, 1), date(2026, 10, 1))
    assert fiscal_year_in_period(USA, 2027, date(2025, 1, 1), date(2026, 10, 2))
    assert fiscal_year_in_period(USA, 2026, date(2026, 9, 30), None)
    assert not fiscal_year_in_period(USA, 2026, date(2026, 10, 1), None)


def _by_year(calendar: FiscalCalendar, entries: list[tuple[date, str, int]]) -> dict[int, Fraction]:
    grouped: dict[int, Fraction] = defaultdict(Fraction)
    for day, currency, minor in entries:
        grouped[calendar.year_of(day)] += RATES.convert_minor(minor, currency, "EUR")
    return grouped


@given(calendars, calendars, dated_amounts)
def test_regrouping_by_another_calendar_keeps_the_grand_total(
    one: FiscalCalendar, other: FiscalCalendar, entries: list[tuple[date, str, int]]
) -> None:
    exact = sum((RATES.convert_minor(m, c, "EUR") for _, c, m in entries), Fraction(0))
    for calendar in (one, other):
        grouped = _by_year(calendar, entries)
        assert sum(grouped.values(), Fraction(0)) == exact
        shown = allocate(grouped)
        assert sum(shown.values()) == round_half_even(exact)
        assert all(abs(shown[y] - grouped[y]) < 1 for y in grouped)
        for year in grouped:
            first, last = calendar.bounds(year)
            assert all(first <= d <= last for d, _, _ in entries if calendar.year_of(d) == year)
