"""The release wizard's first step: pick items, recipients and a purpose, and see every
blocker with its remedy, and who must approve, before anything is submitted."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from coalition.errors import CoalitionError
from coalition.policy.facts import Purpose
from coalition.projects.page import organisation_choices
from coalition.releases import services
from coalition.releases.schemas import PrecheckIn
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import form_errors, form_values, parse
from coalition.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    actor: WebPrincipal,
    values: dict[str, Any],
    result: Any = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "releases/new.html",
        actor,
        {
            "section": "releases",
            "organisations": organisation_choices(request.app.state.uow_factory(), actor),
            "purposes": [(p.value, p.value.replace("_", " ")) for p in Purpose],
            "values": values,
            "result": result,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/releases/new")
def new_release(request: Request, actor: WebPrincipal) -> Response:
    return _page(request, actor, {"purpose": Purpose.CARRYING_OUT_THE_PROJECT.value})


@router.post("/releases/new")
def check_release(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("artifact_references", "recipient_organisation_ids"))
    # One reference per line or comma-separated in the text box.
    values["artifact_references"] = [
        part.strip()
        for item in values.get("artifact_references", [])
        for part in item.replace("\n", ",").split(",")
        if part.strip()
    ]
    try:
        result = services.precheck(uow, actor, parse(PrecheckIn, values))
    except CoalitionError as exc:
        return _page(request, actor, values, errors=form_errors(exc), status_code=exc.status)
    return _page(request, actor, values, result=result)
