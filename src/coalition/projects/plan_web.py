"""HTML forms for a project's plan: work packages, deliverables and milestones, each
posted from the project's page (see page.py)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from coalition.projects import services
from coalition.projects.page import inline_post
from coalition.projects.schemas import (
    DeliverableIn,
    DeliverableUpdate,
    MilestoneIn,
    MilestoneUpdate,
    TrlIn,
    WorkPackageIn,
    WorkPackageUpdate,
)
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import form_values, parse

router = APIRouter(include_in_schema=False)


@router.post("/projects/{project_id}/work-packages")
def add_work_package(
    project_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    return inline_post(
        request,
        actor,
        uow,
        project_id,
        "work-package-new",
        values,
        lambda: services.add_work_package(uow, actor, project_id, parse(WorkPackageIn, values)),
        lambda added: f"Work package {added.code} added.",
        "work-packages",
    )


@router.post("/projects/{project_id}/work-packages/{work_package_id}")
def update_work_package(
    project_id: uuid.UUID,
    work_package_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    values.setdefault("description", None)  # a blank description clears it
    return inline_post(
        request,
        actor,
        uow,
        project_id,
        f"work-package-{work_package_id}",
        values,
        lambda: services.update_work_package(
            uow, actor, work_package_id, parse(WorkPackageUpdate, values)
        ),
        lambda changed: f"Work package {changed.code} saved.",
        "work-packages",
    )


@router.post("/projects/{project_id}/work-packages/{work_package_id}/deliverables")
def add_deliverable(
    project_id: uuid.UUID,
    work_package_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    return inline_post(
        request,
        actor,
        uow,
        project_id,
        f"deliverable-new-{work_package_id}",
        values,
        lambda: services.add_deliverable(uow, actor, work_package_id, parse(DeliverableIn, values)),
        lambda added: f"Deliverable {added.code} added.",
        "work-packages",
    )


@router.post("/projects/{project_id}/deliverables/{deliverable_id}")
def update_deliverable(
    project_id: uuid.UUID,
    deliverable_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    return inline_post(
        request,
        actor,
        uow,
        project_id,
        f"deliverable-{deliverable_id}",
        values,
        lambda: services.update_deliverable(
            uow, actor, deliverable_id, parse(DeliverableUpdate, values)
        ),
        lambda changed: f"Deliverable {changed.code} is {changed.status.replace('_', ' ')}.",
        "work-packages",
    )


@router.post("/projects/{project_id}/milestones")
def add_milestone(
    project_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    return inline_post(
        request,
        actor,
        uow,
        project_id,
        "milestone-new",
        values,
        lambda: services.add_milestone(uow, actor, project_id, parse(MilestoneIn, values)),
        lambda added: f"Milestone {added.code} added.",
        "milestones",
    )


@router.post("/projects/{project_id}/milestones/{milestone_id}")
def update_milestone(
    project_id: uuid.UUID,
    milestone_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    values.setdefault("achieved_on", None)  # blank: not achieved (yet)
    return inline_post(
        request,
        actor,
        uow,
        project_id,
        f"milestone-{milestone_id}",
        values,
        lambda: services.update_milestone(uow, actor, milestone_id, parse(MilestoneUpdate, values)),
        lambda changed: f"Milestone {changed.code} is {changed.status}.",
        "milestones",
    )


@router.post("/projects/{project_id}/trl")
def record_trl(
    project_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    return inline_post(
        request,
        actor,
        uow,
        project_id,
        "trl-new",
        values,
        lambda: services.record_trl(uow, actor, project_id, parse(TrlIn, values)),
        lambda added: f"Readiness level {added.level} recorded for {added.assessed_on}.",
        "trl",
    )
