"""Use cases of the registry: nations, groups, schemes, organisations, security agreements.

People, clearances and briefings are in :mod:`coalition.registry.people`.
"""

from __future__ import annotations

import uuid
from datetime import date

import pycountry
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import allowed_actions, require
from coalition.common.events import changed_fields, record_event
from coalition.common.paging import Page, PageRequest, fetch_page, like_pattern
from coalition.common.validation import nation_code
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.registry.models import (
    ClassificationScheme,
    ClearanceLevelName,
    Nation,
    NationGroup,
    Organisation,
    OrganisationKind,
    SecurityAgreement,
    SecurityAgreementParty,
)
from coalition.registry.rules import SUPRANATIONAL_ISSUERS
from coalition.registry.schemas import (
    ClearanceNameOut,
    GroupOut,
    NationIn,
    NationOut,
    NationUpdate,
    OrganisationIn,
    OrganisationOut,
    OrganisationUpdate,
    SchemeOut,
    SecurityAgreementIn,
    SecurityAgreementOut,
    SecurityAgreementUpdate,
)
from coalition.store.uow import UnitOfWork

# --- nations, groups, schemes ---------------------------------------------------------------


def list_nations(uow: UnitOfWork, actor: Principal) -> list[NationOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        rows = uow.session.scalars(select(Nation).order_by(Nation.code))
        return [NationOut.model_validate(n) for n in rows]


def get_nation(uow: UnitOfWork, actor: Principal, code: str) -> NationOut:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        return NationOut.model_validate(_nation(uow.session, code))


def create_nation(uow: UnitOfWork, actor: Principal, data: NationIn) -> NationOut:
    require(actor, Permission.NATION_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        if session.get(Nation, data.code) is not None:
            raise Conflict(f"nation {data.code} already exists")
        _check_scheme(session, data.scheme_code)
        country = pycountry.countries.get(alpha_3=data.code)
        iso_name = getattr(country, "common_name", None) or getattr(country, "name", data.code)
        nation = Nation(
            code=data.code,
            name=data.name or iso_name,
            scheme_code=data.scheme_code,
            fiscal_year_start_month=data.fiscal_year_start_month,
            fiscal_year_start_day=data.fiscal_year_start_day,
            currency=data.currency,
        )
        _check_fiscal_start(nation.fiscal_year_start_month, nation.fiscal_year_start_day)
        uow.add(nation)
        record_event(uow, actor, "registry:nation:create", nation, data.model_dump())
        uow.commit()
        return NationOut.model_validate(nation)


def update_nation(uow: UnitOfWork, actor: Principal, code: str, data: NationUpdate) -> NationOut:
    require(actor, Permission.NATION_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        nation = _nation(uow.session, code)
        changes = data.model_dump(exclude_unset=True)
        if "scheme_code" in changes:
            _check_scheme(uow.session, changes["scheme_code"])
        applied = changed_fields(nation, changes)
        _check_fiscal_start(nation.fiscal_year_start_month, nation.fiscal_year_start_day)
        record_event(uow, actor, "registry:nation:update", nation, applied)
        uow.commit()
        return NationOut.model_validate(nation)


def _check_fiscal_start(month: int, day: int) -> None:
    try:
        date(2001, month, day)  # a non-leap year: 29 February is no fiscal-year start
    except ValueError as exc:
        raise ValidationFailed.of(
            "fiscal_year_start_day", f"no day {day} in month {month}"
        ) from exc


def _check_scheme(session: Session, code: str | None) -> None:
    if code is not None and session.get(ClassificationScheme, code) is None:
        raise ValidationFailed.of("scheme_code", f"no classification scheme '{code}' is loaded")


def _nation(session: Session, code: str) -> Nation:
    nation = session.get(Nation, code.upper())
    if nation is None:
        raise NotFound(f"no nation {code.upper()}")
    return nation


def list_groups(uow: UnitOfWork, actor: Principal) -> list[GroupOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        query = select(NationGroup).options(selectinload(NationGroup.memberships))
        return [GroupOut.model_validate(g) for g in uow.session.scalars(query.order_by("code"))]


def list_schemes(uow: UnitOfWork, actor: Principal) -> list[SchemeOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        query = select(ClassificationScheme).options(selectinload(ClassificationScheme.levels))
        return [SchemeOut.model_validate(s) for s in uow.session.scalars(query.order_by("code"))]


def list_clearance_names(uow: UnitOfWork, actor: Principal) -> list[ClearanceNameOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        query = select(ClearanceLevelName).order_by("issuer", "level", "name")
        return [ClearanceNameOut.model_validate(c) for c in uow.session.scalars(query)]


# --- organisations --------------------------------------------------------------------------


def list_organisations(
    uow: UnitOfWork,
    actor: Principal,
    page: PageRequest,
    *,
    q: str | None = None,
    nation: str | None = None,
    kind: OrganisationKind | None = None,
) -> Page[OrganisationOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    query: Select[Organisation] = select(Organisation).order_by(Organisation.short_name)
    if q:
        pattern = like_pattern(q)
        query = query.where(
            Organisation.name.ilike(pattern, escape="\\")
            | Organisation.short_name.ilike(pattern, escape="\\")
        )
    if nation:
        query = query.where(Organisation.nation_code == nation.upper())
    if kind:
        query = query.where(Organisation.kind == kind)
    with uow:
        rows, total = fetch_page(uow.session, query, page)
        items = [OrganisationOut.model_validate(o) for o in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def get_organisation(
    uow: UnitOfWork,
    actor: Principal,
    organisation_id: uuid.UUID,
    for_permission: Permission | None = None,
) -> OrganisationOut:
    """One organisation; with ``for_permission``, only for a caller who holds it."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        row = get_organisation_row(uow.session, organisation_id)
        if for_permission is not None:
            require(actor, for_permission, organisation_target(uow.session, row))
        return organisation_out(uow.session, actor, row)


def create_organisation(uow: UnitOfWork, actor: Principal, data: OrganisationIn) -> OrganisationOut:
    require(actor, Permission.ORGANISATION_CREATE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        if session.get(Nation, data.nation_code) is None:
            problems.add("nation_code", f"{data.nation_code} is not a nation on this node")
        if data.parent_id is not None and session.get(Organisation, data.parent_id) is None:
            problems.add("parent_id", "no organisation with this id")
        problems.raise_if_any()
        _check_short_name_free(session, data.short_name)
        organisation = Organisation(**data.model_dump())
        uow.add(organisation)
        uow.flush()
        record_event(uow, actor, "registry:organisation:create", organisation, data.model_dump())
        uow.commit()
        return organisation_out(session, actor, organisation)


def update_organisation(
    uow: UnitOfWork, actor: Principal, organisation_id: uuid.UUID, data: OrganisationUpdate
) -> OrganisationOut:
    with uow:
        uow.for_writing()
        session = uow.session
        organisation = get_organisation_row(session, organisation_id)
        require(actor, Permission.ORGANISATION_UPDATE, organisation_target(session, organisation))
        changes = data.model_dump(exclude_unset=True)
        if changes.get("short_name") not in (None, organisation.short_name):
            _check_short_name_free(session, changes["short_name"])
        if "parent_id" in changes and changes["parent_id"] is not None:
            _check_parent(session, organisation, changes["parent_id"])
        applied = changed_fields(organisation, changes)
        record_event(uow, actor, "registry:organisation:update", organisation, applied)
        uow.commit()
        return organisation_out(session, actor, organisation)


def _check_short_name_free(session: Session, short_name: str) -> None:
    taken = session.scalar(select(Organisation.id).where(Organisation.short_name == short_name))
    if taken is not None:
        raise Conflict(f"short_name: an organisation called '{short_name}' already exists")


def _check_parent(session: Session, organisation: Organisation, parent_id: uuid.UUID) -> None:
    parent = session.get(Organisation, parent_id)
    if parent is None:
        raise ValidationFailed.of("parent_id", "no organisation with this id")
    seen = {organisation.id}
    while parent is not None:
        if parent.id in seen:
            raise ValidationFailed.of("parent_id", "would make the organisation its own ancestor")
        seen.add(parent.id)
        parent = parent.parent


def organisation_out(session: Session, actor: Principal, row: Organisation) -> OrganisationOut:
    out = OrganisationOut.model_validate(row)
    out.allowed_actions = allowed_actions(
        actor,
        organisation_target(session, row),
        (Permission.ORGANISATION_UPDATE, Permission.PERSON_CREATE),
    )
    return out


def get_organisation_row(session: Session, organisation_id: uuid.UUID) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("no organisation with this id")
    return organisation


def organisation_target(session: Session, organisation: Organisation) -> Target:
    """An organisation is governed by its own roles and those of its parents."""
    ids: list[uuid.UUID] = []
    current: Organisation | None = organisation
    while current is not None and current.id not in ids:
        ids.append(current.id)
        current = current.parent
    return Target.of(ids)


# --- security agreements --------------------------------------------------------------------


def _party(value: str) -> str:
    code = value.strip().upper()
    if code in SUPRANATIONAL_ISSUERS:
        return code
    return nation_code(code)


def _agreement_out(agreement: SecurityAgreement) -> SecurityAgreementOut:
    return SecurityAgreementOut(
        id=agreement.id,
        reference=agreement.reference,
        title=agreement.title,
        parties=[p.party for p in agreement.parties],
        max_level=agreement.max_level,
        in_force_from=agreement.in_force_from,
        in_force_until=agreement.in_force_until,
        version=agreement.version,
    )


def list_security_agreements(
    uow: UnitOfWork, actor: Principal, *, party: str | None = None
) -> list[SecurityAgreementOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    query = select(SecurityAgreement).options(selectinload(SecurityAgreement.parties))
    if party:
        query = query.where(
            SecurityAgreement.parties.any(SecurityAgreementParty.party == party.upper())
        )
    with uow:
        rows = uow.session.scalars(query.order_by(SecurityAgreement.reference))
        return [_agreement_out(a) for a in rows]


def get_security_agreement(
    uow: UnitOfWork, actor: Principal, agreement_id: uuid.UUID
) -> SecurityAgreementOut:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        return _agreement_out(_security_agreement(uow.session, agreement_id))


def create_security_agreement(
    uow: UnitOfWork, actor: Principal, data: SecurityAgreementIn
) -> SecurityAgreementOut:
    require(actor, Permission.SECURITY_AGREEMENT_MANAGE, Target.node())
    problems = Problems()
    parties: list[str] = []
    for index, raw in enumerate(data.parties):
        try:
            parties.append(_party(raw))
        except ValueError as exc:
            problems.add(f"parties[{index}]", f"{exc}; or NATO / EU")
    if len(set(parties)) != len(parties):
        problems.add("parties", "lists a party twice")
    if data.in_force_until and data.in_force_until <= data.in_force_from:
        problems.add("in_force_until", "must be after in_force_from")
    problems.raise_if_any()
    with uow:
        uow.for_writing()
        session = uow.session
        taken = session.scalar(
            select(SecurityAgreement.id).where(SecurityAgreement.reference == data.reference)
        )
        if taken is not None:
            raise Conflict(f"reference: a security agreement '{data.reference}' already exists")
        agreement = SecurityAgreement(
            reference=data.reference,
            title=data.title,
            max_level=data.max_level,
            in_force_from=data.in_force_from,
            in_force_until=data.in_force_until,
            parties=[SecurityAgreementParty(party=p) for p in sorted(parties)],
        )
        uow.add(agreement)
        uow.flush()
        record_event(uow, actor, "registry:security_agreement:create", agreement, data.model_dump())
        uow.commit()
        return _agreement_out(agreement)


def update_security_agreement(
    uow: UnitOfWork, actor: Principal, agreement_id: uuid.UUID, data: SecurityAgreementUpdate
) -> SecurityAgreementOut:
    require(actor, Permission.SECURITY_AGREEMENT_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        agreement = _security_agreement(uow.session, agreement_id)
        applied = changed_fields(agreement, data.model_dump(exclude_unset=True))
        if agreement.in_force_until and agreement.in_force_until <= agreement.in_force_from:
            raise ValidationFailed.of("in_force_until", "must be after in_force_from")
        record_event(uow, actor, "registry:security_agreement:update", agreement, applied)
        uow.commit()
        return _agreement_out(agreement)


def _security_agreement(session: Session, agreement_id: uuid.UUID) -> SecurityAgreement:
    agreement = session.get(SecurityAgreement, agreement_id)
    if agreement is None:
        raise NotFound("no security agreement with this id")
    return agreement
