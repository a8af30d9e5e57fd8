"""Pure rules of facility bookings: occurrences of a (possibly recurring) booking, overlaps,
opening hours and closures in the facility's own time zone, and the free slots suggested
when a request conflicts. No I/O; times are aware datetimes, compared in UTC."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

#: A recurring booking may not run further than this, nor have more occurrences: a
#: facility's calendar is planned a season or two ahead, not forever.
MAX_OCCURRENCES = 500
MAX_HORIZON = timedelta(days=2 * 366)


@dataclass(frozen=True, order=True)
class Slot:
    """[starts, ends): an occurrence of a booking, or a window of time."""

    starts: datetime
    ends: datetime

    def overlaps(self, other: Slot) -> bool:
        return self.starts < other.ends and other.starts < self.ends

    @property
    def duration(self) -> timedelta:
        return self.ends - self.starts


def occurrences(
    starts: datetime, ends: datetime, rule: str | None, exceptions: Iterable[datetime] = ()
) -> list[Slot]:
    """The occurrences of a booking from ``starts`` to ``ends``, repeated by an RFC 5545
    RRULE (e.g. "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10"), less those starting at an exception.
    The rule repeats in the time zone of ``starts``, so a weekly 09:00 stays 09:00 across
    daylight-saving changes. Raises ValueError naming what is wrong."""
    exceptions = list(exceptions)
    if any(t.tzinfo is None for t in (starts, ends, *exceptions)):
        raise ValueError("starts: times need a time zone")
    # The exact duration (RFC 5545 3.8.5.3), not the wall-clock one: every occurrence
    # lasts as long as the first, even one that spans a daylight-saving change.
    length = ends.astimezone(UTC) - starts.astimezone(UTC)
    if length <= timedelta(0):
        raise ValueError("ends: must be after starts")
    if rule is None:
        return [Slot(starts.astimezone(UTC), ends.astimezone(UTC))]
    text = rule.strip().removeprefix("RRULE:")
    upper = text.upper()
    if any(c in text for c in "\r\n:"):
        # One RRULE line only: a DTSTART, RDATE or EXDATE line would move or add
        # occurrences behind the booking's own dates.
        raise ValueError("recurrence: give one RRULE, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10")
    if "COUNT=" not in upper and "UNTIL=" not in upper:
        raise ValueError("recurrence: give COUNT or UNTIL, so the series ends")
    if any(f"FREQ={f}" in upper for f in ("SECONDLY", "MINUTELY")):
        raise ValueError("recurrence: repeat hourly at most")
    _check_parts(upper)
    try:
        series = rrulestr(text, dtstart=starts)
    except (ValueError, TypeError) as error:
        raise ValueError(f"recurrence: not an RFC 5545 RRULE ({error})") from None
    if not isinstance(series, rrule):
        raise ValueError("recurrence: give one RRULE")
    # The series is cut at the horizon before it is expanded: a rule that never matches
    # (30 February) would otherwise make dateutil search to the year 9999.
    count: int | None = getattr(series, "_count", None)
    until: datetime | None = getattr(series, "_until", None)
    horizon = starts + MAX_HORIZON
    if until is not None and until > horizon:
        raise ValueError("recurrence: runs more than two years ahead")
    bounded = series.replace(count=None, until=min(until, horizon) if until else horizon)
    skipped = {e.astimezone(UTC) for e in exceptions}
    out: list[Slot] = []
    produced = 0
    for first in bounded:
        if count is not None and produced >= count:
            break
        produced += 1
        if produced > MAX_OCCURRENCES:
            raise ValueError(f"recurrence: more than {MAX_OCCURRENCES} occurrences")
        at = first.astimezone(UTC)
        if at not in skipped:
            # A local time repeated at the same instant (an hourly rule through the gap
            # of a daylight-saving change) is one occurrence: RFC 5545 ignores duplicates.
            skipped.add(at)
            out.append(Slot(at, at + length))
    if count is not None and 0 < produced < count:
        raise ValueError("recurrence: runs more than two years ahead")
    if not out:
        raise ValueError("recurrence: leaves no occurrence")
    return out


#: The parts of an RRULE a booking may use: its start gives the time of day. The others
#: (BYYEARDAY, BYWEEKNO, BYHOUR...) are not needed to book a facility, and some make
#: dateutil search for centuries for an occurrence that never comes.
RULE_PARTS = frozenset(
    {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}
)
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _check_parts(upper: str) -> None:
    parts = dict(p.partition("=")[::2] for p in upper.split(";") if p)
    if not all(key.isalpha() and value for key, value in parts.items()):
        raise ValueError(f"recurrence: not an RFC 5545 RRULE ({upper!r})")
    unknown = sorted(set(parts) - RULE_PARTS)
    if unknown:
        raise ValueError(f"recurrence: {', '.join(unknown)} is not used for bookings")
    try:
        months = [int(m) for m in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else []
        days = [int(d) for d in parts["BYMONTHDAY"].split(",")] if "BYMONTHDAY" in parts else []
    except ValueError:
        raise ValueError("recurrence: BYMONTH and BYMONTHDAY are numbers") from None
    if days and not any(
        0 < abs(d) <= _MONTH_DAYS[m - 1]
        for m in months or range(1, 13)
        if 1 <= m <= 12
        for d in days
    ):
        # A 30 February never comes: refused before dateutil looks for it until 9999.
        raise ValueError("recurrence: leaves no occurrence (no such day in those months)")


def saturated(taken: Sequence[Slot], capacity: int) -> list[Slot]:
    """The stretches of time during which at least ``capacity`` of ``taken`` run at once:
    when a facility that holds ``capacity`` bookings is full. With capacity 1, the union of
    the bookings."""
    edges = sorted([(t.starts, 1) for t in taken] + [(t.ends, -1) for t in taken])
    out: list[Slot] = []
    running = 0
    full_since: datetime | None = None
    for moment, step in edges:  # at equal times an end (-1) sorts before a start (+1)
        running += step
        if running >= capacity and full_since is None:
            full_since = moment
        elif running < capacity and full_since is not None:
            if moment > full_since:
                if out and out[-1].ends == full_since:
                    out[-1] = Slot(out[-1].starts, moment)
                else:
                    out.append(Slot(full_since, moment))
            full_since = None
    return out


def conflicts(wanted: Sequence[Slot], taken: Sequence[Slot]) -> list[tuple[Slot, Slot]]:
    """Every pair (wanted, taken) that overlaps, in time order."""
    ordered = sorted(taken)
    out: list[tuple[Slot, Slot]] = []
    for slot in sorted(wanted):
        out.extend((slot, other) for other in ordered if other.overlaps(slot))
    return out


@dataclass(frozen=True)
class Hours:
    """Opening hours: per weekday (0 Monday) the minutes after local midnight it opens and
    closes (1440 is midnight at the end of the day). A weekday not listed is closed; no
    hours at all means always open."""

    by_weekday: Mapping[int, tuple[int, int]]
    zone: str = "UTC"

    def open_on(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.by_weekday:
            start = datetime.combine(day, time(), ZoneInfo(self.zone))
            return start, start + timedelta(days=1)
        hours = self.by_weekday.get(day.weekday())
        if hours is None:
            return None
        base = datetime.combine(day, time(), ZoneInfo(self.zone))
        return base + timedelta(minutes=hours[0]), base + timedelta(minutes=hours[1])


def outside_hours(
    slot: Slot, hours: Hours, closures: Iterable[tuple[date, date]] = ()
) -> str | None:
    """Why ``slot`` is not within opening hours, or None: every local day it touches must
    be open for the part of the slot on that day, and no closure (first, last day) may
    touch it."""
    zone = ZoneInfo(hours.zone)
    local_start, local_end = slot.starts.astimezone(zone), slot.ends.astimezone(zone)
    last_day = (local_end - timedelta(microseconds=1)).date()
    day = local_start.date()
    while day <= last_day:
        for first, last in closures:
            if first <= day <= last:
                return f"the facility is closed from {first} to {last}"
        opening = hours.open_on(day)
        part_start = max(local_start, datetime.combine(day, time(), zone))
        part_end = min(local_end, datetime.combine(day + timedelta(days=1), time(), zone))
        if opening is None:
            return f"the facility is closed on {day:%A}s"
        if part_start < opening[0] or part_end > opening[1]:
            return (
                f"{day} ({day:%A}): open {opening[0]:%H:%M} to "
                f"{'24:00' if opening[1].date() > day else f'{opening[1]:%H:%M}'} {hours.zone}"
            )
        day += timedelta(days=1)
    return None


def free_slots(
    length: timedelta,
    after: datetime,
    taken: Sequence[Slot],
    hours: Hours,
    closures: Iterable[tuple[date, date]] = (),
    *,
    count: int = 3,
    step: timedelta = timedelta(minutes=30),
    horizon: timedelta = timedelta(days=60),
) -> list[Slot]:
    """The first ``count`` slots of ``length`` from ``after`` (rounded up to ``step``) that
    are within opening hours and overlap nothing taken: what to offer instead of a
    conflicting request."""
    closed = list(closures)
    ordered = sorted(taken)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -(-(after.astimezone(UTC) - epoch) // step)
    candidate = epoch + steps * step
    end = candidate + horizon
    found: list[Slot] = []
    while candidate < end and len(found) < count:
        slot = Slot(candidate, candidate + length)
        blocker = next((t for t in ordered if t.overlaps(slot)), None)
        if blocker is not None:
            # Jump past the booking in the way, to the next step boundary.
            candidate = epoch + -(-(blocker.ends - epoch) // step) * step
            continue
        if outside_hours(slot, hours, closed) is None:
            found.append(slot)
            candidate = slot.ends
        else:
            candidate += step
    return found
