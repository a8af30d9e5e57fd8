"""API routes of partner nodes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from starlette.concurrency import run_in_threadpool

from coalition.errors import ValidationFailed
from coalition.exchange import services
from coalition.exchange.schemas import ImportOut, PartnerIn, PartnerOut
from coalition.settings import Settings
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["exchange"])


@router.get("/partners")
def list_partners(actor: ApiPrincipal, uow: UowDep) -> list[PartnerOut]:
    """The partner nodes this node sends packages to."""
    return services.list_partners(uow, actor)


@router.post("/partners", status_code=status.HTTP_201_CREATED)
def register_partner(actor: ApiPrincipal, uow: UowDep, data: PartnerIn) -> PartnerOut:
    """Register a partner node: URL, the organisations it serves, its public keys."""
    return services.register_partner(uow, actor, data)


@router.post("/packages/import", status_code=status.HTTP_201_CREATED)
async def import_package(
    actor: ApiPrincipal,
    uow: UowDep,
    request: Request,
    acknowledge_provisos: Annotated[
        bool, Query(description="Acknowledge the provisos the release comes with.")
    ] = False,
) -> ImportOut:
    """Take in a release package addressed to this node (the request body is the .tdf):
    checked (partner's signature, integrity, receipt when the partner's ledger key is
    known), then recorded as an artifact of the receiving organisation with the
    originator's label and its content, if you may read it; otherwise nothing is kept."""
    settings: Settings = request.app.state.settings
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > settings.upload_max_bytes:
            raise ValidationFailed.of("package", "is larger than the upload limit")
    return await run_in_threadpool(services.import_package, uow, actor, bytes(body), settings)
