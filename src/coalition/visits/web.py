"""Visit pages: the requests the reader may see (and those waiting for them), the form to
request one, and one visit with the forms of the step it waits for."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Principal
from coalition.errors import CoalitionError, ValidationFailed
from coalition.facilities import services as facilities
from coalition.visits import services
from coalition.visits.models import VisitStatus
from coalition.visits.schemas import (
    ClearanceConfirmationIn,
    VisitCancelIn,
    VisitDecisionIn,
    VisitIn,
)
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)
STATUSES = [(s.value, s.value) for s in VisitStatus]


def _person(request: Request, actor: Principal, email: str | None, field: str) -> uuid.UUID | None:
    if not email:
        return None
    try:
        return facilities.people_by_email(request.app.state.uow_factory(), actor, [email])[0]
    except CoalitionError:
        raise ValidationFailed.of(field, f"no person with e-mail {email}") from None


@router.get("/visits")
def visits_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    status: Annotated[VisitStatus | None, AnyChoice] = None,
    waiting: Annotated[str | None, AnyChoice] = None,
) -> Response:
    shown = services.list_visits(
        uow, actor, request.app.state.settings, status=status, waiting=waiting == "1"
    )
    return render(
        request,
        "visits/list.html",
        actor,
        {
            "section": "visits",
            "visits": shown,
            "statuses": STATUSES,
            "filters": {"status": status, "waiting": waiting == "1"},
        },
    )


def _form(
    request: Request,
    actor: Principal,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    choices = facilities.list_facilities(request.app.state.uow_factory(), actor)
    return render(
        request,
        "visits/visit_form.html",
        actor,
        {
            "section": "visits",
            "facilities": [(f.code, f"{f.code} — {f.name} ({f.nation})") for f in choices],
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/visits/new")
def new_visit_page(
    request: Request,
    actor: WebPrincipal,
    facility: Annotated[str | None, AnyChoice] = None,
    booking: Annotated[str | None, AnyChoice] = None,
) -> Response:
    values: dict[str, Any] = {"facility": facility or "", "booking": booking or ""}
    return _form(request, actor, values=values)


@router.post("/visits/new")
def request_visit_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        command = {k: v for k, v in values.items() if k != "visitor"}
        command["visitor_id"] = _person(request, actor, values.get("visitor"), "visitor")
        command["classified_access"] = values.get("classified_access") == "true"
        made = services.request_visit(
            uow, actor, parse(VisitIn, command), request.app.state.settings
        )
    except CoalitionError as exc:
        errors = form_errors(exc)
        if "visitor_id" in errors:
            errors["visitor"] = errors.pop("visitor_id")
        return _form(request, actor, errors, values, exc.status)
    flash(request, f"Visit {made.reference} requested; the host decides by {made.decision_due}.")
    return RedirectResponse(f"/visits/{made.id}", status_code=303)


def _detail(
    request: Request,
    actor: Principal,
    visit_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    v = services.get_visit(
        request.app.state.uow_factory(), actor, visit_id, request.app.state.settings
    )
    return render(
        request,
        "visits/visit.html",
        actor,
        {"section": "visits", "v": v, "errors": errors or {}},
        status_code=status_code,
    )


@router.get("/visits/{visit_id}")
def visit_page(visit_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _detail(request, actor, visit_id)


@router.post("/visits/{visit_id}/clearance")
def confirm_page(
    visit_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    try:
        done = services.confirm_clearance(
            uow,
            actor,
            visit_id,
            parse(ClearanceConfirmationIn, form_values(form)),
            request.app.state.settings,
        )
    except CoalitionError as exc:
        return _detail(request, actor, visit_id, {"clearance": form_errors(exc)}, exc.status)
    flash(
        request,
        f"Clearance confirmed for {done.reference}."
        if done.status == "requested"
        else f"Visit {done.reference} rejected: clearance not confirmed.",
    )
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


@router.post("/visits/{visit_id}/decision")
def decide_page(
    visit_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        command = {k: v for k, v in values.items() if k != "escort"}
        command["escort_id"] = _person(request, actor, values.get("escort"), "escort")
        decided = services.decide_visit(
            uow, actor, visit_id, parse(VisitDecisionIn, command), request.app.state.settings
        )
    except CoalitionError as exc:
        errors = form_errors(exc)
        if "escort_id" in errors:
            errors["escort"] = errors.pop("escort_id")
        return _detail(request, actor, visit_id, {"decision": errors}, exc.status)
    flash(request, f"Visit {decided.reference} {decided.status}.")
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


@router.post("/visits/{visit_id}/cancel")
def cancel_page(
    visit_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    try:
        cancelled = services.cancel_visit(
            uow,
            actor,
            visit_id,
            parse(VisitCancelIn, form_values(form)),
            request.app.state.settings,
        )
    except CoalitionError as exc:
        return _detail(request, actor, visit_id, {"cancel": form_errors(exc)}, exc.status)
    flash(request, f"Visit {cancelled.reference} cancelled.")
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)
