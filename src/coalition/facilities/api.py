"""API routes of the facility catalogue."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from coalition.common import tables
from coalition.facilities import (
    bookings,
    charts,
    feeds,
    occurrences,
    quotas,
    reports,
    services,
)
from coalition.facilities.models import FacilityKind
from coalition.facilities.schemas import (
    BookingCancelIn,
    BookingDecisionIn,
    BookingIn,
    BookingOut,
    ClosureIn,
    FacilityIn,
    FacilityOut,
    FacilityUpdate,
    FeedIn,
    FeedOut,
    NewFeed,
    NoShowIn,
    OccurrenceCancelIn,
    QuotaIn,
    QuotaOut,
    UtilisationReport,
)
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["facilities"])

_DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            "image/svg+xml": {},
        },
        "description": "The report as JSON, or as CSV, XLSX or the SVG timeline by `format`.",
    }
}


@router.get("/facilities")
def list_facilities(
    actor: ApiPrincipal,
    uow: UowDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    kind: FacilityKind | None = None,
    capability: Annotated[
        str | None, Query(max_length=80, description="A code or a branch, e.g. aero.")
    ] = None,
    nation: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    include_retired: bool = False,
) -> list[FacilityOut]:
    """The facilities the caller may know of (its label's releasability to their nations);
    no other facility is counted or named."""
    return services.list_facilities(
        uow,
        actor,
        q=q,
        kind=kind,
        capability=capability,
        nation=nation,
        include_retired=include_retired,
    )


@router.post("/facilities", status_code=status.HTTP_201_CREATED)
def create_facility(actor: ApiPrincipal, uow: UowDep, data: FacilityIn) -> FacilityOut:
    """Add a facility of the caller's organisation to the catalogue, with its label."""
    return services.create_facility(uow, actor, data)


@router.get("/facilities/{facility_id}")
def get_facility(facility_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> FacilityOut:
    return services.get_facility(uow, actor, facility_id)


@router.patch("/facilities/{facility_id}")
def update_facility(
    facility_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: FacilityUpdate
) -> FacilityOut:
    return services.update_facility(uow, actor, facility_id, data)


@router.post("/facilities/{facility_id}/closures", status_code=status.HTTP_201_CREATED)
def add_closure(
    facility_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: ClosureIn
) -> FacilityOut:
    """Days the facility is closed; closures may not overlap."""
    return services.add_closure(uow, actor, facility_id, data)


@router.get("/facilities/{facility_id}/quotas")
def list_quotas(facility_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> list[QuotaOut]:
    """The facility's quotas, each with the hours its holder holds in the current period."""
    return quotas.list_quotas(uow, actor, facility_id)


@router.put("/facilities/{facility_id}/quotas")
def set_quota(facility_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: QuotaIn) -> QuotaOut:
    """Set the booked hours a project or a nation may hold in each week, month or year of
    the facility's zone, replacing its quota for that period."""
    return quotas.set_quota(uow, actor, facility_id, data)


@router.delete(
    "/facilities/{facility_id}/quotas/{quota_id}", status_code=status.HTTP_204_NO_CONTENT
)
def remove_quota(
    facility_id: uuid.UUID, quota_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep
) -> Response:
    quotas.remove_quota(uow, actor, facility_id, quota_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/facilities/{facility_id}/utilisation",
    response_model=UtilisationReport,
    responses=_DOWNLOADS,
)
def utilisation(
    facility_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    first: Annotated[date, Query(alias="from", description="First local day.")],
    last: Annotated[date, Query(alias="to", description="Last local day, included.")],
    format: Literal["json", "csv", "xlsx", "svg"] = "json",
) -> Any:
    """Hours open, requested, approved, pending, rejected, cancelled, no-show and used, and
    the utilisation, for the facility and per project and nation; every occurrence as a
    bar of the timeline."""
    report = reports.utilisation(uow, actor, facility_id, first, last)
    if format == "json":
        return report
    if format == "svg":
        return Response(charts.timeline_chart(report), media_type="image/svg+xml")
    return download(
        reports.utilisation_table(report),
        format,
        f"utilisation-{report.facility}-{first}-{last}",
    )


def download(table: tables.Table, fmt: Literal["csv", "xlsx"], name: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return Response(
        tables.render(table, fmt),
        media_type=tables.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'},
    )


@router.get("/facilities/{facility_id}/bookings")
def list_bookings(
    facility_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, include_ended: bool = False
) -> list[BookingOut]:
    """Requested and approved bookings, soonest first (with ``include_ended``, rejected and
    cancelled ones too)."""
    return bookings.list_bookings(uow, actor, facility_id, include_ended=include_ended)


@router.get("/facilities/{facility_id}/calendar.ics")
def facility_calendar(facility_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> Response:
    """The facility's bookings as an RFC 5545 calendar (one event per occurrence)."""
    return Response(bookings.calendar(uow, actor, facility_id), media_type="text/calendar")


@router.post("/bookings", status_code=status.HTTP_201_CREATED)
def request_booking(actor: ApiPrincipal, uow: UowDep, data: BookingIn) -> BookingOut:
    """Request a facility for a project. Every participant is checked by the engine for the
    facility's label; a time outside opening hours or a closure is refused, and a full
    facility answers 409 with free slots suggested."""
    return bookings.request_booking(uow, actor, data)


@router.get("/bookings/calendar.ics")
def bookings_calendar(
    actor: ApiPrincipal,
    uow: UowDep,
    project: Annotated[str | None, Query(max_length=40)] = None,
    person_id: uuid.UUID | None = None,
) -> Response:
    """The bookings of a project, or those a person takes part in, as an RFC 5545
    calendar (only at facilities the caller may know of)."""
    return Response(
        bookings.calendar_of(uow, actor, project=project, person_id=person_id),
        media_type="text/calendar",
    )


@router.get("/bookings/{booking_id}")
def get_booking(booking_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> BookingOut:
    return bookings.get_booking(uow, actor, booking_id)


@router.post("/bookings/{booking_id}/decision")
def decide_booking(
    booking_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: BookingDecisionIn
) -> BookingOut:
    """The facility manager approves or rejects a requested booking."""
    return bookings.decide_booking(uow, actor, booking_id, data)


@router.post("/bookings/{booking_id}/cancel")
def cancel_booking(
    booking_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: BookingCancelIn
) -> BookingOut:
    return bookings.cancel_booking(uow, actor, booking_id, data)


@router.post("/bookings/{booking_id}/occurrences/cancel")
def cancel_occurrence(
    booking_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: OccurrenceCancelIn
) -> BookingOut:
    """Cancel one occurrence, named by its start, before it starts."""
    return occurrences.cancel_occurrence(uow, actor, booking_id, data)


@router.post("/bookings/{booking_id}/occurrences/no-show")
def mark_no_show(
    booking_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: NoShowIn
) -> BookingOut:
    """The facility manager marks an occurrence that has started a no-show."""
    return occurrences.mark_no_show(uow, actor, booking_id, data)


@router.get("/calendar-feeds")
def list_feeds(actor: ApiPrincipal, uow: UowDep) -> list[FeedOut]:
    """The caller's calendar feeds (their tokens are never shown again)."""
    return feeds.list_feeds(uow, actor)


@router.post("/calendar-feeds", status_code=status.HTTP_201_CREATED)
def create_feed(actor: ApiPrincipal, uow: UowDep, data: FeedIn) -> NewFeed:
    """A secret address for a calendar program: the bookings of a facility (code), a
    project (code) or a person (id or e-mail), as the caller sees them. ``path`` holds the
    token and is shown only in this answer."""
    return feeds.create_feed(uow, actor, data)


@router.post("/calendar-feeds/{feed_id}/revoke")
def revoke_feed(feed_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> FeedOut:
    return feeds.revoke_feed(uow, actor, feed_id)
