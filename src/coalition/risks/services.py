"""Use cases of the risk register: one transaction each, every change in the ledger.

A risk belongs to a project (and may name one of its work packages). Whoever holds
``project:risk:manage`` over the project (its programme managers, in the project or a lead
organisation) raises risks, assesses them and hands them to another owner; a risk's owner
may assess their own risk without that permission. Every assessment is kept, raising
included, so a risk's history and trend can be shown. The owner is told when a risk
becomes theirs and when its score rises into the high or critical band; nobody is told of
their own act. Who may read a risk: :class:`coalition.governance.readers.Readers` on the
project's agreement; anyone else is told "not found", and lists leave it out uncounted.
Days are UTC days."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import changed_fields, record_event
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.governance.readers import Readers
from coalition.notifications.services import notify
from coalition.projects.models import Participant, Project, WorkPackage
from coalition.registry.models import Person, PersonStatus
from coalition.registry.services import organisation_target
from coalition.risks import reading, rules
from coalition.risks.models import Risk, RiskAssessment, RiskStatus
from coalition.risks.schemas import (
    AssessmentIn,
    HeatMapOut,
    ReassignIn,
    RiskIn,
    RiskOut,
)
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

NOT_FOUND = "no risk with this id"
P = Permission


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _risk(register: reading.Register, risk_id: uuid.UUID, *, lock: bool = False) -> Risk:
    query = reading.query().where(Risk.id == risk_id)
    risk = register.session.scalar(query.with_for_update(of=Risk) if lock else query)
    if risk is None or not register.sees(risk):
        raise NotFound(NOT_FOUND)
    return risk


def _reloaded(uow: UnitOfWork, actor: Principal, risk_id: uuid.UUID) -> RiskOut:
    session = uow.session
    session.expire_all()
    register = reading.Register(session, actor)
    return register.out(_risk(register, risk_id))


def _project(register: reading.Register, code: str, field: str = "project") -> Project:
    project = register.session.scalar(
        select(Project)
        .options(
            selectinload(Project.participants).selectinload(Participant.organisation),
            selectinload(Project.work_packages),
        )
        .where(Project.code == code.strip())
    )
    if project is None or not register.readers.may_read(project.agreement_id):
        raise ValidationFailed.of(field, f"no project '{code}'")
    return project


def _work_package(project: Project, code: str, problems: Problems) -> WorkPackage | None:
    found = next((wp for wp in project.work_packages if wp.code == code.strip()), None)
    if found is None:
        problems.add("work_package", f"{project.code} has no work package '{code}'")
    return found


def _owner(
    session: Session, project: Project, person_id: uuid.UUID, today: date, problems: Problems
) -> Person | None:
    """An active person employed by an organisation taking part in the project (or by a
    part of one: a division of a participating laboratory), whose participation has not
    ended."""
    person = session.scalar(
        select(Person).options(selectinload(Person.employer)).where(Person.id == person_id)
    )
    if person is None:
        problems.add("owner_id", "no person with this id")
        return None
    if person.status is not PersonStatus.ACTIVE:
        problems.add("owner_id", f"{person.full_name} is {person.status}")
        return None
    taking_part = {
        p.organisation_id
        for p in project.participants
        if p.withdrew_on is None or p.withdrew_on > today
    }
    if not taking_part & organisation_target(session, person.employer).organisation_ids:
        problems.add(
            "owner_id",
            f"{person.full_name} works for {person.employer.short_name}, which does not take "
            f"part in {project.code}",
        )
        return None
    return person


def _tell_owner(
    uow: UnitOfWork, settings: Settings, actor: Principal, risk: Risk, project: Project, why: str
) -> None:
    """Titles name the risk and its project, never its substance: the e-mail leaves the
    node."""
    if actor.person_id == risk.owner_id:
        return
    notify(
        uow,
        settings,
        [risk.owner_id],
        kind="risk",
        title=f"Risk {risk.reference} of {project.code} {why}",
        link=f"/risks/{risk.id}",
        body=f"Score {risk.score} ({rules.band(risk.score)}), status {risk.status}.",
    )


# --- changes -----------------------------------------------------------------------------------


def raise_risk(
    uow: UnitOfWork,
    actor: Principal,
    data: RiskIn,
    settings: Settings,
    now: datetime | None = None,
) -> RiskOut:
    """Record a risk with its first assessment; its owner is told."""
    moment = _now(now)
    today = moment.date()
    with uow:
        uow.for_writing()
        session = uow.session
        register = reading.Register(session, actor)
        project = _project(register, data.project)
        require(actor, P.RISK_MANAGE, register.target(project))
        problems = Problems()
        work_package = (
            _work_package(project, data.work_package, problems) if data.work_package else None
        )
        owner = _owner(session, project, data.owner_id, today, problems)
        problems.raise_if_any()
        assert owner is not None
        if session.scalar(select(Risk.id).where(Risk.reference == data.reference)):
            raise Conflict(f"reference: a risk '{data.reference}' already exists")
        risk = Risk(
            reference=data.reference,
            project=project,
            work_package=work_package,
            title=data.title,
            description=data.description,
            category=data.category,
            likelihood=data.likelihood,
            impact=data.impact,
            owner=owner,
            mitigation=data.mitigation,
            status=RiskStatus.OPEN,
            raised_on=today,
        )
        risk.assessments.append(
            RiskAssessment(
                assessed_on=today,
                at=moment,
                by=actor.name,
                likelihood=data.likelihood,
                impact=data.impact,
                status=RiskStatus.OPEN,
                note="raised",
            )
        )
        uow.add(risk)
        uow.flush()
        record_event(
            uow,
            actor,
            "risks:risk:raised",
            risk,
            {**data.model_dump(), "score": risk.score, "band": rules.band(risk.score)},
        )
        _tell_owner(uow, settings, actor, risk, project, "is yours to manage")
        uow.commit()
        return _reloaded(uow, actor, risk.id)


def assess_risk(
    uow: UnitOfWork,
    actor: Principal,
    risk_id: uuid.UUID,
    data: AssessmentIn,
    settings: Settings,
    now: datetime | None = None,
) -> RiskOut:
    """Record an assessment: likelihood, impact and status as of today (and a new
    mitigation, if given). The owner may assess their own risk; anyone else needs
    ``project:risk:manage``. A closed risk is final."""
    moment = _now(now)
    today = moment.date()
    with uow:
        uow.for_writing()
        session = uow.session
        register = reading.Register(session, actor)
        risk = _risk(register, risk_id, lock=True)
        if not reading.owns(actor, risk):
            require(actor, P.RISK_MANAGE, register.target(risk.project))
        refusal = rules.transition_refusal(risk.status, data.status)
        if refusal:
            raise Conflict(f"status: {refusal}")
        before = risk.score
        changes: dict[str, Any] = {
            "likelihood": data.likelihood,
            "impact": data.impact,
            "status": data.status,
        }
        if data.mitigation is not None:
            changes["mitigation"] = data.mitigation
        applied = changed_fields(risk, changes)
        if risk.status is RiskStatus.CLOSED:
            risk.closed_on = today
        risk.assessments.append(
            RiskAssessment(
                assessed_on=today,
                at=moment,
                by=actor.name,
                likelihood=data.likelihood,
                impact=data.impact,
                status=data.status,
                note=data.note,
            )
        )
        uow.flush()
        scores = [a.score for a in risk.assessments]
        record_event(
            uow,
            actor,
            "risks:risk:assessed",
            risk,
            {
                **applied,
                "note": data.note,
                "score": risk.score,
                "band": rules.band(risk.score),
                "trend": rules.trend(scores),
            },
        )
        if risk.status is not RiskStatus.CLOSED and rules.rose_into_alert(before, risk.score):
            _tell_owner(
                uow,
                settings,
                actor,
                risk,
                risk.project,
                f"rose to {rules.band(risk.score)} (score {before} to {risk.score})",
            )
        uow.commit()
        return _reloaded(uow, actor, risk.id)


def reassign_risk(
    uow: UnitOfWork,
    actor: Principal,
    risk_id: uuid.UUID,
    data: ReassignIn,
    settings: Settings,
    now: datetime | None = None,
) -> RiskOut:
    """Hand a risk that is not closed to another owner, who is told."""
    today = _now(now).date()
    with uow:
        uow.for_writing()
        session = uow.session
        register = reading.Register(session, actor)
        risk = _risk(register, risk_id, lock=True)
        require(actor, P.RISK_MANAGE, register.target(risk.project))
        if risk.status is RiskStatus.CLOSED:
            raise Conflict(f"status: {risk.reference} was closed on {risk.closed_on}")
        problems = Problems()
        owner = _owner(session, risk.project, data.owner_id, today, problems)
        problems.raise_if_any()
        assert owner is not None
        if owner.id == risk.owner_id:
            raise ValidationFailed.of(
                "owner_id", f"{owner.full_name} already owns {risk.reference}"
            )
        previous = risk.owner_id
        risk.owner = owner
        uow.flush()
        record_event(
            uow,
            actor,
            "risks:risk:reassigned",
            risk,
            {"owner_id": owner.id, "previous_owner_id": previous, "note": data.note},
        )
        _tell_owner(uow, settings, actor, risk, risk.project, "is now yours to manage")
        uow.commit()
        return _reloaded(uow, actor, risk.id)


# --- reading -----------------------------------------------------------------------------------


def list_risks(
    uow: UnitOfWork,
    actor: Principal,
    *,
    project: str | None = None,
    work_package: str | None = None,
    status: RiskStatus | None = None,
    live: bool = False,
    min_score: int | None = None,
    owner_id: uuid.UUID | None = None,
    likelihood: int | None = None,
    impact: int | None = None,
) -> list[RiskOut]:
    """The risks the actor may read, highest score first (then by reference); ``live``
    leaves closed risks out. No other risk is counted."""
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        register = reading.Register(session, actor)
        query = reading.filtered(
            reading.query(),
            register.readers,
            project=project,
            work_package=work_package,
            status=status,
            live=live,
            min_score=min_score,
            owner_id=owner_id,
            likelihood=likelihood,
            impact=impact,
        ).order_by(reading.score_column.desc(), Risk.reference)
        return [register.out(risk) for risk in session.scalars(query)]


def get_risk(uow: UnitOfWork, actor: Principal, risk_id: uuid.UUID) -> RiskOut:
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        register = reading.Register(uow.session, actor)
        return register.out(_risk(register, risk_id))


def risk_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        register = reading.Register(uow.session, actor)
        risk = uow.session.scalar(reading.query().where(Risk.reference == reference.strip()))
        if risk is None or not register.sees(risk):
            raise NotFound(f"no risk '{reference}'")
        return risk.id


def heat_map(
    uow: UnitOfWork,
    actor: Principal,
    project: str | None = None,
    *,
    work_package: str | None = None,
) -> HeatMapOut:
    """How many live (not closed) risks the actor may read sit at each likelihood and
    impact: of one project (a project the actor may not read is "not found"), or of all."""
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        readers = Readers(session, actor)
        if project:
            found = session.scalar(select(Project).where(Project.code == project.strip()))
            if found is None or not readers.may_read(found.agreement_id):
                raise NotFound(f"no project '{project}'")
        query = reading.filtered(
            select(Risk.likelihood, Risk.impact),
            readers,
            project=project,
            work_package=work_package,
            live=True,
        )
        ratings = [(row.likelihood, row.impact) for row in session.execute(query)]
    return reading.heat_map_of(ratings, project=project, work_package=work_package)
