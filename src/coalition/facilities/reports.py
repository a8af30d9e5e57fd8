"""The utilisation report of a facility over days of its own calendar (decision 0017): the
hours it was open (opening hours less closures), and the hours requested, approved,
pending, rejected, cancelled, no-show and used, with the utilisation, for the facility and
per project and per nation (that of the project's lead organisation); every occurrence is
a bar of the timeline chart. Shown as a page, downloaded as CSV or XLSX."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.tables import Table
from coalition.errors import Problems
from coalition.facilities import usage
from coalition.facilities.bookings import _closures, _hours
from coalition.facilities.models import Booking, BookingOccurrence
from coalition.facilities.quotas import nations_of
from coalition.facilities.rules import Slot
from coalition.facilities.schemas import TimelineBar, UsageFigures, UsageRow, UtilisationReport
from coalition.facilities.services import _visible
from coalition.projects.models import Project
from coalition.store.uow import UnitOfWork

#: A report covers at most a year and a day (a leap year, with the day after).
MAX_DAYS = 366


def _figures(
    items: Iterable[tuple[Slot, usage.Outcome]],
    window: Slot,
    now: datetime,
    open_time: timedelta,
    capacity: int,
) -> dict[str, Any]:
    f = usage.figures(items, window, now)
    return {
        "requested_hours": usage.hours(f.requested),
        "approved_hours": usage.hours(f.approved),
        "pending_hours": usage.hours(f.pending),
        "rejected_hours": usage.hours(f.rejected),
        "cancelled_hours": usage.hours(f.cancelled),
        "no_show_hours": usage.hours(f.no_show),
        "used_hours": usage.hours(f.used),
        "utilisation_percent": usage.utilisation(f.used, open_time, capacity),
    }


def _check_days(first: date, last: date) -> None:
    problems = Problems()
    if last < first:
        problems.add("to", f"{last} is before {first}")
    elif (last - first).days + 1 > MAX_DAYS:
        problems.add("to", f"a report covers at most {MAX_DAYS} days")
    problems.raise_if_any()


def utilisation(
    uow: UnitOfWork,
    actor: Principal,
    facility_id: uuid.UUID,
    first: date,
    last: date,
    now: datetime | None = None,
) -> UtilisationReport:
    """The facility's figures from ``first`` to ``last`` (local days, both included), for
    whoever may know of the facility (who may see its bookings)."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    _check_days(first, last)
    moment = now or datetime.now(UTC)
    with uow:
        session = uow.session
        facility = _visible(uow, actor, facility_id)
        zone = ZoneInfo(facility.time_zone)
        window = usage.days_window(first, last, zone)
        open_time = usage.total(
            usage.open_windows(_hours(facility), _closures(facility), first, last)
        )
        found = session.execute(
            select(
                BookingOccurrence.starts_at,
                BookingOccurrence.ends_at,
                BookingOccurrence.status,
                Booking.status,
                Booking.reference,
                Booking.project_id,
            )
            .join(Booking, Booking.id == BookingOccurrence.booking_id)
            .where(
                BookingOccurrence.facility_id == facility.id,
                BookingOccurrence.starts_at < window.ends,
                BookingOccurrence.ends_at > window.starts,
            )
            .order_by(BookingOccurrence.starts_at, Booking.reference)
        ).all()
        project_ids = {row[5] for row in found}
        codes: dict[uuid.UUID, str] = dict(
            session.execute(
                select(Project.id, Project.code).where(Project.id.in_(project_ids))
            ).all()
        )
        nations = nations_of(session, project_ids)
        items: list[tuple[Slot, usage.Outcome, str, str]] = []
        bars: list[TimelineBar] = []
        for starts, ends, occurrence_status, booking_status, reference, project_id in found:
            slot, kind = Slot(starts, ends), usage.outcome(booking_status, occurrence_status)
            items.append((slot, kind, codes[project_id], nations[project_id]))
            shown = "used" if kind is usage.Outcome.APPROVED and ends <= moment else kind.value
            bars.append(
                TimelineBar(
                    booking=reference,
                    project=codes[project_id],
                    nation=nations[project_id],
                    starts_at=starts.astimezone(zone),
                    ends_at=ends.astimezone(zone),
                    outcome=shown,
                )
            )
        capacity = facility.capacity

        def rows(names: list[str]) -> list[UsageRow]:
            groups: dict[str, list[tuple[Slot, usage.Outcome]]] = defaultdict(list)
            for (slot, kind, _, _), name in zip(items, names, strict=True):
                groups[name].append((slot, kind))
            return [
                UsageRow(name=name, **_figures(groups[name], window, moment, open_time, capacity))
                for name in sorted(groups)
            ]

        return UtilisationReport(
            facility=facility.code,
            facility_id=facility.id,
            time_zone=facility.time_zone,
            capacity=capacity,
            first_day=first,
            last_day=last,
            as_of=moment,
            open_hours=usage.hours(open_time),
            totals=UsageFigures(
                **_figures(((s, k) for s, k, _, _ in items), window, moment, open_time, capacity)
            ),
            projects=rows([i[2] for i in items]),
            nations=rows([i[3] for i in items]),
            bars=bars,
        )


COLUMNS = (
    "Breakdown",
    "Name",
    "Open h",
    "Requested h",
    "Approved h",
    "Pending h",
    "Rejected h",
    "Cancelled h",
    "No-show h",
    "Used h",
    "Utilisation %",
)


def _row(report: UtilisationReport, breakdown: str, name: str, f: UsageFigures) -> tuple[Any, ...]:
    return (
        breakdown,
        name,
        report.open_hours,
        f.requested_hours,
        f.approved_hours,
        f.pending_hours,
        f.rejected_hours,
        f.cancelled_hours,
        f.no_show_hours,
        f.used_hours,
        f.utilisation_percent,
    )


def utilisation_table(report: UtilisationReport) -> Table:
    rows = [_row(report, "facility", report.facility, report.totals)]
    rows += [_row(report, "project", r.name, r) for r in report.projects]
    rows += [_row(report, "nation", r.name, r) for r in report.nations]
    return Table(
        f"Utilisation {report.facility} {report.first_day} to {report.last_day}",
        COLUMNS,
        rows,
    )
