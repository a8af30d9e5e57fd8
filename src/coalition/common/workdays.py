"""Working days of a nation: weekdays that are not its public holidays (from the maintained
``holidays`` library). Lead times for releases and visits are counted in them."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays
import pycountry


@cache
def _holidays(nation: str) -> holidays.HolidayBase | None:
    country = pycountry.countries.get(alpha_3=nation)
    if country is None:
        return None
    try:
        return holidays.country_holidays(country.alpha_2)
    except NotImplementedError:  # a nation the library does not cover: weekends only
        return None


def is_working_day(day: date, nation: str) -> bool:
    off = _holidays(nation)
    return day.weekday() < 5 and (off is None or day not in off)


def holiday_name(day: date, nation: str) -> str | None:
    """The public holiday ``day`` is in ``nation``, if it is one."""
    off = _holidays(nation)
    return None if off is None else off.get(day)


def working_days_after(start: date, days: int, nation: str) -> date:
    """The date ``days`` working days after ``start`` in ``nation``: weekends and the
    nation's public holidays do not count."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, nation):
            counted += 1
    return day


def working_days_before(end: date, days: int, nation: str) -> date:
    """The date ``days`` working days before ``end`` in ``nation``."""
    day, counted = end, 0
    while counted < days:
        day -= timedelta(days=1)
        if is_working_day(day, nation):
            counted += 1
    return day


def working_days_between(start: date, end: date, nation: str) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` is
    before ``start``)."""
    if end < start:
        return -working_days_between(end, start, nation)
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if is_working_day(start + timedelta(days=offset), nation)
    )
