"""The timetable of a request for visit, and whether the visitor must be escorted. Pure:
dates in, dates out. Lead times are counted in the host nation's working days, reminders
and deadlines of the home security office in the home nation's (decision 0018)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from coalition.common.workdays import (
    holiday_name,
    working_days_after,
    working_days_before,
    working_days_between,
)

#: A visit longer than this is an assignment, arranged otherwise.
LONGEST_VISIT = timedelta(days=366)
#: How far ahead a visit may be requested.
FURTHEST_AHEAD = timedelta(days=731)


class Step(enum.StrEnum):
    """Who the pending request waits for."""

    CLEARANCE = "clearance"  # the visitor's home security office
    HOST = "host"  # the host nation's security office


class Standing(enum.StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


def local_day(moment: datetime, zone: str) -> date:
    """The day it is at ``moment`` where the facility is: a request sent late on a Friday
    in Washington is already a Saturday request in Canberra."""
    return moment.astimezone(ZoneInfo(zone)).date()


def earliest_first_day(requested_on: date, lead_days: int, host_nation: str) -> date:
    """The first day a visit requested on ``requested_on`` may start with the host nation's
    full notice: ``lead_days`` working days after the request."""
    return working_days_after(requested_on, lead_days, host_nation)


def holidays_between(first: date, last: date, nation: str) -> list[tuple[date, str]]:
    """The nation's public holidays from ``first`` to ``last`` (inclusive): a refusal for
    short notice names them, since they are why the notice is longer than it looks."""
    found: list[tuple[date, str]] = []
    day = first
    while day <= last:
        name = holiday_name(day, nation)
        if name and day.weekday() < 5:
            found.append((day, name))
        day += timedelta(days=1)
    return found


@dataclass(frozen=True)
class Deadlines:
    clearance_due: date | None
    decision_due: date


def deadlines(
    requested_on: date,
    first_day: date,
    *,
    home_nation: str,
    host_nation: str,
    clearance_days: int,
    clearance_needed: bool,
) -> Deadlines:
    """The host decides by its last working day before the visit; the home office confirms
    the clearance within ``clearance_days`` of its own working days, and never after the
    host's deadline (the host cannot decide on a clearance it has not seen). Neither is
    before the request itself."""
    decision_due = max(requested_on, working_days_before(first_day, 1, host_nation))
    clearance_due = (
        min(working_days_after(requested_on, clearance_days, home_nation), decision_due)
        if clearance_needed
        else None
    )
    return Deadlines(clearance_due, decision_due)


def standing(due: date, today: date, nation: str, remind_days: int) -> Standing:
    """Overdue once the due day has passed; due soon within ``remind_days`` working days of
    it (in the nation whose office must act)."""
    if today > due:
        return Standing.OVERDUE
    # Far from due: no need to count the working days one by one.
    if (due - today).days > 3 * remind_days + 14:
        return Standing.ON_TIME
    if working_days_between(today, due, nation) <= remind_days:
        return Standing.DUE_SOON
    return Standing.ON_TIME


def escort_reason(tcp_applies: bool, citizenships: Iterable[str], host_nation: str) -> str | None:
    """Why the visitor must be escorted, or None: a technology control plan at the facility,
    or a visitor who is not a citizen of the host nation."""
    reasons: list[str] = []
    if tcp_applies:
        reasons.append("a technology control plan applies at the facility")
    if host_nation not in set(citizenships):
        reasons.append(f"the visitor is not a citizen of {host_nation}")
    return "; ".join(reasons) or None
