"""Use cases of disputes: one transaction each, every change in the ledger.

A dispute is raised by an organisation party to an agreement against one or more other
parties, under the agreement's dispute ladder (copied onto the dispute, so a later
amendment does not change the rules of a dispute under way). It starts at the first level;
each level has its days (:mod:`.rules`). Whoever holds ``organisation:dispute:manage`` in
one of the parties (programme managers, IP officers, finance officers) may take it one
level up by hand, or record its settlement; the raising side may withdraw it. The node's
clock (:func:`escalate_due`, ``node:governance:tick``) takes up every dispute whose level's
time ran out, level by level. The people who may act on a dispute are told when it is
raised, goes up a level, runs out of ladder, or ends. Who may see a dispute: the readers of
its agreement's governance records (:class:`coalition.governance.readers.Readers`);
everyone else is told "not found", and lists leave it out uncounted."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target, authorize
from coalition.agreements.models import Agreement, AgreementParty
from coalition.common.access import people_holding, require
from coalition.common.events import record_event
from coalition.disputes import rules
from coalition.disputes.models import (
    Dispute,
    DisputeParty,
    DisputeStatus,
    DisputeStep,
    DisputeSubject,
)
from coalition.disputes.schemas import (
    DisputeIn,
    DisputeOut,
    EscalatedOut,
    EscalationIn,
    LadderAgreementOut,
    LevelOut,
    PartyOut,
    SettlementIn,
    StepOut,
    WithdrawalIn,
)
from coalition.errors import Conflict, NotFound, ValidationFailed
from coalition.governance.readers import Readers, readers_among
from coalition.notifications.services import notify
from coalition.projects.models import Project
from coalition.registry.models import Organisation
from coalition.registry.services import organisation_target
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

NOT_FOUND = "no dispute with this id"
NO_LADDER = "the agreement sets no dispute ladder"
P = Permission


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _query() -> Select[Dispute]:
    return select(Dispute).options(
        selectinload(Dispute.agreement),
        selectinload(Dispute.project),
        selectinload(Dispute.raised_by),
        selectinload(Dispute.parties).selectinload(DisputeParty.organisation),
        selectinload(Dispute.steps),
    )


def _party_target(session: Session, dispute: Dispute) -> Target:
    """Every party organisation, with those above it: who may escalate and settle."""
    ids: set[uuid.UUID] = set()
    for party in dispute.parties:
        ids |= organisation_target(session, party.organisation).organisation_ids
    return Target.of(ids)


def _raiser_target(session: Session, dispute: Dispute) -> Target:
    """The raising organisation, with those above it: who may withdraw."""
    return organisation_target(session, dispute.raised_by)


def _dispute(
    uow: UnitOfWork, actor: Principal, dispute_id: uuid.UUID, *, lock: bool = False
) -> Dispute:
    query = _query().where(Dispute.id == dispute_id)
    dispute = uow.session.scalar(query.with_for_update(of=Dispute) if lock else query)
    if dispute is None or not Readers(uow.session, actor).may_read(dispute.agreement_id):
        raise NotFound(NOT_FOUND)
    return dispute


def _position(dispute: Dispute) -> rules.Position:
    return rules.Position(dispute.level, dispute.level_since, dispute.exhausted)


def _settled(dispute: Dispute) -> str | None:
    return None if dispute.status is DisputeStatus.OPEN else dispute.status.value


def _ladder_out(dispute: Dispute, ladder: rules.Ladder) -> list[LevelOut]:
    ahead: list[datetime] = []
    if dispute.status is DisputeStatus.OPEN and not dispute.exhausted:
        ahead = rules.projected_dues(ladder, _position(dispute))
    levels: list[LevelOut] = []
    for index, rung in enumerate(ladder):
        state = (
            "passed" if index < dispute.level else "current" if index == dispute.level else "ahead"
        )
        due = None
        if index == dispute.level:
            due = dispute.level_due
        elif index > dispute.level and ahead:
            due = ahead[index - dispute.level]
        levels.append(
            LevelOut(number=index + 1, level=rung.name, days=rung.days, state=state, due=due)
        )
    return levels


def _allowed(
    session: Session, actor: Principal, dispute: Dispute, ladder: rules.Ladder
) -> list[str]:
    if dispute.status is not DisputeStatus.OPEN:
        return []
    actions: list[str] = []
    if (
        dispute.level + 1 < len(ladder)
        and authorize(actor, P.DISPUTE_MANAGE, _party_target(session, dispute)).allowed
    ):
        actions.append("escalate")
    if authorize(actor, P.DISPUTE_MANAGE, _raiser_target(session, dispute)).allowed:
        actions += ["settle", "withdraw"]
    return actions


def dispute_out(
    session: Session, actor: Principal, dispute: Dispute, now: datetime | None = None
) -> DisputeOut:
    moment = _now(now)
    ladder = rules.ladder_of(dispute.ladder)
    left = None if dispute.level_due is None else dispute.level_due - moment
    parties = sorted(
        dispute.parties,
        key=lambda p: (p.organisation_id != dispute.raised_by_id, p.organisation.short_name),
    )
    return DisputeOut(
        id=dispute.id,
        reference=dispute.reference,
        agreement=dispute.agreement.reference,
        agreement_id=dispute.agreement_id,
        project=dispute.project.code if dispute.project else None,
        subject=dispute.subject.value,
        title=dispute.title,
        description=dispute.description,
        raised_by=dispute.raised_by.short_name,
        raised_by_id=dispute.raised_by_id,
        raised_at=dispute.raised_at,
        parties=[
            PartyOut(
                organisation_id=p.organisation_id,
                short_name=p.organisation.short_name,
                name=p.organisation.name,
                nation=p.organisation.nation_code,
                raiser=p.organisation_id == dispute.raised_by_id,
            )
            for p in parties
        ],
        status=dispute.status.value,
        ladder=_ladder_out(dispute, ladder),
        level=dispute.level + 1,
        level_name=ladder[dispute.level].name,
        level_since=dispute.level_since,
        level_due=dispute.level_due,
        seconds_left=None if left is None else int(left.total_seconds()),
        time_left=rules.time_left(dispute.level_due, moment),
        overdue=dispute.status is DisputeStatus.OPEN
        and rules.is_overdue(dispute.level_due, moment),
        exhausted=dispute.exhausted,
        outcome=dispute.outcome,
        settled_at=dispute.settled_at,
        steps=[
            StepOut(
                at=s.at,
                kind=s.kind,
                level=s.level + 1,
                level_name=ladder[s.level].name,
                by=s.by,
                note=s.note,
            )
            for s in dispute.steps
        ],
        allowed_actions=_allowed(session, actor, dispute, ladder),
    )


def _reloaded(
    uow: UnitOfWork, actor: Principal, dispute_id: uuid.UUID, now: datetime
) -> DisputeOut:
    session = uow.session
    session.expire_all()
    dispute = session.scalar(_query().where(Dispute.id == dispute_id))
    assert dispute is not None
    return dispute_out(session, actor, dispute, now)


def _tell(
    uow: UnitOfWork, settings: Settings, dispute: Dispute, title: str, key: str, body: str = ""
) -> int:
    """Notify whoever may act on the dispute: the holders of ``organisation:dispute:manage``
    in each party (all of whom may read the agreement's records)."""
    session = uow.session
    people: list[uuid.UUID] = []
    for party in dispute.parties:
        target = organisation_target(session, party.organisation)
        people += people_holding(session, P.DISPUTE_MANAGE, target)
    return notify(
        uow,
        settings,
        readers_among(session, dispute.agreement_id, people),
        kind="dispute",
        title=f"Dispute {dispute.reference} {title}",
        link=f"/disputes/{dispute.id}",
        body=body,
        key=key,
    )


# --- raising ----------------------------------------------------------------------------------


def _organisation(session: Session, value: str, field: str) -> Organisation:
    """An organisation by id or short name (the short name in any case)."""
    text = value.strip()
    found: Organisation | None = None
    try:
        found = session.get(Organisation, uuid.UUID(text))
    except ValueError:
        found = session.scalar(select(Organisation).where(Organisation.short_name == text))
        if found is None:
            matches = session.scalars(
                select(Organisation).where(func.lower(Organisation.short_name) == text.lower())
            ).all()
            found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise ValidationFailed.of(field, f"no organisation '{value}'")
    return found


def _agreement(session: Session, actor: Principal, reference: str) -> Agreement:
    agreement = session.scalar(
        select(Agreement)
        .options(selectinload(Agreement.parties).selectinload(AgreementParty.organisation))
        .where(Agreement.reference == reference.strip())
    )
    if agreement is None or not Readers(session, actor).may_read(agreement.id):
        raise ValidationFailed.of("agreement", f"no agreement '{reference}'")
    return agreement


def _others(
    session: Session, agreement: Agreement, raiser: Organisation, names: Iterable[str]
) -> list[Organisation]:
    """The other parties named, each a party to the agreement, the raiser left out."""
    party_ids = {p.organisation_id for p in agreement.parties}
    found: dict[uuid.UUID, Organisation] = {}
    for name in names:
        organisation = _organisation(session, name, "parties")
        if organisation.id not in party_ids:
            raise ValidationFailed.of(
                "parties", f"{organisation.short_name} is not party to {agreement.reference}"
            )
        if organisation.id != raiser.id:
            found.setdefault(organisation.id, organisation)
    if not found:
        raise ValidationFailed.of("parties", "name at least one party other than the raiser")
    return list(found.values())


def raise_dispute(
    uow: UnitOfWork,
    actor: Principal,
    data: DisputeIn,
    settings: Settings,
    now: datetime | None = None,
) -> DisputeOut:
    """Raise a dispute for an organisation against other parties to an agreement; it
    starts at the first level of the agreement's ladder, whose days count from now."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        agreement = _agreement(session, actor, data.agreement)
        raiser = _organisation(session, data.raised_by, "raised_by")
        require(actor, P.DISPUTE_MANAGE, organisation_target(session, raiser))
        if raiser.id not in {p.organisation_id for p in agreement.parties}:
            raise ValidationFailed.of(
                "raised_by", f"{raiser.short_name} is not party to {agreement.reference}"
            )
        ladder = rules.ladder_of(agreement.dispute_ladder)
        if not ladder:
            raise ValidationFailed.of("agreement", NO_LADDER)
        project = None
        if data.project:
            project = session.scalar(select(Project).where(Project.code == data.project.upper()))
            if project is None or project.agreement_id != agreement.id:
                raise ValidationFailed.of(
                    "project", f"no project '{data.project}' under {agreement.reference}"
                )
        others = _others(session, agreement, raiser, data.parties)
        if session.scalar(select(Dispute.id).where(Dispute.reference == data.reference)):
            raise Conflict(f"reference: a dispute '{data.reference}' already exists")
        start = rules.Position(0, moment)
        dispute = Dispute(
            reference=data.reference,
            agreement_id=agreement.id,
            project_id=project.id if project else None,
            subject=data.subject,
            title=data.title,
            description=data.description,
            raised_by_id=raiser.id,
            raised_at=moment,
            ladder=[{"level": r.name, "days": r.days} for r in ladder],
            level=0,
            level_since=moment,
            level_due=rules.due(ladder, start),
            parties=[DisputeParty(organisation_id=o.id) for o in (raiser, *others)],
            steps=[DisputeStep(at=moment, kind="raised", level=0, by=actor.name)],
        )
        uow.add(dispute)
        uow.flush()
        record_event(
            uow,
            actor,
            "disputes:dispute:raised",
            dispute,
            {
                "reference": dispute.reference,
                "agreement": agreement.reference,
                "project": project.code if project else None,
                "subject": data.subject,
                "title": data.title,
                "raised_by": raiser.short_name,
                "parties": [o.short_name for o in others],
                "level": rules.name(ladder, 0),
                "level_due": dispute.level_due,
            },
        )
        _tell(
            uow,
            settings,
            dispute,
            f"raised by {raiser.short_name} under {agreement.reference}: {data.title}",
            f"dispute:{dispute.id}:raised",
            f"It is for {rules.name(ladder, 0)} until {dispute.level_due:%Y-%m-%d %H:%M} UTC.",
        )
        uow.commit()
        return _reloaded(uow, actor, dispute.id, moment)


# --- by hand ------------------------------------------------------------------------------------


def escalate(
    uow: UnitOfWork,
    actor: Principal,
    dispute_id: uuid.UUID,
    data: EscalationIn,
    settings: Settings,
    now: datetime | None = None,
) -> DisputeOut:
    """Take a dispute one level up by hand; the new level's days count from now."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        session = uow.session
        dispute = _dispute(uow, actor, dispute_id, lock=True)
        require(actor, P.DISPUTE_MANAGE, _party_target(session, dispute))
        ladder = rules.ladder_of(dispute.ladder)
        refusal = rules.escalation_refusal(ladder, dispute.level, _settled(dispute), data.to_level)
        if refusal is not None:
            if refusal.conflict:
                raise Conflict(f"{refusal.field}: {refusal.message}")
            raise ValidationFailed.of(refusal.field, refusal.message)
        before = dispute.level
        reached = rules.Position(before + 1, moment)
        dispute.level, dispute.level_since = reached.level, reached.since
        dispute.level_due = rules.due(ladder, reached)
        dispute.steps.append(
            DisputeStep(
                at=moment, kind="escalated", level=reached.level, by=actor.name, note=data.reason
            )
        )
        record_event(
            uow,
            actor,
            "disputes:dispute:escalated",
            dispute,
            {
                "from_level": rules.name(ladder, before),
                "to_level": rules.name(ladder, reached.level),
                "level_due": dispute.level_due,
                "reason": data.reason,
            },
        )
        _tell(
            uow,
            settings,
            dispute,
            f"escalated to {rules.name(ladder, reached.level)}: {dispute.title}",
            f"dispute:{dispute.id}:level:{reached.level + 1}",
            f"Escalated by {actor.name}: {data.reason}\nIt is for "
            f"{rules.name(ladder, reached.level)} until {dispute.level_due:%Y-%m-%d %H:%M} UTC.",
        )
        uow.commit()
        return _reloaded(uow, actor, dispute.id, moment)


def _close(
    uow: UnitOfWork,
    actor: Principal,
    dispute_id: uuid.UUID,
    status: DisputeStatus,
    text: str,
    settings: Settings,
    moment: datetime,
) -> None:
    """Settle or withdraw, in the caller's transaction: both are the raising side's alone.
    The side a dispute is raised against cannot end it, and stop its clock, by itself; it
    escalates instead."""
    session = uow.session
    dispute = _dispute(uow, actor, dispute_id, lock=True)
    require(actor, P.DISPUTE_MANAGE, _raiser_target(session, dispute))
    if dispute.status is not DisputeStatus.OPEN:
        raise Conflict(f"status: the dispute is {dispute.status}")
    ladder = rules.ladder_of(dispute.ladder)
    dispute.status, dispute.outcome = status, text
    dispute.settled_at, dispute.level_due = moment, None
    dispute.steps.append(
        DisputeStep(at=moment, kind=status.value, level=dispute.level, by=actor.name, note=text)
    )
    verb = "settled" if status is DisputeStatus.RESOLVED else "withdrawn"
    record_event(
        uow,
        actor,
        f"disputes:dispute:{verb}",
        dispute,
        {"status": status, "level": rules.name(ladder, dispute.level), "text": text},
    )
    _tell(
        uow,
        settings,
        dispute,
        f"{verb} at {rules.name(ladder, dispute.level)}: {dispute.title}",
        f"dispute:{dispute.id}:{verb}",
        text,
    )


def settle(
    uow: UnitOfWork,
    actor: Principal,
    dispute_id: uuid.UUID,
    data: SettlementIn,
    settings: Settings,
    now: datetime | None = None,
) -> DisputeOut:
    """Record what the parties agreed: the dispute is resolved, at whatever level."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        _close(uow, actor, dispute_id, DisputeStatus.RESOLVED, data.outcome, settings, moment)
        uow.commit()
        return _reloaded(uow, actor, dispute_id, moment)


def withdraw(
    uow: UnitOfWork,
    actor: Principal,
    dispute_id: uuid.UUID,
    data: WithdrawalIn,
    settings: Settings,
    now: datetime | None = None,
) -> DisputeOut:
    """The raising side withdraws its dispute."""
    moment = _now(now)
    with uow:
        uow.for_writing()
        _close(uow, actor, dispute_id, DisputeStatus.WITHDRAWN, data.reason, settings, moment)
        uow.commit()
        return _reloaded(uow, actor, dispute_id, moment)


# --- by time ------------------------------------------------------------------------------------


def _apply(
    uow: UnitOfWork, actor: Principal, dispute: Dispute, ladder: rules.Ladder, move: rules.Move
) -> None:
    """One automatic step, its history row and its ledger event."""
    before = dispute.level
    if move.to.exhausted:
        dispute.exhausted = True
        kind, note = (
            "exhausted",
            f"the time of {rules.name(ladder, before)}, the last level, ran out",
        )
    else:
        dispute.level, dispute.level_since = move.to.level, move.to.since
        dispute.level_due = rules.due(ladder, move.to)
        kind, note = "escalated_by_time", f"the time of {rules.name(ladder, before)} ran out"
    dispute.steps.append(
        DisputeStep(at=move.at, kind=kind, level=dispute.level, by=actor.name, note=note)
    )
    record_event(
        uow,
        actor,
        f"disputes:dispute:{kind}",
        dispute,
        {
            "from_level": rules.name(ladder, before),
            "to_level": rules.name(ladder, dispute.level),
            "at": move.at,
            "level_due": dispute.level_due,
        },
    )


def escalate_due(
    uow: UnitOfWork, actor: Principal, settings: Settings, now: datetime | None = None
) -> list[EscalatedOut]:
    """The automatic escalation, meant for a scheduler (``coalition disputes escalate-due``
    or the governance clock): every open dispute whose level's time has run out by ``now``
    goes up level by level, each level starting when the one below ran out, until its
    level's time is in the future or the ladder is exhausted. One history step and one
    ledger event per level; the parties are told once per level reached. Running it again
    at the same moment changes nothing."""
    require(actor, P.GOVERNANCE_TICK, Target.node())
    moment = _now(now)
    done: list[EscalatedOut] = []
    with uow:
        uow.for_writing()
        session = uow.session
        due = session.scalars(
            _query()
            .where(
                Dispute.status == DisputeStatus.OPEN,
                Dispute.exhausted.is_(False),
                Dispute.level_due <= moment,
            )
            .order_by(Dispute.level_due, Dispute.reference)
            .with_for_update(of=Dispute)
        ).all()
        for dispute in due:
            ladder = rules.ladder_of(dispute.ladder)
            moves = rules.catch_up(ladder, _position(dispute), moment)
            if not moves:
                continue
            before = dispute.level
            for move in moves:
                _apply(uow, actor, dispute, ladder, move)
            reached = rules.name(ladder, dispute.level)
            if dispute.level > before:
                _tell(
                    uow,
                    settings,
                    dispute,
                    f"went up to {reached} when its time ran out: {dispute.title}",
                    f"dispute:{dispute.id}:level:{dispute.level + 1}",
                    f"It is for {reached} until {dispute.level_due:%Y-%m-%d %H:%M} UTC."
                    if not dispute.exhausted
                    else "",
                )
            if dispute.exhausted:
                _tell(
                    uow,
                    settings,
                    dispute,
                    f"has run out of ladder: the time of {reached}, the last level, ran out: "
                    f"{dispute.title}",
                    f"dispute:{dispute.id}:exhausted",
                )
            done.append(
                EscalatedOut(
                    dispute_id=dispute.id,
                    reference=dispute.reference,
                    agreement=dispute.agreement.reference,
                    from_level=before + 1,
                    to_level=dispute.level + 1,
                    level_name=ladder[dispute.level].name,
                    levels_climbed=rules.levels_climbed(moves),
                    exhausted=dispute.exhausted,
                    level_due=dispute.level_due,
                )
            )
        uow.commit()
    return done


# --- reading ----------------------------------------------------------------------------------


def list_disputes(
    uow: UnitOfWork,
    actor: Principal,
    settings: Settings,
    *,
    agreement: str | None = None,
    status: DisputeStatus | None = None,
    subject: DisputeSubject | None = None,
    overdue: bool = False,
    now: datetime | None = None,
) -> list[DisputeOut]:
    """The disputes the actor may see, the soonest due first (settled ones last); with
    ``overdue``, only the open ones whose level's time has run out."""
    require(actor, P.DIRECTORY_READ, Target.node())
    moment = _now(now)
    with uow:
        session = uow.session
        query = _query().order_by(Dispute.level_due.is_(None), Dispute.level_due, Dispute.reference)
        readable = Readers(session, actor).agreement_ids()
        if readable is not None:
            query = query.where(Dispute.agreement_id.in_(readable))
        if agreement:
            query = query.join(Agreement, Agreement.id == Dispute.agreement_id).where(
                Agreement.reference == agreement.strip()
            )
        if status is not None:
            query = query.where(Dispute.status == status)
        if subject is not None:
            query = query.where(Dispute.subject == subject)
        if overdue:
            query = query.where(Dispute.status == DisputeStatus.OPEN, Dispute.level_due <= moment)
        return [dispute_out(session, actor, d, moment) for d in session.scalars(query)]


def get_dispute(
    uow: UnitOfWork,
    actor: Principal,
    dispute_id: uuid.UUID,
    settings: Settings,
    now: datetime | None = None,
) -> DisputeOut:
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        return dispute_out(uow.session, actor, _dispute(uow, actor, dispute_id), now)


def dispute_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        found = uow.session.scalar(select(Dispute).where(Dispute.reference == reference.strip()))
        if found is None or not Readers(uow.session, actor).may_read(found.agreement_id):
            raise NotFound(f"no dispute '{reference}'")
        return found.id


def ladder_agreements(uow: UnitOfWork, actor: Principal) -> list[LadderAgreementOut]:
    """The agreements the actor may read that set a dispute ladder, with their parties:
    where a dispute may be raised."""
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        query = (
            select(Agreement)
            .options(selectinload(Agreement.parties).selectinload(AgreementParty.organisation))
            .order_by(Agreement.reference)
        )
        readable = Readers(session, actor).agreement_ids()
        if readable is not None:
            query = query.where(Agreement.id.in_(readable))
        return [
            LadderAgreementOut(
                reference=a.reference,
                title=a.title,
                ladder=[f"{r.name} ({r.days} days)" for r in rules.ladder_of(a.dispute_ladder)],
                parties=sorted(p.organisation.short_name for p in a.parties),
            )
            for a in session.scalars(query)
            if a.dispute_ladder
        ]
