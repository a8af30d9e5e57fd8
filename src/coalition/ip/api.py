"""API routes of IP assets and licences."""

from __future__ import annotations

from fastapi import APIRouter, status

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
