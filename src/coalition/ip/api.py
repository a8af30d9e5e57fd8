"""API routes of IP assets and licences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from coalition.ip import services
from coalition.ip.schemas import IpAssetIn, IpAssetOut, LicenceIn, LicenceOut
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["intellectual property"])
CREATED = status.HTTP_201_CREATED


@router.get("/ip-assets")
def list_assets(actor: ApiPrincipal, uow: UowDep) -> list[IpAssetOut]:
    return services.list_assets(uow, actor)


@router.post("/ip-assets", status_code=CREATED)
def create_asset(actor: ApiPrincipal, uow: UowDep, data: IpAssetIn) -> IpAssetOut:
    return services.create_asset(uow, actor, data)


@router.get("/ip-licences")
def list_licences(actor: ApiPrincipal, uow: UowDep) -> list[LicenceOut]:
    return services.list_licences(uow, actor)


@router.post("/ip-licences", status_code=CREATED)
def create_licence(actor: ApiPrincipal, uow: UowDep, data: LicenceIn) -> LicenceOut:
    return services.create_licence(uow, actor, data)


@router.get("/ip-licences.odrl")
def licences_odrl(
    actor: ApiPrincipal,
    uow: UowDep,
    reference: Annotated[str | None, Query(max_length=80, description="One licence.")] = None,
) -> JSONResponse:
    """Licences and access rights as ODRL 2.2 policies (JSON-LD, docs/odrl-profile.md):
    one Agreement for ``reference``, otherwise every licence in a graph."""
    return JSONResponse(
        services.licences_as_odrl(uow, actor, reference), media_type="application/ld+json"
    )
