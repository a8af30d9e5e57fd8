"""HTML pages of projects: list, create and edit, and the team and plan on the project's page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.agreements.services import list_agreements
from coalition.common.paging import PageRequest
from coalition.errors import CoalitionError
from coalition.projects import services
from coalition.projects.models import (
    DeliverableStatus,
    MemberRole,
    MilestoneStatus,
    ParticipantRole,
    ProjectStatus,
)
from coalition.projects.rules import ALLOWED_TRANSITIONS
from coalition.projects.schemas import (
    DeliverableIn,
    DeliverableUpdate,
    MemberIn,
    MilestoneIn,
    MilestoneUpdate,
    ParticipantIn,
    ProjectIn,
    ProjectOut,
    ProjectUpdate,
    WithdrawIn,
    WorkPackageIn,
)
from coalition.registry.people import list_people
from coalition.registry.services import list_organisations
from coalition.web.deps import CheckedForm, PageDep, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse, shown
from coalition.web.templating import LEVEL_NAMES, flash, render

router = APIRouter(include_in_schema=False)

T = TypeVar("T")


def _choices(values: type[Any]) -> list[tuple[str, str]]:
    return [(v.value, v.value.replace("_", " ").capitalize()) for v in values]


STATUSES = _choices(ProjectStatus)
PARTICIPANT_ROLES = _choices(ParticipantRole)
MEMBER_ROLES = _choices(MemberRole)
DELIVERABLE_STATUSES = _choices(DeliverableStatus)
MILESTONE_STATUSES = _choices(MilestoneStatus)
CEILINGS = [(level, f"{level} · {name}") for level, name in LEVEL_NAMES.items()]


def _organisation_choices(uow: UowDep, actor: WebPrincipal) -> list[tuple[uuid.UUID, str]]:
    organisations = list_organisations(uow, actor, PageRequest(limit=200)).items
    return [(o.id, f"{o.short_name} · {o.name} ({o.nation_code})") for o in organisations]


def _form_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    values: dict[str, Any],
    exc: CoalitionError | None = None,
    project: ProjectOut | None = None,
) -> Response:
    context: dict[str, object] = {
        "section": "projects",
        "project": project,
        "values": values,
        "ceilings": CEILINGS,
    }
    if project is None:
        agreements = list_agreements(uow, actor, PageRequest(limit=200)).items
        context["agreements"] = [
            (a.id, f"{a.reference} · {a.title} ({a.status.replace('_', ' ')})") for a in agreements
        ]
        context["organisations"] = _organisation_choices(uow, actor)
    else:
        # A project may stay where it is or take one of the next steps its rules allow.
        allowed = {project.status, *ALLOWED_TRANSITIONS[project.status]}
        context["statuses"] = [(value, text) for value, text in STATUSES if value in allowed]
    if exc is None:
        return render(request, "projects/project_form.html", actor, context)
    return render(
        request,
        "projects/project_form.html",
        actor,
        {**context, "errors": form_errors(exc)},
        status_code=exc.status,
    )


def _project_values(project: ProjectOut) -> dict[str, Any]:
    return shown(
        project.model_dump(
            mode="json",
            include={
                "title",
                "start_on",
                "end_on",
                "classification_ceiling",
                "description",
                "status",
            },
        )
    )


def _project_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    project_id: uuid.UUID,
    failed: str | None = None,
    exc: CoalitionError | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    """The project's page; after a failed inline form, that form opens again with its errors."""
    project = services.get_project(uow, actor, project_id)
    people = list_people(uow, actor, PageRequest(limit=200)).items
    context: dict[str, object] = {
        "section": "projects",
        "project": project,
        "failed": failed,
        "organisations": _organisation_choices(uow, actor),
        "people": [
            (p.id, f"{p.family_name}, {p.given_name} ({p.employer.short_name})") for p in people
        ],
        "leads": [
            (p.organisation.id, p.organisation.short_name)
            for p in project.participants
            if p.withdrew_on is None
        ],
        "participant_roles": PARTICIPANT_ROLES,
        "member_roles": MEMBER_ROLES,
        "deliverable_statuses": DELIVERABLE_STATUSES,
        "milestone_statuses": MILESTONE_STATUSES,
    }
    if exc is None:
        return render(request, "projects/project.html", actor, context)
    return render(
        request,
        "projects/project.html",
        actor,
        {**context, "values": values or {}, "errors": form_errors(exc)},
        status_code=exc.status,
    )


def _inline_post(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    project_id: uuid.UUID,
    form_id: str,
    values: dict[str, Any],
    call: Callable[[], T],
    done: Callable[[T], str],
    anchor: str,
) -> Response:
    """Run one use case for a form on the project's page, then show the page again."""
    try:
        result = call()
    except CoalitionError as exc:
        return _project_page(request, actor, uow, project_id, form_id, exc, values)
    flash(request, done(result))
    return RedirectResponse(f"/projects/{project_id}#{anchor}", status_code=303)


@router.get("/projects")
def projects_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    page: PageDep,
    q: str | None = None,
    status: Annotated[ProjectStatus | None, AnyChoice] = None,
) -> Response:
    result = services.list_projects(uow, actor, page, q=q, status=status)
    return render(
        request,
        "projects/projects.html",
        actor,
        {
            "section": "projects",
            "page": result,
            "statuses": STATUSES,
            "filters": {"q": q or "", "status": status or ""},
        },
    )


@router.get("/projects/new")
def new_project(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    agreement: Annotated[uuid.UUID | None, AnyChoice] = None,
) -> Response:
    return _form_page(request, actor, uow, shown({"agreement_id": agreement}))


@router.post("/projects/new")
def create_project(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        created = services.create_project(uow, actor, parse(ProjectIn, values))
    except CoalitionError as exc:
        return _form_page(request, actor, uow, values, exc)
    flash(request, f"Project {created.code} created.")
    return RedirectResponse(f"/projects/{created.id}", status_code=303)


@router.get("/projects/{project_id}")
def project_page(
    project_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    return _project_page(request, actor, uow, project_id)


@router.get("/projects/{project_id}/edit")
def edit_project(
    project_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    found = services.get_project(uow, actor, project_id)
    return _form_page(request, actor, uow, _project_values(found), project=found)


@router.post("/projects/{project_id}/edit")
def update_project(
    project_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    for name in ("end_on", "description"):  # a blank field in an edit form clears it
        values.setdefault(name, None)
    try:
        updated = services.update_project(uow, actor, project_id, parse(ProjectUpdate, values))
    except CoalitionError as exc:
        found = services.get_project(uow, actor, project_id)
        return _form_page(
            request, actor, uow, {**_project_values(found), **shown(values)}, exc, project=found
        )
    flash(request, f"Project {updated.code} saved.")
    return RedirectResponse(f"/projects/{updated.id}", status_code=303)


# --- team -----------------------------------------------------------------------------------


@router.post("/projects/{project_id}/participants")
def add_participant(
    project_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    return _inline_post(
        request,
        actor,
        uow,
        project_id,
        "participant-new",
        values,
        lambda: services.add_participant(uow, actor, project_id, parse(ParticipantIn, values)),
        lambda added: f"{added.organisation.short_name} joined as {added.role}.",
        "participants",
    )


@router.post("/projects/{project_id}/participants/{participant_id}/withdraw")
def withdraw_participant(
    project_id: uuid.UUID,
    participant_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    return _inline_post(
        request,
        actor,
        uow,
        project_id,
        f"withdraw-{participant_id}",
        values,
        lambda: services.withdraw_participant(
            uow, actor, participant_id, parse(WithdrawIn, values)
        ),
        lambda gone: f"{gone.organisation.short_name} withdrew on {gone.withdrew_on}.",
        "participants",
    )


@router.post("/projects/{project_id}/members")
def add_member(
    project_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    return _inline_post(
        request,
        actor,
        uow,
        project_id,
        "member-new",
        values,
        lambda: services.add_member(uow, actor, project_id, parse(MemberIn, values)),
        lambda added: f"{added.person.given_name} {added.person.family_name} joined the team.",
        "members",
    )


# --- plan -----------------------------------------------------------------------------------


@router.post("/projects/{project_id}/work-packages")
def add_work_package(
    project_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    return _inline_post(
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
    return _inline_post(
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
    return _inline_post(
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
    return _inline_post(
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
    return _inline_post(
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
