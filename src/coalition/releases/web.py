"""The release pages: the wizard (pick items, recipients and a purpose, see every blocker
with its remedy and who must approve, then submit), the requests and the approvals inbox,
and a request with its approval forms."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.errors import CoalitionError
from coalition.policy.facts import Purpose
from coalition.projects.page import organisation_choices
from coalition.releases import services
from coalition.releases.api import package_response
from coalition.releases.schemas import DecisionIn, PrecheckIn, RequestIn, WithdrawIn
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import form_errors, form_values, parse
from coalition.web.templating import flash, render

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


def _wizard_values(form: Any) -> dict[str, Any]:
    values = form_values(form, lists=("artifact_references", "recipient_organisation_ids"))
    # One reference per line or comma-separated in the text box.
    values["artifact_references"] = [
        part.strip()
        for item in values.get("artifact_references", [])
        for part in item.replace("\n", ",").split(",")
        if part.strip()
    ]
    return values


@router.post("/releases/new")
def check_release(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = _wizard_values(form)
    try:
        result = services.precheck(uow, actor, parse(PrecheckIn, values))
    except CoalitionError as exc:
        return _page(request, actor, values, errors=form_errors(exc), status_code=exc.status)
    return _page(request, actor, values, result=result)


@router.post("/releases")
def submit_release(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = _wizard_values(form)
    try:
        made = services.submit(uow, actor, parse(RequestIn, values), request.app.state.settings)
    except CoalitionError as exc:
        return _page(request, actor, values, errors=form_errors(exc), status_code=exc.status)
    flash(request, f"{made.reference} submitted: {made.status.value}.")
    return RedirectResponse(f"/releases/{made.id}", status_code=303)


@router.get("/releases")
def releases_page(
    request: Request, actor: WebPrincipal, uow: UowDep, inbox: bool = False
) -> Response:
    return render(
        request,
        "releases/list.html",
        actor,
        {
            "section": "releases",
            "requests": services.list_requests(uow, actor, inbox=inbox),
            "inbox": inbox,
        },
    )


@router.get("/releases/{request_id}")
def release_page(
    request_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    return render(
        request,
        "releases/request.html",
        actor,
        {"section": "releases", "r": services.get_request(uow, actor, request_id)},
    )


@router.post("/releases/{request_id}/approvals/{key}")
def decide_page(
    request_id: uuid.UUID,
    key: str,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    values["approve"] = values.get("decision") == "approve"
    values.pop("decision", None)
    try:
        services.decide_approval(uow, actor, request_id, key, parse(DecisionIn, values))
    except CoalitionError as exc:
        flash(request, exc.detail, "error")
    else:
        flash(request, "Approval given." if values["approve"] else "Approval refused.")
    return RedirectResponse(f"/releases/{request_id}", status_code=303)


@router.post("/releases/{request_id}/withdraw")
def withdraw_page(
    request_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    try:
        services.withdraw(uow, actor, request_id, parse(WithdrawIn, form_values(form)))
    except CoalitionError as exc:
        flash(request, exc.detail, "error")
    else:
        flash(request, "Request withdrawn.")
    return RedirectResponse(f"/releases/{request_id}", status_code=303)


@router.get("/releases/{request_id}/packages/{artifact_id}/{recipient_id}")
def package_page(
    request_id: uuid.UUID,
    artifact_id: uuid.UUID,
    recipient_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
) -> Response:
    made = services.package(
        request.app.state.uow_factory,
        actor,
        request_id,
        artifact_id,
        recipient_id,
        request.app.state.settings,
    )
    return package_response(made)


@router.get("/releases/{request_id}/bundles/{recipient_id}")
def bundle_page(
    request_id: uuid.UUID, recipient_id: uuid.UUID, request: Request, actor: WebPrincipal
) -> Response:
    made = services.bundle(
        request.app.state.uow_factory, actor, request_id, recipient_id, request.app.state.settings
    )
    return package_response(made)
