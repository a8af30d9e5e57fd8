"""The project's page with its team and plan, shared by the team (web.py) and plan
(plan_web.py) routes: each inline form posts, and on failure the page shows again with
that form open and its errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from starlette.responses import RedirectResponse, Response

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
from coalition.registry.people import list_people
from coalition.registry.services import list_organisations
from coalition.web.deps import UowDep, WebPrincipal
from coalition.web.forms import form_errors
from coalition.web.templating import flash, render

T = TypeVar("T")


def choices(values: type[Any]) -> list[tuple[str, str]]:
    return [(v.value, v.value.replace("_", " ").capitalize()) for v in values]


STATUSES = choices(ProjectStatus)
PARTICIPANT_ROLES = choices(ParticipantRole)
MEMBER_ROLES = choices(MemberRole)
DELIVERABLE_STATUSES = choices(DeliverableStatus)
MILESTONE_STATUSES = choices(MilestoneStatus)


def organisation_choices(uow: UowDep, actor: WebPrincipal) -> list[tuple[uuid.UUID, str]]:
    organisations = list_organisations(uow, actor, PageRequest(limit=200)).items
    return [(o.id, f"{o.short_name} · {o.name} ({o.nation_code})") for o in organisations]


def render_project_page(
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
        "organisations": organisation_choices(uow, actor),
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


def inline_post(
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
        return render_project_page(request, actor, uow, project_id, form_id, exc, values)
    flash(request, done(result))
    return RedirectResponse(f"/projects/{project_id}#{anchor}", status_code=303)
