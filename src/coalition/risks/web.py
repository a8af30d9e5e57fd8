"""Risk pages: the register with its filters and heat map, the form to raise a risk, and one
risk with its history, its score over time and the forms its reader may use."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Principal
from coalition.errors import CoalitionError, NotFound, ValidationFailed
from coalition.facilities import services as facilities
from coalition.risks import charts, rules, services
from coalition.risks.models import RiskCategory, RiskStatus
from coalition.risks.schemas import AssessmentIn, HeatMapOut, ReassignIn, RiskIn, RiskOut
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)
STATUSES = [(s.value, s.value) for s in RiskStatus]
CATEGORIES = [(c.value, c.value.replace("_", " ")) for c in RiskCategory]
RATINGS = [(str(r), str(r)) for r in rules.RATINGS]
BANDS = [(b.value, top) for top, b in rules.BAND_TOPS]


def _person(request: Request, actor: Principal, email: str | None) -> uuid.UUID | None:
    if not email:
        return None
    try:
        return facilities.people_by_email(request.app.state.uow_factory(), actor, [email])[0]
    except CoalitionError:
        raise ValidationFailed.of("owner_id", f"no person with e-mail {email}") from None


def _owner_errors(exc: CoalitionError) -> dict[str, str]:
    """The owner is typed as an e-mail in the ``owner`` field."""
    errors = form_errors(exc)
    if "owner_id" in errors:
        errors["owner"] = errors.pop("owner_id")
    return errors


@router.get("/risks")
def risks_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    project: Annotated[str | None, AnyChoice] = None,
    work_package: Annotated[str | None, AnyChoice] = None,
    status: Annotated[RiskStatus | None, AnyChoice] = None,
    live: Annotated[str | None, AnyChoice] = None,
    min_score: Annotated[int | None, AnyChoice] = None,
    likelihood: Annotated[int | None, AnyChoice] = None,
    impact: Annotated[int | None, AnyChoice] = None,
    mine: Annotated[str | None, AnyChoice] = None,
) -> Response:
    filters: dict[str, Any] = {
        "project": project,
        "work_package": work_package,
        "status": status.value if status else None,
        "live": live == "1",
        "min_score": min_score,
        "likelihood": likelihood,
        "impact": impact,
        "mine": mine == "1" and actor.person_id is not None,
    }
    shown = services.list_risks(
        uow,
        actor,
        project=project,
        work_package=work_package,
        status=status,
        live=filters["live"],
        min_score=min_score,
        owner_id=actor.person_id if filters["mine"] else None,
        likelihood=likelihood,
        impact=impact,
    )
    heat: HeatMapOut | None = None
    heat_error = None
    try:
        heat = services.heat_map(
            request.app.state.uow_factory(), actor, project, work_package=work_package
        )
    except NotFound as exc:
        heat_error = exc.detail
    return render(
        request,
        "risks/list.html",
        actor,
        {
            "section": "risks",
            "risks": shown,
            "heat": heat,
            "heat_text": charts.heat_map_text(heat) if heat else None,
            "heat_error": heat_error,
            "statuses": STATUSES,
            "bands": BANDS,
            "filters": filters,
            "values": {k: v for k, v in filters.items() if v not in (None, False)},
        },
    )


def _form(
    request: Request,
    actor: Principal,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "risks/risk_form.html",
        actor,
        {
            "section": "risks",
            "categories": CATEGORIES,
            "ratings": RATINGS,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/risks/new")
def new_risk_page(
    request: Request,
    actor: WebPrincipal,
    project: Annotated[str | None, AnyChoice] = None,
    work_package: Annotated[str | None, AnyChoice] = None,
) -> Response:
    return _form(request, actor, values={"project": project, "work_package": work_package})


@router.post("/risks/new")
def raise_risk_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        command = {k: v for k, v in values.items() if k != "owner"}
        command["owner_id"] = _person(request, actor, values.get("owner"))
        made = services.raise_risk(uow, actor, parse(RiskIn, command), request.app.state.settings)
    except CoalitionError as exc:
        return _form(request, actor, _owner_errors(exc), values, exc.status)
    flash(request, f"Risk {made.reference} raised: score {made.score} ({made.band}).")
    return RedirectResponse(f"/risks/{made.id}", status_code=303)


def _trend_image(risk: RiskOut) -> str:
    """The chart as a data: address: inline in the page (no second request, nothing to
    keep in step), yet kept out of the page's own document, where the content security
    policy would refuse the SVG's style attributes and its ids could clash."""
    encoded = base64.b64encode(charts.trend_chart(risk).encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def _detail(
    request: Request,
    actor: Principal,
    risk_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    risk = services.get_risk(request.app.state.uow_factory(), actor, risk_id)
    current = {"likelihood": risk.likelihood, "impact": risk.impact, "status": risk.status}
    return render(
        request,
        "risks/risk.html",
        actor,
        {
            "section": "risks",
            "r": risk,
            "trend_image": _trend_image(risk),
            "trend_text": charts.trend_text(risk),
            "ratings": RATINGS,
            "statuses": [(s, s) for s in risk.next_statuses],
            "errors": errors or {},
            "values": {"assess": current, "owner": {}} | (values or {}),
        },
        status_code=status_code,
    )


@router.get("/risks/{risk_id}")
def risk_page(risk_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _detail(request, actor, risk_id)


@router.post("/risks/{risk_id}/assess")
def assess_page(
    risk_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        done = services.assess_risk(
            uow, actor, risk_id, parse(AssessmentIn, values), request.app.state.settings
        )
    except CoalitionError as exc:
        return _detail(
            request, actor, risk_id, {"assess": form_errors(exc)}, {"assess": values}, exc.status
        )
    flash(
        request,
        f"Risk {done.reference} assessed: score {done.score} ({done.band}), {done.trend}.",
    )
    return RedirectResponse(f"/risks/{risk_id}", status_code=303)


@router.post("/risks/{risk_id}/owner")
def reassign_page(
    risk_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        # The assessment form beside it has its own note: each field keeps a unique id.
        command = {k: v for k, v in values.items() if k not in ("owner", "handover_note")}
        command["owner_id"] = _person(request, actor, values.get("owner"))
        command["note"] = values.get("handover_note")
        done = services.reassign_risk(
            uow, actor, risk_id, parse(ReassignIn, command), request.app.state.settings
        )
    except CoalitionError as exc:
        errors = _owner_errors(exc)
        if "note" in errors:
            errors["handover_note"] = errors.pop("note")
        return _detail(request, actor, risk_id, {"owner": errors}, {"owner": values}, exc.status)
    flash(request, f"Risk {done.reference} is now owned by {done.owner}.")
    return RedirectResponse(f"/risks/{risk_id}", status_code=303)
