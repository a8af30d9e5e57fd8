"""API routes of the facility catalogue."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from coalition.facilities import bookings, services
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
)
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["facilities"])


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
