"""Pure arithmetic of booking quotas and utilisation (decision 0017): calendar periods in a
facility's own time zone, the time of occurrences falling in each period or window, the
time a facility is open, and the figures of a utilisation report. No I/O; times are aware
datetimes compared in UTC, durations are exact timedeltas (a day of a clock change lasts
23 or 25 hours)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from coalition.facilities.models import QuotaPeriod
from coalition.facilities.rules import Hours, Slot

ZERO = timedelta(0)
_MICRO = timedelta(microseconds=1)


def period_start(day: date, period: QuotaPeriod) -> date:
    """The first day of the period holding ``day``: a Monday, the 1st, or 1 January."""
    if period is QuotaPeriod.WEEK:
        return day - timedelta(days=day.weekday())
    if period is QuotaPeriod.MONTH:
        return day.replace(day=1)
    return date(day.year, 1, 1)


def next_start(start: date, period: QuotaPeriod) -> date:
    if period is QuotaPeriod.WEEK:
        return start + timedelta(days=7)
    if period is QuotaPeriod.MONTH:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def period_name(start: date, period: QuotaPeriod) -> str:
    if period is QuotaPeriod.WEEK:
        return f"the week of {start.isoformat()}"
    if period is QuotaPeriod.MONTH:
        return f"{start:%B %Y}"
    return f"{start.year}"


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight starting ``day``, in UTC."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def days_window(first: date, last: date, zone: ZoneInfo) -> Slot:
    """From local midnight of ``first`` to local midnight after ``last``."""
    return Slot(midnight(first, zone), midnight(last + timedelta(days=1), zone))


def overlap(a: Slot, b: Slot) -> timedelta:
    return max(ZERO, min(a.ends, b.ends) - max(a.starts, b.starts))


def by_period(slots: Iterable[Slot], period: QuotaPeriod, zone: ZoneInfo) -> dict[date, timedelta]:
    """The time of ``slots`` in each period (keyed by its first day); a slot across a
    boundary counts in both periods, each for its own part."""
    out: dict[date, timedelta] = {}
    for slot in slots:
        start = period_start(slot.starts.astimezone(zone).date(), period)
        while True:
            end = next_start(start, period)
            window = Slot(midnight(start, zone), midnight(end, zone))
            if window.starts >= slot.ends:
                break
            part = overlap(slot, window)
            if part > ZERO:
                out[start] = out.get(start, ZERO) + part
            start = end
    return out


@dataclass(frozen=True)
class Excess:
    """A period in which what is held and asked exceeds what is allowed."""

    start: date
    used: timedelta
    asked: timedelta
    allowed: timedelta


def first_excess(
    held: Iterable[Slot],
    wanted: Iterable[Slot],
    period: QuotaPeriod,
    zone: ZoneInfo,
    allowed: timedelta,
) -> Excess | None:
    """The first period in which the time ``held`` plus the time ``wanted`` would exceed
    ``allowed``, or None. Only periods something is wanted in are looked at: a quota lowered
    below what is held already refuses new time, it does not undo what was granted."""
    used = by_period(held, period, zone)
    asked = by_period(wanted, period, zone)
    for start in sorted(asked):
        if used.get(start, ZERO) + asked[start] > allowed:
            return Excess(start, used.get(start, ZERO), asked[start], allowed)
    return None


def open_windows(
    hours: Hours, closures: Iterable[tuple[date, date]], first: date, last: date
) -> list[Slot]:
    """The times the facility is open from ``first`` to ``last`` (local days), in UTC."""
    closed = list(closures)
    out: list[Slot] = []
    day = first
    while day <= last:
        opening = hours.open_on(day)
        if opening is not None and not any(a <= day <= b for a, b in closed):
            out.append(Slot(opening[0].astimezone(UTC), opening[1].astimezone(UTC)))
        day += timedelta(days=1)
    return out


def hours(value: timedelta) -> Decimal:
    """A duration in hours, to the hundredth."""
    return (Decimal(value // _MICRO) / 3_600_000_000).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


class Outcome(enum.StrEnum):
    """What became of an occurrence, as a utilisation report counts it."""

    PENDING = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


def outcome(booking_status: str, occurrence_status: str) -> Outcome:
    """An occurrence cancelled or marked a no-show on its own counts as such, whatever
    became of its booking later; the others follow their booking."""
    if occurrence_status == "cancelled":
        return Outcome.CANCELLED
    if occurrence_status == "no_show":
        return Outcome.NO_SHOW
    return {
        "requested": Outcome.PENDING,
        "approved": Outcome.APPROVED,
        "rejected": Outcome.REJECTED,
    }.get(booking_status, Outcome.CANCELLED)


@dataclass(frozen=True)
class Figures:
    """Time in a window, by what became of it. ``requested`` is every occurrence asked
    for, whatever became of it: the sum of ``approved``, ``pending``, ``rejected`` and
    ``cancelled``; ``approved`` holds ``used`` (the approved time already past), the
    ``no_show`` time, and approved time still to come."""

    requested: timedelta = ZERO
    approved: timedelta = ZERO
    pending: timedelta = ZERO
    rejected: timedelta = ZERO
    cancelled: timedelta = ZERO
    no_show: timedelta = ZERO
    used: timedelta = ZERO


def figures(items: Iterable[tuple[Slot, Outcome]], window: Slot, now: datetime) -> Figures:
    """The figures of the occurrences ``items`` within ``window``, ``now`` deciding what
    is past. Each occurrence counts for its part inside the window only."""
    totals = dict.fromkeys(("requested", "approved", "pending", "rejected", "cancelled"), ZERO)
    no_show = used = ZERO
    for slot, kind in items:
        part = overlap(slot, window)
        if part <= ZERO:
            continue
        totals["requested"] += part
        if kind is Outcome.NO_SHOW:
            totals["approved"] += part
            no_show += part
        elif kind is Outcome.APPROVED:
            totals["approved"] += part
            used += overlap(slot, Slot(window.starts, max(window.starts, min(window.ends, now))))
        elif kind is Outcome.PENDING:
            totals["pending"] += part
        elif kind is Outcome.REJECTED:
            totals["rejected"] += part
        else:
            totals["cancelled"] += part
    return Figures(**totals, no_show=no_show, used=used)


def utilisation(used: timedelta, open_time: timedelta, capacity: int) -> Decimal:
    """Used time as a percentage of the time the facility could hold (open time times
    capacity), 0 to 100. Used time beyond it (hours shortened after the booking was made)
    does not make a facility more than full."""
    room = open_time * capacity
    if room <= ZERO:
        return Decimal("0.0")
    share = Decimal(used // _MICRO) * 100 / Decimal(room // _MICRO)
    return min(Decimal(100), share).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def total(slots: Sequence[Slot]) -> timedelta:
    return sum((s.duration for s in slots), ZERO)
