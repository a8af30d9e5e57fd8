"""API routes of projects."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from coalition.common.paging import Page
from coalition.projects import services
from coalition.projects.models import ProjectStatus
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
from coalition.web.deps import ApiPrincipal, PageDep, UowDep

router = APIRouter(tags=["projects"])
CREATED = status.HTTP_201_CREATED


@router.get("/projects")
def list_projects(
    actor: ApiPrincipal,
    uow: UowDep,
    page: PageDep,
    q: str | None = None,
    agreement_id: uuid.UUID | None = None,
    status: ProjectStatus | None = None,
    organisation_id: uuid.UUID | None = None,
) -> Page[ProjectSummary]:
    return services.list_projects(
        uow,
        actor,
        page,
        q=q,
        agreement_id=agreement_id,
        status=status,
        organisation_id=organisation_id,
    )


@router.post("/projects", status_code=CREATED)
def create_project(data: ProjectIn, actor: ApiPrincipal, uow: UowDep) -> ProjectOut:
    return services.create_project(uow, actor, data)


@router.get("/projects/{project_id}")
def get_project(project_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> ProjectOut:
    return services.get_project(uow, actor, project_id)


@router.patch("/projects/{project_id}")
def update_project(
    project_id: uuid.UUID, data: ProjectUpdate, actor: ApiPrincipal, uow: UowDep
) -> ProjectOut:
    return services.update_project(uow, actor, project_id, data)


@router.post("/projects/{project_id}/participants", status_code=CREATED)
def add_participant(
    project_id: uuid.UUID, data: ParticipantIn, actor: ApiPrincipal, uow: UowDep
) -> ParticipantOut:
    return services.add_participant(uow, actor, project_id, data)


@router.patch("/participants/{participant_id}")
def update_participant(
    participant_id: uuid.UUID, data: ParticipantUpdate, actor: ApiPrincipal, uow: UowDep
) -> ParticipantOut:
    return services.update_participant(uow, actor, participant_id, data)


@router.post("/participants/{participant_id}/withdraw")
def withdraw_participant(
    participant_id: uuid.UUID, data: WithdrawIn, actor: ApiPrincipal, uow: UowDep
) -> ParticipantOut:
    return services.withdraw_participant(uow, actor, participant_id, data)


@router.post("/projects/{project_id}/members", status_code=CREATED)
def add_member(
    project_id: uuid.UUID, data: MemberIn, actor: ApiPrincipal, uow: UowDep
) -> MemberOut:
    return services.add_member(uow, actor, project_id, data)


@router.patch("/members/{member_id}")
def update_member(
    member_id: uuid.UUID, data: MemberUpdate, actor: ApiPrincipal, uow: UowDep
) -> MemberOut:
    return services.update_member(uow, actor, member_id, data)


@router.post("/projects/{project_id}/work-packages", status_code=CREATED)
def add_work_package(
    project_id: uuid.UUID, data: WorkPackageIn, actor: ApiPrincipal, uow: UowDep
) -> WorkPackageOut:
    return services.add_work_package(uow, actor, project_id, data)


@router.patch("/work-packages/{work_package_id}")
def update_work_package(
    work_package_id: uuid.UUID, data: WorkPackageUpdate, actor: ApiPrincipal, uow: UowDep
) -> WorkPackageOut:
    return services.update_work_package(uow, actor, work_package_id, data)


@router.post("/work-packages/{work_package_id}/deliverables", status_code=CREATED)
def add_deliverable(
    work_package_id: uuid.UUID, data: DeliverableIn, actor: ApiPrincipal, uow: UowDep
) -> DeliverableOut:
    return services.add_deliverable(uow, actor, work_package_id, data)


@router.patch("/deliverables/{deliverable_id}")
def update_deliverable(
    deliverable_id: uuid.UUID, data: DeliverableUpdate, actor: ApiPrincipal, uow: UowDep
) -> DeliverableOut:
    return services.update_deliverable(uow, actor, deliverable_id, data)


@router.post("/projects/{project_id}/milestones", status_code=CREATED)
def add_milestone(
    project_id: uuid.UUID, data: MilestoneIn, actor: ApiPrincipal, uow: UowDep
) -> MilestoneOut:
    return services.add_milestone(uow, actor, project_id, data)


@router.patch("/milestones/{milestone_id}")
def update_milestone(
    milestone_id: uuid.UUID, data: MilestoneUpdate, actor: ApiPrincipal, uow: UowDep
) -> MilestoneOut:
    return services.update_milestone(uow, actor, milestone_id, data)


@router.get("/projects/{project_id}/trl")
def list_trl(project_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> list[TrlOut]:
    """The project's technology readiness levels as assessed, oldest first."""
    return services.list_trl(uow, actor, project_id)


@router.post("/projects/{project_id}/trl", status_code=CREATED)
def record_trl(project_id: uuid.UUID, data: TrlIn, actor: ApiPrincipal, uow: UowDep) -> TrlOut:
    """Record the readiness level as assessed on a day (one a day, never in the future)."""
    return services.record_trl(uow, actor, project_id, data)
