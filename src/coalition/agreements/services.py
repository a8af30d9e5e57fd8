"""Use cases of agreements: create, amend, change status, list and show."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementParty,
    AgreementStatus,
    AgreementStatusChange,
    Amendment,
)
from coalition.agreements.rules import check_terms, transition_problem
from coalition.agreements.schemas import (
    AgreementIn,
    AgreementOut,
    AgreementSummary,
    AgreementUpdate,
    AmendmentIn,
    AmendmentOut,
    PartyIn,
    StatusChangeIn,
)
from coalition.common.access import allowed_actions, require
from coalition.common.events import changed_fields, record_event
from coalition.common.paging import Page, PageRequest, fetch_page, like_pattern
from coalition.common.validation import nation_code
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.registry.models import NationGroup, Organisation
from coalition.registry.services import organisation_target
from coalition.store.uow import UnitOfWork


def agreement_target(session: Session, agreement: Agreement) -> Target:
    ids: set[uuid.UUID] = set()
    for party in agreement.parties:
        ids |= organisation_target(session, party.organisation).organisation_ids
    return Target.of(ids)


def agreement_out(session: Session, actor: Principal, agreement: Agreement) -> AgreementOut:
    children = session.scalars(
        select(Agreement).where(Agreement.parent_id == agreement.id).order_by(Agreement.reference)
    )
    data: dict[str, Any] = {
        name: getattr(agreement, name)
        for name in AgreementOut.model_fields
        if name not in {"children", "parties", "status_changes", "amendments", "allowed_actions"}
    }
    return AgreementOut.model_validate(
        {
            **data,
            "parties": agreement.parties,
            "status_changes": agreement.status_changes,
            "amendments": agreement.amendments,
            "children": [AgreementSummary.model_validate(c) for c in children],
            "allowed_actions": allowed_actions(
                actor,
                agreement_target(session, agreement),
                (Permission.AGREEMENT_UPDATE, Permission.AGREEMENT_STATUS),
            ),
        }
    )


def list_agreements(
    uow: UnitOfWork,
    actor: Principal,
    page: PageRequest,
    *,
    q: str | None = None,
    kind: AgreementKind | None = None,
    status: AgreementStatus | None = None,
    organisation_id: uuid.UUID | None = None,
    nation: str | None = None,
) -> Page[AgreementSummary]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    query: Select[Agreement] = select(Agreement).order_by(Agreement.reference)
    if q:
        pattern = like_pattern(q)
        query = query.where(
            Agreement.reference.ilike(pattern, escape="\\")
            | Agreement.title.ilike(pattern, escape="\\")
        )
    if kind:
        query = query.where(Agreement.kind == kind)
    if status:
        query = query.where(Agreement.status == status)
    if organisation_id:
        query = query.where(
            Agreement.parties.any(AgreementParty.organisation_id == organisation_id)
        )
    if nation:
        query = query.where(
            Agreement.parties.any(
                AgreementParty.organisation.has(Organisation.nation_code == nation.upper())
            )
        )
    with uow:
        rows, total = fetch_page(uow.session, query, page)
        items = [AgreementSummary.model_validate(a) for a in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def get_agreement(uow: UnitOfWork, actor: Principal, agreement_id: uuid.UUID) -> AgreementOut:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        return agreement_out(uow.session, actor, get_agreement_row(uow.session, agreement_id))


def create_agreement(uow: UnitOfWork, actor: Principal, data: AgreementIn) -> AgreementOut:
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        parties = _parties(session, data.parties, problems)
        parent = _parent(session, data.parent_id, problems)
        problems.raise_if_any()
        agreement = Agreement(
            **data.model_dump(exclude={"parties", "dispute_ladder"}),
            dispute_ladder=[s.model_dump() for s in data.dispute_ladder],
            parties=parties,
        )
        require(actor, Permission.AGREEMENT_CREATE, agreement_target(session, agreement))
        _check_agreement(session, agreement, parent)
        if session.scalar(select(Agreement.id).where(Agreement.reference == data.reference)):
            raise Conflict(f"reference: an agreement '{data.reference}' already exists")
        uow.add(agreement)
        uow.flush()
        record_event(uow, actor, "agreements:agreement:create", agreement, data.model_dump())
        uow.commit()
        return agreement_out(session, actor, agreement)


def update_agreement(
    uow: UnitOfWork, actor: Principal, agreement_id: uuid.UUID, data: AgreementUpdate
) -> AgreementOut:
    changes = data.model_dump(exclude_unset=True)
    with uow:
        uow.for_writing()
        session = uow.session
        agreement = get_agreement_row(session, agreement_id)
        require(actor, Permission.AGREEMENT_UPDATE, agreement_target(session, agreement))
        if agreement.status in {AgreementStatus.TERMINATED, AgreementStatus.EXPIRED}:
            raise ValidationFailed.of("status", f"a {agreement.status} agreement cannot be edited")
        applied: dict[str, Any] = {}
        if "parties" in changes:
            problems = Problems()
            parties = _parties(session, data.parties or [], problems)
            problems.raise_if_any()
            current = {p.organisation_id: p for p in agreement.parties}
            if set(current) != {p.organisation_id for p in parties}:
                # Reuse the rows of parties that stay (see update_person on why).
                agreement.parties = [current.get(p.organisation_id, p) for p in parties]
                applied["parties"] = sorted(str(p.organisation_id) for p in parties)
            changes.pop("parties")
        if "dispute_ladder" in changes and data.dispute_ladder is not None:
            changes["dispute_ladder"] = [s.model_dump() for s in data.dispute_ladder]
        applied |= changed_fields(agreement, changes)
        _check_agreement(session, agreement, agreement.parent)
        require(actor, Permission.AGREEMENT_UPDATE, agreement_target(session, agreement))
        record_event(uow, actor, "agreements:agreement:update", agreement, applied)
        uow.commit()
        return agreement_out(session, actor, agreement)


def change_status(
    uow: UnitOfWork, actor: Principal, agreement_id: uuid.UUID, data: StatusChangeIn
) -> AgreementOut:
    with uow:
        uow.for_writing()
        session = uow.session
        agreement = get_agreement_row(session, agreement_id)
        require(actor, Permission.AGREEMENT_STATUS, agreement_target(session, agreement))
        problem = transition_problem(agreement.status, data.to_status)
        if problem:
            raise ValidationFailed.of("to_status", problem)
        parent = agreement.parent
        if (
            data.to_status is AgreementStatus.IN_FORCE
            and parent is not None
            and parent.status is not AgreementStatus.IN_FORCE
        ):
            raise ValidationFailed.of(
                "to_status", f"the parent agreement {parent.reference} is {parent.status}"
            )
        agreement.status_changes.append(
            AgreementStatusChange(
                from_status=agreement.status,
                to_status=data.to_status,
                actor=actor.name,
                reason=data.reason,
            )
        )
        event = {"from": agreement.status, "to": data.to_status, "reason": data.reason}
        agreement.status = data.to_status
        record_event(uow, actor, "agreements:agreement:status", agreement, event)
        uow.commit()
        return agreement_out(session, actor, agreement)


def add_amendment(
    uow: UnitOfWork, actor: Principal, agreement_id: uuid.UUID, data: AmendmentIn
) -> AmendmentOut:
    with uow:
        uow.for_writing()
        session = uow.session
        agreement = get_agreement_row(session, agreement_id)
        require(actor, Permission.AGREEMENT_UPDATE, agreement_target(session, agreement))
        if data.effective_from < data.signed_on:
            raise ValidationFailed.of("effective_from", "cannot be before signed_on")
        if data.effective_from < agreement.effective_from:
            raise ValidationFailed.of("effective_from", "is before the agreement takes effect")
        number = max((a.number for a in agreement.amendments), default=0) + 1
        amendment = Amendment(agreement=agreement, number=number, **data.model_dump())
        uow.add(amendment)
        uow.flush()
        record_event(uow, actor, "agreements:amendment:create", amendment, data.model_dump())
        uow.commit()
        return AmendmentOut.model_validate(amendment)


def get_agreement_row(session: Session, agreement_id: uuid.UUID) -> Agreement:
    agreement = session.get(Agreement, agreement_id, options=[selectinload(Agreement.parties)])
    if agreement is None:
        raise NotFound("no agreement with this id")
    return agreement


def _parties(session: Session, parties: list[PartyIn], problems: Problems) -> list[AgreementParty]:
    out: list[AgreementParty] = []
    seen: set[uuid.UUID] = set()
    for index, party in enumerate(parties):
        organisation = session.get(Organisation, party.organisation_id)
        if organisation is None:
            problems.add(f"parties[{index}].organisation_id", "no organisation with this id")
            continue
        if organisation.id in seen:
            problems.add(f"parties[{index}].organisation_id", "is listed twice")
            continue
        seen.add(organisation.id)
        out.append(
            AgreementParty(
                organisation=organisation,
                organisation_id=organisation.id,
                signed_on=party.signed_on,
            )
        )
    return out


def _parent(session: Session, parent_id: uuid.UUID | None, problems: Problems) -> Agreement | None:
    if parent_id is None:
        return None
    parent = session.get(Agreement, parent_id)
    if parent is None:
        problems.add("parent_id", "no agreement with this id")
    return parent


def _check_agreement(session: Session, agreement: Agreement, parent: Agreement | None) -> None:
    problems = Problems()
    if agreement.expires_on is not None and agreement.expires_on <= agreement.effective_from:
        problems.add("expires_on", "must be after effective_from")
    if parent is not None:
        if parent.effective_from > agreement.effective_from:
            problems.add("effective_from", f"is before the parent {parent.reference} takes effect")
        if parent.expires_on and (
            agreement.expires_on is None or agreement.expires_on > parent.expires_on
        ):
            problems.add("expires_on", f"must not outlast the parent {parent.reference}")
        if agreement.classification_ceiling > parent.classification_ceiling:
            problems.add("classification_ceiling", f"exceeds the parent {parent.reference}'s")
    party_nations = {p.organisation.nation_code for p in agreement.parties}
    known_groups = set(session.scalars(select(NationGroup.code)))
    for index, code in enumerate(agreement.default_releasability):
        if code in known_groups:
            continue
        try:
            nation_code(code)
        except ValueError:
            problems.add(f"default_releasability[{index}]", f"'{code}' is no nation or group")
    check_terms(
        problems,
        decision_rule=agreement.decision_rule,
        qualified_majority_percent=agreement.qualified_majority_percent,
        cost_share_rule=agreement.cost_share_rule,
        cost_shares=agreement.cost_shares,
        party_nations=party_nations,
    )
    problems.raise_if_any()


def agreement_in_force_on(agreement: Agreement, day: date) -> bool:
    from coalition.agreements.rules import is_in_force_on

    return is_in_force_on(agreement.status, agreement.effective_from, agreement.expires_on, day)
