"""The federation page for the node's operators, and the partners' directories for
everyone who may read the directory."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.errors import CoalitionError
from coalition.federation import directory, services
from coalition.federation.schemas import PinIn, RepinIn, SuspendIn
from coalition.federation.worker import http_client
from coalition.projects.page import organisation_choices
from coalition.settings import Settings
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    actor: WebPrincipal,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    factory = request.app.state.uow_factory
    settings: Settings = request.app.state.settings
    return render(
        request,
        "federation/index.html",
        actor,
        {
            "section": "federation",
            "state": services.node_state(factory(), actor, settings),
            "alerts": services.list_alerts(factory(), actor, limit=50),
            "deliveries": services.list_deliveries(factory(), actor, limit=50),
            "inbound": services.list_inbound(factory(), actor, limit=50),
            "organisations": organisation_choices(factory(), actor),
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/federation")
def federation_page(request: Request, actor: WebPrincipal) -> Response:
    return _page(request, actor)


@router.post("/federation/pin")
def pin_page(request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm) -> Response:
    values = form_values(form, lists=("organisation_ids",))
    settings: Settings = request.app.state.settings
    try:
        data = parse(PinIn, values)
        with http_client(settings) as client:
            made = services.pin_partner(uow, actor, data, client)
    except CoalitionError as exc:
        return _page(request, actor, form_errors(exc), values, exc.status)
    flash(request, f"{made.name} pinned and registered.")
    return RedirectResponse("/federation", status_code=303)


@router.post("/federation/partners/{partner_id}/repin")
def repin_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm, partner_id: uuid.UUID
) -> Response:
    settings: Settings = request.app.state.settings
    try:
        data = parse(RepinIn, form_values(form))
        with http_client(settings) as client:
            made = services.repin_partner(uow, actor, partner_id, data.fingerprint, client)
    except CoalitionError as exc:
        return _page(request, actor, {"repin": exc.detail}, status_code=exc.status)
    flash(request, f"The keys of {made.name} are pinned anew.")
    return RedirectResponse("/federation", status_code=303)


@router.post("/federation/partners/{partner_id}/suspend")
def suspend_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm, partner_id: uuid.UUID
) -> Response:
    try:
        data = parse(SuspendIn, form_values(form))
        made = services.suspend_partner(uow, actor, partner_id, data)
    except CoalitionError as exc:
        return _page(request, actor, {"suspend": exc.detail}, status_code=exc.status)
    flash(request, f"Trust in {made.name} is suspended.")
    return RedirectResponse("/federation", status_code=303)


@router.post("/federation/partners/{partner_id}/reinstate")
def reinstate_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm, partner_id: uuid.UUID
) -> Response:
    made = services.reinstate_partner(uow, actor, partner_id)
    worker = getattr(request.app.state, "federation", None)
    if worker is not None:
        worker.wake()
    flash(request, f"{made.name} is trusted again; what was held for it is on its way.")
    return RedirectResponse("/federation", status_code=303)


@router.post("/federation/alerts/{alert_id}/acknowledge")
def acknowledge_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm, alert_id: uuid.UUID
) -> Response:
    services.acknowledge_alert(uow, actor, alert_id)
    flash(request, "Alert acknowledged.")
    return RedirectResponse("/federation", status_code=303)


@router.post("/federation/deliveries/{delivery_id}/retry")
def retry_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm, delivery_id: uuid.UUID
) -> Response:
    services.retry_delivery(uow, actor, delivery_id)
    worker = getattr(request.app.state, "federation", None)
    if worker is not None:
        worker.wake()
    flash(request, "The delivery is queued again.")
    return RedirectResponse("/federation", status_code=303)


@router.get("/federation/directory")
def directory_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    capability: str = "",
    q: str = "",
) -> Response:
    entries = directory.find(uow, actor, capability=capability[:80], text=q[:200])
    return render(
        request,
        "federation/directory.html",
        actor,
        {"section": "expertise", "entries": entries, "capability": capability, "q": q},
    )
