"""What a person sees first: counts, milestones coming up or late, clearances expiring."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy import Select, func, select

from coalition.accounts.permissions import ROLE_PERMISSIONS, Permission, Principal, Target
from coalition.agreements.models import Agreement, AgreementStatus
from coalition.common.access import require
from coalition.projects.models import Milestone, MilestoneStatus, Project, ProjectStatus
from coalition.registry.models import Organisation, Person
from coalition.registry.people import expiring_clearances
from coalition.registry.schemas import ExpiringClearance
from coalition.store.uow import UnitOfWork


class MilestoneDue(BaseModel):
    project_id: uuid.UUID
    project_code: str
    code: str
    title: str
    due_on: date
    late: bool


class Dashboard(BaseModel):
    organisations: int
    people: int
    agreements_in_force: int
    active_projects: int
    milestones: list[MilestoneDue]
    may_read_clearances: bool
    expiring_clearances: list[ExpiringClearance]


def dashboard(
    uow: UnitOfWork, actor: Principal, today: date | None = None, horizon_days: int = 60
) -> Dashboard:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    today = today or date.today()
    with uow:
        session = uow.session

        def count(query: Select[int]) -> int:
            return session.scalar(query) or 0

        rows = session.execute(
            select(Milestone, Project.code)
            .join(Project)
            .where(
                Milestone.status == MilestoneStatus.PLANNED,
                Milestone.due_on <= today + timedelta(days=horizon_days),
                Project.status.in_([ProjectStatus.ACTIVE, ProjectStatus.PROPOSED]),
            )
            .order_by(Milestone.due_on)
            .limit(20)
        ).all()
        summary = Dashboard(
            organisations=count(select(func.count()).select_from(Organisation)),
            people=count(select(func.count()).select_from(Person)),
            agreements_in_force=count(
                select(func.count()).where(Agreement.status == AgreementStatus.IN_FORCE)
            ),
            active_projects=count(
                select(func.count()).where(Project.status == ProjectStatus.ACTIVE)
            ),
            milestones=[
                MilestoneDue(
                    project_id=m.project_id,
                    project_code=code,
                    code=m.code,
                    title=m.title,
                    due_on=m.due_on,
                    late=m.due_on < today,
                )
                for m, code in rows
            ],
            may_read_clearances=False,
            expiring_clearances=[],
        )
    # Whoever may read clearances somewhere sees the expiries they may read (the service
    # filters them); nobody else learns that there are any.
    if actor.is_operator or any(
        Permission.CLEARANCE_READ in ROLE_PERMISSIONS[grant.role] for grant in actor.grants
    ):
        summary.may_read_clearances = True
        summary.expiring_clearances = expiring_clearances(uow, actor, 90, today)
    return summary
