"""Use cases of oversight bodies: one transaction each, every change in the ledger.

A body belongs to an agreement (and, for a project board, to one of its projects). Those
who run it hold ``organisation:governance:manage`` in an organisation party to the
agreement (or leading the project): they set up the body and its members, schedule
meetings, record minutes, open and close votes and assign action items. Voting needs no
permission: the seats of a vote are the body's voting members on the day it opened, each
votes for themselves, once. The outcome is computed by the body's rule when the vote
closes: at the meeting by the chair's secretary, or by itself at a written procedure's
deadline (:func:`tick`), or as soon as every seat has voted. Who may read any of it:
:class:`coalition.governance.readers.Readers`."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.agreements.models import Agreement, AgreementParty
from coalition.agreements.services import agreement_target
from coalition.common.access import allowed_actions, require
from coalition.common.events import record_event
from coalition.errors import (
    CoalitionError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from coalition.governance import rules
from coalition.governance.models import (
    ActionItem,
    ActionStatus,
    BodyMember,
    BodyStatus,
    Meeting,
    MeetingAttachment,
    MeetingAttendee,
    MeetingStatus,
    Motion,
    MotionStatus,
    OversightBody,
    Procedure,
    Vote,
)
from coalition.governance.readers import Readers, _related, readers_among
from coalition.governance.schemas import (
    ActionItemIn,
    ActionItemOut,
    ActionItemUpdateIn,
    AttachmentIn,
    AttachmentOut,
    AttendeeOut,
    BodyIn,
    BodyOut,
    MeetingCancelIn,
    MeetingChangeIn,
    MeetingIn,
    MeetingOut,
    MemberIn,
    MemberLeaveIn,
    MemberOut,
    MinutesIn,
    MotionCloseIn,
    MotionIn,
    MotionOut,
    MotionSummary,
    MotionWithdrawIn,
    SeatOut,
    TickOut,
    VoteIn,
    VoteOut,
)
from coalition.notifications.services import notify
from coalition.projects.models import Participant, Project
from coalition.projects.services import project_target
from coalition.registry.models import Person, PersonStatus
from coalition.registry.services import organisation_target
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from coalition.techdata.models import Artifact
from coalition.techdata.services import may_know_artifact

P = Permission
log = logging.getLogger("coalition.governance")
NO_BODY = "no oversight body with this id"
NO_MEETING = "no meeting with this id"
NO_MOTION = "no motion with this id"
NO_ACTION = "no action item with this id"
#: A vote or an action item is reminded this long before it is due, and once a day after.
REMIND_BEFORE = timedelta(days=2)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


# --- bodies ------------------------------------------------------------------------------


def body_target(session: Session, body: OversightBody) -> Target:
    """Who runs a body: roles in the agreement's parties, and for a project board also in
    the project and its lead organisations."""
    target = agreement_target(session, body.agreement)
    if body.project is None:
        return target
    project = project_target(session, body.project)
    return Target.of(target.organisation_ids | project.organisation_ids, project.project_id)


def _body_query() -> Select[OversightBody]:
    return select(OversightBody).options(
        selectinload(OversightBody.agreement).selectinload(Agreement.parties),
        selectinload(OversightBody.project).selectinload(Project.participants),
        selectinload(OversightBody.members)
        .selectinload(BodyMember.person)
        .selectinload(Person.employer),
    )


def _body(session: Session, actor: Principal, body_id: uuid.UUID) -> OversightBody:
    body = session.scalar(_body_query().where(OversightBody.id == body_id))
    if body is None or not Readers(session, actor).may_read(body.agreement_id):
        raise NotFound(NO_BODY)
    return body


def _body_by_code(session: Session, actor: Principal, code: str, field: str) -> OversightBody:
    body = session.scalar(_body_query().where(OversightBody.code == code.strip().upper()))
    if body is None or not Readers(session, actor).may_read(body.agreement_id):
        raise ValidationFailed.of(field, f"no oversight body '{code}'")
    return body


Record = TypeVar("Record", Meeting, Motion, ActionItem)


def _readable(session: Session, actor: Principal, row: Record | None, message: str) -> Record:
    """A meeting, motion or action item, if the actor may read its body's records; else
    "not found", the same as for an unknown id."""
    if row is None:
        raise NotFound(message)
    agreement = session.scalar(
        select(OversightBody.agreement_id).where(OversightBody.id == row.body_id)
    )
    if agreement is None or not Readers(session, actor).may_read(agreement):
        raise NotFound(message)
    return row


def _id_for(
    uow: UnitOfWork, actor: Principal, model: type[Record], reference: str, noun: str
) -> uuid.UUID:
    """The id of the record with ``reference`` (the CLI names records by reference)."""
    with uow:
        row = uow.session.scalar(select(model).where(model.reference == reference))
        return _readable(uow.session, actor, row, f"no {noun} '{reference}'").id


def body_id_for(uow: UnitOfWork, actor: Principal, code: str) -> uuid.UUID:
    with uow:
        body = uow.session.scalar(
            select(OversightBody).where(OversightBody.code == code.strip().upper())
        )
        if body is None or not Readers(uow.session, actor).may_read(body.agreement_id):
            raise NotFound(f"no oversight body '{code}'")
        return body.id


def _secretariat(session: Session, body: OversightBody, person: Person | None = None) -> Target:
    """Who may act for the body as a whole or for one of its seats: roles in the chair's
    organisation (the secretariat sits with the chair) and, for a seat, in the seated
    person's own organisation. Without a chair (a body being set up), the body's managers.
    One party's manager never reseats, reweights or votes for another party's member."""
    chair = next((m for m in body.members if m.chair and m.left_on is None), None)
    if chair is None:
        return body_target(session, body)
    ids = set(organisation_target(session, chair.person.employer).organisation_ids)
    if person is not None:
        ids |= organisation_target(session, person.employer).organisation_ids
    return Target.of(ids)


def _seated(body: OversightBody, on: date) -> list[BodyMember]:
    return [m for m in body.members if m.joined_on <= on and (m.left_on is None or m.left_on > on)]


def _member_out(member: BodyMember) -> MemberOut:
    return MemberOut(
        id=member.id,
        person_id=member.person_id,
        name=member.person.full_name,
        organisation=member.person.employer.short_name,
        nation=member.nation,
        chair=member.chair,
        voting=member.voting,
        weight=member.weight,
        veto=member.veto,
        joined_on=member.joined_on,
        left_on=member.left_on,
    )


def _rule_of(body: OversightBody) -> rules.Rule:
    return rules.Rule(body.decision_rule, body.quorum_percent, body.qualified_majority_percent)


def body_out(session: Session, actor: Principal, body: OversightBody) -> BodyOut:
    return BodyOut(
        id=body.id,
        code=body.code,
        name=body.name,
        kind=body.kind.value,
        agreement=body.agreement.reference,
        agreement_id=body.agreement_id,
        project=body.project.code if body.project else None,
        decision_rule=body.decision_rule.value,
        rule=rules.rule_text(_rule_of(body)),
        qualified_majority_percent=body.qualified_majority_percent,
        quorum_percent=body.quorum_percent,
        status=body.status.value,
        terms_of_reference=body.terms_of_reference,
        members=[_member_out(m) for m in body.members],
        allowed_actions=allowed_actions(actor, body_target(session, body), (P.GOVERNANCE_MANAGE,)),
    )


def list_bodies(
    uow: UnitOfWork,
    actor: Principal,
    *,
    agreement: str | None = None,
    project: str | None = None,
) -> list[BodyOut]:
    """The bodies of the agreements whose records the actor may read; no other is counted."""
    with uow:
        session = uow.session
        query = _body_query().order_by(OversightBody.code)
        readable = Readers(session, actor).agreement_ids()
        if readable is not None:
            query = query.where(OversightBody.agreement_id.in_(readable))
        if agreement:
            query = query.join(Agreement).where(Agreement.reference == agreement.strip())
        if project:
            query = query.join(Project, OversightBody.project_id == Project.id).where(
                Project.code == project.strip().upper()
            )
        return [body_out(session, actor, b) for b in session.scalars(query)]


def get_body(uow: UnitOfWork, actor: Principal, body_id: uuid.UUID) -> BodyOut:
    with uow:
        return body_out(uow.session, actor, _body(uow.session, actor, body_id))


def create_body(uow: UnitOfWork, actor: Principal, data: BodyIn) -> BodyOut:
    with uow:
        uow.for_writing()
        session = uow.session
        readers = Readers(session, actor)
        agreement = session.scalar(
            select(Agreement)
            .options(selectinload(Agreement.parties).selectinload(AgreementParty.organisation))
            .where(Agreement.reference == data.agreement.strip())
        )
        if agreement is None or not readers.may_read(agreement.id):
            raise ValidationFailed.of("agreement", f"no agreement '{data.agreement}'")
        project = None
        if data.project:
            project = session.scalar(
                select(Project)
                .options(selectinload(Project.participants).selectinload(Participant.organisation))
                .where(Project.code == data.project.strip().upper())
            )
            if project is None or project.agreement_id != agreement.id:
                raise ValidationFailed.of(
                    "project", f"no project '{data.project}' under {agreement.reference}"
                )
        body = OversightBody(
            code=data.code.upper(),
            name=data.name,
            kind=data.kind,
            agreement=agreement,
            project=project,
            decision_rule=data.decision_rule or agreement.decision_rule,
            qualified_majority_percent=data.qualified_majority_percent
            or agreement.qualified_majority_percent,
            quorum_percent=data.quorum_percent,
            terms_of_reference=data.terms_of_reference,
        )
        require(actor, P.GOVERNANCE_MANAGE, body_target(session, body))
        if body.decision_rule.value == "qualified_majority" and not body.qualified_majority_percent:
            raise ValidationFailed.of(
                "qualified_majority_percent", "is required for a qualified majority"
            )
        if session.scalar(select(OversightBody.id).where(OversightBody.code == body.code)):
            raise Conflict(f"code: a body '{body.code}' already exists")
        uow.add(body)
        uow.flush()
        record_event(
            uow,
            actor,
            "governance:body:created",
            body,
            {
                "code": body.code,
                "agreement": agreement.reference,
                "project": project.code if project else None,
                "rule": body.decision_rule,
                "quorum_percent": body.quorum_percent,
            },
        )
        uow.commit()
        session.refresh(body)
        return body_out(session, actor, _body(session, actor, body.id))


def add_member(
    uow: UnitOfWork,
    actor: Principal,
    body_id: uuid.UUID,
    data: MemberIn,
    now: datetime | None = None,
) -> BodyOut:
    """Seat a person of a party organisation; they represent their employer's nation."""
    with uow:
        uow.for_writing()
        session = uow.session
        body = _body(session, actor, body_id)
        require(actor, P.GOVERNANCE_MANAGE, body_target(session, body))
        if body.status is not BodyStatus.ACTIVE:
            raise Conflict(f"{body.code} is {body.status}")
        person = session.scalar(
            select(Person).options(selectinload(Person.employer)).where(Person.id == data.person_id)
        )
        if person is None:
            raise ValidationFailed.of("person_id", "no person with this id")
        if person.status is not PersonStatus.ACTIVE:
            raise ValidationFailed.of("person_id", f"{person.full_name} is {person.status}")
        if person.employer_id not in _party_organisations(session, body):
            raise ValidationFailed.of(
                "person_id",
                f"{person.full_name} ({person.employer.short_name}) works for no party to "
                f"{body.agreement.reference}",
            )
        require(actor, P.GOVERNANCE_MANAGE, _secretariat(session, body, person))
        joined = data.joined_on or _now(now).date()
        if any(
            m.person_id == person.id and (m.left_on is None or m.left_on > joined)
            for m in body.members
        ):
            raise Conflict(f"person_id: {person.full_name} already sits on {body.code}")
        member = BodyMember(
            body=body,
            person=person,
            nation=person.employer.nation_code,
            chair=data.chair,
            voting=data.voting,
            weight=data.weight,
            veto=data.veto,
            joined_on=joined,
        )
        uow.add(member)
        uow.flush()
        record_event(
            uow,
            actor,
            "governance:member:added",
            body,
            {
                "person": str(person.id),
                "nation": member.nation,
                "voting": member.voting,
                "weight": member.weight,
                "veto": member.veto,
                "chair": member.chair,
                "joined_on": joined,
            },
        )
        uow.commit()
        session.expire_all()
        return body_out(session, actor, _body(session, actor, body_id))


def remove_member(
    uow: UnitOfWork,
    actor: Principal,
    body_id: uuid.UUID,
    member_id: uuid.UUID,
    data: MemberLeaveIn,
    now: datetime | None = None,
) -> BodyOut:
    """A member leaves (kept in the record with the day they left); open votes keep the
    seats they opened with."""
    with uow:
        uow.for_writing()
        session = uow.session
        body = _body(session, actor, body_id)
        require(actor, P.GOVERNANCE_MANAGE, body_target(session, body))
        member = next((m for m in body.members if m.id == member_id), None)
        if member is None:
            raise NotFound("no member with this id on this body")
        require(actor, P.GOVERNANCE_MANAGE, _secretariat(session, body, member.person))
        if member.left_on is not None:
            raise Conflict(f"{member.person.full_name} left on {member.left_on}")
        left = data.left_on or _now(now).date()
        if left < member.joined_on:
            raise ValidationFailed.of("left_on", f"is before they joined ({member.joined_on})")
        member.left_on = left
        record_event(
            uow,
            actor,
            "governance:member:left",
            body,
            {"person": str(member.person_id), "left_on": left},
        )
        uow.commit()
        session.expire_all()
        return body_out(session, actor, _body(session, actor, body_id))


def _party_organisations(session: Session, body: OversightBody) -> set[uuid.UUID]:
    """Organisations whose people may sit on the body: the agreement's parties and, for a
    project board, the project's participants, with those above and below them."""
    ids = {p.organisation_id for p in body.agreement.parties}
    if body.project is not None:
        ids |= {p.organisation_id for p in body.project.participants if p.withdrew_on is None}
    return _related(session, ids)


# --- meetings ----------------------------------------------------------------------------


def _meeting(session: Session, actor: Principal, meeting_id: uuid.UUID) -> Meeting:
    found = session.scalar(
        select(Meeting)
        .options(
            selectinload(Meeting.attendees).selectinload(MeetingAttendee.person),
            selectinload(Meeting.attachments),
        )
        .where(Meeting.id == meeting_id)
    )
    return _readable(session, actor, found, NO_MEETING)


def meeting_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    return _id_for(uow, actor, Meeting, reference, "meeting")


def meeting_out(uow: UnitOfWork, actor: Principal, meeting: Meeting) -> MeetingOut:
    session = uow.session
    body = _body(session, actor, meeting.body_id)
    attachments: list[AttachmentOut] = []
    for link in sorted(meeting.attachments, key=lambda a: a.id):
        artifact = session.get(Artifact, link.artifact_id)
        if artifact is not None and may_know_artifact(uow, actor, artifact):
            attachments.append(
                AttachmentOut(
                    artifact_id=artifact.id,
                    reference=artifact.reference,
                    title=artifact.title,
                    banner=artifact.label.banner,
                )
            )
    motions = session.scalars(
        select(Motion).where(Motion.meeting_id == meeting.id).order_by(Motion.reference)
    )
    return MeetingOut(
        id=meeting.id,
        reference=meeting.reference,
        body=body.code,
        body_id=body.id,
        title=meeting.title,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        location=meeting.location,
        agenda=list(meeting.agenda),
        status=meeting.status.value,
        minutes=meeting.minutes,
        minutes_by=meeting.minutes_by,
        attendees=[
            AttendeeOut(
                person_id=a.person_id,
                name=a.person.full_name,
                nation=_nation_of(session, a.person),
                present=a.present,
            )
            for a in sorted(meeting.attendees, key=lambda a: a.person.family_name)
        ],
        attachments=attachments,
        motions=[_motion_summary(m, body) for m in motions],
        allowed_actions=allowed_actions(actor, body_target(session, body), (P.GOVERNANCE_MANAGE,)),
    )


def _nation_of(session: Session, person: Person) -> str:
    return person.employer.nation_code


def list_meetings(
    uow: UnitOfWork,
    actor: Principal,
    *,
    body_id: uuid.UUID | None = None,
    upcoming: bool = False,
    now: datetime | None = None,
) -> list[MeetingOut]:
    with uow:
        session = uow.session
        query = select(Meeting).join(OversightBody).order_by(Meeting.starts_at, Meeting.reference)
        readable = Readers(session, actor).agreement_ids()
        if readable is not None:
            query = query.where(OversightBody.agreement_id.in_(readable))
        if body_id is not None:
            query = query.where(Meeting.body_id == body_id)
        if upcoming:
            query = query.where(
                Meeting.ends_at >= _now(now), Meeting.status == MeetingStatus.SCHEDULED
            )
        return [meeting_out(uow, actor, m) for m in session.scalars(query)]


def get_meeting(uow: UnitOfWork, actor: Principal, meeting_id: uuid.UUID) -> MeetingOut:
    with uow:
        return meeting_out(uow, actor, _meeting(uow.session, actor, meeting_id))


def _tell(
    uow: UnitOfWork,
    settings: Settings,
    agreement_id: uuid.UUID,
    people: list[uuid.UUID],
    **notice: Any,
) -> int:
    """Notify those of ``people`` who may still read the agreement's records: a member who
    changed employer, or left a party, is not told what they can no longer see."""
    return notify(uow, settings, readers_among(uow.session, agreement_id, people), **notice)


def _agreement_of(session: Session, body_id: uuid.UUID) -> uuid.UUID:
    found = session.scalar(select(OversightBody.agreement_id).where(OversightBody.id == body_id))
    assert found is not None
    return found


def _members_to_tell(body: OversightBody, on: date) -> list[uuid.UUID]:
    return [m.person_id for m in _seated(body, on)]


def schedule_meeting(
    uow: UnitOfWork,
    actor: Principal,
    data: MeetingIn,
    settings: Settings,
    now: datetime | None = None,
) -> MeetingOut:
    """Schedule a meeting of a body and invite its members (inbox, e-mail and an
    iCalendar invitation at /governance/meetings/{id}/invitation.ics)."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        body = _body_by_code(session, actor, data.body, "body")
        require(actor, P.GOVERNANCE_MANAGE, body_target(session, body))
        if body.status is not BodyStatus.ACTIVE:
            raise Conflict(f"{body.code} is {body.status}")
        if data.starts_at < moment:
            raise ValidationFailed.of("starts_at", "is in the past")
        if session.scalar(select(Meeting.id).where(Meeting.reference == data.reference)):
            raise Conflict(f"reference: a meeting '{data.reference}' already exists")
        meeting = Meeting(
            reference=data.reference,
            body_id=body.id,
            title=data.title,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            location=data.location,
            agenda=data.agenda,
        )
        uow.add(meeting)
        uow.flush()
        record_event(
            uow,
            actor,
            "governance:meeting:scheduled",
            meeting,
            {
                "body": body.code,
                "starts_at": meeting.starts_at,
                "ends_at": meeting.ends_at,
                "agenda_items": len(meeting.agenda),
            },
        )
        _tell(
            uow,
            settings,
            body.agreement_id,
            _members_to_tell(body, moment.date()),
            kind="meeting",
            title=f"{body.code} meets on {data.starts_at:%Y-%m-%d %H:%M} UTC: {data.title}",
            link=f"/governance/meetings/{meeting.id}",
            body="The invitation for your calendar is on the meeting's page.",
        )
        uow.commit()
        return meeting_out(uow, actor, _meeting(session, actor, meeting.id))


def change_meeting(
    uow: UnitOfWork,
    actor: Principal,
    meeting_id: uuid.UUID,
    data: MeetingChangeIn,
    settings: Settings,
    now: datetime | None = None,
) -> MeetingOut:
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        meeting = _meeting(session, actor, meeting_id)
        body = _body(session, actor, meeting.body_id)
        require(actor, P.GOVERNANCE_MANAGE, body_target(session, body))
        if meeting.status is not MeetingStatus.SCHEDULED:
            raise Conflict(f"meeting {meeting.reference} is {meeting.status}")
        changes = data.model_dump(exclude_unset=True)
        starts = changes.get("starts_at") or meeting.starts_at
        ends = changes.get("ends_at") or meeting.ends_at
        for name in ("starts_at", "ends_at"):
            value = changes.get(name)
            if value is not None and value.tzinfo is None:
                raise ValidationFailed.of(name, "give a time zone offset")
        if ends <= starts:
            raise ValidationFailed.of("ends_at", "must be after starts_at")
        if "starts_at" in changes and starts < moment:
            raise ValidationFailed.of("starts_at", "is in the past")
        if "agenda" in changes and changes["agenda"] is not None:
            changes["agenda"] = [i.strip() for i in changes["agenda"] if i.strip()]
        applied = {k: v for k, v in changes.items() if v is not None and getattr(meeting, k) != v}
        if not applied:
            return meeting_out(uow, actor, meeting)
        for name, value in applied.items():
            setattr(meeting, name, value)
        meeting.sequence += 1
        record_event(uow, actor, "governance:meeting:changed", meeting, applied)
        _tell(
            uow,
            settings,
            body.agreement_id,
            _members_to_tell(body, moment.date()),
            kind="meeting",
            title=f"{body.code} meeting changed: {meeting.title} "
            f"({meeting.starts_at:%Y-%m-%d %H:%M} UTC)",
            link=f"/governance/meetings/{meeting.id}",
        )
        uow.commit()
        return meeting_out(uow, actor, _meeting(session, actor, meeting.id))


def cancel_meeting(
    uow: UnitOfWork,
    actor: Principal,
    meeting_id: uuid.UUID,
    data: MeetingCancelIn,
    settings: Settings,
    now: datetime | None = None,
) -> MeetingOut:
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        meeting = _meeting(session, actor, meeting_id)
        body = _body(session, actor, meeting.body_id)
        require(actor, P.GOVERNANCE_MANAGE, body_target(session, body))
        if meeting.status is not MeetingStatus.SCHEDULED:
            raise Conflict(f"meeting {meeting.reference} is {meeting.status}")
        if session.scalar(
            select(Motion.id).where(Motion.meeting_id == meeting.id, Motion.status != "withdrawn")
        ):
            raise Conflict("the meeting has motions; withdraw them first")
        meeting.status = MeetingStatus.CANCELLED
        meeting.sequence += 1
        record_event(uow, actor, "governance:meeting:cancelled", meeting, {"reason": data.reason})
        _tell(
            uow,
            settings,
            body.agreement_id,
            _members_to_tell(body, moment.date()),
            kind="meeting",
            title=f"{body.code} meeting cancelled: {meeting.title}",
            link=f"/governance/meetings/{meeting.id}",
            body=data.reason,
        )
        uow.commit()
        return meeting_out(uow, actor, _meeting(session, actor, meeting.id))


def record_minutes(
    uow: UnitOfWork,
    actor: Principal,
    meeting_id: uuid.UUID,
    data: MinutesIn,
    now: datetime | None = None,
) -> MeetingOut:
    """Record who was present and the minutes; the meeting is then held. Minutes may be
    corrected later (each version is in the ledger by its hash)."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        meeting = _meeting(session, actor, meeting_id)
        body = _body(session, actor, meeting.body_id)
        require(actor, P.GOVERNANCE_MANAGE, body_target(session, body))
        if meeting.status is MeetingStatus.CANCELLED:
            raise Conflict(f"meeting {meeting.reference} was cancelled")
        if meeting.starts_at > moment:
            raise Conflict(f"meeting {meeting.reference} has not started yet")
        present = list(dict.fromkeys(data.present))
        people = {
            p.id: p
            for p in session.scalars(
                select(Person).options(selectinload(Person.employer)).where(Person.id.in_(present))
            )
        }
        missing = [str(p) for p in present if p not in people]
        if missing:
            raise ValidationFailed.of("present", f"no person with id {missing[0]}")
        members = {m.person_id for m in _seated(body, meeting.starts_at.date())}
        meeting.attendees.clear()
        uow.flush()
        for person_id in sorted(members | set(present), key=str):
            meeting.attendees.append(
                MeetingAttendee(person_id=person_id, present=person_id in people)
            )
        meeting.minutes = data.minutes
        meeting.minutes_by = actor.name
        meeting.status = MeetingStatus.HELD
        record_event(
            uow,
            actor,
            "governance:meeting:minutes",
            meeting,
            {"present": sorted(str(p) for p in present), "minutes": _digest(data.minutes)},
        )
        uow.commit()
        session.expire_all()
        return meeting_out(uow, actor, _meeting(session, actor, meeting.id))


def _digest(text: str) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def attach(
    uow: UnitOfWork, actor: Principal, meeting_id: uuid.UUID, data: AttachmentIn
) -> MeetingOut:
    """Attach an artifact (a paper, the slides) to a meeting. Only someone who may see the
    artifact can attach it, and each reader sees only the attachments the engine lets them
    see."""
    with uow:
        uow.for_writing()
        session = uow.session
        meeting = _meeting(session, actor, meeting_id)
        body = _body(session, actor, meeting.body_id)
        require(actor, P.GOVERNANCE_MANAGE, body_target(session, body))
        artifact = session.scalar(select(Artifact).where(Artifact.reference == data.artifact))
        if artifact is None or not may_know_artifact(uow, actor, artifact):
            raise ValidationFailed.of("artifact", f"no artifact '{data.artifact}'")
        if any(a.artifact_id == artifact.id for a in meeting.attachments):
            raise Conflict(f"artifact: {artifact.reference} is already attached")
        meeting.attachments.append(MeetingAttachment(artifact_id=artifact.id))
        record_event(
            uow, actor, "governance:meeting:attached", meeting, {"artifact": str(artifact.id)}
        )
        uow.commit()
        session.expire_all()
        return meeting_out(uow, actor, _meeting(session, actor, meeting.id))


def invitation(uow: UnitOfWork, actor: Principal, meeting_id: uuid.UUID) -> bytes:
    """The meeting as an iCalendar invitation (METHOD:REQUEST, or CANCEL once cancelled)
    with the body's members as attendees."""
    from coalition.governance.calendar import invitation_ics

    with uow:
        session = uow.session
        meeting = _meeting(session, actor, meeting_id)
        body = _body(session, actor, meeting.body_id)
        return invitation_ics(meeting, body, _seated(body, meeting.starts_at.date()))


# --- motions and votes -----------------------------------------------------------------------


def _motion(
    session: Session, actor: Principal, motion_id: uuid.UUID, *, lock: bool = False
) -> Motion:
    query = (
        select(Motion)
        .options(selectinload(Motion.votes).selectinload(Vote.member))
        .where(Motion.id == motion_id)
    )
    if lock:
        query = query.with_for_update(of=Motion).execution_options(populate_existing=True)
    found = session.scalar(query)
    return _readable(session, actor, found, NO_MOTION)


def motion_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    return _id_for(uow, actor, Motion, reference, "motion")


def _seats(motion: Motion) -> list[rules.Seat]:
    return [rules.Seat(**seat) for seat in motion.rule.get("seats", [])]


def _motion_rule(motion: Motion) -> rules.Rule:
    from coalition.agreements.models import DecisionRule

    return rules.Rule(
        DecisionRule(motion.rule["kind"]),
        int(motion.rule["quorum_percent"]),
        motion.rule.get("qualified_majority_percent"),
    )


def _ballots(motion: Motion) -> dict[str, str]:
    return {str(v.member_id): v.choice for v in motion.votes}


def _motion_summary(motion: Motion, body: OversightBody) -> MotionSummary:
    return MotionSummary(
        id=motion.id,
        reference=motion.reference,
        title=motion.title,
        body=body.code,
        procedure=motion.procedure.value,
        status=motion.status.value,
        deadline=motion.deadline,
        carried_option=motion.carried_option,
        explanation=motion.explanation,
    )


def motion_out(
    session: Session, actor: Principal, motion: Motion, now: datetime | None = None
) -> MotionOut:
    body = _body(session, actor, motion.body_id)
    seats = _seats(motion)
    ballots = _ballots(motion)
    names = {str(v.member_id): v for v in motion.votes}
    mine = _my_seat(session, actor, motion)
    actions: list[str] = []
    if motion.status is MotionStatus.OPEN:
        if mine is not None and mine.key not in ballots and not _past_deadline(motion, now):
            actions.append("vote")
        if allowed_actions(actor, _secretariat(session, body), (P.GOVERNANCE_MANAGE,)):
            actions += ["close", "withdraw"]
    meeting = session.get(Meeting, motion.meeting_id) if motion.meeting_id else None
    summary = _motion_summary(motion, body)
    return MotionOut(
        **summary.model_dump(),
        body_id=body.id,
        meeting=meeting.reference if meeting else None,
        meeting_id=motion.meeting_id,
        text=motion.text,
        options=list(motion.options),
        rule=rules.rule_text(_motion_rule(motion)),
        quorum_percent=int(motion.rule["quorum_percent"]),
        opened_at=motion.opened_at,
        opened_by=motion.opened_by,
        effective_on=motion.effective_on,
        closed_at=motion.closed_at,
        closed_by=motion.closed_by,
        tally=dict(motion.tally) if motion.tally else _provisional(motion),
        seats=[
            SeatOut(
                nation=s.nation, name=s.name, weight=s.weight, veto=s.veto, voted=s.key in ballots
            )
            for s in seats
        ],
        votes=[
            VoteOut(
                nation=next((s.nation for s in seats if s.key == key), "?"),
                name=next((s.name for s in seats if s.key == key), "?"),
                weight=next((s.weight for s in seats if s.key == key), 0),
                choice=vote.choice,
                cast_at=vote.cast_at,
            )
            for key, vote in names.items()
        ],
        my_choice=ballots.get(mine.key) if mine else None,
        allowed_actions=actions,
    )


def _provisional(motion: Motion) -> dict[str, int]:
    """Weights so far, while the vote is open."""
    seats = {s.key: s for s in _seats(motion)}
    tally = dict.fromkeys([*motion.options, rules.ABSTAIN], 0)
    for key, choice in _ballots(motion).items():
        if key in seats:
            tally[choice] = tally.get(choice, 0) + seats[key].weight
    tally[rules.NOT_VOTED] = sum(s.weight for k, s in seats.items() if k not in _ballots(motion))
    return tally


def _my_seat(session: Session, actor: Principal, motion: Motion) -> rules.Seat | None:
    return _seat_of(motion, actor.person_id)


def _seat_of(motion: Motion, person_id: uuid.UUID | None) -> rules.Seat | None:
    if person_id is None:
        return None
    people = motion.rule.get("people", {})
    return next((s for s in _seats(motion) if people.get(s.key) == str(person_id)), None)


def _check_meeting_under_way(session: Session, motion: Motion, moment: datetime) -> None:
    """Votes in a meeting are recorded and closed at the meeting, not before it starts."""
    meeting = session.get(Meeting, motion.meeting_id) if motion.meeting_id else None
    if meeting is None or meeting.status is MeetingStatus.CANCELLED:
        raise Conflict(f"{motion.reference} has no meeting to be voted at")
    if meeting.starts_at > moment:
        raise Conflict(
            f"meeting {meeting.reference} starts at {meeting.starts_at:%Y-%m-%d %H:%M} UTC: "
            "its votes are recorded and closed there"
        )


def _past_deadline(motion: Motion, now: datetime | None) -> bool:
    return motion.deadline is not None and _now(now) >= motion.deadline


def list_motions(
    uow: UnitOfWork,
    actor: Principal,
    *,
    body_id: uuid.UUID | None = None,
    status: MotionStatus | None = None,
    awaiting_my_vote: bool = False,
    now: datetime | None = None,
) -> list[MotionOut]:
    with uow:
        session = uow.session
        query = (
            select(Motion)
            .join(OversightBody)
            .options(selectinload(Motion.votes))
            .order_by(Motion.opened_at.desc(), Motion.reference)
        )
        readable = Readers(session, actor).agreement_ids()
        if readable is not None:
            query = query.where(OversightBody.agreement_id.in_(readable))
        if body_id is not None:
            query = query.where(Motion.body_id == body_id)
        if status is not None:
            query = query.where(Motion.status == status)
        if awaiting_my_vote:
            query = query.where(Motion.status == MotionStatus.OPEN)
        found = [motion_out(session, actor, m, now) for m in session.scalars(query)]
        if awaiting_my_vote:
            found = [m for m in found if "vote" in m.allowed_actions]
        return found


def get_motion(
    uow: UnitOfWork, actor: Principal, motion_id: uuid.UUID, now: datetime | None = None
) -> MotionOut:
    with uow:
        return motion_out(uow.session, actor, _motion(uow.session, actor, motion_id), now)


def open_motion(
    uow: UnitOfWork,
    actor: Principal,
    data: MotionIn,
    settings: Settings,
    now: datetime | None = None,
) -> MotionOut:
    """Put a motion to the vote. Its seats are the body's voting members today, with their
    weights and vetoes, and its rule the body's: fixed for the life of the vote."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        body = _body_by_code(session, actor, data.body, "body")
        require(actor, P.GOVERNANCE_MANAGE, body_target(session, body))
        if body.status is not BodyStatus.ACTIVE:
            raise Conflict(f"{body.code} is {body.status}")
        meeting = None
        if data.meeting:
            meeting = session.scalar(select(Meeting).where(Meeting.reference == data.meeting))
            if meeting is None or meeting.body_id != body.id:
                raise ValidationFailed.of("meeting", f"no meeting '{data.meeting}' of {body.code}")
            if meeting.status is MeetingStatus.CANCELLED:
                raise ValidationFailed.of("meeting", f"meeting {meeting.reference} was cancelled")
        if data.deadline is not None and data.deadline <= moment:
            raise ValidationFailed.of("deadline", "is in the past")
        if data.deadline is not None and data.deadline > moment + timedelta(days=366):
            raise ValidationFailed.of("deadline", "is more than a year ahead")
        voting = [m for m in _seated(body, moment.date()) if m.voting]
        if not voting:
            raise ValidationFailed.of("body", f"{body.code} has no voting members today")
        if session.scalar(select(Motion.id).where(Motion.reference == data.reference)):
            raise Conflict(f"reference: a motion '{data.reference}' already exists")
        snapshot: dict[str, Any] = {
            "kind": body.decision_rule.value,
            "quorum_percent": body.quorum_percent,
            "qualified_majority_percent": body.qualified_majority_percent,
            "seats": [
                {
                    "key": str(m.id),
                    "nation": m.nation,
                    "weight": m.weight,
                    "veto": m.veto,
                    "name": m.person.full_name,
                }
                for m in voting
            ],
            "people": {str(m.id): str(m.person_id) for m in voting},
        }
        motion = Motion(
            reference=data.reference,
            body_id=body.id,
            meeting_id=meeting.id if meeting else None,
            title=data.title,
            text=data.text,
            options=data.options,
            procedure=Procedure(data.procedure),
            opened_at=moment,
            opened_by=actor.name,
            deadline=data.deadline,
            effective_on=data.effective_on,
            rule=snapshot,
        )
        uow.add(motion)
        uow.flush()
        record_event(
            uow,
            actor,
            "governance:motion:opened",
            motion,
            {
                "body": body.code,
                "procedure": motion.procedure,
                "options": motion.options,
                "deadline": motion.deadline,
                "rule": {k: v for k, v in snapshot.items() if k != "people"},
                "text": _digest(motion.text),
            },
        )
        due = f", by {data.deadline:%Y-%m-%d %H:%M} UTC" if data.deadline else ""
        _tell(
            uow,
            settings,
            body.agreement_id,
            [m.person_id for m in voting],
            kind="vote",
            title=f"Vote opened on {body.code} {data.reference}{due}: {data.title}",
            link=f"/governance/motions/{motion.id}",
            key=f"vote-opened:{motion.id}",
        )
        uow.commit()
        return motion_out(session, actor, _motion(session, actor, motion.id), moment)


def cast_vote(
    uow: UnitOfWork,
    actor: Principal,
    motion_id: uuid.UUID,
    data: VoteIn,
    settings: Settings,
    now: datetime | None = None,
) -> MotionOut:
    """A member votes for themselves, once. The vote closes when every seat has voted."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        # Locked: a vote and the closing of its motion never interleave.
        motion = _motion(session, actor, motion_id, lock=True)
        if motion.status is not MotionStatus.OPEN:
            raise Conflict(f"the vote on {motion.reference} is closed ({motion.status})")
        if _past_deadline(motion, moment):
            raise Conflict(
                f"the vote on {motion.reference} closed at its deadline, "
                f"{motion.deadline:%Y-%m-%d %H:%M} UTC"
            )
        recorded_for = None
        if data.for_person is not None and data.for_person != actor.person_id:
            body = _body(session, actor, motion.body_id)
            voter = session.get(Person, data.for_person)
            if voter is None:
                raise ValidationFailed.of("for_person", "no person with this id")
            require(actor, P.GOVERNANCE_MANAGE, _secretariat(session, body, voter))
            if motion.procedure is Procedure.WRITTEN:
                raise ValidationFailed.of(
                    "for_person", "in a written procedure every member votes for themselves"
                )
            _check_meeting_under_way(session, motion, moment)
            recorded_for = data.for_person
        seat = _seat_of(motion, recorded_for or actor.person_id)
        if seat is None:
            who = "that person" if recorded_for else actor.name
            raise PermissionDenied(
                f"only the voting members of the body when the vote opened vote on "
                f"{motion.reference}; {who} holds no seat"
            )
        choice = data.choice.strip()
        matched = next((o for o in motion.options if o.lower() == choice.lower()), None)
        if matched is None and choice.lower() == rules.ABSTAIN:
            matched = rules.ABSTAIN
        if matched is None:
            raise ValidationFailed.of(
                "choice", f"must be one of {', '.join(motion.options)} or abstain"
            )
        if seat.key in _ballots(motion):
            raise Conflict(f"{seat.who} has already voted on {motion.reference}")
        vote = Vote(
            motion=motion,
            member_id=uuid.UUID(seat.key),
            choice=matched,
            cast_at=moment,
            cast_by=actor.name,
        )
        uow.add(vote)
        uow.flush()
        record_event(
            uow,
            actor,
            "governance:vote:cast",
            motion,
            {
                "nation": seat.nation,
                "weight": seat.weight,
                "choice": matched,
                "recorded_for": str(recorded_for) if recorded_for else None,
            },
        )
        session.refresh(motion)
        if rules.all_voted(_seats(motion), _ballots(motion)):
            _close(uow, actor, motion, settings, moment, "every seat has voted")
        uow.commit()
        return motion_out(session, actor, _motion(session, actor, motion.id), moment)


def _close(
    uow: UnitOfWork,
    actor: Principal,
    motion: Motion,
    settings: Settings,
    moment: datetime,
    why: str,
) -> rules.Outcome:
    outcome = rules.decide(_motion_rule(motion), motion.options, _seats(motion), _ballots(motion))
    motion.status = MotionStatus.CARRIED if outcome.carried else MotionStatus.FAILED
    motion.carried_option = outcome.option
    motion.explanation = outcome.explanation
    motion.tally = outcome.tally
    motion.closed_at = moment
    motion.closed_by = actor.name
    if outcome.carried and motion.effective_on is None:
        motion.effective_on = moment.date()
    record_event(
        uow,
        actor,
        "governance:motion:closed",
        motion,
        {
            "status": motion.status,
            "option": outcome.option,
            "explanation": outcome.explanation,
            "tally": outcome.tally,
            "why": why,
            "effective_on": motion.effective_on,
        },
    )
    session = uow.session
    body = session.get(OversightBody, motion.body_id)
    assert body is not None
    people = set(motion.rule.get("people", {}).values())
    _tell(
        uow,
        settings,
        body.agreement_id,
        [uuid.UUID(p) for p in people],
        kind="vote",
        title=f"{body.code} {motion.reference} {motion.status}: {motion.title}",
        link=f"/governance/motions/{motion.id}",
        body=outcome.explanation,
        key=f"vote-closed:{motion.id}",
    )
    return outcome


def close_motion(
    uow: UnitOfWork,
    actor: Principal,
    motion_id: uuid.UUID,
    data: MotionCloseIn,
    settings: Settings,
    now: datetime | None = None,
) -> MotionOut:
    """Close a vote and compute its outcome: a vote in a meeting when the chair calls it;
    a written procedure only at its deadline (members keep their time to vote)."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        motion = _motion(session, actor, motion_id, lock=True)
        body = _body(session, actor, motion.body_id)
        require(actor, P.GOVERNANCE_MANAGE, _secretariat(session, body))
        if motion.status is not MotionStatus.OPEN:
            raise Conflict(f"the vote on {motion.reference} is closed ({motion.status})")
        if motion.procedure is Procedure.MEETING:
            _check_meeting_under_way(session, motion, moment)
        if motion.procedure is Procedure.WRITTEN and not _past_deadline(motion, moment):
            raise Conflict(
                f"{motion.reference} is a written procedure: it closes at its deadline, "
                f"{motion.deadline:%Y-%m-%d %H:%M} UTC, or when every seat has voted"
            )
        _close(uow, actor, motion, settings, moment, data.note or "closed by the chair")
        uow.commit()
        return motion_out(session, actor, _motion(session, actor, motion.id), moment)


def withdraw_motion(
    uow: UnitOfWork,
    actor: Principal,
    motion_id: uuid.UUID,
    data: MotionWithdrawIn,
    settings: Settings,
    now: datetime | None = None,
) -> MotionOut:
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        motion = _motion(session, actor, motion_id, lock=True)
        body = _body(session, actor, motion.body_id)
        require(actor, P.GOVERNANCE_MANAGE, _secretariat(session, body))
        if motion.status is not MotionStatus.OPEN:
            raise Conflict(f"the vote on {motion.reference} is closed ({motion.status})")
        motion.status = MotionStatus.WITHDRAWN
        motion.closed_at = moment
        motion.closed_by = actor.name
        motion.explanation = f"withdrawn: {data.reason}"
        record_event(uow, actor, "governance:motion:withdrawn", motion, {"reason": data.reason})
        _tell(
            uow,
            settings,
            body.agreement_id,
            [uuid.UUID(p) for p in motion.rule.get("people", {}).values()],
            kind="vote",
            title=f"{body.code} {motion.reference} withdrawn: {motion.title}",
            link=f"/governance/motions/{motion.id}",
            body=data.reason,
        )
        uow.commit()
        return motion_out(session, actor, _motion(session, actor, motion.id), moment)


# --- action items ----------------------------------------------------------------------------


def _action(session: Session, actor: Principal, action_id: uuid.UUID) -> ActionItem:
    return _readable(session, actor, session.get(ActionItem, action_id), NO_ACTION)


def action_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    return _id_for(uow, actor, ActionItem, reference, "action item")


def action_out(
    session: Session, actor: Principal, item: ActionItem, today: date | None = None
) -> ActionItemOut:
    body = _body(session, actor, item.body_id)
    meeting = session.get(Meeting, item.meeting_id) if item.meeting_id else None
    motion = session.get(Motion, item.motion_id) if item.motion_id else None
    day = today or datetime.now(UTC).date()
    actions: list[str] = []
    if item.status is ActionStatus.OPEN:
        manages = bool(allowed_actions(actor, body_target(session, body), (P.GOVERNANCE_MANAGE,)))
        if manages or actor.person_id == item.owner_id:
            actions.append("done")
        if manages:
            actions.append("cancel")
    return ActionItemOut(
        id=item.id,
        reference=item.reference,
        body=body.code,
        body_id=body.id,
        title=item.title,
        owner_id=item.owner_id,
        owner=item.owner.full_name,
        due_on=item.due_on,
        status=item.status.value,
        done_on=item.done_on,
        note=item.note,
        overdue=item.status is ActionStatus.OPEN and item.due_on < day,
        meeting=meeting.reference if meeting else None,
        motion=motion.reference if motion else None,
        allowed_actions=actions,
    )


def list_actions(
    uow: UnitOfWork,
    actor: Principal,
    *,
    body_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
    open_only: bool = False,
) -> list[ActionItemOut]:
    with uow:
        session = uow.session
        query = (
            select(ActionItem)
            .join(OversightBody)
            .options(selectinload(ActionItem.owner))
            .order_by(ActionItem.due_on, ActionItem.reference)
        )
        readable = Readers(session, actor).agreement_ids()
        if readable is not None:
            query = query.where(OversightBody.agreement_id.in_(readable))
        if body_id is not None:
            query = query.where(ActionItem.body_id == body_id)
        if owner_id is not None:
            query = query.where(ActionItem.owner_id == owner_id)
        if open_only:
            query = query.where(ActionItem.status == ActionStatus.OPEN)
        return [action_out(session, actor, a) for a in session.scalars(query)]


def get_action(uow: UnitOfWork, actor: Principal, action_id: uuid.UUID) -> ActionItemOut:
    with uow:
        return action_out(uow.session, actor, _action(uow.session, actor, action_id))


def assign_action(
    uow: UnitOfWork,
    actor: Principal,
    data: ActionItemIn,
    settings: Settings,
    now: datetime | None = None,
) -> ActionItemOut:
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        body = _body_by_code(session, actor, data.body, "body")
        require(actor, P.GOVERNANCE_MANAGE, body_target(session, body))
        owner = session.get(Person, data.owner_id)
        if owner is None or owner.status is not PersonStatus.ACTIVE:
            raise ValidationFailed.of("owner_id", "no active person with this id")
        if owner.employer_id not in _party_organisations(session, body):
            raise ValidationFailed.of(
                "owner_id", f"{owner.full_name} works for no party to {body.agreement.reference}"
            )
        if data.due_on < moment.date():
            raise ValidationFailed.of("due_on", "is in the past")
        meeting_id = motion_id = None
        if data.meeting:
            meeting_id = session.scalar(
                select(Meeting.id).where(
                    Meeting.reference == data.meeting, Meeting.body_id == body.id
                )
            )
            if meeting_id is None:
                raise ValidationFailed.of("meeting", f"no meeting '{data.meeting}' of {body.code}")
        if data.motion:
            motion_id = session.scalar(
                select(Motion.id).where(Motion.reference == data.motion, Motion.body_id == body.id)
            )
            if motion_id is None:
                raise ValidationFailed.of("motion", f"no motion '{data.motion}' of {body.code}")
        if session.scalar(select(ActionItem.id).where(ActionItem.reference == data.reference)):
            raise Conflict(f"reference: an action item '{data.reference}' already exists")
        item = ActionItem(
            reference=data.reference,
            body_id=body.id,
            meeting_id=meeting_id,
            motion_id=motion_id,
            title=data.title,
            owner_id=owner.id,
            due_on=data.due_on,
        )
        uow.add(item)
        uow.flush()
        record_event(
            uow,
            actor,
            "governance:action:assigned",
            item,
            {"body": body.code, "owner": str(owner.id), "due_on": data.due_on},
        )
        _tell(
            uow,
            settings,
            body.agreement_id,
            [owner.id],
            kind="action",
            title=f"Action {item.reference} for you, due {data.due_on}: {data.title}",
            link=f"/governance/actions/{item.id}",
        )
        uow.commit()
        session.refresh(item)
        return action_out(session, actor, item, moment.date())


def update_action(
    uow: UnitOfWork,
    actor: Principal,
    action_id: uuid.UUID,
    data: ActionItemUpdateIn,
    now: datetime | None = None,
) -> ActionItemOut:
    """Mark an action item done (its owner or the body's managers) or cancelled
    (managers)."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        item = _action(session, actor, action_id)
        body = _body(session, actor, item.body_id)
        if not (data.status == "done" and actor.person_id == item.owner_id):
            require(actor, P.GOVERNANCE_MANAGE, body_target(session, body))
        if item.status is not ActionStatus.OPEN:
            raise Conflict(f"action item {item.reference} is {item.status}")
        item.status = ActionStatus(data.status)
        item.note = data.note
        if item.status is ActionStatus.DONE:
            item.done_on = moment.date()
        record_event(
            uow,
            actor,
            "governance:action:updated",
            item,
            {"status": item.status, "note": data.note},
        )
        uow.commit()
        return action_out(session, actor, item, moment.date())


# --- the clock -------------------------------------------------------------------------------


def tick(
    uow_factory: Any,
    actor: Principal,
    settings: Settings,
    now: datetime | None = None,
) -> TickOut:
    """The governance clock, meant for a scheduler: close the written procedures whose
    deadline passed, escalate the disputes whose level's time ran out, generate the reports
    of scheduled periods that have ended, and remind members
    of votes closing soon and owners of action items due soon or overdue (once a day).
    Each closing and each escalation is its own transaction."""
    from coalition.disputes import services as disputes
    from coalition.reports import schedules as reports

    moment = _now(now)
    require(actor, P.GOVERNANCE_TICK, Target.node())
    closed: list[str] = []
    with uow_factory() as uow:
        due = list(
            uow.session.scalars(
                select(Motion.id)
                .where(
                    Motion.status == MotionStatus.OPEN,
                    Motion.procedure == Procedure.WRITTEN,
                    Motion.deadline <= moment,
                )
                .order_by(Motion.deadline)
            )
        )
    for motion_id in due:
        try:
            with uow_factory() as uow:
                uow.for_writing()
                motion = uow.session.scalar(
                    select(Motion)
                    .where(Motion.id == motion_id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                )
                if motion is None or motion.status is not MotionStatus.OPEN:
                    continue  # closed meanwhile (every seat voted, another clock)
                _close(uow, actor, motion, settings, moment, "the deadline passed")
                uow.commit()
                closed.append(motion.reference)
        except CoalitionError:
            log.exception("closing motion %s failed; the next run tries again", motion_id)
    # Each part of the clock runs even when another fails: an escalation is never held up
    # by a report that cannot be drawn.
    escalated: list[str] = []
    generated: list[str] = []
    try:
        escalated = [
            d.reference for d in disputes.escalate_due(uow_factory(), actor, settings, moment)
        ]
    except Exception:
        log.exception("escalating disputes failed; the next run tries again")
    try:
        generated = [
            r.reference
            for r in reports.generate_due(uow_factory, actor, settings, moment).generated
        ]
    except Exception:
        log.exception("generating scheduled reports failed; the next run tries again")
    reminders = _remind(uow_factory(), settings, moment)
    return TickOut(
        motions_closed=closed,
        disputes_escalated=escalated,
        reports_generated=generated,
        reminders=reminders,
    )


def _remind(uow: UnitOfWork, settings: Settings, moment: datetime) -> int:
    day = moment.date()
    sent = 0
    with uow:
        uow.for_writing()
        session = uow.session
        closing = session.scalars(
            select(Motion)
            .options(selectinload(Motion.votes))
            .where(
                Motion.status == MotionStatus.OPEN,
                Motion.deadline.is_not(None),
                Motion.deadline > moment,
                Motion.deadline <= moment + REMIND_BEFORE,
            )
        )
        for motion in closing:
            ballots = _ballots(motion)
            people = motion.rule.get("people", {})
            waiting = [uuid.UUID(people[s.key]) for s in _seats(motion) if s.key not in ballots]
            sent += _tell(
                uow,
                settings,
                _agreement_of(session, motion.body_id),
                waiting,
                kind="vote",
                title=f"Your vote on {motion.reference} is due by "
                f"{motion.deadline:%Y-%m-%d %H:%M} UTC: {motion.title}",
                link=f"/governance/motions/{motion.id}",
                key=f"vote-reminder:{motion.id}:{day}",
            )
        items = session.scalars(
            select(ActionItem).where(
                ActionItem.status == ActionStatus.OPEN,
                ActionItem.due_on <= day + timedelta(days=REMIND_BEFORE.days),
            )
        )
        for item in items:
            late = "overdue since" if item.due_on < day else "due"
            sent += _tell(
                uow,
                settings,
                _agreement_of(session, item.body_id),
                [item.owner_id],
                kind="action",
                title=f"Action {item.reference} {late} {item.due_on}: {item.title}",
                link=f"/governance/actions/{item.id}",
                key=f"action-reminder:{item.id}:{day}",
            )
        uow.commit()
    return sent
