"""The package import page: a recipient takes in a release package addressed to this node."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from coalition.errors import CoalitionError, ValidationFailed
from coalition.exchange import services
from coalition.exchange.schemas import PartnerIn
from coalition.projects.page import organisation_choices
from coalition.settings import Settings
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)


@router.get("/packages/import")
def import_form(request: Request, actor: WebPrincipal) -> Response:
    return render(request, "exchange/import.html", actor, {"section": "releases"})


@router.post("/packages/import")
def import_page(request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm) -> Response:
    settings: Settings = request.app.state.settings
    upload = form.get("package")
    try:
        if not isinstance(upload, UploadFile):
            raise ValidationFailed.of("package", "choose a .tdf file")
        # Sealed for this node: read in this worker (spooled by the form parser, encrypted).
        data = upload.file.read(settings.upload_max_bytes + 1)
        if len(data) > settings.upload_max_bytes:
            raise ValidationFailed.of("package", "is larger than the upload limit")
        result = services.import_package(
            uow,
            actor,
            data,
            settings,
            acknowledge_provisos=form.get("acknowledge_provisos") == "yes",
        )
    except CoalitionError as exc:
        return render(
            request,
            "exchange/import.html",
            actor,
            {"section": "releases", "problem": exc.detail},
            status_code=exc.status,
        )
    return render(request, "exchange/import.html", actor, {"section": "releases", "result": result})


def _partners_page(
    request: Request,
    actor: WebPrincipal,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "exchange/partners.html",
        actor,
        {
            "section": "releases",
            "partners": services.list_partners(request.app.state.uow_factory(), actor),
            "organisations": organisation_choices(request.app.state.uow_factory(), actor),
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/partners")
def partners_page(request: Request, actor: WebPrincipal) -> Response:
    return _partners_page(request, actor)


@router.post("/partners")
def register_partner_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("organisation_ids",))
    try:
        made = services.register_partner(uow, actor, parse(PartnerIn, values))
    except CoalitionError as exc:
        return _partners_page(request, actor, form_errors(exc), values, exc.status)
    flash(request, f"{made.name} registered.")
    return _partners_page(request, actor)
