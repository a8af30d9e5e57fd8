"""Releases: the pre-check, requests, and the national approvals they need (DESIGN.md
capability 5).

A request is submitted only when the engine permits every item to every recipient for
its purpose; it then waits for one approval per kind and nation its items call for, each
due a nation's lead time in working days later. One refusal rejects it; the last approval
approves it. Every step is a recorded event, so a ledger entry.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import extract, func, or_, select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target, authorize
from coalition.audit.models import Event
from coalition.common.access import require
from coalition.common.events import record_decision, record_event
from coalition.common.workdays import working_days_after
from coalition.content import services as content
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.exchange import keys as package_keys
from coalition.exchange import tdf
from coalition.exchange.models import PartnerNode
from coalition.exchange.services import partner_for
from coalition.exportcontrol import services as export_services
from coalition.exportcontrol.models import AuthorisationDrawdown, ExportAuthorisation
from coalition.federation.models import Delivery
from coalition.federation.queue import queue_deliveries
from coalition.ledger import keys as ledger_keys
from coalition.ledger import services as ledger
from coalition.ledger.models import LedgerEntry
from coalition.policy import stanag4774
from coalition.policy.engine import Decision, covering_authorisation, decide
from coalition.policy.facts import Action, Request
from coalition.policy.interning import label_of
from coalition.registry.models import Organisation
from coalition.releases.models import (
    ApprovalKind,
    ApprovalStatus,
    ReleaseApproval,
    ReleaseItem,
    ReleaseRecipient,
    ReleaseRequest,
    RequestStatus,
)
from coalition.releases.rules import Needed, approvals_for
from coalition.releases.schemas import (
    ApprovalOut,
    Blocker,
    DecisionIn,
    DeliveryState,
    ItemCheck,
    PrecheckIn,
    PrecheckOut,
    RequestIn,
    RequestOut,
    WithdrawIn,
)
from coalition.settings import Settings
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork
from coalition.techdata import facts as loaders
from coalition.techdata import listing
from coalition.techdata.models import Artifact
from coalition.techdata.services import artifact_target, catalogue_of, today, viewer

APPROVE_PERMISSION = {
    ApprovalKind.CLASSIFIED: Permission.RELEASE_APPROVE_CLASSIFIED,
    ApprovalKind.EXPORT: Permission.RELEASE_APPROVE_EXPORT,
    ApprovalKind.ORIGINATOR: Permission.RELEASE_APPROVE_ORIGINATOR,
}


@dataclass
class _Evaluated:
    artifacts: list[Artifact]
    recipients: list[Organisation]
    decisions: dict[tuple[uuid.UUID, uuid.UUID], Decision]
    needed: dict[uuid.UUID, list[Needed]]


def _evaluate(uow: UnitOfWork, actor: Principal, data: PrecheckIn) -> _Evaluated:
    """Items the requester may see, recipients, and the engine's release decisions."""
    session = uow.session
    day = today()
    person_id = viewer(session, actor)
    seen = listing.visibility(session, uow.database, person_id, Action.VIEW_METADATA, day)
    references = list(dict.fromkeys(data.artifact_references))
    rows = {
        a.reference: a
        for a in session.scalars(
            select(Artifact).where(seen.where(session), Artifact.reference.in_(references))
        )
    }
    wanted = list(dict.fromkeys(data.recipient_organisation_ids))
    found = {
        o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))
    }
    problems = []
    missing = [r for r in references if r not in rows]
    if missing:
        problems.append(
            ("artifact_references", f"no artifact you may see: {', '.join(missing[:10])}")
        )
    unknown = [str(i) for i in wanted if i not in found]
    if unknown:
        problems.append(("recipient_organisation_ids", f"unknown: {', '.join(unknown)}"))
    if problems:
        raise ValidationFailed.of_many(problems)
    artifacts = [rows[r] for r in references]
    recipients = [found[i] for i in wanted]
    world = loaders.load_world(session)
    facts = loaders.artifact_facts(session, artifacts)
    owners = {
        o.id: o
        for o in session.scalars(
            select(Organisation).where(
                Organisation.id.in_({a.owner_organisation_id for a in artifacts})
            )
        )
    }
    decisions: dict[tuple[uuid.UUID, uuid.UUID], Decision] = {}
    subjects = [(o, loaders.organisation_subject(session, o)) for o in recipients]
    for artifact in artifacts:
        for organisation, subject in subjects:
            request = Request(
                subject,
                facts[artifact.id],
                Action.RELEASE_TO,
                day,
                purpose=data.purpose,
                value=float(data.value) if data.value is not None else None,
                quantity=data.quantity,
            )
            decisions[(artifact.id, organisation.id)] = decide(request, world)
    needed = {}
    for artifact in artifacts:
        owner = owners[artifact.owner_organisation_id]
        label = artifact.label
        needed[artifact.id] = approvals_for(
            common_level=label.common_level,
            originator=label.originator,
            caveats=label.caveats,
            export=label.export,
            owner_id=owner.id,
            owner_name=owner.short_name,
            owner_nation=owner.nation_code,
        )
    return _Evaluated(artifacts, recipients, decisions, needed)


def _summary(data: PrecheckIn, evaluated: _Evaluated) -> PrecheckOut:
    items: list[ItemCheck] = []
    blockers: list[Blocker] = []
    obligations: dict[str, None] = {}
    approvals: dict[str, None] = {}
    permitted = 0
    for artifact in evaluated.artifacts:
        allowed = []
        for organisation in evaluated.recipients:
            decision = evaluated.decisions[(artifact.id, organisation.id)]
            if decision.permit:
                permitted += 1
                allowed.append(organisation.short_name)
                obligations.update(dict.fromkeys(decision.obligations))
            blockers.extend(
                Blocker(
                    artifact_reference=artifact.reference,
                    recipient_id=organisation.id,
                    recipient_name=organisation.short_name,
                    rule=rule.id,
                    reason=rule.reason,
                    remedy=rule.remedy,
                )
                for rule in decision.failed
            )
        labels = [n.label for n in evaluated.needed[artifact.id]]
        approvals.update(dict.fromkeys(labels))
        items.append(
            ItemCheck(
                artifact_id=artifact.id,
                artifact_reference=artifact.reference,
                banner=artifact.label.banner,
                permitted_to=allowed,
                approvals=labels,
            )
        )
    return PrecheckOut(
        purpose=data.purpose,
        items=items,
        recipients=[o.short_name for o in evaluated.recipients],
        permitted=permitted,
        pairs=len(evaluated.artifacts) * len(evaluated.recipients),
        blockers=blockers,
        obligations=list(obligations),
        approvals=list(approvals),
    )


def precheck(uow: UnitOfWork, actor: Principal, data: PrecheckIn) -> PrecheckOut:
    """What stands between these items and these recipients, rule by rule, with remedies,
    and who would have to approve. The requester names items they may see; an item they
    may not see is reported exactly as an unknown one. Nothing is recorded: no content
    moves and nothing is decided for good."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        return _summary(data, _evaluate(uow, actor, data))


def submit(uow: UnitOfWork, actor: Principal, data: RequestIn, settings: Settings) -> RequestOut:
    """Submit a release request. Refused, with every blocker, unless the engine permits
    every item to every recipient; the approvals its items call for are created, each due
    its nation's lead time in working days from today."""
    with uow:
        uow.for_writing()
        session = uow.session
        evaluated = _evaluate(uow, actor, data)
        for artifact in evaluated.artifacts:
            require(actor, Permission.RELEASE_REQUEST, artifact_target(session, artifact))
        summary = _summary(data, evaluated)
        if summary.blockers:
            raise ValidationFailed.of_many(
                [
                    (
                        "artifact_references",
                        f"{b.artifact_reference} to {b.recipient_name}: {b.rule}: {b.reason}"
                        + (f" (remedy: {b.remedy})" if b.remedy else ""),
                    )
                    for b in summary.blockers[:20]
                ]
            )
        day = today()
        request = ReleaseRequest(
            reference=_next_reference(session, day),
            requested_by=actor.name,
            requester_person_id=actor.person_id,
            purpose=data.purpose,
            justification=data.justification,
            value=data.value,
            quantity=data.quantity,
        )
        session.add(request)
        uow.flush()
        for position, artifact in enumerate(evaluated.artifacts):
            session.add(
                ReleaseItem(request_id=request.id, artifact_id=artifact.id, position=position)
            )
        for organisation in evaluated.recipients:
            session.add(ReleaseRecipient(request_id=request.id, organisation_id=organisation.id))
        needed = {n.key: n for ns in evaluated.needed.values() for n in ns}
        for key, need in sorted(needed.items()):
            session.add(
                ReleaseApproval(
                    request_id=request.id,
                    key=key,
                    kind=ApprovalKind(need.kind),
                    nation=need.nation,
                    organisation_id=need.organisation_id,
                    regime=need.regime,
                    due_on=working_days_after(day, _lead_days(settings, need.nation), need.nation),
                )
            )
        if not needed:  # nothing to approve: unclassified, uncontrolled, no ORCON
            request.status = RequestStatus.APPROVED
            request.decided_at = utcnow()
        uow.flush()
        record_event(
            uow,
            actor,
            "releases:request:submit",
            request,
            {
                "items": [a.reference for a in evaluated.artifacts],
                "recipients": [o.short_name for o in evaluated.recipients],
                "purpose": data.purpose,
                "approvals": sorted(needed),
                "outcome": request.status.value,
            },
        )
        uow.commit()
        return _out(session, request, actor)


def _lead_days(settings: Settings, nation: str) -> int:
    for item in settings.release_lead_overrides.replace(";", ",").split(","):
        code, _, days = item.strip().partition("=")
        if code.strip().upper() == nation and days.strip().isdigit():
            return int(days)
    return settings.release_lead_working_days


def _next_reference(session: Session, day: date) -> str:
    count = session.scalar(
        select(func.count())
        .select_from(ReleaseRequest)
        .where(extract("year", ReleaseRequest.created_at) == day.year)
    )
    return f"REL-{day.year}-{(count or 0) + 1:04d}"


def decide_approval(
    uow: UnitOfWork,
    actor: Principal,
    request_id: uuid.UUID,
    key: str,
    data: DecisionIn,
) -> RequestOut:
    """Approve or reject one of a request's approvals, with a reason. Only someone who may
    give that kind of approval for that nation (or owner), and not the requester. One
    rejection rejects the request; the last approval approves it."""
    with uow:
        uow.for_writing()
        session = uow.session
        request = session.get(ReleaseRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound("no release request with this id")
        approval = next((a for a in request.approvals if a.key == key), None)
        if approval is None:
            raise NotFound(f"the request needs no approval '{key}'")
        require(actor, APPROVE_PERMISSION[approval.kind], _approval_target(session, approval))
        if _is_requester(actor, request):
            raise PermissionDenied("a requester does not approve their own release")
        if request.status is not RequestStatus.SUBMITTED:
            raise ValidationFailed.of("status", f"the request is {request.status.value}")
        if approval.status is not ApprovalStatus.PENDING:
            raise ValidationFailed.of("status", f"this approval is {approval.status.value}")
        approval.status = ApprovalStatus.APPROVED if data.approve else ApprovalStatus.REJECTED
        approval.decided_by = actor.name
        approval.decided_at = utcnow()
        approval.reason = data.reason
        queued = 0
        if not data.approve:
            request.status = RequestStatus.REJECTED
            request.decided_at = approval.decided_at
        elif all(a.status is ApprovalStatus.APPROVED for a in request.approvals):
            # The last approval: the export authorisations the release goes under are
            # drawn down now, each by one guarded update; a limit that no longer covers
            # the release refuses this approval, and nothing of it is kept.
            _draw_down(session, request, actor)
            request.status = RequestStatus.APPROVED
            request.decided_at = approval.decided_at
            queued = queue_deliveries(session, request)
        record_event(
            uow,
            actor,
            f"releases:approval:{'approve' if data.approve else 'reject'}",
            request,
            {
                "approval": key,
                "reason": data.reason,
                "outcome": "permit" if data.approve else "deny",
                "request_status": request.status.value,
                **({"deliveries_queued": queued} if queued else {}),
            },
            authority=str(APPROVE_PERMISSION[approval.kind]),
        )
        uow.commit()
        return _out(session, request, actor)


def _draw_down(session: Session, request: ReleaseRequest, actor: Principal) -> None:
    """On the last approval: decide every release again with its value and quantity, and
    draw down each export authorisation it goes under, by one guarded update each (two
    approvals at the same moment can never together pass a limit)."""
    if not request.value and not request.quantity:
        return
    items = list(
        session.scalars(
            select(Artifact)
            .join(ReleaseItem, ReleaseItem.artifact_id == Artifact.id)
            .where(ReleaseItem.request_id == request.id)
        )
    )
    recipients = list(
        session.scalars(
            select(Organisation)
            .join(ReleaseRecipient, ReleaseRecipient.organisation_id == Organisation.id)
            .where(ReleaseRecipient.request_id == request.id)
        )
    )
    facts = loaders.artifact_facts(session, items)
    world = loaders.load_world(session)
    used: set[str] = set()
    for artifact in items:
        for organisation in recipients:
            check = _release_to(
                loaders.organisation_subject(session, organisation),
                facts[artifact.id],
                request,
                with_amounts=True,
            )
            decision = decide(check, world)
            if not decision.permit:  # e.g. another release used what the licence had left
                raise Conflict(
                    f"{artifact.reference} to {organisation.short_name} is no longer "
                    "permitted: " + "; ".join(f"{r.id}: {r.reason}" for r in decision.failed)
                )
            for marking in facts[artifact.id].label.export:
                if marking.exporting_nation == organisation.nation_code:
                    continue
                auth = covering_authorisation(check, world, marking, organisation.nation_code)
                if auth is not None:
                    used.add(auth.reference)
    for reference in sorted(used):
        row = session.scalar(
            select(ExportAuthorisation).where(ExportAuthorisation.reference == reference)
        )
        assert row is not None
        export_services.draw(session, row.id, request.value or Decimal(0), request.quantity or 0)
        session.add(
            AuthorisationDrawdown(
                authorisation_id=row.id,
                value=request.value or Decimal(0),
                quantity=request.quantity or 0,
                reference=request.reference,
                created_by=actor.name,
            )
        )


def _release_to(
    subject: Any, fact: Any, request: ReleaseRequest, *, with_amounts: bool = False
) -> Request:
    """The engine's question for releasing an item of ``request`` to ``subject`` today;
    with its value and quantity when licence limits are being drawn (after the draw-down,
    what remains no longer covers them, so packaging asks without them)."""
    return Request(
        subject,
        fact,
        Action.RELEASE_TO,
        today(),
        purpose=request.purpose,
        value=float(request.value) if with_amounts and request.value is not None else None,
        quantity=request.quantity if with_amounts else None,
    )


def _provisos(
    session: Session,
    artifacts: list[Artifact],
    facts: dict[uuid.UUID, Any],
    world: Any,
    subject: Any,
    organisation: Organisation,
    request: ReleaseRequest,
) -> dict[uuid.UUID, str]:
    """Per item, the provisos of the export authorisations its release goes under: the
    recipient must acknowledge them to take the package in."""
    out: dict[uuid.UUID, str] = {}
    for artifact in artifacts:
        check = _release_to(subject, facts[artifact.id], request)
        texts = []
        for marking in facts[artifact.id].label.export:
            if marking.exporting_nation == organisation.nation_code:
                continue
            auth = covering_authorisation(check, world, marking, organisation.nation_code)
            if auth is None:
                continue
            text = session.scalar(
                select(ExportAuthorisation.provisos).where(
                    ExportAuthorisation.reference == auth.reference
                )
            )
            if text:
                texts.append(f"{auth.reference}: {text}")
        if texts:
            out[artifact.id] = "\n".join(texts)
    return out


def _approval_target(session: Session, approval: ReleaseApproval) -> Target:
    return _target_for(session, approval.nation, approval.organisation_id)


def _target_for(session: Session, nation: str, organisation_id: uuid.UUID | None) -> Target:
    """Approvals for a nation are given by officers of that nation's organisations (or of
    the node); an originator's, by the owning organisation."""
    if organisation_id is not None:
        return Target.of([organisation_id])
    ids = list(session.scalars(select(Organisation.id).where(Organisation.nation_code == nation)))
    return Target.of(ids)


def withdraw(
    uow: UnitOfWork, actor: Principal, request_id: uuid.UUID, data: WithdrawIn
) -> RequestOut:
    with uow:
        uow.for_writing()
        session = uow.session
        request = session.get(ReleaseRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound("no release request with this id")
        if actor.name != request.requested_by and not actor.is_operator:
            raise PermissionDenied("only the requester withdraws a request")
        if request.status is not RequestStatus.SUBMITTED:
            raise ValidationFailed.of("status", f"the request is {request.status.value}")
        request.status = RequestStatus.WITHDRAWN
        request.decided_at = utcnow()
        record_event(uow, actor, "releases:request:withdraw", request, {"reason": data.reason})
        uow.commit()
        return _out(session, request, actor)


def get_request(uow: UnitOfWork, actor: Principal, request_id: uuid.UUID) -> RequestOut:
    with uow:
        request = uow.session.get(ReleaseRequest, request_id)
        if request is None or not _may_see(uow.session, actor, request):
            raise NotFound("no release request with this id")
        return _out(uow.session, request, actor)


def list_requests(uow: UnitOfWork, actor: Principal, *, inbox: bool = False) -> list[RequestOut]:
    """The actor's own requests and those they may decide an approval of; with ``inbox``,
    only requests waiting for an approval the actor may give, oldest due first."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        rows = session.scalars(
            select(ReleaseRequest)
            .options(selectinload(ReleaseRequest.approvals))
            .order_by(ReleaseRequest.created_at.desc())
            .limit(500)
        )
        out = []
        for request in rows:
            if not _may_see(session, actor, request):
                continue
            view = _out(session, request, actor)
            if inbox and not any(a.may_decide for a in view.approvals):
                continue
            out.append(view)
        if inbox:
            out.sort(key=lambda r: min(a.due_on for a in r.approvals if a.may_decide))
        return out


def waiting_count(uow: UnitOfWork, actor: Principal) -> int:
    """How many requests wait for an approval the actor may give: the inbox of
    :func:`list_requests` counted, cheaply enough for live updates to poll. The permission
    is asked once per kind and nation (or owner) among the pending approvals, not per row."""
    if not authorize(actor, Permission.DIRECTORY_READ, Target.node()).allowed:
        return 0
    # A requester never decides their own release (see _is_requester).
    not_own = [ReleaseRequest.requested_by != actor.name]
    if actor.person_id is not None:
        not_own.append(
            or_(
                ReleaseRequest.requester_person_id.is_(None),
                ReleaseRequest.requester_person_id != actor.person_id,
            )
        )
    with uow:
        session = uow.session
        pending = session.execute(
            select(
                ReleaseRequest.id,
                ReleaseApproval.kind,
                ReleaseApproval.nation,
                ReleaseApproval.organisation_id,
            )
            .join(ReleaseApproval, ReleaseApproval.request_id == ReleaseRequest.id)
            .where(
                ReleaseRequest.status == RequestStatus.SUBMITTED,
                ReleaseApproval.status == ApprovalStatus.PENDING,
                *not_own,
            )
        ).all()
        allowed: dict[tuple[ApprovalKind, str, uuid.UUID | None], bool] = {}
        waiting: set[uuid.UUID] = set()
        for request_id, kind, nation, organisation_id in pending:
            key = (kind, nation, organisation_id)
            if key not in allowed:
                target = _target_for(session, nation, organisation_id)
                allowed[key] = authorize(actor, APPROVE_PERMISSION[kind], target).allowed
            if allowed[key]:
                waiting.add(request_id)
        return len(waiting)


def _is_requester(actor: Principal, request: ReleaseRequest) -> bool:
    """Whether the actor made the request (by account, or as the same person): a
    requester never decides an approval of their own release."""
    return actor.name == request.requested_by or (
        actor.person_id is not None and actor.person_id == request.requester_person_id
    )


def _may_decide(session: Session, actor: Principal, approval: ReleaseApproval) -> bool:
    permission = APPROVE_PERMISSION[approval.kind]
    return authorize(actor, permission, _approval_target(session, approval)).allowed


def _may_see(session: Session, actor: Principal, request: ReleaseRequest) -> bool:
    if actor.is_operator or actor.name == request.requested_by:
        return True
    return any(_may_decide(session, actor, a) for a in request.approvals)


def _out(session: Session, request: ReleaseRequest, actor: Principal) -> RequestOut:
    items = session.execute(
        select(Artifact.id, Artifact.reference)
        .join(ReleaseItem, ReleaseItem.artifact_id == Artifact.id)
        .where(ReleaseItem.request_id == request.id)
        .order_by(ReleaseItem.position)
    ).all()
    recipients = session.execute(
        select(Organisation.id, Organisation.short_name)
        .join(ReleaseRecipient, ReleaseRecipient.organisation_id == Organisation.id)
        .where(ReleaseRecipient.request_id == request.id)
        .order_by(Organisation.short_name)
    ).all()
    day = today()
    own = _is_requester(actor, request)
    deliveries = session.execute(
        select(Delivery, Artifact.reference, Organisation.short_name, PartnerNode.name)
        .join(Artifact, Artifact.id == Delivery.artifact_id)
        .join(Organisation, Organisation.id == Delivery.recipient_id)
        .join(PartnerNode, PartnerNode.id == Delivery.partner_node_id)
        .where(Delivery.request_id == request.id)
        .order_by(Artifact.reference, Organisation.short_name)
    ).all()
    return RequestOut(
        id=request.id,
        reference=request.reference,
        requested_by=request.requested_by,
        purpose=request.purpose,
        justification=request.justification,
        value=request.value,
        quantity=request.quantity,
        status=request.status,
        created_at=request.created_at,
        decided_at=request.decided_at,
        items=[r.reference for r in items],
        item_ids=[r.id for r in items],
        recipients=[r.short_name for r in recipients],
        recipient_ids=[r.id for r in recipients],
        approvals=[
            ApprovalOut(
                key=a.key,
                kind=a.kind,
                nation=a.nation,
                regime=a.regime,
                due_on=a.due_on,
                overdue=a.status is ApprovalStatus.PENDING and a.due_on < day,
                status=a.status,
                decided_by=a.decided_by,
                decided_at=a.decided_at,
                reason=a.reason,
                may_decide=(
                    request.status is RequestStatus.SUBMITTED
                    and a.status is ApprovalStatus.PENDING
                    and not own
                    and _may_decide(session, actor, a)
                ),
            )
            for a in request.approvals
        ],
        deliveries=[
            DeliveryState(
                item=item,
                recipient=recipient,
                partner_node=node,
                status=delivery.status.value,
                delivered_at=delivery.delivered_at,
            )
            for delivery, item, recipient, node in deliveries
        ],
        version=request.version,
    )


@dataclass(frozen=True)
class Package:
    filename: str
    data: bytes
    ledger_index: int
    request_reference: str
    recipient: str


def package(
    uow: Callable[[], UnitOfWork],
    actor: Principal,
    request_id: uuid.UUID,
    artifact_id: uuid.UUID,
    recipient_id: uuid.UUID,
    settings: Settings,
) -> Package:
    """The release package of one item of an approved request for one recipient."""
    (made,) = packages(uow, actor, request_id, recipient_id, settings, [artifact_id])
    return made


def bundle(
    uow: Callable[[], UnitOfWork],
    actor: Principal,
    request_id: uuid.UUID,
    recipient_id: uuid.UUID,
    settings: Settings,
) -> Package:
    """Every item of an approved request for one recipient: one zip of .tdf packages."""
    made = packages(uow, actor, request_id, recipient_id, settings, None)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for item in made:
            archive.writestr(item.filename, item.data)
    first = made[0]  # a request holds at least one item
    return Package(
        filename=f"{first.request_reference}-{first.recipient}.zip",
        data=out.getvalue(),
        ledger_index=max(m.ledger_index for m in made),
        request_reference=first.request_reference,
        recipient=first.recipient,
    )


def packages(
    uow: Callable[[], UnitOfWork],
    actor: Principal,
    request_id: uuid.UUID,
    recipient_id: uuid.UUID,
    settings: Settings,
    artifact_ids: list[uuid.UUID] | None,
    *,
    on_recorded: Callable[[UnitOfWork, dict[uuid.UUID, int]], None] | None = None,
    recorded: dict[uuid.UUID, int] | None = None,
    check_only: bool = False,
) -> list[Package]:
    """Release packages of an approved request's items (all, or those named) for one
    recipient. The engine decides each release again (the world may have changed since
    the approval): one refusal refuses them all, naming it. The releases are recorded in
    one transaction and one checkpoint is signed over them; each package carries the
    content sealed for the recipient's node, the label, its provenance, and the receipt
    of its own entry.

    The outbox passes ``on_recorded``, called in the recording transaction with each
    item's release event, to keep them with its delivery; and, to build again a package
    whose release is recorded already (after a crash), ``recorded``: those events are
    used, the release is decided again (recorded only if refused) and the content must be
    the version recorded. With ``check_only`` too, nothing is built: the outbox asks so
    before it sends a kept package again."""
    partner = partner_for(uow(), recipient_id)
    if partner is None:
        raise ValidationFailed.of(
            "recipient", "no partner node is registered for this organisation"
        )
    if partner.suspended_at is not None:
        raise ValidationFailed.of(
            "recipient",
            f"this node has suspended its trust in {partner.name}, which hosts the "
            "organisation: nothing is packaged for it until it is reinstated",
        )
    signer_key = package_keys.load_signing(settings.effective_package_signing_key_file)
    log_signer = ledger_keys.load_signer(settings.effective_ledger_key_file, settings.ledger_origin)
    store = content.content_settings(settings)
    prepared: list[tuple[Artifact, content.Sealed, str, int]] = []
    with uow() as unit:
        unit.for_writing()
        session = unit.session
        request = session.get(ReleaseRequest, request_id)
        if request is None or not _may_see(session, actor, request):
            raise NotFound("no release request with this id")
        if actor.name != request.requested_by and not actor.is_operator:
            raise PermissionDenied("the requester sends what was approved")
        if request.status is not RequestStatus.APPROVED:
            raise ValidationFailed.of("status", f"the request is {request.status.value}")
        held = [i.artifact_id for i in request.items]
        wanted = held if artifact_ids is None else artifact_ids
        if any(a not in held for a in wanted):
            raise NotFound("the request holds no such item")
        if recipient_id not in {r.organisation_id for r in request.recipients}:
            raise NotFound("the request names no such recipient")
        organisation = session.get(Organisation, recipient_id)
        assert organisation is not None
        artifacts = list(session.scalars(select(Artifact).where(Artifact.id.in_(wanted))))
        facts = loaders.artifact_facts(session, artifacts)
        world = loaders.load_world(session)
        subject = loaders.organisation_subject(session, organisation)
        refused = []
        for artifact in artifacts:
            # Built again from a recorded release, the release is still decided again
            # (the world may have changed since), and recorded only if now refused.
            decision = decide(_release_to(subject, facts[artifact.id], request), world)
            if recorded is None or not decision.permit:
                record_decision(
                    unit,
                    actor,
                    "releases",
                    Artifact.__tablename__,
                    str(artifact.id),
                    Action.RELEASE_TO,
                    decision,
                )
            if not decision.permit:
                refused.append(
                    f"{artifact.reference}: "
                    + "; ".join(f"{r.id}: {r.reason}" for r in decision.failed)
                )
        if refused:
            unit.commit()  # the refusals are recorded
            raise PermissionDenied("release refused now: " + " | ".join(refused))
        catalogue = catalogue_of(session)
        provisos = _provisos(session, artifacts, facts, world, subject, organisation, request)
        events: list[tuple[Artifact, content.Sealed, str, Event | int]] = []
        for artifact in artifacts:
            sealed = content.latest_for_release(session, artifact.id, store)
            label_xml = stanag4774.export_label(
                label_of(artifact.label), catalogue, created_at=artifact.created_at
            ).decode()
            if recorded is not None:
                # Only what the recorded release says went out may go: the same version.
                kept = session.get(Event, recorded[artifact.id])
                if kept is None or kept.details.get("sha256") != sealed.sha256:
                    raise Conflict(
                        f"release: {artifact.reference} has changed since its release was "
                        "recorded; release it again"
                    )
                events.append((artifact, sealed, label_xml, recorded[artifact.id]))
                continue
            event = Event(
                actor=actor.name,
                tag="releases:item:release",
                object_type=ReleaseRequest.__tablename__,
                object_id=str(request.id),
                details={
                    "request": request.reference,
                    "artifact": artifact.reference,
                    "recipient": organisation.short_name,
                    "partner_node": partner.name,
                    "version": sealed.number,
                    "sha256": sealed.sha256,
                    "authority": "approved release " + request.reference,
                },
            )
            unit.add(event)
            events.append((artifact, sealed, label_xml, event))
        if check_only:
            return []
        unit.flush()
        ids = [(a, s, x, e.id if isinstance(e, Event) else e) for a, s, x, e in events]
        if on_recorded is not None and recorded is None:
            on_recorded(unit, {a.id: event_id for a, _, _, event_id in ids})
        item_provisos = {a.id: provisos.get(a.id, "") for a in artifacts}
        reference, purpose = request.reference, request.purpose
        recipient_name = organisation.short_name
        unit.commit()
    # The receipts need a checkpoint over the release entries: one for them all.
    ledger.sign_checkpoint(uow(), log_signer, settings.ledger_checkpoint_file)
    with uow() as unit:
        found = unit.session.execute(
            select(LedgerEntry.event_id, LedgerEntry.index, LedgerEntry.entry).where(
                LedgerEntry.event_id.in_([event_id for *_, event_id in ids])
            )
        ).all()
        indexes = {row[0]: int(row[1]) for row in found}
        entries = {int(row[1]): bytes(row[2]) for row in found}
    for artifact, sealed, label_xml, event_id in ids:
        prepared.append((artifact, sealed, label_xml, indexes[event_id]))
    recipient_key = serialization.load_pem_public_key(partner.wrapping_key.encode())
    assert isinstance(recipient_key, rsa.RSAPublicKey)
    made = []
    for artifact, sealed, label_xml, index in prepared:
        receipt = ledger.receipt(uow(), log_signer.verifier, settings.ledger_checkpoint_file, index)
        label = artifact.label
        data = tdf.build(
            sealed.chunks,
            tdf.Contents(
                mime_type=sealed.content_type,
                label=tdf.Label(
                    classification=label.classification,
                    common_level=label.common_level,
                    releasable_to=tuple(label.releasable_to),
                    noforn=label.noforn,
                    originator=label.originator,
                ),
                label_xml=label_xml,
                namespace=settings.ledger_origin.split("/", 1)[0],
                kas_url=partner.url,
                receipt=receipt,
                receipt_entry=entries[index],
                provenance={
                    "node": settings.ledger_origin,
                    "request": reference,
                    "item": artifact.reference,
                    "item_id": str(artifact.id),
                    "title": artifact.title,
                    "kind": artifact.kind.value,
                    "filename": sealed.filename,
                    "version": str(sealed.number),
                    "recipient": recipient_name,
                    "purpose": purpose.value,
                    "provisos": item_provisos[artifact.id],
                },
            ),
            recipient_key,
            signer_key,
        )
        made.append(
            Package(
                filename=f"{reference}-{artifact.reference}-{recipient_name}.tdf",
                data=data,
                ledger_index=index,
                request_reference=reference,
                recipient=recipient_name,
            )
        )
    return made
