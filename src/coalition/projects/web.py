"""HTML pages of projects: list, create and edit, and the team on the project's page.

The plan's forms on the same page are in plan_web.py; both share page.py.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Permission
from coalition.agreements.services import list_agreements
from coalition.common.paging import PageRequest
from coalition.errors import CoalitionError
from coalition.projects import services
from coalition.projects.models import ProjectStatus
from coalition.projects.page import STATUSES, inline_post, organisation_choices, render_project_page
from coalition.projects.rules import ALLOWED_TRANSITIONS
from coalition.projects.schemas import (
    MemberIn,
    MemberUpdate,
    ParticipantIn,
    ParticipantUpdate,
    ProjectIn,
    ProjectOut,
    ProjectUpdate,
    WithdrawIn,
)
from coalition.web.deps import CheckedForm, PageDep, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse, shown
from coalition.web.templating import LEVEL_NAMES, flash, render

router = APIRouter(include_in_schema=False)

CEILINGS = [(level, f"{level} · {name}") for level, name in LEVEL_NAMES.items()]


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
        context["organisations"] = organisation_choices(uow, actor)
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
    return render_project_page(request, actor, uow, project_id)


@router.get("/projects/{project_id}/edit")
def edit_project(
    project_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    found = services.get_project(uow, actor, project_id, Permission.PROJECT_UPDATE)
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
        found = services.get_project(uow, actor, project_id, Permission.PROJECT_UPDATE)
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
    return inline_post(
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


@router.post("/projects/{project_id}/participants/{participant_id}")
def update_participant(
    project_id: uuid.UUID,
    participant_id: uuid.UUID,
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
        f"participant-{participant_id}",
        values,
        lambda: services.update_participant(
            uow, actor, participant_id, parse(ParticipantUpdate, values)
        ),
        lambda changed: f"{changed.organisation.short_name} is now {changed.role}.",
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
    return inline_post(
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
    return inline_post(
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


@router.post("/projects/{project_id}/members/{member_id}")
def update_member(
    project_id: uuid.UUID,
    member_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    values.setdefault("left_on", None)  # blank: still on the team
    return inline_post(
        request,
        actor,
        uow,
        project_id,
        f"member-{member_id}",
        values,
        lambda: services.update_member(uow, actor, member_id, parse(MemberUpdate, values)),
        lambda changed: f"{changed.person.given_name} {changed.person.family_name}: saved.",
        "members",
    )
