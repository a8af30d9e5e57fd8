"""Use cases of facility bookings: request (for a project, with named participants, once or
recurring), approve or reject (the facility's manager), cancel; lists and the iCalendar
feed. Each participant is checked by the engine for the facility's label (level, caveats,
releasability, export controls) under the project, and the permits are recorded in the
ledger. Times follow decision 0016: half-open, compared in UTC, repeated in the facility's
own time zone."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import allowed_actions, require
from coalition.common.events import record_decision, record_event
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.facilities import quotas, rules
from coalition.facilities.models import (
    Booking,
    BookingOccurrence,
    BookingParticipant,
    BookingStatus,
    Facility,
    FacilityStatus,
    OccurrenceStatus,
)
from coalition.facilities.schemas import (
    BookingCancelIn,
    BookingDecisionIn,
    BookingIn,
    BookingOut,
    OccurrenceOut,
    ParticipantOut,
)
from coalition.facilities.services import _Knowing, _target, _visible
from coalition.policy import facts
from coalition.policy.engine import Decision, decide
from coalition.policy.interning import label_of
from coalition.projects.models import Project
from coalition.registry.models import Person
from coalition.registry.services import organisation_target
from coalition.store.uow import UnitOfWork
from coalition.techdata import listing

ACTIVE = (BookingStatus.REQUESTED, BookingStatus.APPROVED)


def _project_target(session: Session, project: Project) -> Target:
    """Whoever takes part in the project, through their organisation, may book for it."""
    ids: set[uuid.UUID] = set()
    for participant in project.participants:
        if participant.withdrew_on is None:
            ids |= organisation_target(session, participant.organisation).organisation_ids
    return Target.of(ids, project.id)


def _hours(facility: Facility) -> rules.Hours:
    return rules.Hours(
        {int(day): (span[0], span[1]) for day, span in facility.opening_hours.items()},
        facility.time_zone,
    )


def _closures(facility: Facility) -> list[tuple[date, date]]:
    return [(c.first_day, c.last_day) for c in facility.closures]


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A time without a zone is the facility's local time."""
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def _taken(
    session: Session,
    facility_id: uuid.UUID,
    first: datetime,
    last: datetime,
    *,
    approved_only: bool,
) -> list[rules.Slot]:
    query = select(BookingOccurrence.starts_at, BookingOccurrence.ends_at).where(
        BookingOccurrence.facility_id == facility_id,
        BookingOccurrence.active.is_(True),
        BookingOccurrence.starts_at < last,
        BookingOccurrence.ends_at > first,
    )
    if approved_only:
        query = query.join(Booking, Booking.id == BookingOccurrence.booking_id).where(
            Booking.status == BookingStatus.APPROVED
        )
    return [rules.Slot(s, e) for s, e in session.execute(query)]


def _full(
    wanted: Sequence[rules.Slot], taken: Sequence[rules.Slot], capacity: int
) -> list[rules.Slot]:
    """The wanted occurrences that fall where the facility is already full: as many
    bookings as it holds running at the same time."""
    full = rules.saturated(taken, capacity)
    return [slot for slot in wanted if any(f.overlaps(slot) for f in full)]


#: How far ahead free slots are looked for when a request conflicts.
SUGGESTION_HORIZON = timedelta(days=60)


def _conflict_message(
    session: Session,
    facility: Facility,
    full: list[rules.Slot],
    length: timedelta,
    *,
    approved_only: bool,
) -> str:
    """Where the request is refused, and the first free slots of its length after it (free
    of every booking in the next two months, not only of those it collided with)."""
    zone = ZoneInfo(facility.time_zone)
    after = full[0].starts
    ahead = _taken(
        session, facility.id, after, after + SUGGESTION_HORIZON, approved_only=approved_only
    )
    suggestions = rules.free_slots(
        length,
        after,
        rules.saturated(ahead, facility.capacity),
        _hours(facility),
        _closures(facility),
        horizon=SUGGESTION_HORIZON,
    )
    when = ", ".join(f"{s.starts.astimezone(zone):%Y-%m-%d %H:%M}" for s in full[:5])
    free = "; ".join(
        f"{s.starts.astimezone(zone):%Y-%m-%d %H:%M}-{s.ends.astimezone(zone):%H:%M}"
        for s in suggestions
    )
    return f"{facility.code} is fully booked at {when} ({facility.time_zone})" + (
        f"; free: {free}" if free else ""
    )


def _participants(
    uow: UnitOfWork,
    facility: Facility,
    project: Project,
    people: list[uuid.UUID],
    days: tuple[date, date],
    problems: Problems,
) -> list[tuple[uuid.UUID, Decision]]:
    """The engine's decision for each participant on the first and the last day: all must
    permit. A refusal names the person and every failed rule."""
    session = uow.session
    world, _ = listing.current_world(session, uow.database)
    fact = facts.Artifact(
        facility.id, project.id, facility.organisation_id, label_of(facility.label)
    )
    decisions: list[tuple[uuid.UUID, Decision]] = []
    for index, person_id in enumerate(people):
        person = session.get(Person, person_id)
        if person is None:
            problems.add(f"participant_ids[{index}]", "no person with this id")
            continue
        for day in sorted(set(days)):
            subject = listing.subject_view(session, uow.database, person_id, day).subject
            decision = decide(
                facts.Request(
                    subject, fact, facts.Action.READ, day, purpose="carrying_out_the_project"
                ),
                world,
            )
            if not decision.permit:
                reasons = "; ".join(f"{r.id}: {r.reason}" for r in decision.failed)
                problems.add(
                    f"participant_ids[{index}]",
                    f"{person.given_name} {person.family_name} may not take part on {day}: "
                    + reasons,
                )
                break
            decisions.append((person_id, decision))
    return decisions


def request_booking(
    uow: UnitOfWork, actor: Principal, data: BookingIn, now: datetime | None = None
) -> BookingOut:
    moment = now or datetime.now(UTC)
    with uow:
        uow.for_writing()
        session = uow.session
        # The facility's row is locked (PostgreSQL): requests for it take turns, so two of
        # them cannot both pass the capacity check for the same time.
        facility = session.scalar(
            select(Facility)
            .options(selectinload(Facility.closures), selectinload(Facility.label))
            .where(Facility.code == data.facility.upper())
            .with_for_update(of=Facility)
        )
        if facility is None or not _Knowing(uow, actor).knows(facility):
            raise ValidationFailed.of("facility", f"no facility '{data.facility}'")
        project = session.scalar(
            select(Project)
            .options(selectinload(Project.participants))
            .where(Project.code == data.project)
        )
        if project is None:
            raise ValidationFailed.of("project", f"no project '{data.project}'")
        require(actor, Permission.FACILITY_BOOK, _project_target(session, project))
        if facility.status is not FacilityStatus.ACTIVE:
            raise ValidationFailed.of("facility", f"{facility.code} is {facility.status}")
        zone = ZoneInfo(facility.time_zone)
        starts, ends = _local(data.starts, zone), _local(data.ends, zone)
        try:
            wanted = rules.occurrences(
                starts, ends, data.recurrence, [_local(e, zone) for e in data.exceptions]
            )
        except ValueError as error:
            field, _, message = str(error).partition(": ")
            raise ValidationFailed.of(
                field if message else "starts", message or str(error)
            ) from None
        if wanted[0].starts < moment:
            raise ValidationFailed.of(
                "starts",
                f"is in the past (now {moment.astimezone(zone):%Y-%m-%d %H:%M} "
                f"{facility.time_zone})",
            )
        problems = Problems()
        for slot in wanted:
            reason = rules.outside_hours(slot, _hours(facility), _closures(facility))
            if reason:
                problems.add("starts", f"{slot.starts.astimezone(zone):%Y-%m-%d %H:%M}: {reason}")
                break
        problems.raise_if_any()
        decisions = _participants(
            uow,
            facility,
            project,
            data.participant_ids,
            (wanted[0].starts.astimezone(zone).date(), wanted[-1].ends.astimezone(zone).date()),
            problems,
        )
        problems.raise_if_any()
        if session.scalar(select(Booking.id).where(Booking.reference == data.reference)):
            raise Conflict(f"reference: a booking '{data.reference}' already exists")
        taken = _taken(session, facility.id, wanted[0].starts, wanted[-1].ends, approved_only=False)
        full = _full(wanted, taken, facility.capacity)
        if full:
            raise Conflict(
                "starts: "
                + _conflict_message(
                    session, facility, full, wanted[0].duration, approved_only=False
                )
            )
        quotas.check(session, facility, project, wanted, field="starts")
        booking = Booking(
            reference=data.reference,
            facility_id=facility.id,
            project_id=project.id,
            purpose=data.purpose,
            starts_at=wanted[0].starts,
            ends_at=wanted[0].ends,
            recurrence=data.recurrence,
            exceptions=[_local(e, zone).astimezone(UTC).isoformat() for e in data.exceptions],
            requested_by=actor.name,
            occurrences=[
                BookingOccurrence(facility_id=facility.id, starts_at=s.starts, ends_at=s.ends)
                for s in wanted
            ],
            participants=[BookingParticipant(person_id=p) for p in data.participant_ids],
        )
        uow.add(booking)
        uow.flush()
        for person_id, decision in decisions:
            record_decision(
                uow,
                actor,
                "facilities",
                "facility_bookings",
                str(booking.id),
                facts.Action.READ,
                decision,
                for_person=person_id,
            )
        record_event(
            uow,
            actor,
            "facilities:booking:request",
            booking,
            {**data.model_dump(), "occurrences": len(wanted)},
        )
        uow.commit()
        return booking_out(session, actor, booking)


def _booking(session: Session, booking_id: uuid.UUID, *, lock: bool = False) -> Booking:
    booking = session.get(
        Booking,
        booking_id,
        options=[selectinload(Booking.occurrences), selectinload(Booking.participants)],
        with_for_update=lock,
    )
    if booking is None:
        raise NotFound("no booking with this id")
    return booking


def decide_booking(
    uow: UnitOfWork, actor: Principal, booking_id: uuid.UUID, data: BookingDecisionIn
) -> BookingOut:
    """The facility's manager approves or rejects a requested booking; an approval is
    refused if approved bookings already fill the facility at one of its times."""
    with uow:
        uow.for_writing()
        session = uow.session
        booking = _booking(session, booking_id, lock=True)
        facility = _visible(uow, actor, booking.facility_id, lock=True)
        require(actor, Permission.FACILITY_MANAGE, _target(session, facility))
        if booking.status is not BookingStatus.REQUESTED:
            raise Conflict(f"status: the booking is {booking.status}")
        if data.outcome == "approved":
            wanted = [rules.Slot(o.starts_at, o.ends_at) for o in booking.occurrences if o.active]
            taken = _taken(
                session, facility.id, wanted[0].starts, wanted[-1].ends, approved_only=True
            )
            full = _full(wanted, taken, facility.capacity)
            if full:
                raise Conflict(
                    "outcome: "
                    + _conflict_message(
                        session, facility, full, wanted[0].duration, approved_only=True
                    )
                )
            project = session.get(
                Project, booking.project_id, options=[selectinload(Project.participants)]
            )
            assert project is not None
            # The quota may have been set or lowered since the request: checked again,
            # without counting the booking's own time twice.
            quotas.check(session, facility, project, wanted, field="outcome", exclude=booking.id)
        else:
            for occurrence in booking.occurrences:
                occurrence.active = False
        booking.status = BookingStatus(data.outcome)
        booking.decided_by, booking.decided_at = actor.name, datetime.now(UTC)
        booking.decision_note = data.note
        record_event(uow, actor, f"facilities:booking:{data.outcome}", booking, data.model_dump())
        uow.commit()
        return booking_out(session, actor, booking)


def cancel_booking(
    uow: UnitOfWork, actor: Principal, booking_id: uuid.UUID, data: BookingCancelIn
) -> BookingOut:
    """Whoever requested it, or may book for its project, or manages the facility."""
    with uow:
        uow.for_writing()
        session = uow.session
        booking = _booking(session, booking_id, lock=True)
        facility = _visible(uow, actor, booking.facility_id)
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
        booking.status = BookingStatus.CANCELLED
        booking.decision_note = data.reason
        for occurrence in booking.occurrences:
            occurrence.active = False
        record_event(uow, actor, "facilities:booking:cancel", booking, data.model_dump())
        uow.commit()
        return booking_out(session, actor, booking)


def booking_out(session: Session, actor: Principal, booking: Booking) -> BookingOut:
    facility = session.get(Facility, booking.facility_id)
    project = session.get(Project, booking.project_id)
    assert facility is not None and project is not None
    people = {
        p.id: p
        for p in session.scalars(
            select(Person)
            .options(selectinload(Person.employer))
            .where(Person.id.in_([x.person_id for x in booking.participants]))
        )
    }
    return BookingOut(
        id=booking.id,
        reference=booking.reference,
        facility=facility.code,
        facility_id=facility.id,
        time_zone=facility.time_zone,
        project=project.code,
        purpose=booking.purpose,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        recurrence=booking.recurrence,
        status=booking.status.value,
        requested_by=booking.requested_by,
        decided_by=booking.decided_by,
        decided_at=booking.decided_at,
        decision_note=booking.decision_note,
        occurrences=[
            OccurrenceOut(
                starts_at=o.starts_at,
                ends_at=o.ends_at,
                status=o.status,
                noted_by=o.noted_by,
                note=o.note,
            )
            for o in booking.occurrences
        ],
        participants=[
            ParticipantOut(
                person_id=p.person_id,
                name=f"{people[p.person_id].given_name} {people[p.person_id].family_name}",
                organisation=people[p.person_id].employer.short_name,
            )
            for p in booking.participants
            if p.person_id in people
        ],
        allowed_actions=allowed_actions(
            actor, _target(session, facility), (Permission.FACILITY_MANAGE,)
        ),
    )


def list_bookings(
    uow: UnitOfWork, actor: Principal, facility_id: uuid.UUID, *, include_ended: bool = False
) -> list[BookingOut]:
    """The bookings of a facility the actor may know of, soonest first."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        _visible(uow, actor, facility_id)
        query = (
            select(Booking)
            .options(selectinload(Booking.occurrences), selectinload(Booking.participants))
            .where(Booking.facility_id == facility_id)
            .order_by(Booking.starts_at)
        )
        if not include_ended:
            query = query.where(Booking.status.in_(ACTIVE))
        return [booking_out(session, actor, b) for b in session.scalars(query)]


def get_booking(uow: UnitOfWork, actor: Principal, booking_id: uuid.UUID) -> BookingOut:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        booking = _booking(uow.session, booking_id)
        try:
            _visible(uow, actor, booking.facility_id)
        except NotFound:
            raise NotFound("no booking with this id") from None
        return booking_out(uow.session, actor, booking)


def booking_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        booking = uow.session.scalar(select(Booking).where(Booking.reference == reference))
        if booking is None:
            raise NotFound(f"no booking '{reference}'")
        try:
            _visible(uow, actor, booking.facility_id)
        except NotFound:
            raise NotFound(f"no booking '{reference}'") from None
        return booking.id


def calendar(uow: UnitOfWork, actor: Principal, facility_id: uuid.UUID) -> bytes:
    """The facility's requested and approved bookings as an RFC 5545 calendar: one event
    per occurrence, confirmed once approved, tentative while requested, cancelled once
    cancelled on its own."""
    bookings = list_bookings(uow, actor, facility_id)
    with uow:
        facility = uow.session.get(Facility, facility_id)
        assert facility is not None
        code, zone = facility.code, facility.time_zone
    return _ics(bookings, f"{code} bookings", zone)


def calendar_of(
    uow: UnitOfWork,
    actor: Principal,
    *,
    project: str | None = None,
    person_id: uuid.UUID | None = None,
) -> bytes:
    """The requested and approved bookings of a project, or those a person takes part in,
    at the facilities the actor may know of, as an RFC 5545 calendar."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    if (project is None) == (person_id is None):
        raise ValidationFailed.of("project", "name a project or a person")
    with uow:
        session = uow.session
        query = (
            select(Booking)
            .options(selectinload(Booking.occurrences), selectinload(Booking.participants))
            .where(Booking.status.in_(ACTIVE))
            .order_by(Booking.starts_at)
        )
        if project is not None:
            found = session.scalar(select(Project.id).where(Project.code == project))
            if found is None:
                raise NotFound(f"no project '{project}'")
            query = query.where(Booking.project_id == found)
            name = f"{project} bookings"
        else:
            person = session.get(Person, person_id)
            if person is None:
                raise NotFound("no person with this id")
            query = query.where(Booking.participants.any(BookingParticipant.person_id == person_id))
            name = f"{person.given_name} {person.family_name}: bookings"
        knowing = _Knowing(uow, actor)
        shown = [
            booking_out(session, actor, b)
            for b in session.scalars(query)
            if knowing.knows(b.facility)
        ]
    return _ics(shown, name, "UTC")


def _ics(bookings: Sequence[BookingOut], name: str, zone: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Coalition//facility bookings//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone)
    stamp = datetime.now(UTC)
    for booking in bookings:
        for index, occurrence in enumerate(booking.occurrences):
            event = Event()
            event.add(
                "uid", f"{booking.reference}-{index + 1}@{booking.facility.lower()}.coalition"
            )
            event.add("dtstamp", stamp)
            event.add("dtstart", occurrence.starts_at)
            event.add("dtend", occurrence.ends_at)
            event.add("summary", f"{booking.project}: {booking.purpose[:120]}")
            event.add("location", booking.facility)
            if occurrence.status is OccurrenceStatus.CANCELLED:
                # Kept, so that a calendar program that has the event removes it.
                event.add("status", "CANCELLED")
            else:
                event.add("status", "CONFIRMED" if booking.status == "approved" else "TENTATIVE")
            cal.add_component(event)
    return bytes(cal.to_ical())
