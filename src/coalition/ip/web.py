"""The IP register's page: assets with their owners and shares, and licences with their
terms, each also as an ODRL policy."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from coalition.ip import services
from coalition.web.deps import UowDep, WebPrincipal
from coalition.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/ip")
def ip_page(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    assets = services.list_assets(uow, actor)
    licences = services.list_licences(request.app.state.uow_factory(), actor)
    names = services.organisation_names(request.app.state.uow_factory(), actor)
    return render(
        request,
        "ip/register.html",
        actor,
        {
            "section": "ip",
            "assets": assets,
            "licences": licences,
            "names": names,
            "asset_refs": {a.id: a.reference for a in assets},
        },
    )


@router.get("/ip/licences/{reference}.jsonld")
def licence_odrl(reference: str, request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    return JSONResponse(
        services.licences_as_odrl(uow, actor, reference),
        media_type="application/ld+json",
        headers={"Content-Disposition": f'attachment; filename="{reference}.jsonld"'},
    )
