"""Use cases of projects: set up under an agreement, team, plan, status."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import allowed_actions, require
from coalition.common.events import changed_fields, record_event
from coalition.common.paging import Page, PageRequest, fetch_page, like_pattern
from coalition.errors import Conflict, Problems, ValidationFailed
from coalition.projects import checks
from coalition.projects.models import (
    Deliverable,
    Member,
    Milestone,
    Participant,
    ParticipantRole,
    Project,
    ProjectStatus,
    TrlAssessment,
    WorkPackage,
)
from coalition.projects.rows import (
    get_project_row,
    lock_agreement,
    lock_agreement_and_project,
    lock_project_of,
    lock_project_of_deliverable,
)
from coalition.projects.schemas import (
    DeliverableIn,
    DeliverableOut,
    DeliverableUpdate,
    MemberIn,
    MemberOut,
    MemberUpdate,
    MilestoneIn,
    MilestoneOut,
    MilestoneUpdate,
    ParticipantIn,
    ParticipantOut,
    ParticipantUpdate,
    ProjectIn,
    ProjectOut,
    ProjectSummary,
    ProjectUpdate,
    TrlIn,
    TrlOut,
    WithdrawIn,
    WorkPackageIn,
    WorkPackageOut,
    WorkPackageUpdate,
)
from coalition.registry.models import Organisation, Person
from coalition.registry.services import organisation_target
from coalition.store.uow import UnitOfWork


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


def get_project(
    uow: UnitOfWork,
    actor: Principal,
    project_id: uuid.UUID,
    for_permission: Permission | None = None,
) -> ProjectOut:
    """The project; with ``for_permission``, only for a caller about to use it (an edit form)."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        project = get_project_row(uow.session, project_id)
        if for_permission is not None:
            require(actor, for_permission, project_target(uow.session, project))
        return project_out(uow.session, actor, project)


def create_project(uow: UnitOfWork, actor: Principal, data: ProjectIn) -> ProjectOut:
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        agreement = lock_agreement(session, data.agreement_id)
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
        checks.check_project(project, agreement)
        checks.check_participant_nation(agreement, lead, "lead_organisation_id")
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
        agreement, project = lock_agreement_and_project(session, project_id)
        require(actor, Permission.PROJECT_UPDATE, project_target(session, project))
        if "status" in changes:
            checks.check_status_change(project, changes["status"])
        old_start = project.start_on
        moving: list[Participant | Member] = []
        if changes.keys() & {"start_on", "end_on"}:
            moving = checks.fit_team_and_plan(
                project,
                changes.get("start_on", project.start_on),
                changes.get("end_on", project.end_on),
            )
        applied = changed_fields(project, changes)
        checks.check_project(project, agreement)
        for row in moving:
            row.joined_on = project.start_on
        if moving:
            applied["moved_with_start"] = [checks.team_label(row) for row in moving]
            applied["old_start_on"] = old_start
        record_event(uow, actor, "projects:project:update", project, applied)
        uow.commit()
        return project_out(session, actor, project)


# --- team -----------------------------------------------------------------------------------


def add_participant(
    uow: UnitOfWork, actor: Principal, project_id: uuid.UUID, data: ParticipantIn
) -> ParticipantOut:
    with uow:
        uow.for_writing()
        session = uow.session
        agreement, project = lock_agreement_and_project(session, project_id)
        require(actor, Permission.PROJECT_TEAM_MANAGE, project_target(session, project))
        organisation = session.get(Organisation, data.organisation_id)
        if organisation is None:
            raise ValidationFailed.of("organisation_id", "no organisation with this id")
        checks.check_participant_nation(agreement, organisation, "organisation_id")
        checks.check_new_participation(project, organisation, data.joined_on, data.withdrew_on)
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


def update_participant(
    uow: UnitOfWork, actor: Principal, participant_id: uuid.UUID, data: ParticipantUpdate
) -> ParticipantOut:
    changes = data.model_dump(exclude_unset=True)
    with uow:
        uow.for_writing()
        session = uow.session
        participant, project = lock_project_of(session, Participant, participant_id, "participant")
        require(actor, Permission.PROJECT_TEAM_MANAGE, project_target(session, project))
        if changes.get("role", ParticipantRole.LEAD) is not ParticipantRole.LEAD:
            checks.check_not_last_lead(project, participant, "role")
        applied = changed_fields(participant, changes)
        record_event(uow, actor, "projects:participant:update", participant, applied)
        uow.commit()
        return ParticipantOut.model_validate(participant)


def withdraw_participant(
    uow: UnitOfWork, actor: Principal, participant_id: uuid.UUID, data: WithdrawIn
) -> ParticipantOut:
    """The organisation leaves the project, and the memberships it sponsors end with it."""
    on = data.withdrew_on
    with uow:
        uow.for_writing()
        session = uow.session
        participant, project = lock_project_of(session, Participant, participant_id, "participant")
        require(actor, Permission.PROJECT_TEAM_MANAGE, project_target(session, project))
        if participant.withdrew_on is not None:
            raise ValidationFailed.of(
                "withdrew_on", f"already withdrew on {participant.withdrew_on}"
            )
        if on < participant.joined_on:
            raise ValidationFailed.of("withdrew_on", "must not be before joined_on")
        checks.check_not_last_lead(project, participant, "withdrew_on")
        employees = checks.leaving_with(project, participant, on)
        participant.withdrew_on = on
        for member in employees:
            member.left_on = on
        ended = [{"member_id": m.id, "person": m.person.full_name} for m in employees]
        record_event(
            uow,
            actor,
            "projects:participant:withdraw",
            participant,
            {**data.model_dump(), "memberships_ended": ended},
        )
        uow.commit()
        return ParticipantOut.model_validate(participant)


def add_member(
    uow: UnitOfWork, actor: Principal, project_id: uuid.UUID, data: MemberIn
) -> MemberOut:
    with uow:
        uow.for_writing()
        session = uow.session
        project = get_project_row(session, project_id, for_update=True)
        require(actor, Permission.PROJECT_TEAM_MANAGE, project_target(session, project))
        person = session.get(Person, data.person_id)
        if person is None:
            raise ValidationFailed.of("person_id", "no person with this id")
        sponsor = checks.check_new_member(project, person, data.joined_on, data.left_on)
        member = Member(
            project=project,
            participant=sponsor,
            person=person,
            **data.model_dump(exclude={"person_id"}),
        )
        uow.add(member)
        uow.flush()
        record_event(
            uow,
            actor,
            "projects:member:create",
            member,
            {**data.model_dump(), "participant_id": sponsor.id},
        )
        uow.commit()
        return MemberOut.model_validate(member)


def update_member(
    uow: UnitOfWork, actor: Principal, member_id: uuid.UUID, data: MemberUpdate
) -> MemberOut:
    changes = data.model_dump(exclude_unset=True)
    with uow:
        uow.for_writing()
        session = uow.session
        member, project = lock_project_of(session, Member, member_id, "member")
        require(actor, Permission.PROJECT_TEAM_MANAGE, project_target(session, project))
        checks.check_membership_end(project, member, changes.get("left_on", member.left_on))
        applied = changed_fields(member, changes)
        record_event(uow, actor, "projects:member:update", member, applied)
        uow.commit()
        return MemberOut.model_validate(member)


# --- plan -----------------------------------------------------------------------------------


def add_work_package(
    uow: UnitOfWork, actor: Principal, project_id: uuid.UUID, data: WorkPackageIn
) -> WorkPackageOut:
    with uow:
        uow.for_writing()
        session = uow.session
        project = get_project_row(session, project_id, for_update=True)
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, project))
        checks.work_package_lead(project, data.lead_organisation_id)
        if any(wp.code == data.code for wp in project.work_packages):
            raise Conflict(f"code: {project.code} already has a work package {data.code}")
        work_package = WorkPackage(project=project, **data.model_dump())
        uow.add(work_package)
        uow.flush()
        record_event(uow, actor, "projects:work_package:create", work_package, data.model_dump())
        uow.commit()
        return WorkPackageOut.model_validate(work_package)


def update_work_package(
    uow: UnitOfWork, actor: Principal, work_package_id: uuid.UUID, data: WorkPackageUpdate
) -> WorkPackageOut:
    changes = data.model_dump(exclude_unset=True)
    with uow:
        uow.for_writing()
        session = uow.session
        work_package, project = lock_project_of(
            session, WorkPackage, work_package_id, "work package"
        )
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, project))
        lead = work_package.lead_organisation
        if changes.get("lead_organisation_id", lead.id) != lead.id:
            # A lead that withdrew since keeps its work package until it is handed on.
            lead = checks.work_package_lead(project, changes["lead_organisation_id"])
        applied = changed_fields(work_package, changes)
        work_package.lead_organisation = lead  # the loaded relation follows the new id
        record_event(uow, actor, "projects:work_package:update", work_package, applied)
        uow.commit()
        return WorkPackageOut.model_validate(work_package)


def add_deliverable(
    uow: UnitOfWork, actor: Principal, work_package_id: uuid.UUID, data: DeliverableIn
) -> DeliverableOut:
    with uow:
        uow.for_writing()
        session = uow.session
        work_package, project = lock_project_of(
            session, WorkPackage, work_package_id, "work package"
        )
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, project))
        checks.check_due(project, data.due_on)
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
        deliverable, project = lock_project_of_deliverable(session, deliverable_id)
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, project))
        applied = changed_fields(deliverable, data.model_dump(exclude_unset=True))
        checks.check_due(project, deliverable.due_on)
        record_event(uow, actor, "projects:deliverable:update", deliverable, applied)
        uow.commit()
        return DeliverableOut.model_validate(deliverable)


def add_milestone(
    uow: UnitOfWork, actor: Principal, project_id: uuid.UUID, data: MilestoneIn
) -> MilestoneOut:
    with uow:
        uow.for_writing()
        session = uow.session
        project = get_project_row(session, project_id, for_update=True)
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, project))
        checks.check_due(project, data.due_on)
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
        milestone, project = lock_project_of(session, Milestone, milestone_id, "milestone")
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, project))
        applied = changed_fields(milestone, changes)
        checks.check_due(project, milestone.due_on)
        if milestone.status == "achieved" and milestone.achieved_on is None:
            raise ValidationFailed.of("achieved_on", "is required when the milestone is achieved")
        if milestone.status != "achieved" and milestone.achieved_on is not None:
            raise ValidationFailed.of("achieved_on", "only an achieved milestone has this date")
        record_event(uow, actor, "projects:milestone:update", milestone, applied)
        uow.commit()
        return MilestoneOut.model_validate(milestone)


def record_trl(
    uow: UnitOfWork,
    actor: Principal,
    project_id: uuid.UUID,
    data: TrlIn,
    today: date | None = None,
) -> TrlOut:
    """Record the project's technology readiness level as assessed on a day: not before the
    project started, not in the future, one assessment a day (a later correction is a new
    day's assessment, so the record of what was said stays)."""
    day = today or date.today()
    with uow:
        uow.for_writing()
        session = uow.session
        project = get_project_row(session, project_id, for_update=True)
        require(actor, Permission.PROJECT_PLAN_MANAGE, project_target(session, project))
        if data.assessed_on > day:
            raise ValidationFailed.of("assessed_on", "is in the future")
        if data.assessed_on < project.start_on:
            raise ValidationFailed.of(
                "assessed_on", f"is before {project.code} started ({project.start_on})"
            )
        if any(t.assessed_on == data.assessed_on for t in project.trl_assessments):
            raise Conflict(
                f"assessed_on: {project.code} already has a readiness level on {data.assessed_on}"
            )
        assessment = TrlAssessment(project=project, recorded_by=actor.name, **data.model_dump())
        uow.add(assessment)
        uow.flush()
        record_event(uow, actor, "projects:trl:record", project, data.model_dump())
        uow.commit()
        return TrlOut.model_validate(assessment)


def list_trl(uow: UnitOfWork, actor: Principal, project_id: uuid.UUID) -> list[TrlOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        project = get_project_row(uow.session, project_id)
        return [TrlOut.model_validate(t) for t in project.trl_assessments]
