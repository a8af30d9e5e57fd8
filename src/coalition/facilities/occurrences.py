"""Use cases on one occurrence of a booking (decision 0017): cancelling it before it starts
(it frees its time, joins the booking's exceptions and shows as cancelled in calendars),
and marking one that has started a no-show (the facility manager). An occurrence is named
by its start, in the facility's local time when given without a zone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import selectinload

from coalition.accounts.permissions import Permission, Principal
from coalition.common.access import allowed_actions, require
from coalition.common.events import record_event
from coalition.errors import Conflict, ValidationFailed
from coalition.facilities.bookings import (
    ACTIVE,
    _booking,
    _local,
    _project_target,
    booking_out,
)
from coalition.facilities.models import (
    Booking,
    BookingOccurrence,
    BookingStatus,
    Facility,
    OccurrenceStatus,
)
from coalition.facilities.schemas import BookingOut, NoShowIn, OccurrenceCancelIn
from coalition.facilities.services import _target, _visible
from coalition.projects.models import Project
from coalition.store.uow import UnitOfWork


def _when(moment: datetime, facility: Facility) -> str:
    local = moment.astimezone(ZoneInfo(facility.time_zone))
    return f"{local:%Y-%m-%d %H:%M} ({facility.time_zone})"


def _occurrence(booking: Booking, facility: Facility, starts: datetime) -> BookingOccurrence:
    at = _local(starts, ZoneInfo(facility.time_zone)).astimezone(UTC)
    for occurrence in booking.occurrences:
        if occurrence.starts_at == at:
            if occurrence.status is not OccurrenceStatus.SCHEDULED:
                raise Conflict(
                    f"starts: the occurrence at {_when(at, facility)} is already "
                    f"{occurrence.status.replace('_', '-')}"
                )
            return occurrence
    raise ValidationFailed.of(
        "starts", f"no occurrence of {booking.reference} starts at {_when(at, facility)}"
    )


def cancel_occurrence(
    uow: UnitOfWork,
    actor: Principal,
    booking_id: uuid.UUID,
    data: OccurrenceCancelIn,
    now: datetime | None = None,
) -> BookingOut:
    """Whoever may cancel the booking may cancel one of its occurrences before it starts.
    Once none is left, the booking is cancelled."""
    moment = now or datetime.now(UTC)
    with uow:
        uow.for_writing()
        session = uow.session
        booking = _booking(session, booking_id, lock=True)
        # The facility's row is taken like a request takes it: the freed time is seen by
        # the next request, not by one already under way.
        facility = _visible(uow, actor, booking.facility_id, lock=True)
        project = session.get(
            Project, booking.project_id, options=[selectinload(Project.participants)]
        )
        assert project is not None
        if booking.requested_by != actor.name and not allowed_actions(
            actor, _target(session, facility), (Permission.FACILITY_MANAGE,)
        ):
            require(actor, Permission.FACILITY_BOOK, _project_target(session, project))
        if booking.status not in ACTIVE:
            raise Conflict(f"status: the booking is {booking.status}")
        occurrence = _occurrence(booking, facility, data.starts)
        if occurrence.starts_at <= moment:
            raise ValidationFailed.of(
                "starts",
                f"the occurrence began at {_when(occurrence.starts_at, facility)}: it can no "
                "longer be cancelled (the facility manager may mark it a no-show)",
            )
        occurrence.active = False
        occurrence.status = OccurrenceStatus.CANCELLED
        occurrence.noted_by, occurrence.noted_at = actor.name, moment
        occurrence.note = data.reason
        booking.exceptions = [*booking.exceptions, occurrence.starts_at.isoformat()]
        ended = all(o.status is OccurrenceStatus.CANCELLED for o in booking.occurrences)
        if ended:
            booking.status = BookingStatus.CANCELLED
            booking.decision_note = data.reason
        record_event(
            uow,
            actor,
            "facilities:occurrence:cancel",
            booking,
            {
                "starts": occurrence.starts_at,
                "reason": data.reason,
                "booking_cancelled": ended,
            },
        )
        uow.commit()
        return booking_out(session, actor, booking)


def mark_no_show(
    uow: UnitOfWork,
    actor: Principal,
    booking_id: uuid.UUID,
    data: NoShowIn,
    now: datetime | None = None,
) -> BookingOut:
    """The facility manager marks an occurrence of an approved booking a no-show once it
    has started. Its time stays held (it counts against quotas) and is reported apart."""
    moment = now or datetime.now(UTC)
    with uow:
        uow.for_writing()
        session = uow.session
        booking = _booking(session, booking_id, lock=True)
        facility = _visible(uow, actor, booking.facility_id)
        require(actor, Permission.FACILITY_MANAGE, _target(session, facility))
        if booking.status is not BookingStatus.APPROVED:
            raise Conflict(
                f"status: the booking is {booking.status}; only an approved booking's "
                "occurrence can be a no-show"
            )
        occurrence = _occurrence(booking, facility, data.starts)
        if occurrence.starts_at > moment:
            raise ValidationFailed.of(
                "starts",
                f"the occurrence begins at {_when(occurrence.starts_at, facility)}: a no-show "
                f"is marked once it has started (now {_when(moment, facility)})",
            )
        occurrence.status = OccurrenceStatus.NO_SHOW
        occurrence.noted_by, occurrence.noted_at = actor.name, moment
        occurrence.note = data.note
        record_event(
            uow,
            actor,
            "facilities:occurrence:no_show",
            booking,
            {"starts": occurrence.starts_at, "note": data.note},
        )
        uow.commit()
        return booking_out(session, actor, booking)
