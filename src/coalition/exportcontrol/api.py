"""API routes of export authorisations and exemptions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from coalition.exportcontrol import services
from coalition.exportcontrol.schemas import (
    AuthorisationIn,
    AuthorisationOut,
    AuthorisationStatusIn,
    ExemptionIn,
    ExemptionOut,
)
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["export control"])
CREATED = status.HTTP_201_CREATED


@router.get("/export-authorisations")
def list_authorisations(actor: ApiPrincipal, uow: UowDep) -> list[AuthorisationOut]:
    return services.list_authorisations(uow, actor)


@router.post("/export-authorisations", status_code=CREATED)
def create_authorisation(
    actor: ApiPrincipal, uow: UowDep, data: AuthorisationIn
) -> AuthorisationOut:
    return services.create_authorisation(uow, actor, data)


@router.post("/export-authorisations/{authorisation_id}/status")
def change_authorisation_status(
    actor: ApiPrincipal, uow: UowDep, authorisation_id: uuid.UUID, data: AuthorisationStatusIn
) -> AuthorisationOut:
    return services.change_authorisation_status(uow, actor, authorisation_id, data)


@router.get("/export-exemptions")
def list_exemptions(actor: ApiPrincipal, uow: UowDep) -> list[ExemptionOut]:
    return services.list_exemptions(uow, actor)


@router.post("/export-exemptions", status_code=CREATED)
def create_exemption(actor: ApiPrincipal, uow: UowDep, data: ExemptionIn) -> ExemptionOut:
    return services.create_exemption(uow, actor, data)
