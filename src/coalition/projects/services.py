"""Use cases of projects: set up under an agreement, team, plan, status."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.agreements.models import Agreement, AgreementStatus
from coalition.common.access import allowed_actions, require
from coalition.common.events import changed_fields, record_event
from coalition.common.paging import Page, PageRequest, fetch_page, like_pattern
from coalition.common.validation import ranges_overlap
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.projects.models import (
    Deliverable,
    Member,
    Milestone,
    Participant,
    ParticipantRole,
    Project,
    ProjectStatus,
    WorkPackage,
)
from coalition.projects.rules import transition_problem
from coalition.projects.schemas import (
    DeliverableIn,
    DeliverableOut,
    DeliverableUpdate,
    MemberIn,
    MemberOut,
    MilestoneIn,
    MilestoneOut,
    MilestoneUpdate,
    ParticipantIn,
    ParticipantOut,
    ProjectIn,
    ProjectOut,
    ProjectSummary,
    ProjectUpdate,
    WithdrawIn,
    WorkPackageIn,
    WorkPackageOut,
)
from coalition.registry.models import Organisation, Person
from coalition.registry.services import organisation_target
from coalition.store.uow import UnitOfWork

CLOSED_AGREEMENT = {AgreementStatus.TERMINATED, AgreementStatus.EXPIRED}


def project_target(session: Session, project: Project) -> Target:
    """Roles in the project, or in its lead organisations (and their parents), govern it."""
    ids: set[uuid.UUID] = set()
    for participant in project.participants:
        if participant.role is ParticipantRole.LEAD and participant.withdrew_on is None:
            ids |= organisation_target(session, participant.organisation).organisation_ids
    return Target.of(ids, project.id)


def project_out(session: Session, actor: Principal, project: Project) -> ProjectOut:
    out = ProjectOut.model_validate(project)
    out.allowed_actions = allowed_actions(
        actor,
        project_target(session, project),
        (Permission.PROJECT_UPDATE, Permission.PROJECT_TEAM_MANAGE, Permission.PROJECT_PLAN_MANAGE),
    )
    return out


def list_projects(
    uow: UnitOfWork,
    actor: Principal,
    page: PageRequest,
    *,
    q: str | None = None,
    agreement_id: uuid.UUID | None = None,
    status: ProjectStatus | None = None,
    organisation_id: uuid.UUID | None = None,
) -> Page[ProjectSummary]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    query: Select[Project] = select(Project).order_by(Project.code)
    if q:
        pattern = like_pattern(q)
        query = query.where(
            Project.code.ilike(pattern, escape="\\") | Project.title.ilike(pattern, escape="\\")
        )
    if agreement_id:
        query = query.where(Project.agreement_id == agreement_id)
    if status:
        query = query.where(Project.status == status)
    if organisation_id:
        query = query.where(
            Project.participants.any(Participant.organisation_id == organisation_id)
        )
    with uow:
        rows, total = fetch_page(uow.session, query, page)
        items = [ProjectSummary.model_validate(p) for p in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def get_project(uow: UnitOfWork, actor: Principal, project_id: uuid.UUID) -> ProjectOut:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        return project_out(uow.session, actor, get_project_row(uow.session, project_id))


def create_project(uow: UnitOfWork, actor: Principal, data: ProjectIn) -> ProjectOut:
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        agreement = session.get(Agreement, data.agreement_id)
        lead = session.get(Organisation, data.lead_organisation_id)
        if agreement is None:
            problems.add("agreement_id", "no agreement with this id")
        if lead is None:
            problems.add("lead_organisation_id", "no organisation with this id")
        problems.raise_if_any()
        assert agreement is not None and lead is not None
        require(actor, Permission.PROJECT_CREATE, organisation_target(session, lead))
        if session.scalar(select(Project.id).where(Project.code == data.code)):
            raise Conflict(f"code: a project '{data.code}' already exists")
        project = Project(
            **data.model_dump(exclude={"lead_organisation_id"}),
            agreement=agreement,
            participants=[
                Participant(organisation=lead, role=ParticipantRole.LEAD, joined_on=data.start_on)
            ],
        )
        _check_project(project, agreement)
        _check_participant_nation(agreement, lead, "lead_organisation_id")
        uow.add(project)
        uow.flush()
        record_event(uow, actor, "projects:project:create", project, data.model_dump())
        uow.commit()
        return project_out(session, actor, project)


def update_project(
    uow: UnitOfWork, actor: Principal, project_id: uuid.UUID, data: ProjectUpdate
) -> ProjectOut:
    changes = data.model_dump(exclude_unset=True)
    with uow:
        uow.for_writing()
        session = uow.session
        project = get_project_row(session, project_id)
        require(actor, Permission.PROJECT_UPDATE, project_target(session, project))
        if "status" in changes:
            problem = transition_problem(project.status, changes["status"])
            if problem:
                raise ValidationFailed.of("status", problem)
            if (
                changes["status"] is ProjectStatus.ACTIVE
                and project.agreement.status is not AgreementStatus.IN_FORCE
            ):
                raise ValidationFailed.of(
                    "status",
                    f"the agreement {project.agreement.reference} is {project.agreement.status}, "
                    "not in force",
                )
        applied = changed_fields(project, changes)
        _check_project(project, project.agreement)
        record_event(uow, actor, "projects:project:update", project, applied)
        uow.commit()
        return project_out(session, actor, project)


def _check_project(project: Project, agreement: Agreement) -> None:
    problems = Problems()
    if project.end_on is not None and project.end_on <= project.start_on:
        problems.add("end_on", "must be after start_on")
    if agreement.status in CLOSED_AGREEMENT:
        problems.add("agreement_id", f"the agreement is {agreement.status}")
    if project.start_on < agreement.effective_from:
        problems.add(
            "start_on", f"is before the agreement takes effect ({agreement.effective_from})"
        )
    if agreement.expires_on and (project.end_on is None or project.end_on > agreement.expires_on):
        problems.add("end_on", f"must not be after the agreement expires ({agreement.expires_on})")
    if project.classification_ceiling > agreement.classification_ceiling:
        problems.add(
            "classification_ceiling",
            f"exceeds the agreement's ceiling ({agreement.classification_ceiling})",
        )
    problems.raise_if_any()


def _check_participant_nation(agreement: Agreement, organisation: Organisation, field: str) -> None:
    nations = {p.organisation.nation_code for p in agreement.parties}
    if organisation.nation_code not in nations:
        raise ValidationFailed.of(
            field,
            f"{organisation.short_name} is from {organisation.nation_code}, which is not a party "
            f"to {agreement.reference} ({', '.join(sorted(nations))})",
        )


# --- team -----------------------------------------------------------------------------------


def add_participant(
    uow: UnitOfWork, actor: Principal, project_id: uuid.UUID, data: ParticipantIn
) -> ParticipantOut:
    with uow:
        uow.for_writing()
        session = uow.session
        project = get_project_row(session, project_id)
        require(actor, Permission.PROJECT_TEAM_MANAGE, project_target(session, project))
        organisation = session.get(Organisation, data.organisation_id)
        if organisation is None:
            raise ValidationFailed.of("organisation_id", "no organisation with this id")
        _check_participant_nation(project.agreement, organisation, "organisation_id")
        problems = Problems()
        if data.withdrew_on is not None and data.withdrew_on < data.joined_on:
            problems.add("withdrew_on", "must not be before joined_on")
        if data.joined_on < project.start_on:
            problems.add("joined_on", f"is before the project starts ({project.start_on})")
        problems.raise_if_any()
        for other in project.participants:
            if other.organisation_id == organisation.id and ranges_overlap(
                data.joined_on, data.withdrew_on, other.joined_on, other.withdrew_on
            ):
                raise ValidationFailed.of(
                    "joined_on", f"{organisation.short_name} already takes part in that period"
                )
        participant = Participant(
            project=project,
            organisation=organisation,
            **data.model_dump(exclude={"organisation_id"}),
        )
        uow.add(participant)
        uow.flush()
        record_event(uow, actor, "projects:participant:create", participant, data.model_dump())
        uow.commit()
        return ParticipantOut.model_validate(participant)


def withdraw_participant(
    uow: UnitOfWork, actor: Principal, participant_id: uuid.UUID, data: WithdrawIn
) -> ParticipantOut:
    with uow:
        uow.for_writing()
        session = uow.session
        participant = session.get(Participant, participant_id)
        if participant is None:
            raise NotFound("no participant with this id")
        require(actor, Permission.PROJECT_TEAM_MANAGE, project_target(session, participant.project))
        if participant.withdrew_on is not None:
            raise ValidationFailed.of(
                "withdrew_on", f"already withdrew on {participant.withdrew_on}"
            )
        if data.withdrew_on < participant.joined_on:
            raise ValidationFailed.of("withdrew_on", "must not be before joined_on")
        participant.withdrew_on = data.withdrew_on
        record_event(uow, actor, "projects:participant:withdraw", participant, data.model_dump())
        uow.commit()
        return ParticipantOut.model_validate(participant)


def add_member(
    uow: UnitOfWork, actor: Principal, project_id: uuid.UUID, data: MemberIn
) -> MemberOut:
    with uow:
        uow.for_writing()
        session = uow.session
        project = get_project_row(session, project_id)
        require(actor, Permission.PROJECT_TEAM_MANAGE, project_target(session, project))
        person = session.get(Person, data.person_id)
        if person is None:
            raise ValidationFailed.of("person_id", "no person with this id")
        if data.left_on is not None and data.left_on < data.joined_on:
            raise ValidationFailed.of("left_on", "must not be before joined_on")
        if not any(
            p.organisation_id == person.employer_id
            and p.joined_on <= data.joined_on
            and (p.withdrew_on is None or data.joined_on < p.withdrew_on)
            for p in project.participants
        ):
            raise ValidationFailed.of(
                "person_id",
                f"{person.full_name}'s employer {person.employer.short_name} does not take part "
                f"in {project.code} on {data.joined_on}",
            )
        for other in project.members:
            if other.person_id == person.id and ranges_overlap(
                data.joined_on, data.left_on, other.joined_on, other.left_on
            ):
                raise ValidationFailed.of(
                    "joined_on", f"{person.full_name} is already a member then"
                )
        member = Member(project=project, person=person, **data.model_dump(exclude={"person_id"}))
        uow.add(member)
        uow.flush()
        record_event(uow, actor, "projects:member:create", member, data.model_dump())
        uow.commit()
        return MemberOut.model_validate(member)


# --- plan -----------------------------------------------------------------------------------


def add_work_package(
    uow: UnitOfWork, actor: Principal, project_id: uuid.UUID, data: WorkPackageIn
) -> WorkPackageOut:
    with uow:
        uow.for_writing()
        session = uow.session
        project = get_project_row(session, project_id)
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, project))
        if not any(p.organisation_id == data.lead_organisation_id for p in project.participants):
            raise ValidationFailed.of(
                "lead_organisation_id", f"is not a participant of {project.code}"
            )
        if any(wp.code == data.code for wp in project.work_packages):
            raise Conflict(f"code: {project.code} already has a work package {data.code}")
        work_package = WorkPackage(project=project, **data.model_dump())
        uow.add(work_package)
        uow.flush()
        record_event(uow, actor, "projects:work_package:create", work_package, data.model_dump())
        uow.commit()
        return WorkPackageOut.model_validate(work_package)


def add_deliverable(
    uow: UnitOfWork, actor: Principal, work_package_id: uuid.UUID, data: DeliverableIn
) -> DeliverableOut:
    with uow:
        uow.for_writing()
        session = uow.session
        work_package = session.get(WorkPackage, work_package_id)
        if work_package is None:
            raise NotFound("no work package with this id")
        project = work_package.project
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, project))
        _check_due(project, data.due_on)
        if any(d.code == data.code for d in work_package.deliverables):
            raise Conflict(f"code: {work_package.code} already has a deliverable {data.code}")
        deliverable = Deliverable(work_package=work_package, **data.model_dump())
        uow.add(deliverable)
        uow.flush()
        record_event(uow, actor, "projects:deliverable:create", deliverable, data.model_dump())
        uow.commit()
        return DeliverableOut.model_validate(deliverable)


def update_deliverable(
    uow: UnitOfWork, actor: Principal, deliverable_id: uuid.UUID, data: DeliverableUpdate
) -> DeliverableOut:
    with uow:
        uow.for_writing()
        session = uow.session
        deliverable = session.get(Deliverable, deliverable_id)
        if deliverable is None:
            raise NotFound("no deliverable with this id")
        project = deliverable.work_package.project
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, project))
        applied = changed_fields(deliverable, data.model_dump(exclude_unset=True))
        _check_due(project, deliverable.due_on)
        record_event(uow, actor, "projects:deliverable:update", deliverable, applied)
        uow.commit()
        return DeliverableOut.model_validate(deliverable)


def add_milestone(
    uow: UnitOfWork, actor: Principal, project_id: uuid.UUID, data: MilestoneIn
) -> MilestoneOut:
    with uow:
        uow.for_writing()
        session = uow.session
        project = get_project_row(session, project_id)
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, project))
        _check_due(project, data.due_on)
        if any(m.code == data.code for m in project.milestones):
            raise Conflict(f"code: {project.code} already has a milestone {data.code}")
        milestone = Milestone(project=project, **data.model_dump())
        uow.add(milestone)
        uow.flush()
        record_event(uow, actor, "projects:milestone:create", milestone, data.model_dump())
        uow.commit()
        return MilestoneOut.model_validate(milestone)


def update_milestone(
    uow: UnitOfWork, actor: Principal, milestone_id: uuid.UUID, data: MilestoneUpdate
) -> MilestoneOut:
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    with uow:
        uow.for_writing()
        session = uow.session
        milestone = session.get(Milestone, milestone_id)
        if milestone is None:
            raise NotFound("no milestone with this id")
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, milestone.project))
        applied = changed_fields(milestone, changes)
        _check_due(milestone.project, milestone.due_on)
        if milestone.status == "achieved" and milestone.achieved_on is None:
            raise ValidationFailed.of("achieved_on", "is required when the milestone is achieved")
        if milestone.status != "achieved" and milestone.achieved_on is not None:
            raise ValidationFailed.of("achieved_on", "only an achieved milestone has this date")
        record_event(uow, actor, "projects:milestone:update", milestone, applied)
        uow.commit()
        return MilestoneOut.model_validate(milestone)


def _check_due(project: Project, due_on: date) -> None:
    if due_on < project.start_on:
        raise ValidationFailed.of("due_on", f"is before the project starts ({project.start_on})")
    if project.end_on is not None and due_on > project.end_on:
        raise ValidationFailed.of("due_on", f"is after the project ends ({project.end_on})")


def get_project_row(session: Session, project_id: uuid.UUID) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("no project with this id")
    return project
