"""The package import page: a recipient takes in a release package addressed to this node."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from coalition.errors import CoalitionError, ValidationFailed
from coalition.exchange import services
from coalition.settings import Settings
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.templating import render

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
