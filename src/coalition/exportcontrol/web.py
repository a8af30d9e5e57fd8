"""The export register's pages: authorisations with what remains of their limits and their
expiry warnings, one authorisation's amendments and draw-downs, and the forms that amend,
draw down and import."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Permission, Target
from coalition.common.access import allowed_actions
from coalition.errors import CoalitionError, Conflict, ValidationFailed
from coalition.exportcontrol import services
from coalition.exportcontrol.schemas import AmendmentIn, DrawdownIn
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)
MAX_CSV_BYTES = 5 * 1024 * 1024


def _may_manage(actor: WebPrincipal) -> bool:
    return bool(allowed_actions(actor, Target.node(), (Permission.EXPORT_RECORD_MANAGE,)))


@router.get("/export/authorisations")
def register_page(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    return render(
        request,
        "exportcontrol/register.html",
        actor,
        {
            "section": "export",
            "authorisations": services.list_authorisations(uow, actor),
            "may_manage": _may_manage(actor),
            "errors": {},
        },
    )


@router.post("/export/authorisations/import")
def import_page(request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm) -> Response:
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise ValidationFailed.of("file", "choose a CSV file")
        body = upload.file.read(MAX_CSV_BYTES + 1)  # a small file: read in this worker
        if len(body) > MAX_CSV_BYTES:
            raise ValidationFailed.of("file", f"is larger than {MAX_CSV_BYTES} bytes")
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed.of("file", "is not UTF-8 text") from exc
        result = services.import_authorisations(uow, actor, text)
    except CoalitionError as exc:
        return render(
            request,
            "exportcontrol/register.html",
            actor,
            {
                "section": "export",
                "authorisations": services.list_authorisations(
                    request.app.state.uow_factory(), actor
                ),
                "may_manage": _may_manage(actor),
                "import_problems": str(exc).split("; "),
                "errors": {},
            },
            status_code=exc.status,
        )
    flash(request, f"{result.created} authorisation(s) imported: {', '.join(result.references)}.")
    return RedirectResponse("/export/authorisations", status_code=303)


@router.get("/export/authorisations/{authorisation_id}")
def authorisation_page(
    authorisation_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    return _detail(request, actor, authorisation_id, {})


def _detail(
    request: Request,
    actor: WebPrincipal,
    authorisation_id: uuid.UUID,
    errors: dict[str, str],
    status_code: int = 200,
    values: dict[str, Any] | None = None,
) -> Response:
    detail = services.get_authorisation(request.app.state.uow_factory(), actor, authorisation_id)
    return render(
        request,
        "exportcontrol/authorisation.html",
        actor,
        {
            "section": "export",
            "a": detail,
            "may_manage": _may_manage(actor),
            "errors": errors,
            "values": values or {},
        },
        status_code=status_code,
    )


@router.post("/export/authorisations/{authorisation_id}/amend")
def amend_page(
    authorisation_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form, lists=("recipient_nations", "categories"))
    try:
        services.amend_authorisation(uow, actor, authorisation_id, parse(AmendmentIn, values))
    except CoalitionError as exc:
        return _detail(
            request, actor, authorisation_id, form_errors(exc), exc.status, {"amend": values}
        )
    flash(request, "Amendment recorded.")
    return RedirectResponse(f"/export/authorisations/{authorisation_id}", status_code=303)


@router.post("/export/authorisations/{authorisation_id}/draw-down")
def draw_down_page(
    authorisation_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    try:
        services.draw_down(uow, actor, authorisation_id, parse(DrawdownIn, values))
    except CoalitionError as exc:
        # Shown beside the draw-down form, not at the top of the page.
        errors = {} if isinstance(exc, Conflict) else form_errors(exc)
        general = errors.pop("_form", None) or (None if errors else exc.detail)
        if general:
            errors["_draw"] = general
        return _detail(request, actor, authorisation_id, errors, exc.status, {"draw": values})
    flash(request, "Draw-down recorded.")
    return RedirectResponse(f"/export/authorisations/{authorisation_id}", status_code=303)
