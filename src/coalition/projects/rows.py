"""Loading a project's rows for a use case; writers lock the project first.

Every change to a team or plan is checked against the project's other rows (its leads,
periods, dates), so two writers must never check the same project at once. SQLite
already runs one writer at a time (``UnitOfWork.for_writing`` begins IMMEDIATE, and
SQLAlchemy leaves FOR UPDATE out there); on PostgreSQL each writer locks the project
row before it reads anything it checks, and reaches a child row (member, work
package...) only through its locked project. A writer that checks the project against
its agreement (dates, ceiling, party nations) locks the agreement row before the
project, the order the agreement side takes too, so the two never wait in a circle.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.agreements.models import Agreement
from coalition.errors import NotFound
from coalition.projects.models import (
    Deliverable,
    Member,
    Milestone,
    Participant,
    Project,
    WorkPackage,
)
from coalition.store.base import Base

R = TypeVar("R", bound=Base)
Child = TypeVar("Child", Participant, Member, WorkPackage, Milestone)


def get_row(session: Session, model: type[R], row_id: uuid.UUID, what: str) -> R:
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"no {what} with this id")
    return row


def get_project_row(
    session: Session, project_id: uuid.UUID, *, for_update: bool = False
) -> Project:
    query = select(Project).where(Project.id == project_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    project = session.scalar(query)
    if project is None:
        raise NotFound("no project with this id")
    return project


def lock_agreement(session: Session, agreement_id: uuid.UUID) -> Agreement | None:
    query = (
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalar(query)


def lock_agreement_and_project(
    session: Session, project_id: uuid.UUID
) -> tuple[Agreement, Project]:
    """For a change checked against the agreement: its dates, ceiling, party nations."""
    agreement_id = session.scalar(select(Project.agreement_id).where(Project.id == project_id))
    if agreement_id is None:
        raise NotFound("no project with this id")
    agreement = lock_agreement(session, agreement_id)
    assert agreement is not None  # an agreement with projects is never deleted
    return agreement, get_project_row(session, project_id, for_update=True)


def lock_project_of(
    session: Session, model: type[Child], row_id: uuid.UUID, what: str
) -> tuple[Child, Project]:
    """The row and its project, locked; the row is read only once the lock is held."""
    project_id = session.scalar(select(model.project_id).where(model.id == row_id))
    if project_id is None:
        raise NotFound(f"no {what} with this id")
    project = get_project_row(session, project_id, for_update=True)
    return get_row(session, model, row_id, what), project


def lock_project_of_deliverable(
    session: Session, deliverable_id: uuid.UUID
) -> tuple[Deliverable, Project]:
    project_id = session.scalar(
        select(WorkPackage.project_id)
        .join(Deliverable, Deliverable.work_package_id == WorkPackage.id)
        .where(Deliverable.id == deliverable_id)
    )
    if project_id is None:
        raise NotFound("no deliverable with this id")
    project = get_project_row(session, project_id, for_update=True)
    return get_row(session, Deliverable, deliverable_id, "deliverable"), project
