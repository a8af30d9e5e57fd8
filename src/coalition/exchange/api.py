"""API routes of partner nodes."""

from __future__ import annotations

from fastapi import APIRouter, status

from coalition.exchange import services
from coalition.exchange.schemas import PartnerIn, PartnerOut
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
