"""Use cases for people, their clearances (with history) and briefings."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target, authorize
from coalition.common.access import allowed_actions, require
from coalition.common.events import changed_fields, record_event
from coalition.common.paging import Page, PageRequest, fetch_page, like_pattern
from coalition.common.validation import ranges_overlap
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.registry.models import (
    Briefing,
    Citizenship,
    Clearance,
    ClearanceChange,
    ClearanceLevelName,
    ClearanceStatus,
    DualNationalExemption,
    Organisation,
    Person,
    PersonStatus,
)
from coalition.registry.rules import clearance_issuer_problem
from coalition.registry.schemas import (
    BriefingIn,
    BriefingOut,
    ClearanceChangeOut,
    ClearanceIn,
    ClearanceOut,
    ClearanceUpdate,
    DualNationalExemptionIn,
    DualNationalExemptionOut,
    ExpiringClearance,
    OrganisationRef,
    PersonIn,
    PersonOut,
    PersonSummary,
    PersonUpdate,
)
from coalition.registry.services import organisation_target
from coalition.store.uow import UnitOfWork

MAX_HORIZON_DAYS = 3650
LATEST_DAY = date(9000, 1, 1)


def person_target(session: Session, person: Person) -> Target:
    employer = organisation_target(session, person.employer)
    return Target.of(employer.organisation_ids, person=person.id)


def _summary(person: Person) -> PersonSummary:
    return PersonSummary(
        id=person.id,
        given_name=person.given_name,
        family_name=person.family_name,
        email=person.email,
        status=person.status,
        employer=OrganisationRef.model_validate(person.employer),
        citizenships=[c.nation_code for c in person.citizenships],
        job_title=person.job_title,
    )


def clearance_out(clearance: Clearance, today: date) -> ClearanceOut:
    return ClearanceOut(
        id=clearance.id,
        person_id=clearance.person_id,
        issuer=clearance.issuer,
        level_name=clearance.level_name,
        level=clearance.level,
        valid_from=clearance.valid_from,
        valid_until=clearance.valid_until,
        status=clearance.status,
        reference=clearance.reference,
        asserted_by=clearance.asserted_by,
        history=[ClearanceChangeOut.model_validate(h) for h in clearance.history],
        is_current=clearance.status is ClearanceStatus.ACTIVE
        and clearance.valid_from <= today < clearance.valid_until,
    )


def _person_out(session: Session, actor: Principal, person: Person, today: date) -> PersonOut:
    out = PersonOut(
        **_summary(person).model_dump(),
        created_at=person.created_at,
        updated_at=person.updated_at,
        version=person.version,
    )
    target = person_target(session, person)
    out.allowed_actions = allowed_actions(
        actor,
        target,
        (
            Permission.PERSON_UPDATE,
            Permission.CLEARANCE_MANAGE,
            Permission.BRIEFING_MANAGE,
            Permission.DECISION_EXPLAIN,
            Permission.DUAL_NATIONAL_EXEMPT,
        ),
    )
    if authorize(actor, Permission.CLEARANCE_READ, target):
        out.clearances = [clearance_out(c, today) for c in person.clearances]
        out.briefings = [BriefingOut.model_validate(b) for b in person.briefings]
    return out


def list_people(
    uow: UnitOfWork,
    actor: Principal,
    page: PageRequest,
    *,
    q: str | None = None,
    organisation_id: uuid.UUID | None = None,
    citizenship: str | None = None,
    status: PersonStatus | None = None,
) -> Page[PersonSummary]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    query: Select[Person] = (
        select(Person)
        .options(selectinload(Person.citizenships), selectinload(Person.employer))
        .order_by(Person.family_name, Person.given_name, Person.id)
    )
    if q:
        pattern = like_pattern(q)
        query = query.where(
            Person.given_name.ilike(pattern, escape="\\")
            | Person.family_name.ilike(pattern, escape="\\")
            | Person.email.ilike(pattern, escape="\\")
        )
    if organisation_id:
        query = query.where(Person.employer_id == organisation_id)
    if citizenship:
        query = query.where(Person.citizenships.any(Citizenship.nation_code == citizenship.upper()))
    if status:
        query = query.where(Person.status == status)
    with uow:
        rows, total = fetch_page(uow.session, query, page)
        items = [_summary(p) for p in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def get_person(
    uow: UnitOfWork,
    actor: Principal,
    person_id: uuid.UUID,
    today: date | None = None,
    for_permission: Permission | None = None,
) -> PersonOut:
    """One person; with ``for_permission``, only for a caller who holds it (edit pages)."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        person = _person(uow.session, person_id)
        if for_permission is not None:
            require(actor, for_permission, person_target(uow.session, person))
        return _person_out(uow.session, actor, person, today or date.today())


def create_person(uow: UnitOfWork, actor: Principal, data: PersonIn) -> PersonOut:
    _check_distinct_citizenships(data.citizenships)
    with uow:
        uow.for_writing()
        session = uow.session
        employer = _employer(session, data.employer_id)
        require(actor, Permission.PERSON_CREATE, organisation_target(session, employer))
        _check_email_free(session, data.email)
        person = Person(
            given_name=data.given_name,
            family_name=data.family_name,
            email=data.email.lower(),
            employer=employer,
            job_title=data.job_title,
            citizenships=[Citizenship(nation_code=c) for c in data.citizenships],
        )
        uow.add(person)
        uow.flush()
        record_event(uow, actor, "registry:person:create", person, data.model_dump())
        uow.commit()
        return _person_out(session, actor, person, date.today())


def update_person(
    uow: UnitOfWork, actor: Principal, person_id: uuid.UUID, data: PersonUpdate
) -> PersonOut:
    changes = data.model_dump(exclude_unset=True)
    with uow:
        uow.for_writing()
        session = uow.session
        person = _person(session, person_id)
        require(actor, Permission.PERSON_UPDATE, person_target(session, person))
        applied: dict[str, object] = {}
        if "employer_id" in changes:
            new_employer = _employer(session, changes.pop("employer_id"))
            # Moving someone to another organisation needs rights over both.
            require(actor, Permission.PERSON_UPDATE, organisation_target(session, new_employer))
            if new_employer.id != person.employer_id:
                person.employer = new_employer
                applied["employer_id"] = new_employer.id
        if "email" in changes:
            changes["email"] = changes["email"].lower()
            if changes["email"] != person.email:
                _check_email_free(session, changes["email"])
        if "citizenships" in changes:
            wanted = changes.pop("citizenships")
            _check_distinct_citizenships(wanted)
            if sorted(wanted) != sorted(c.nation_code for c in person.citizenships):
                # Keep the rows of nations that stay: replacing them all would insert the
                # new row before the old one is deleted and trip the unique constraint.
                kept = [c for c in person.citizenships if c.nation_code in wanted]
                held = {c.nation_code for c in kept}
                person.citizenships = kept + [
                    Citizenship(nation_code=c) for c in wanted if c not in held
                ]
                applied["citizenships"] = wanted
        applied |= changed_fields(person, changes)
        if {"citizenships", "employer_id"} & set(applied):
            _check_clearances_still_fit(person, date.today())
        record_event(uow, actor, "registry:person:update", person, applied)
        uow.commit()
        return _person_out(session, actor, person, date.today())


def _check_clearances_still_fit(person: Person, today: date) -> None:
    """A new employer or fewer citizenships must not leave a live clearance from an issuer
    that could no longer have issued it."""
    citizenships = [c.nation_code for c in person.citizenships]
    for clearance in person.clearances:
        if clearance.status is ClearanceStatus.REVOKED or clearance.valid_until <= today:
            continue
        if clearance_issuer_problem(clearance.issuer, person.employer.nation_code, citizenships):
            raise ValidationFailed.of(
                "citizenships",
                f"the {clearance.issuer} {clearance.level_name} clearance would no longer fit "
                f"this person's nations or employer; revoke it first",
            )


def _check_distinct_citizenships(codes: list[str]) -> None:
    if len(set(codes)) != len(codes):
        raise ValidationFailed.of("citizenships", "lists a nation twice")


def _check_email_free(session: Session, email: str) -> None:
    taken = session.scalar(select(Person.id).where(Person.email == email.lower()))
    if taken is not None:
        raise Conflict("email: another person already uses this address")


def _employer(session: Session, organisation_id: uuid.UUID) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise ValidationFailed.of("employer_id", "no organisation with this id")
    return organisation


def _person(session: Session, person_id: uuid.UUID) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("no person with this id")
    return person


# --- clearances -----------------------------------------------------------------------------


def add_clearance(
    uow: UnitOfWork, actor: Principal, person_id: uuid.UUID, data: ClearanceIn
) -> ClearanceOut:
    issuer = data.issuer.strip().upper()
    with uow:
        uow.for_writing()
        session = uow.session
        person = _person(session, person_id)
        require(actor, Permission.CLEARANCE_MANAGE, person_target(session, person))
        level = _clearance_level(session, issuer, data.level_name)
        problems = Problems()
        issuer_problem = clearance_issuer_problem(
            issuer, person.employer.nation_code, [c.nation_code for c in person.citizenships]
        )
        if issuer_problem:
            problems.add("issuer", issuer_problem)
        if data.valid_until <= data.valid_from:
            problems.add("valid_until", "must be after valid_from")
        problems.raise_if_any()
        _check_no_overlap(person, issuer, data.valid_from, data.valid_until, None)
        clearance = Clearance(
            person=person,
            issuer=issuer,
            level_name=data.level_name,
            level=level,
            valid_from=data.valid_from,
            valid_until=data.valid_until,
            reference=data.reference,
        )
        clearance.history.append(
            ClearanceChange(
                actor=actor.name, changes=data.model_dump(mode="json"), reason="granted"
            )
        )
        uow.add(clearance)
        uow.flush()
        record_event(uow, actor, "registry:clearance:create", clearance, data.model_dump())
        uow.commit()
        return clearance_out(clearance, date.today())


def update_clearance(
    uow: UnitOfWork, actor: Principal, clearance_id: uuid.UUID, data: ClearanceUpdate
) -> ClearanceOut:
    changes = data.model_dump(exclude_unset=True, exclude={"reason"})
    with uow:
        uow.for_writing()
        session = uow.session
        clearance = session.get(Clearance, clearance_id)
        if clearance is None:
            raise NotFound("no clearance with this id")
        require(actor, Permission.CLEARANCE_MANAGE, person_target(session, clearance.person))
        if clearance.status is ClearanceStatus.REVOKED:
            raise ValidationFailed.of("status", "a revoked clearance cannot be changed")
        if "level_name" in changes:
            changes["level"] = _clearance_level(session, clearance.issuer, changes["level_name"])
        start = changes.get("valid_from", clearance.valid_from)
        end = changes.get("valid_until", clearance.valid_until)
        if end <= start:
            raise ValidationFailed.of("valid_until", "must be after valid_from")
        _check_no_overlap(clearance.person, clearance.issuer, start, end, clearance.id)
        applied = changed_fields(clearance, changes)
        if not applied:
            raise ValidationFailed.of("body", "changes nothing")
        clearance.history.append(
            ClearanceChange(
                actor=actor.name,
                changes={k: _plain(v) for k, v in applied.items()},
                reason=data.reason,
            )
        )
        record_event(
            uow, actor, "registry:clearance:update", clearance, {**applied, "reason": data.reason}
        )
        uow.commit()
        return clearance_out(clearance, date.today())


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else str(value) if value else value


def _clearance_level(session: Session, issuer: str, level_name: str) -> int:
    row = session.scalar(
        select(ClearanceLevelName).where(
            ClearanceLevelName.issuer == issuer, ClearanceLevelName.name == level_name
        )
    )
    if row is None:
        known = session.scalars(
            select(ClearanceLevelName.name).where(ClearanceLevelName.issuer == issuer)
        ).all()
        hint = (
            f"; {issuer} issues {', '.join(known)}" if known else f"; no names known for {issuer}"
        )
        raise ValidationFailed.of(
            "level_name", f"'{level_name}' is not a clearance of {issuer}{hint}"
        )
    return row.level


def _check_no_overlap(
    person: Person, issuer: str, start: date, end: date, own_id: uuid.UUID | None
) -> None:
    for other in person.clearances:
        if other.id == own_id or other.issuer != issuer:
            continue
        if other.status is ClearanceStatus.REVOKED:
            continue
        if ranges_overlap(start, end, other.valid_from, other.valid_until):
            raise ValidationFailed.of(
                "valid_from",
                f"overlaps the {issuer} {other.level_name} clearance valid "
                f"{other.valid_from} to {other.valid_until}; change or revoke that one first",
            )


def expiring_clearances(
    uow: UnitOfWork, actor: Principal, within_days: int = 90, today: date | None = None
) -> list[ExpiringClearance]:
    """Active clearances ending within ``within_days``, limited to what ``actor`` may read."""
    today = today or date.today()
    if not 0 < within_days <= MAX_HORIZON_DAYS or today > LATEST_DAY:
        raise ValidationFailed.of(
            "within_days",
            f"the horizon must end by {LATEST_DAY} and span 1-{MAX_HORIZON_DAYS} days",
        )
    with uow:
        session = uow.session
        query = (
            select(Clearance)
            .where(
                Clearance.status == ClearanceStatus.ACTIVE,
                Clearance.valid_until >= today,
                Clearance.valid_until <= today + timedelta(days=within_days),
            )
            .options(selectinload(Clearance.person))
            .order_by(Clearance.valid_until)
        )
        out: list[ExpiringClearance] = []
        for clearance in session.scalars(query):
            if not authorize(
                actor, Permission.CLEARANCE_READ, person_target(session, clearance.person)
            ):
                continue
            out.append(
                ExpiringClearance(
                    clearance=clearance_out(clearance, today),
                    person=_summary(clearance.person),
                    days_left=(clearance.valid_until - today).days,
                )
            )
        return out


# --- briefings ------------------------------------------------------------------------------


def add_briefing(
    uow: UnitOfWork, actor: Principal, person_id: uuid.UUID, data: BriefingIn
) -> BriefingOut:
    if data.expires_on is not None and data.expires_on <= data.given_on:
        raise ValidationFailed.of("expires_on", "must be after given_on")
    with uow:
        uow.for_writing()
        session = uow.session
        person = _person(session, person_id)
        require(actor, Permission.BRIEFING_MANAGE, person_target(session, person))
        if any(b.name == data.name and b.given_on == data.given_on for b in person.briefings):
            raise Conflict(f"name: '{data.name}' is already recorded on {data.given_on}")
        briefing = Briefing(person=person, **data.model_dump())
        uow.add(briefing)
        uow.flush()
        record_event(uow, actor, "registry:briefing:create", briefing, data.model_dump())
        uow.commit()
        return BriefingOut.model_validate(briefing)


# --- dual-national exemptions ---------------------------------------------------------------


def record_dual_national_exemption(
    uow: UnitOfWork, actor: Principal, person_id: uuid.UUID, data: DualNationalExemptionIn
) -> DualNationalExemptionOut:
    """Record that one permitted citizenship suffices for this dual national."""
    if data.expires_on is not None and data.expires_on <= data.granted_on:
        raise ValidationFailed.of("expires_on", "must be after granted_on")
    with uow:
        uow.for_writing()
        session = uow.session
        person = _person(session, person_id)
        require(actor, Permission.DUAL_NATIONAL_EXEMPT, person_target(session, person))
        if len(person.citizenships) < 2:
            raise ValidationFailed.of("person_id", "holds one citizenship: no exemption applies")
        if session.scalar(
            select(DualNationalExemption.id).where(DualNationalExemption.person_id == person.id)
        ):
            raise Conflict("person_id: an exemption is already recorded; withdraw it first")
        row = DualNationalExemption(
            person_id=person.id, recorded_by=actor.name, **data.model_dump()
        )
        uow.add(row)
        uow.flush()
        record_event(uow, actor, "registry:dual_national:create", row, data.model_dump())
        uow.commit()
        return DualNationalExemptionOut.model_validate(row)


def withdraw_dual_national_exemption(
    uow: UnitOfWork, actor: Principal, person_id: uuid.UUID, reason: str
) -> None:
    with uow:
        uow.for_writing()
        session = uow.session
        person = _person(session, person_id)
        require(actor, Permission.DUAL_NATIONAL_EXEMPT, person_target(session, person))
        row = session.scalar(
            select(DualNationalExemption).where(DualNationalExemption.person_id == person.id)
        )
        if row is None:
            raise NotFound("no dual-national exemption is recorded for this person")
        record_event(uow, actor, "registry:dual_national:withdraw", row, {"reason": reason})
        session.delete(row)
        uow.commit()


def get_dual_national_exemption(
    uow: UnitOfWork, actor: Principal, person_id: uuid.UUID
) -> DualNationalExemptionOut | None:
    with uow:
        session = uow.session
        person = _person(session, person_id)
        require(actor, Permission.CLEARANCE_READ, person_target(session, person))
        row = session.scalar(
            select(DualNationalExemption).where(DualNationalExemption.person_id == person.id)
        )
        return DualNationalExemptionOut.model_validate(row) if row else None
