"""Use cases of agreements: create, amend, change status, list and show."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.agreements.checks import (
    check_agreement,
    check_changed_funding_terms,
    check_status_change,
)
from coalition.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementParty,
    AgreementStatus,
    AgreementStatusChange,
    Amendment,
)
from coalition.agreements.rules import transition_problem
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
from coalition.common.events import changed_fields, jsonable, record_event
from coalition.common.paging import Page, PageRequest, fetch_page, like_pattern
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.registry.models import Organisation
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


def get_agreement(
    uow: UnitOfWork,
    actor: Principal,
    agreement_id: uuid.UUID,
    for_permission: Permission | None = None,
) -> AgreementOut:
    """One agreement; with ``for_permission``, only for a caller who holds it (edit pages)."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        agreement = get_agreement_row(uow.session, agreement_id)
        if for_permission is not None:
            require(actor, for_permission, agreement_target(uow.session, agreement))
        return agreement_out(uow.session, actor, agreement)


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
        agreement.parent = parent
        require(actor, Permission.AGREEMENT_CREATE, agreement_target(session, agreement))
        check_agreement(session, agreement)
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
        agreement = get_agreement_row(session, agreement_id, for_update=True)
        require(actor, Permission.AGREEMENT_UPDATE, agreement_target(session, agreement))
        if agreement.status in {AgreementStatus.TERMINATED, AgreementStatus.EXPIRED}:
            raise ValidationFailed.of("status", f"a {agreement.status} agreement cannot be edited")
        changes.pop("amendment", None)
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
            # Signing dates are facts from the paper, recorded as they come in; a party
            # sent without one keeps the date it has.
            signatures = {
                str(new.organisation_id): new.signed_on
                for new in parties
                if new.signed_on is not None
                and (kept := current.get(new.organisation_id)) is not None
                and kept.signed_on != new.signed_on
            }
            for organisation_id, signed_on in signatures.items():
                current[uuid.UUID(organisation_id)].signed_on = signed_on
            if signatures:
                applied["signatures"] = signatures
            changes.pop("parties")
        if "dispute_ladder" in changes and data.dispute_ladder is not None:
            changes["dispute_ladder"] = [s.model_dump() for s in data.dispute_ladder]
        before = {name: getattr(agreement, name) for name in changes}
        applied |= changed_fields(agreement, changes)
        check_agreement(session, agreement)
        check_changed_funding_terms(session, agreement, set(applied))
        binding = sorted(BINDING_FIELDS & set(applied))
        if agreement.status is not AgreementStatus.DRAFT and binding and data.amendment is None:
            # Raising here rolls back what was applied above.
            changed = ", ".join(name.replace("_", " ") for name in binding)
            raise ValidationFailed.of(
                "amendment",
                f"the agreement is {agreement.status.replace('_', ' ')}, so its {changed} "
                "change only by amendment: give the amendment's title, signing date and "
                "effective date",
            )
        require(actor, Permission.AGREEMENT_UPDATE, agreement_target(session, agreement))
        if data.amendment is not None:
            recorded = _new_amendment(agreement, data.amendment, sorted(applied))
            recorded.changes = jsonable(
                {
                    name: {"from": before[name], "to": value}
                    for name, value in applied.items()
                    if name in before
                }
            )
            uow.add(recorded)
            applied["amendment"] = recorded.number
        record_event(uow, actor, "agreements:agreement:update", agreement, applied)
        uow.commit()
        return agreement_out(session, actor, agreement)


def change_status(
    uow: UnitOfWork,
    actor: Principal,
    agreement_id: uuid.UUID,
    data: StatusChangeIn,
    today: date | None = None,
) -> AgreementOut:
    with uow:
        uow.for_writing()
        session = uow.session
        agreement = get_agreement_row(session, agreement_id, for_update=True)
        require(actor, Permission.AGREEMENT_STATUS, agreement_target(session, agreement))
        problem = transition_problem(agreement.status, data.to_status) or check_status_change(
            session, agreement, data.to_status, today or date.today()
        )
        if problem:
            raise ValidationFailed.of("to_status", problem)
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
        agreement = get_agreement_row(session, agreement_id, for_update=True)
        require(actor, Permission.AGREEMENT_UPDATE, agreement_target(session, agreement))
        amendment = _new_amendment(agreement, data, [])
        uow.add(amendment)
        uow.flush()
        record_event(uow, actor, "agreements:amendment:create", amendment, data.model_dump())
        uow.commit()
        return AmendmentOut.model_validate(amendment)


#: Terms the parties agreed to: once the agreement is in force they change only by amendment.
BINDING_FIELDS = frozenset(
    {
        "parties",
        "effective_from",
        "expires_on",
        "classification_ceiling",
        "default_releasability",
        "decision_rule",
        "qualified_majority_percent",
        "dispute_ladder",
        "ip_regime",
        "invention_disclosure_days",
        "filing_decision_days",
        "transfer_objection_days",
        "cost_share_rule",
        "cost_shares",
        "fixed_contributions",
        "work_package_shares",
        "accounting_currency",
        "exchange_rates",
        "balance_band_low_percent",
        "balance_band_high_percent",
    }
)


def _new_amendment(agreement: Agreement, data: AmendmentIn, changed: list[str]) -> Amendment:
    if data.effective_from < data.signed_on:
        raise ValidationFailed.of("amendment.effective_from", "cannot be before signed_on")
    if data.effective_from < agreement.effective_from:
        raise ValidationFailed.of(
            "amendment.effective_from", "is before the agreement takes effect"
        )
    number = max((a.number for a in agreement.amendments), default=0) + 1
    return Amendment(
        agreement=agreement, number=number, changed_fields=changed, **data.model_dump()
    )


def get_agreement_row(
    session: Session, agreement_id: uuid.UUID, *, for_update: bool = False
) -> Agreement:
    """The agreement; ``for_update`` locks its row (PostgreSQL) so that changes to it, to the
    agreements under it and to its projects take turns and check each other's results."""
    agreement = session.get(
        Agreement,
        agreement_id,
        options=[selectinload(Agreement.parties)],
        with_for_update=for_update,
        populate_existing=for_update,
    )
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
    parent = session.get(Agreement, parent_id, with_for_update=True)
    if parent is None:
        problems.add("parent_id", "no agreement with this id")
    return parent
