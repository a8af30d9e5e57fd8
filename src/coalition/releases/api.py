"""API routes of releases."""

from __future__ import annotations

from fastapi import APIRouter

from coalition.releases import services
from coalition.releases.schemas import PrecheckIn, PrecheckOut
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["releases"])


@router.post("/releases/precheck")
def precheck(actor: ApiPrincipal, uow: UowDep, data: PrecheckIn) -> PrecheckOut:
    """Every item against every recipient for the purpose: which pairs the engine permits,
    every blocker with its remedy, what a release would oblige, and who must approve.
    Changes nothing."""
    return services.precheck(uow, actor, data)
