"""Use cases of the facility catalogue: one transaction each, every change recorded in the
ledger. Who may know of a facility is decided by the engine on its label: an active account
and the label's releasability to the reader's nations (the rules a catalogue entry needs;
taking part in a booking will need the whole decision, level, caveats and export included).
A facility the reader may not know of is "not found", exactly like an unknown one, and is
left out of lists without a trace in their counts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import allowed_actions, require
from coalition.common.events import changed_fields, record_event
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.facilities.models import Facility, FacilityClosure, FacilityKind, FacilityStatus
from coalition.facilities.schemas import (
    ClosureIn,
    ClosureOut,
    FacilityIn,
    FacilityOut,
    FacilityUpdate,
    hours_text,
    parse_hours,
)
from coalition.funding import money
from coalition.policy import facts
from coalition.policy.engine import decide
from coalition.policy.interning import intern_label, label_of
from coalition.policy.labels import SecurityLabel
from coalition.projects.models import Project
from coalition.registry.models import Organisation, Person
from coalition.registry.services import organisation_target
from coalition.store.uow import UnitOfWork
from coalition.techdata import listing
from coalition.techdata.services import build_label, catalogue_of, label_out, today

NOT_FOUND = "no facility with this id"
#: The engine's rules that decide who may know a facility exists.
KNOWING_RULES = ("account", "releasability")


def _read(actor: Principal) -> None:
    require(actor, Permission.DIRECTORY_READ, Target.node())


def _target(session: Session, facility: Facility) -> Target:
    return organisation_target(session, facility.organisation)


def _query() -> Select[Facility]:
    return select(Facility).options(
        selectinload(Facility.organisation),
        selectinload(Facility.label),
        selectinload(Facility.closures),
    )


class _Knowing:
    """Whether the actor may know of each facility: the engine's account and releasability
    rules on its label for the actor's person; the node's operator knows them all; an
    account with no person knows the facilities it manages."""

    def __init__(self, uow: UnitOfWork, actor: Principal) -> None:
        self.actor = actor
        self.session = uow.session
        self.subject: facts.Subject | None = None
        self.world: facts.World | None = None
        if not actor.is_operator and actor.person_id is not None:
            day = today()
            self.day = day
            self.subject = listing.subject_view(
                uow.session, uow.database, actor.person_id, day
            ).subject
            self.world, _ = listing.current_world(uow.session, uow.database)

    def knows_label(self, owner_id: uuid.UUID, label: SecurityLabel) -> bool:
        """Whether the actor would know of a facility of ``owner_id`` with ``label``."""
        if self.subject is None or self.world is None:
            return True
        fact = facts.Artifact(uuid.uuid4(), None, owner_id, label)
        request = facts.Request(self.subject, fact, facts.Action.VIEW_METADATA, self.day)
        decision = decide(request, self.world)
        return all(r.passed for r in decision.rules if r.id in KNOWING_RULES)

    def knows(self, facility: Facility) -> bool:
        if self.actor.is_operator:
            return True
        if self.subject is None or self.world is None:
            return bool(
                allowed_actions(
                    self.actor, _target(self.session, facility), (Permission.FACILITY_MANAGE,)
                )
            )
        fact = facts.Artifact(facility.id, None, facility.organisation_id, label_of(facility.label))
        request = facts.Request(self.subject, fact, facts.Action.VIEW_METADATA, self.day)
        decision = decide(request, self.world)
        return all(r.passed for r in decision.rules if r.id in KNOWING_RULES)


def facility_out(session: Session, actor: Principal, facility: Facility) -> FacilityOut:
    rate = (
        money.from_minor(facility.rate_minor, facility.rate_currency)
        if facility.rate_minor is not None and facility.rate_currency
        else None
    )
    return FacilityOut(
        id=facility.id,
        code=facility.code,
        name=facility.name,
        kind=facility.kind,
        status=facility.status,
        organisation=facility.organisation.short_name,
        nation=facility.organisation.nation_code,
        location=facility.location,
        time_zone=facility.time_zone,
        description=facility.description,
        capabilities=facility.capabilities,
        label=label_out(facility.label),
        tcp_applies=facility.tcp_applies,
        capacity=facility.capacity,
        rate=rate,
        rate_currency=facility.rate_currency,
        rate_unit=facility.rate_unit,
        opening_hours=hours_text(facility.opening_hours),
        closures=[ClosureOut.model_validate(c) for c in facility.closures],
        allowed_actions=allowed_actions(
            actor, _target(session, facility), (Permission.FACILITY_MANAGE,)
        ),
        created_at=facility.created_at,
        updated_at=facility.updated_at,
    )


def list_facilities(
    uow: UnitOfWork,
    actor: Principal,
    *,
    q: str | None = None,
    kind: FacilityKind | None = None,
    capability: str | None = None,
    nation: str | None = None,
    include_retired: bool = False,
) -> list[FacilityOut]:
    """The facilities the actor may know of, by code. The filters narrow the candidates and
    the engine decides each one left: a facility one may not know of is never shown or
    counted, whatever the filters."""
    _read(actor)
    with uow:
        session = uow.session
        query = _query().order_by(Facility.code)
        if kind is not None:
            query = query.where(Facility.kind == kind)
        if not include_retired:
            query = query.where(Facility.status == FacilityStatus.ACTIVE)
        knowing = _Knowing(uow, actor)
        wanted = capability.strip().lower() if capability else None
        text = q.strip().lower() if q else None
        out = []
        for facility in session.scalars(query):
            if nation and facility.organisation.nation_code != nation.upper():
                continue
            if wanted and not any(
                c == wanted or c.startswith(wanted + ".") for c in facility.capabilities
            ):
                continue
            if text and not any(
                text in field.lower()
                for field in (
                    facility.code,
                    facility.name,
                    facility.location,
                    facility.description or "",
                    *facility.capabilities,
                )
            ):
                continue
            if knowing.knows(facility):
                out.append(facility_out(session, actor, facility))
        return out


def _visible(
    uow: UnitOfWork, actor: Principal, facility_id: uuid.UUID, *, lock: bool = False
) -> Facility:
    """The facility, if the actor may know of it; ``lock`` takes its row (PostgreSQL) so that
    changes to it, its closures and its bookings take turns and see each other's results."""
    query = _query().where(Facility.id == facility_id)
    if lock:
        query = query.with_for_update(of=Facility)
    facility = uow.session.scalar(query)
    if facility is None or not _Knowing(uow, actor).knows(facility):
        raise NotFound(NOT_FOUND)
    return facility


def get_facility(uow: UnitOfWork, actor: Principal, facility_id: uuid.UUID) -> FacilityOut:
    _read(actor)
    with uow:
        return facility_out(uow.session, actor, _visible(uow, actor, facility_id))


def facility_id_for(uow: UnitOfWork, actor: Principal, code: str) -> uuid.UUID:
    """The id of the facility ``code`` the actor may know of (the CLI names them so)."""
    _read(actor)
    with uow:
        facility = uow.session.scalar(_query().where(Facility.code == code.upper()))
        if facility is None or not _Knowing(uow, actor).knows(facility):
            raise NotFound(f"no facility '{code}'")
        return facility.id


def create_facility(uow: UnitOfWork, actor: Principal, data: FacilityIn) -> FacilityOut:
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        owner = session.scalar(
            select(Organisation).where(Organisation.short_name == data.organisation)
        )
        if owner is None:
            problems.add("organisation", f"no organisation '{data.organisation}'")
        rate_minor = _rate(problems, data.rate, data.rate_currency)
        catalogue = catalogue_of(session)
        label = build_label(session, data.label, "label", catalogue)
        problems.raise_if_any()
        assert owner is not None
        require(actor, Permission.FACILITY_MANAGE, organisation_target(session, owner))
        _check_knowable(uow, actor, owner.id, label)
        if session.scalar(select(Facility.id).where(Facility.code == data.code)):
            raise Conflict(f"code: a facility '{data.code}' already exists")
        facility = Facility(
            code=data.code,
            name=data.name,
            kind=data.kind,
            organisation=owner,
            organisation_id=owner.id,
            location=data.location,
            time_zone=data.time_zone,
            description=data.description,
            capabilities=sorted(set(data.capabilities)),
            label=intern_label(session, label, catalogue),
            tcp_applies=data.tcp_applies,
            capacity=data.capacity,
            rate_minor=rate_minor,
            rate_currency=data.rate_currency,
            rate_unit=data.rate_unit,
            opening_hours=parse_hours(data.opening_hours),
        )
        uow.add(facility)
        uow.flush()
        record_event(uow, actor, "facilities:facility:create", facility, data.model_dump())
        uow.commit()
        return facility_out(session, actor, facility)


def _check_knowable(
    uow: UnitOfWork, actor: Principal, owner_id: uuid.UUID, label: SecurityLabel
) -> None:
    """A manager may not label a facility so that they could no longer know of it."""
    if not _Knowing(uow, actor).knows_label(owner_id, label):
        raise ValidationFailed.of(
            "label", "is not releasable to you: you could no longer see or manage the facility"
        )


def _rate(problems: Problems, rate: Any, currency: str | None) -> int | None:
    if rate is None or currency is None:
        return None
    try:
        return money.to_minor(rate, currency)
    except ValueError as error:
        problems.add("rate", str(error))
        return None


def update_facility(
    uow: UnitOfWork, actor: Principal, facility_id: uuid.UUID, data: FacilityUpdate
) -> FacilityOut:
    changes = data.model_dump(exclude_unset=True)
    with uow:
        uow.for_writing()
        session = uow.session
        facility = _visible(uow, actor, facility_id, lock=True)
        require(actor, Permission.FACILITY_MANAGE, _target(session, facility))
        applied: dict[str, Any] = {}
        if data.label is not None:
            catalogue = catalogue_of(session)
            label = build_label(session, data.label, "label", catalogue)
            _check_knowable(uow, actor, facility.organisation_id, label)
            row = intern_label(session, label, catalogue)
            if row.id != facility.label_id:
                facility.label = row
                applied["label"] = row.banner
        changes.pop("label", None)
        if "opening_hours" in changes and data.opening_hours is not None:
            changes["opening_hours"] = parse_hours(data.opening_hours)
        if "capabilities" in changes and data.capabilities is not None:
            changes["capabilities"] = sorted(set(data.capabilities))
        applied |= changed_fields(facility, changes)
        if not applied:
            raise ValidationFailed.of("body", "changes nothing")
        record_event(uow, actor, "facilities:facility:update", facility, applied)
        uow.commit()
        return facility_out(session, actor, facility)


def add_closure(
    uow: UnitOfWork, actor: Principal, facility_id: uuid.UUID, data: ClosureIn
) -> FacilityOut:
    with uow:
        uow.for_writing()
        session = uow.session
        facility = _visible(uow, actor, facility_id, lock=True)
        require(actor, Permission.FACILITY_MANAGE, _target(session, facility))
        for other in facility.closures:
            if other.first_day <= data.last_day and data.first_day <= other.last_day:
                raise ValidationFailed.of(
                    "first_day",
                    f"overlaps the closure {other.first_day} to {other.last_day} ({other.reason})",
                )
        facility.closures.append(FacilityClosure(**data.model_dump()))
        record_event(uow, actor, "facilities:closure:create", facility, data.model_dump())
        uow.commit()
        return facility_out(session, actor, facility)


def organisation_choices(uow: UnitOfWork, actor: Principal) -> list[str]:
    _read(actor)
    with uow:
        return list(
            uow.session.scalars(select(Organisation.short_name).order_by(Organisation.short_name))
        )


def project_choices(uow: UnitOfWork, actor: Principal) -> list[str]:
    _read(actor)
    with uow:
        return list(uow.session.scalars(select(Project.code).order_by(Project.code)))


def people_by_email(uow: UnitOfWork, actor: Principal, emails: list[str]) -> list[uuid.UUID]:
    """The people named by e-mail address on a booking form, in order; an unknown address
    is an error at the participants field."""
    _read(actor)
    with uow:
        found = dict(
            uow.session.execute(
                select(Person.email, Person.id).where(
                    Person.email.in_([e.strip().lower() for e in emails])
                )
            ).all()
        )
    missing = [e for e in emails if e.strip().lower() not in found]
    if missing:
        raise ValidationFailed.of("participants", f"no person with e-mail {', '.join(missing)}")
    if not emails:
        raise ValidationFailed.of("participants", "name at least one participant by e-mail")
    return [found[e.strip().lower()] for e in emails]
