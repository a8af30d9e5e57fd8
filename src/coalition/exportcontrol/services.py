"""Use cases of the export records the `export` rule reads."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.exportcontrol.models import AuthorisationStatus, Exemption, ExportAuthorisation
from coalition.exportcontrol.schemas import (
    AuthorisationIn,
    AuthorisationOut,
    AuthorisationStatusIn,
    ExemptionIn,
    ExemptionOut,
)
from coalition.projects.models import Project
from coalition.registry.models import Nation, Organisation
from coalition.store.uow import UnitOfWork


def create_authorisation(
    uow: UnitOfWork, actor: Principal, data: AuthorisationIn
) -> AuthorisationOut:
    require(actor, Permission.EXPORT_RECORD_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        nations = {data.issuing_nation, *data.recipient_nations}
        known = set(session.scalars(select(Nation.code).where(Nation.code.in_(nations))))
        if data.issuing_nation not in known:
            problems.add("issuing_nation", f"unknown nation {data.issuing_nation}")
        unknown = sorted(set(data.recipient_nations) - known)
        if unknown:
            problems.add("recipient_nations", f"unknown nation(s): {', '.join(unknown)}")
        _check_ids(session, Organisation, data.end_user_ids, "end_user_ids", problems)
        _check_ids(session, Project, data.project_ids, "project_ids", problems)
        problems.raise_if_any()
        if session.scalar(
            select(ExportAuthorisation.id).where(ExportAuthorisation.reference == data.reference)
        ):
            raise Conflict(f"reference: an authorisation '{data.reference}' already exists")
        row = ExportAuthorisation(
            **data.model_dump(exclude={"end_user_ids", "project_ids", "purposes", "categories"}),
            categories=sorted({" ".join(c.split()) for c in data.categories}),
            end_user_ids=sorted(str(u) for u in data.end_user_ids),
            project_ids=sorted(str(p) for p in data.project_ids),
            purposes=sorted(str(p) for p in data.purposes),
        )
        row.recipient_nations = sorted(set(data.recipient_nations))
        uow.add(row)
        uow.flush()
        record_event(uow, actor, "exportcontrol:authorisation:create", row, data.model_dump())
        uow.commit()
        return AuthorisationOut.model_validate(row)


def change_authorisation_status(
    uow: UnitOfWork, actor: Principal, authorisation_id: uuid.UUID, data: AuthorisationStatusIn
) -> AuthorisationOut:
    require(actor, Permission.EXPORT_RECORD_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        row = uow.session.get(ExportAuthorisation, authorisation_id, with_for_update=True)
        if row is None:
            raise NotFound("no export authorisation with this id")
        old = row.status
        if data.status is old:
            raise ValidationFailed.of("status", f"is already {old}")
        if old is AuthorisationStatus.REVOKED:
            raise ValidationFailed.of(
                "status", "a revoked authorisation stays revoked; record a new one"
            )
        row.status = data.status
        record_event(
            uow,
            actor,
            "exportcontrol:authorisation:status",
            row,
            {"from": old, "to": data.status, "reason": data.reason},
        )
        uow.commit()
        return AuthorisationOut.model_validate(row)


def list_authorisations(uow: UnitOfWork, actor: Principal) -> list[AuthorisationOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        rows = uow.session.scalars(
            select(ExportAuthorisation).order_by(ExportAuthorisation.reference)
        )
        return [AuthorisationOut.model_validate(r) for r in rows]


def create_exemption(uow: UnitOfWork, actor: Principal, data: ExemptionIn) -> ExemptionOut:
    require(actor, Permission.EXPORT_RECORD_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        _check_ids(session, Project, data.conditions.projects, "conditions.projects", problems)
        problems.raise_if_any()
        if session.scalar(select(Exemption.id).where(Exemption.name == data.name)):
            raise Conflict(f"name: an exemption '{data.name}' already exists")
        row = Exemption(
            **data.model_dump(exclude={"conditions"}),
            conditions={
                key: sorted(str(v) for v in values)
                for key, values in data.conditions.model_dump().items()
                if values
            },
        )
        uow.add(row)
        uow.flush()
        record_event(uow, actor, "exportcontrol:exemption:create", row, data.model_dump())
        uow.commit()
        return ExemptionOut.model_validate(row)


def list_exemptions(uow: UnitOfWork, actor: Principal) -> list[ExemptionOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        rows = uow.session.scalars(select(Exemption).order_by(Exemption.name))
        return [ExemptionOut.model_validate(r) for r in rows]


def _check_ids(
    session: Session,
    model: type[Organisation] | type[Project],
    ids: list[uuid.UUID],
    field: str,
    problems: Problems,
) -> None:
    if not ids:
        return
    found = set(session.scalars(select(model.id).where(model.id.in_(ids))))
    missing = [str(i) for i in ids if i not in found]
    if missing:
        problems.add(field, f"unknown id(s): {', '.join(missing)}")
