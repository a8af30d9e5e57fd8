"""Use cases of requests for visit: one transaction each, every change in the ledger.

A request names the visitor, the host facility and the days (the facility's local days).
The host nation's lead time is counted in its working days from the day the request is
made there; a shorter notice needs a justification. When classified access is needed, the
visitor's home security office confirms a clearance that the engine accepts for the
facility's label on the first and the last day (its validity spans the visit); the host
nation's security office then approves, naming an escort when the facility's technology
control plan or the visitor's nationality requires one. Who may see a visit: the visitor,
the offices of both sides, the facility's managers and auditors, and only if they may know
of the facility; everyone else is told "not found", and lists leave it out uncounted."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target, authorize
from coalition.common.access import allowed_actions, require
from coalition.common.events import record_decision, record_event
from coalition.errors import Conflict, NotFound, ValidationFailed
from coalition.facilities.models import (
    Booking,
    BookingStatus,
    Facility,
    FacilityStatus,
)
from coalition.facilities.services import _Knowing
from coalition.policy import facts
from coalition.policy.engine import Decision, decide, level_of
from coalition.policy.interning import label_of
from coalition.projects.models import Project
from coalition.registry.models import Clearance, ClearanceStatus, Person, PersonStatus
from coalition.registry.services import organisation_target
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from coalition.techdata import listing
from coalition.visits import rules
from coalition.visits.models import Visit, VisitStatus
from coalition.visits.schemas import (
    ClearanceConfirmationIn,
    ReminderOut,
    VisitCancelIn,
    VisitDecisionIn,
    VisitIn,
    VisitOut,
)

NOT_FOUND = "no visit with this id"
P = Permission


def lead_days(settings: Settings, nation: str) -> int:
    """The host nation's notice in working days: its override, else the default."""
    for item in settings.visit_lead_overrides.replace(";", ",").split(","):
        code, _, days = item.strip().partition("=")
        if code.strip().upper() == nation and days.strip().isdigit():
            return int(days)
    return settings.visit_lead_working_days


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _query() -> Select[Visit]:
    return select(Visit).options(
        selectinload(Visit.visitor).selectinload(Person.employer),
        selectinload(Visit.visitor).selectinload(Person.citizenships),
        selectinload(Visit.escort),
        selectinload(Visit.facility).selectinload(Facility.organisation),
        selectinload(Visit.facility).selectinload(Facility.label),
        selectinload(Visit.booking),
    )


def _visitor_target(session: Session, visitor: Person) -> Target:
    """The visitor's organisation (and its parents): their home security office."""
    home = organisation_target(session, visitor.employer)
    return Target.of(home.organisation_ids, person=visitor.id)


def _host_target(session: Session, facility: Facility, visitor_id: uuid.UUID) -> Target:
    """The facility's organisation (and its parents): the host nation's security office.
    The visitor is the person the decision is about, so nobody approves their own visit."""
    host = organisation_target(session, facility.organisation)
    return Target.of(host.organisation_ids, person=visitor_id)


class _Seeing:
    """Whether the actor may see each visit (see the module's docstring)."""

    def __init__(self, uow: UnitOfWork, actor: Principal) -> None:
        self.uow, self.actor = uow, actor
        self.knowing = _Knowing(uow, actor)
        self.auditor = authorize(actor, P.EVENT_READ, Target.node()).allowed

    def sees(self, visit: Visit) -> bool:
        actor, session = self.actor, self.uow.session
        if actor.is_operator:
            return True
        if not self.knowing.knows(visit.facility):
            return False
        if self.auditor or actor.person_id == visit.visitor_id:
            return True
        home = _visitor_target(session, visit.visitor)
        host = _host_target(session, visit.facility, visit.visitor_id)
        return any(
            authorize(actor, p, home).allowed
            for p in (P.VISIT_REQUEST, P.VISIT_CONFIRM_CLEARANCE, P.CLEARANCE_READ)
        ) or any(authorize(actor, p, host).allowed for p in (P.VISIT_APPROVE, P.FACILITY_MANAGE))


def _visit(uow: UnitOfWork, actor: Principal, visit_id: uuid.UUID, *, lock: bool = False) -> Visit:
    visit = uow.session.scalar(
        _query().where(Visit.id == visit_id).with_for_update(of=Visit, nowait=False)
        if lock
        else _query().where(Visit.id == visit_id)
    )
    if visit is None or not _Seeing(uow, actor).sees(visit):
        raise NotFound(NOT_FOUND)
    return visit


def _waiting_for(visit: Visit) -> rules.Step | None:
    if visit.status is not VisitStatus.REQUESTED:
        return None
    if visit.clearance_needed and visit.clearance_confirmed_at is None:
        return rules.Step.CLEARANCE
    return rules.Step.HOST


def _due(visit: Visit) -> tuple[date, str] | None:
    """The pending step's due day and the nation whose office must act."""
    step = _waiting_for(visit)
    if step is rules.Step.CLEARANCE and visit.clearance_due is not None:
        return visit.clearance_due, visit.home_nation
    if step is rules.Step.HOST:
        return visit.decision_due, visit.host_nation
    return None


def _standing(visit: Visit, today: date, remind_days: int) -> rules.Standing | None:
    due = _due(visit)
    return None if due is None else rules.standing(due[0], today, due[1], remind_days)


def _may_read_clearance(session: Session, actor: Principal, visit: Visit) -> bool:
    """The clearance confirmed (issuer, level, reference) is shown to the visitor, the two
    offices and whoever may read the visitor's clearances; not to every facility manager."""
    if actor.is_operator or actor.person_id == visit.visitor_id:
        return True
    home = _visitor_target(session, visit.visitor)
    host = _host_target(session, visit.facility, visit.visitor_id)
    return (
        authorize(actor, P.VISIT_CONFIRM_CLEARANCE, home).allowed
        or authorize(actor, P.CLEARANCE_READ, home).allowed
        or authorize(actor, P.VISIT_APPROVE, host).allowed
    )


def _facility_today(visit: Visit, now: datetime) -> date:
    return rules.local_day(now, visit.facility.time_zone)


def visit_out(
    uow: UnitOfWork,
    actor: Principal,
    visit: Visit,
    settings: Settings,
    now: datetime | None = None,
) -> VisitOut:
    session = uow.session
    step = _waiting_for(visit)
    due = _due(visit)
    standing = _standing(
        visit, _facility_today(visit, _now(now)), settings.visit_reminder_working_days
    )
    project = session.get(Project, visit.project_id) if visit.project_id else None
    actions: list[str] = []
    if step is rules.Step.CLEARANCE:
        actions += allowed_actions(
            actor, _visitor_target(session, visit.visitor), (P.VISIT_CONFIRM_CLEARANCE,)
        )
    if step is rules.Step.HOST:
        actions += allowed_actions(
            actor, _host_target(session, visit.facility, visit.visitor_id), (P.VISIT_APPROVE,)
        )
    if visit.status in (VisitStatus.REQUESTED, VisitStatus.APPROVED) and _may_cancel(
        session, actor, visit
    ):
        actions.append("cancel")
    return VisitOut(
        id=visit.id,
        reference=visit.reference,
        visitor_id=visit.visitor_id,
        visitor=visit.visitor.full_name,
        visitor_organisation=visit.visitor.employer.short_name,
        home_nation=visit.home_nation,
        facility=visit.facility.code,
        facility_id=visit.facility_id,
        facility_name=visit.facility.name,
        host_nation=visit.host_nation,
        time_zone=visit.facility.time_zone,
        project=project.code if project else None,
        booking=visit.booking.reference if visit.booking else None,
        booking_id=visit.booking_id,
        booking_status=visit.booking.status.value if visit.booking else None,
        first_day=visit.first_day,
        last_day=visit.last_day,
        purpose=visit.purpose,
        classified_access=visit.classified_access,
        status=visit.status.value,
        waiting_for=step.value if step else None,
        due=due[0] if due else None,
        standing=standing.value if standing else None,
        requested_by=visit.requested_by,
        requested_on=visit.requested_on,
        late=visit.late_justification is not None,
        late_justification=visit.late_justification,
        clearance_needed=visit.clearance_needed,
        clearance_due=visit.clearance_due,
        decision_due=visit.decision_due,
        clearance=visit.clearance_summary if _may_read_clearance(session, actor, visit) else None,
        clearance_confirmed_by=visit.clearance_confirmed_by,
        clearance_confirmed_at=visit.clearance_confirmed_at,
        escort_required=visit.escort_required,
        escort_reason=visit.escort_reason,
        escort_id=visit.escort_id,
        escort=visit.escort.full_name if visit.escort else None,
        decided_by=visit.decided_by,
        decided_at=visit.decided_at,
        decision_note=visit.decision_note,
        allowed_actions=actions,
    )


# --- the engine's view of the visitor -----------------------------------------------------


def _decisions(
    uow: UnitOfWork,
    visit_facility: Facility,
    project_id: uuid.UUID | None,
    visitor_id: uuid.UUID,
    days: tuple[date, date],
    *,
    only: Clearance | None = None,
) -> list[Decision]:
    """The engine's READ decision on the facility's label for the visitor, on the first and
    the last day of the visit, under the visit's project. With ``only``, the visitor is
    taken to hold that one clearance: whether it, by itself, suffices."""
    session = uow.session
    world, _ = listing.current_world(session, uow.database)
    fact = facts.Artifact(
        visit_facility.id,
        project_id,
        visit_facility.organisation_id,
        label_of(visit_facility.label),
    )
    found: list[Decision] = []
    for day in sorted(set(days)):
        subject = listing.subject_view(session, uow.database, visitor_id, day).subject
        if only is not None:
            held = facts.Clearance(
                only.issuer,
                only.level,
                only.valid_from,
                only.valid_until,
                only.status is ClearanceStatus.ACTIVE,
            )
            subject = dataclasses.replace(subject, clearances=(held,))
        found.append(
            decide(
                facts.Request(subject, fact, facts.Action.READ, day, purpose="visit"),
                world,
            )
        )
    return found


def _refusal(decisions: list[Decision], who: str, days: tuple[date, date]) -> str | None:
    for day, decision in zip(sorted(set(days)), decisions, strict=True):
        if not decision.permit:
            reasons = "; ".join(f"{r.id}: {r.reason}" for r in decision.failed)
            return f"{who} may not have access on {day}: {reasons}"
    return None


def _needs_clearance(uow: UnitOfWork, facility: Facility) -> bool:
    world, _ = listing.current_world(uow.session, uow.database)
    fact = facts.Artifact(facility.id, None, facility.organisation_id, label_of(facility.label))
    probe = facts.Request(
        facts.Subject(facility.organisation_id, "", frozenset()),
        fact,
        facts.Action.READ,
        date.today(),
    )
    return level_of(probe, world)[1]


# --- requests --------------------------------------------------------------------------------


def request_visit(
    uow: UnitOfWork,
    actor: Principal,
    data: VisitIn,
    settings: Settings,
    now: datetime | None = None,
) -> VisitOut:
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        visitor = session.scalar(
            select(Person)
            .options(selectinload(Person.employer), selectinload(Person.citizenships))
            .where(Person.id == data.visitor_id)
        )
        if visitor is None:
            raise ValidationFailed.of("visitor_id", "no person with this id")
        # Anyone may ask to visit themselves; asking for someone else is their
        # organisation's business.
        if actor.person_id != visitor.id:
            require(actor, P.VISIT_REQUEST, _visitor_target(session, visitor))
        if visitor.status is not PersonStatus.ACTIVE:
            raise ValidationFailed.of("visitor_id", f"{visitor.full_name} is {visitor.status}")
        facility = session.scalar(
            select(Facility)
            .options(selectinload(Facility.organisation), selectinload(Facility.label))
            .where(Facility.code == data.facility.upper())
        )
        if facility is None or not _Knowing(uow, actor).knows(facility):
            raise ValidationFailed.of("facility", f"no facility '{data.facility}'")
        if facility.status is not FacilityStatus.ACTIVE:
            raise ValidationFailed.of("facility", f"{facility.code} is {facility.status}")
        host = facility.organisation.nation_code
        requested_on = rules.local_day(moment, facility.time_zone)
        if data.first_day < requested_on:
            raise ValidationFailed.of(
                "first_day",
                f"is in the past (it is {requested_on} at {facility.code}, {facility.time_zone})",
            )
        if data.first_day > requested_on + rules.FURTHEST_AHEAD:
            raise ValidationFailed.of(
                "first_day",
                f"is more than {rules.FURTHEST_AHEAD.days} days ahead; request it nearer the time",
            )
        notice = lead_days(settings, host)
        earliest = rules.earliest_first_day(requested_on, notice, host)
        if data.first_day < earliest and data.late_justification is None:
            holidays = rules.holidays_between(requested_on, earliest, host)
            raise ValidationFailed.of(
                "first_day",
                f"{host} needs {notice} working days' notice of a visit: requested on "
                f"{requested_on}, the earliest first day is {earliest}"
                + (
                    " (public holidays not counted: "
                    + ", ".join(f"{d} {n}" for d, n in holidays)
                    + ")"
                    if holidays
                    else ""
                )
                + "; give late_justification to ask anyway",
            )
        project = None
        if data.project:
            project = session.scalar(select(Project).where(Project.code == data.project))
            if project is None:
                raise ValidationFailed.of("project", f"no project '{data.project}'")
        booking = None
        if data.booking:
            booking = _linked_booking(session, data, facility, visitor, project)
            if project is None:
                project = session.get(Project, booking.project_id)
        if data.classified_access and project is None:
            raise ValidationFailed.of(
                "project", "classified access needs the project the visit serves"
            )
        if session.scalar(select(Visit.id).where(Visit.reference == data.reference)):
            raise Conflict(f"reference: a visit '{data.reference}' already exists")
        days = (data.first_day, data.last_day)
        clearance_needed = False
        if data.classified_access:
            clearance_needed = _needs_clearance(uow, facility)
            # Releasability, caveats and export controls are the visitor's own, whatever
            # the clearance: a visit they could never be granted is refused now. The
            # clearance itself is the home office's to confirm.
            decisions = _decisions(uow, facility, project.id if project else None, visitor.id, days)
            for day, decision in zip(sorted(set(days)), decisions, strict=True):
                failed = [r for r in decision.failed if r.id != "clearance"]
                if failed:
                    raise ValidationFailed.of(
                        "visitor_id",
                        f"{visitor.full_name} may not have access on {day}: "
                        + "; ".join(f"{r.id}: {r.reason}" for r in failed),
                    )
        due = rules.deadlines(
            requested_on,
            data.first_day,
            home_nation=visitor.employer.nation_code,
            host_nation=host,
            clearance_days=settings.visit_clearance_working_days,
            clearance_needed=clearance_needed,
        )
        escort = rules.escort_reason(
            facility.tcp_applies, (c.nation_code for c in visitor.citizenships), host
        )
        visit = Visit(
            reference=data.reference,
            visitor_id=visitor.id,
            facility_id=facility.id,
            project_id=project.id if project else None,
            booking_id=booking.id if booking else None,
            first_day=data.first_day,
            last_day=data.last_day,
            purpose=data.purpose,
            classified_access=data.classified_access,
            home_nation=visitor.employer.nation_code,
            host_nation=host,
            requested_by=actor.name,
            requested_on=requested_on,
            late_justification=data.late_justification if data.first_day < earliest else None,
            clearance_needed=clearance_needed,
            clearance_due=due.clearance_due,
            decision_due=due.decision_due,
            escort_required=escort is not None,
            escort_reason=escort,
        )
        uow.add(visit)
        uow.flush()
        record_event(
            uow,
            actor,
            "visits:visit:request",
            visit,
            {
                **data.model_dump(),
                "late": visit.late_justification is not None,
                "decision_due": due.decision_due,
                "clearance_due": due.clearance_due,
            },
        )
        uow.commit()
        return _reloaded(uow, actor, visit.id, settings, moment)


def _linked_booking(
    session: Session, data: VisitIn, facility: Facility, visitor: Person, project: Project | None
) -> Booking:
    """The booking the visit serves: at the same facility, still requested or approved, with
    the visitor among its participants and an occurrence on one of the visit's days."""
    booking = session.scalar(
        select(Booking)
        .options(selectinload(Booking.occurrences), selectinload(Booking.participants))
        .where(Booking.reference == data.booking)
    )
    if booking is None or booking.facility_id != facility.id:
        raise ValidationFailed.of("booking", f"no booking '{data.booking}' at {facility.code}")
    if booking.status not in (BookingStatus.REQUESTED, BookingStatus.APPROVED):
        raise ValidationFailed.of("booking", f"{booking.reference} is {booking.status}")
    if project is not None and booking.project_id != project.id:
        raise ValidationFailed.of("booking", f"{booking.reference} is for another project")
    if not any(p.person_id == visitor.id for p in booking.participants):
        raise ValidationFailed.of(
            "booking", f"{visitor.full_name} does not take part in {booking.reference}"
        )
    zone = facility.time_zone
    if not any(
        o.active
        and rules.local_day(_aware(o.starts_at), zone) <= data.last_day
        and rules.local_day(_aware(o.ends_at), zone) >= data.first_day
        for o in booking.occurrences
    ):
        raise ValidationFailed.of(
            "booking",
            f"{booking.reference} has no time at {facility.code} from {data.first_day} "
            f"to {data.last_day}",
        )
    return booking


def _aware(moment: datetime) -> datetime:
    """Times come back from SQLite without a zone; they are stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _reloaded(
    uow: UnitOfWork, actor: Principal, visit_id: uuid.UUID, settings: Settings, now: datetime
) -> VisitOut:
    session = uow.session
    session.expire_all()
    visit = session.scalar(_query().where(Visit.id == visit_id))
    assert visit is not None
    return visit_out(uow, actor, visit, settings, now)


# --- the two offices ---------------------------------------------------------------------------


def _record_permits(
    uow: UnitOfWork, actor: Principal, visit: Visit, decisions: list[Decision]
) -> None:
    for decision in decisions:
        record_decision(
            uow,
            actor,
            "visits",
            "visits",
            str(visit.id),
            facts.Action.READ,
            decision,
            for_person=visit.visitor_id,
        )


def _covering(visit: Visit) -> list[Clearance]:
    """The visitor's active clearances valid on every day of the visit, highest first."""
    return sorted(
        (
            c
            for c in visit.visitor.clearances
            if c.status is ClearanceStatus.ACTIVE
            and facts.during(visit.first_day, c.valid_from, c.valid_until)
            and facts.during(visit.last_day, c.valid_from, c.valid_until)
        ),
        key=lambda c: -c.level,
    )


def confirm_clearance(
    uow: UnitOfWork,
    actor: Principal,
    visit_id: uuid.UUID,
    data: ClearanceConfirmationIn,
    settings: Settings,
    now: datetime | None = None,
) -> VisitOut:
    """The visitor's home security office confirms a clearance on record that the engine
    accepts, by itself, for the facility's label over the whole visit, or refuses (the
    request is then rejected)."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        visit = _visit(uow, actor, visit_id, lock=True)
        require(actor, P.VISIT_CONFIRM_CLEARANCE, _visitor_target(session, visit.visitor))
        if _waiting_for(visit) is not rules.Step.CLEARANCE:
            raise Conflict(
                f"status: the visit is {visit.status}"
                + ("" if visit.clearance_needed else "; it needs no clearance")
                + (
                    "; its clearance is already confirmed"
                    if visit.clearance_confirmed_at is not None
                    else ""
                )
            )
        if data.outcome == "confirmed":
            days = (visit.first_day, visit.last_day)
            chosen: tuple[Clearance, list[Decision]] | None = None
            refusal = (
                f"{visit.visitor.full_name} holds no active clearance valid from "
                f"{visit.first_day} to {visit.last_day}"
            )
            for clearance in _covering(visit):
                decisions = _decisions(
                    uow, visit.facility, visit.project_id, visit.visitor_id, days, only=clearance
                )
                reason = _refusal(decisions, visit.visitor.full_name, days)
                if reason is None:
                    chosen = (clearance, decisions)
                    break
                refusal = reason
            if chosen is None:
                raise Conflict(f"outcome: {refusal}")
            clearance, decisions = chosen
            visit.clearance_id = clearance.id
            visit.clearance_summary = (
                f"{clearance.issuer} {clearance.level_name}, valid until {clearance.valid_until}"
                + (f" ({clearance.reference})" if clearance.reference else "")
            )
            visit.clearance_confirmed_by = actor.name
            visit.clearance_confirmed_at = moment
            _record_permits(uow, actor, visit, decisions)
            record_event(
                uow,
                actor,
                "visits:visit:clearance_confirmed",
                visit,
                {"clearance_id": clearance.id, "note": data.note},
            )
        else:
            visit.status = VisitStatus.REJECTED
            visit.decided_by, visit.decided_at = actor.name, moment
            visit.decision_note = f"clearance not confirmed: {data.note}"
            record_event(uow, actor, "visits:visit:clearance_refused", visit, data.model_dump())
        uow.commit()
        return _reloaded(uow, actor, visit.id, settings, moment)


def decide_visit(
    uow: UnitOfWork,
    actor: Principal,
    visit_id: uuid.UUID,
    data: VisitDecisionIn,
    settings: Settings,
    now: datetime | None = None,
) -> VisitOut:
    """The host nation's security office approves or rejects. An approval needs a confirmed
    clearance where one is needed (and the engine's permit again, since a clearance may have
    been suspended since), a visit that has not started, and an escort where required."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        visit = _visit(uow, actor, visit_id, lock=True)
        require(actor, P.VISIT_APPROVE, _host_target(session, visit.facility, visit.visitor_id))
        if visit.status is not VisitStatus.REQUESTED:
            raise Conflict(f"status: the visit is {visit.status}")
        if data.outcome == "approved":
            _check_approval(uow, actor, visit, data, moment)
        visit.status = VisitStatus(data.outcome)
        visit.decided_by, visit.decided_at = actor.name, moment
        visit.decision_note = data.note
        record_event(uow, actor, f"visits:visit:{data.outcome}", visit, data.model_dump())
        uow.commit()
        return _reloaded(uow, actor, visit.id, settings, moment)


def _check_approval(
    uow: UnitOfWork, actor: Principal, visit: Visit, data: VisitDecisionIn, moment: datetime
) -> None:
    session = uow.session
    today = _facility_today(visit, moment)
    if visit.first_day < today:
        raise Conflict(f"outcome: the visit was to start on {visit.first_day}; it is {today}")
    if visit.clearance_needed:
        if visit.clearance_confirmed_at is None or visit.clearance_id is None:
            raise Conflict(
                "outcome: the visitor's clearance has not been confirmed by their home "
                "security office"
            )
        clearance = session.get(Clearance, visit.clearance_id)
        assert clearance is not None
        days = (visit.first_day, visit.last_day)
        decisions = _decisions(
            uow, visit.facility, visit.project_id, visit.visitor_id, days, only=clearance
        )
        refusal = _refusal(decisions, visit.visitor.full_name, days)
        if refusal:
            raise Conflict(f"outcome: since the clearance was confirmed: {refusal}")
        _record_permits(uow, actor, visit, decisions)
    elif visit.classified_access:
        # No clearance to confirm, but releasability, caveats and export controls may
        # have changed since the request.
        days = (visit.first_day, visit.last_day)
        decisions = _decisions(uow, visit.facility, visit.project_id, visit.visitor_id, days)
        refusal = _refusal(decisions, visit.visitor.full_name, days)
        if refusal:
            raise Conflict(f"outcome: {refusal}")
        _record_permits(uow, actor, visit, decisions)
    if visit.escort_required:
        if data.escort_id is None:
            raise ValidationFailed.of("escort_id", f"an escort is required: {visit.escort_reason}")
        escort = session.scalar(
            select(Person)
            .options(selectinload(Person.citizenships), selectinload(Person.employer))
            .where(Person.id == data.escort_id)
        )
        if escort is None:
            raise ValidationFailed.of("escort_id", "no person with this id")
        if escort.id == visit.visitor_id:
            raise ValidationFailed.of("escort_id", "the visitor cannot escort themselves")
        if escort.status is not PersonStatus.ACTIVE:
            raise ValidationFailed.of("escort_id", f"{escort.full_name} is {escort.status}")
        if visit.host_nation not in {c.nation_code for c in escort.citizenships}:
            raise ValidationFailed.of(
                "escort_id", f"{escort.full_name} is not a citizen of {visit.host_nation}"
            )
        if escort.employer.nation_code != visit.host_nation:
            raise ValidationFailed.of(
                "escort_id",
                f"{escort.full_name} does not work for a {visit.host_nation} organisation",
            )
        visit.escort_id = escort.id
    elif data.escort_id is not None:
        raise ValidationFailed.of("escort_id", "this visit needs no escort")


def _may_cancel(session: Session, actor: Principal, visit: Visit) -> bool:
    if actor.is_operator or actor.name == visit.requested_by or actor.person_id == visit.visitor_id:
        return True
    return authorize(actor, P.VISIT_REQUEST, _visitor_target(session, visit.visitor)).allowed or (
        authorize(
            actor, P.VISIT_APPROVE, _host_target(session, visit.facility, visit.visitor_id)
        ).allowed
    )


def cancel_visit(
    uow: UnitOfWork,
    actor: Principal,
    visit_id: uuid.UUID,
    data: VisitCancelIn,
    settings: Settings,
    now: datetime | None = None,
) -> VisitOut:
    """The visitor, whoever requested it or may request visits for the visitor's
    organisation, or the host's security office, until the visit's last day."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        visit = _visit(uow, actor, visit_id, lock=True)
        if not _may_cancel(session, actor, visit):
            require(actor, P.VISIT_REQUEST, _visitor_target(session, visit.visitor))
        if visit.status not in (VisitStatus.REQUESTED, VisitStatus.APPROVED):
            raise Conflict(f"status: the visit is {visit.status}")
        if visit.last_day < _facility_today(visit, moment):
            raise Conflict(f"status: the visit ended on {visit.last_day}")
        visit.status = VisitStatus.CANCELLED
        visit.decided_by, visit.decided_at = actor.name, moment
        visit.decision_note = data.reason
        record_event(uow, actor, "visits:visit:cancel", visit, data.model_dump())
        uow.commit()
        return _reloaded(uow, actor, visit.id, settings, moment)


# --- reading -----------------------------------------------------------------------------------


def list_visits(
    uow: UnitOfWork,
    actor: Principal,
    settings: Settings,
    *,
    status: VisitStatus | None = None,
    facility: str | None = None,
    visitor_id: uuid.UUID | None = None,
    waiting: bool = False,
    now: datetime | None = None,
) -> list[VisitOut]:
    """The visits the actor may see, soonest first; with ``waiting``, only those whose
    pending step the actor may take."""
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        query = _query().order_by(Visit.first_day, Visit.reference)
        if status is not None:
            query = query.where(Visit.status == status)
        if waiting:
            query = query.where(Visit.status == VisitStatus.REQUESTED)
        if facility:
            query = query.join(Facility, Facility.id == Visit.facility_id).where(
                Facility.code == facility.upper()
            )
        if visitor_id is not None:
            query = query.where(Visit.visitor_id == visitor_id)
        seeing = _Seeing(uow, actor)
        shown = [
            visit_out(uow, actor, v, settings, now)
            for v in uow.session.scalars(query)
            if seeing.sees(v)
        ]
    if waiting:
        shown = [v for v in shown if set(v.allowed_actions) - {"cancel"}]
    return shown


def get_visit(
    uow: UnitOfWork, actor: Principal, visit_id: uuid.UUID, settings: Settings
) -> VisitOut:
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        return visit_out(uow, actor, _visit(uow, actor, visit_id), settings)


def visit_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        visit = uow.session.scalar(_query().where(Visit.reference == reference))
        if visit is None or not _Seeing(uow, actor).sees(visit):
            raise NotFound(f"no visit '{reference}'")
        return visit.id


def send_reminders(
    uow: UnitOfWork, actor: Principal, settings: Settings, now: datetime | None = None
) -> list[ReminderOut]:
    """Record a reminder for every pending step due soon or overdue, once a day per visit:
    the ledger event is what a mail or chat relay picks up, and the dashboard of whoever
    may take the step shows it."""
    require(actor, P.VISIT_REMIND, Target.node())
    moment = _now(now)
    sent: list[ReminderOut] = []
    with uow:
        uow.for_writing()
        session = uow.session
        for visit in session.scalars(
            _query().where(Visit.status == VisitStatus.REQUESTED).order_by(Visit.first_day)
        ):
            today = _facility_today(visit, moment)
            if visit.first_day < today:  # started undecided: nothing left to remind of
                continue
            standing = _standing(visit, today, settings.visit_reminder_working_days)
            due, step = _due(visit), _waiting_for(visit)
            if standing in (None, rules.Standing.ON_TIME) or due is None or step is None:
                continue
            if visit.reminded_on == today:
                continue
            office = (
                f"security office of {visit.visitor.employer.short_name}"
                if step is rules.Step.CLEARANCE
                else f"security office of {visit.facility.organisation.short_name}"
            )
            visit.reminded_on = today
            record_event(
                uow,
                actor,
                "visits:visit:reminder",
                visit,
                {"waiting_for": step.value, "office": office, "due": due[0], "standing": standing},
            )
            sent.append(
                ReminderOut(
                    visit_id=visit.id,
                    reference=visit.reference,
                    waiting_for=step.value,
                    office=office,
                    due=due[0],
                    standing=standing.value,
                )
            )
        uow.commit()
    return sent
