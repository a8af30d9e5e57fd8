"""Load the demo projects: team, plan and progress, each step through a project use case."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Principal
from coalition.demo.specs import Days, ProjectSpec, WorkPackageSpec
from coalition.projects.models import (
    Deliverable,
    DeliverableStatus,
    Member,
    Milestone,
    MilestoneStatus,
    Participant,
    Project,
    ProjectStatus,
    WorkPackage,
)
from coalition.projects.schemas import (
    DeliverableIn,
    DeliverableUpdate,
    MemberIn,
    MilestoneIn,
    MilestoneUpdate,
    ParticipantIn,
    ProjectIn,
    ProjectUpdate,
    WorkPackageIn,
)
from coalition.projects.services import (
    add_deliverable,
    add_member,
    add_milestone,
    add_participant,
    add_work_package,
    create_project,
    update_deliverable,
    update_milestone,
    update_project,
)
from coalition.store.uow import UnitOfWork


@dataclass
class _Existing:
    """What one project already holds, read in one go before anything is added."""

    organisations: set[uuid.UUID] = field(default_factory=set)
    people: set[uuid.UUID] = field(default_factory=set)
    work_packages: dict[str, uuid.UUID] = field(default_factory=dict)
    deliverables: dict[tuple[uuid.UUID, str], tuple[uuid.UUID, DeliverableStatus]] = field(
        default_factory=dict
    )
    milestones: dict[str, tuple[uuid.UUID, MilestoneStatus]] = field(default_factory=dict)


class ProjectLoader:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        actor: Principal,
        day: Callable[[Days], date],
        organisations: dict[str, uuid.UUID],
        people: dict[str, uuid.UUID],
        agreements: dict[str, uuid.UUID],
    ) -> None:
        self._uow = uow
        self._actor = actor
        self._day = day
        self._organisations = organisations
        self._people = people
        self._agreements = agreements
        self.created = 0
        self.projects: dict[str, uuid.UUID] = {}

    def load(self, specs: Iterable[ProjectSpec]) -> None:
        with self._uow() as unit:
            existing = {
                code: (project_id, status)
                for code, project_id, status in unit.session.execute(
                    select(Project.code, Project.id, Project.status)
                )
            }
        for spec in specs:
            if spec.code in existing:
                project_id, status = existing[spec.code]
            else:
                project_id = create_project(
                    self._uow(),
                    self._actor,
                    ProjectIn(
                        code=spec.code,
                        title=spec.title,
                        agreement_id=self._agreements[spec.agreement],
                        start_on=self._day(spec.start_on),
                        end_on=self._day(spec.end_on),
                        classification_ceiling=spec.classification_ceiling,
                        description=spec.description,
                        lead_organisation_id=self._organisations[spec.lead],
                    ),
                ).id
                status = ProjectStatus.PROPOSED
                self.created += 1
            self.projects[spec.code] = project_id
            held = self._existing(project_id)
            self._team(project_id, spec, held)
            self._plan(project_id, spec, held)
            # Activated last, as a real project is: once its team and plan are agreed.
            if spec.active and status is ProjectStatus.PROPOSED:
                update_project(
                    self._uow(), self._actor, project_id, ProjectUpdate(status=ProjectStatus.ACTIVE)
                )

    def _existing(self, project_id: uuid.UUID) -> _Existing:
        with self._uow() as unit:
            session = unit.session
            return _Existing(
                organisations=set(
                    session.scalars(
                        select(Participant.organisation_id).where(
                            Participant.project_id == project_id
                        )
                    )
                ),
                people=set(
                    session.scalars(select(Member.person_id).where(Member.project_id == project_id))
                ),
                work_packages=dict(
                    session.execute(
                        select(WorkPackage.code, WorkPackage.id).where(
                            WorkPackage.project_id == project_id
                        )
                    ).all()
                ),
                deliverables=_deliverables(session, project_id),
                milestones={
                    code: (milestone_id, status)
                    for code, milestone_id, status in session.execute(
                        select(Milestone.code, Milestone.id, Milestone.status).where(
                            Milestone.project_id == project_id
                        )
                    )
                },
            )

    def _team(self, project_id: uuid.UUID, spec: ProjectSpec, held: _Existing) -> None:
        for partner in spec.partners:
            organisation_id = self._organisations[partner.organisation]
            if organisation_id in held.organisations:
                continue
            add_participant(
                self._uow(),
                self._actor,
                project_id,
                ParticipantIn(
                    organisation_id=organisation_id,
                    role=partner.role,
                    joined_on=self._day(partner.joined_on),
                ),
            )
            self.created += 1
        for member in spec.members:
            person_id = self._people[member.person]
            if person_id in held.people:
                continue
            add_member(
                self._uow(),
                self._actor,
                project_id,
                MemberIn(
                    person_id=person_id,
                    role=member.role,
                    joined_on=self._day(member.joined_on),
                ),
            )
            self.created += 1

    def _plan(self, project_id: uuid.UUID, spec: ProjectSpec, held: _Existing) -> None:
        for work_package in spec.work_packages:
            work_package_id = held.work_packages.get(work_package.code)
            if work_package_id is None:
                work_package_id = add_work_package(
                    self._uow(),
                    self._actor,
                    project_id,
                    WorkPackageIn(
                        code=work_package.code,
                        title=work_package.title,
                        lead_organisation_id=self._organisations[work_package.lead],
                        description=work_package.description,
                    ),
                ).id
                self.created += 1
            self._deliverables(work_package_id, work_package, held)
        for milestone in spec.milestones:
            if milestone.code in held.milestones:
                milestone_id, status = held.milestones[milestone.code]
            else:
                milestone_id = add_milestone(
                    self._uow(),
                    self._actor,
                    project_id,
                    MilestoneIn(
                        code=milestone.code,
                        title=milestone.title,
                        due_on=self._day(milestone.due_on),
                    ),
                ).id
                status = MilestoneStatus.PLANNED
                self.created += 1
            if milestone.achieved_on is not None and status is MilestoneStatus.PLANNED:
                update_milestone(
                    self._uow(),
                    self._actor,
                    milestone_id,
                    MilestoneUpdate(
                        status=MilestoneStatus.ACHIEVED,
                        achieved_on=self._day(milestone.achieved_on),
                    ),
                )

    def _deliverables(
        self, work_package_id: uuid.UUID, spec: WorkPackageSpec, held: _Existing
    ) -> None:
        for deliverable in spec.deliverables:
            key = (work_package_id, deliverable.code)
            if key in held.deliverables:
                deliverable_id, status = held.deliverables[key]
            else:
                deliverable_id = add_deliverable(
                    self._uow(),
                    self._actor,
                    work_package_id,
                    DeliverableIn(
                        code=deliverable.code,
                        title=deliverable.title,
                        due_on=self._day(deliverable.due_on),
                    ),
                ).id
                status = DeliverableStatus.PLANNED
                self.created += 1
            # Only a deliverable still at its initial status is moved on: one a user has
            # since progressed by hand keeps the status they gave it.
            if status is DeliverableStatus.PLANNED and deliverable.status is not status:
                update_deliverable(
                    self._uow(),
                    self._actor,
                    deliverable_id,
                    DeliverableUpdate(status=deliverable.status),
                )


def _deliverables(
    session: Session, project_id: uuid.UUID
) -> dict[tuple[uuid.UUID, str], tuple[uuid.UUID, DeliverableStatus]]:
    rows = session.execute(
        select(Deliverable.work_package_id, Deliverable.code, Deliverable.id, Deliverable.status)
        .join(WorkPackage)
        .where(WorkPackage.project_id == project_id)
    )
    return {(wp_id, code): (deliverable_id, status) for wp_id, code, deliverable_id, status in rows}
