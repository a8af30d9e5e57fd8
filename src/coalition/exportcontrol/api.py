"""API routes of export authorisations and exemptions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from starlette.concurrency import run_in_threadpool

from coalition.errors import ValidationFailed
from coalition.exportcontrol import services
from coalition.exportcontrol.schemas import (
    AmendmentIn,
    AuthorisationDetail,
    AuthorisationIn,
    AuthorisationOut,
    AuthorisationStatusIn,
    DrawdownIn,
    ExemptionIn,
    ExemptionOut,
    ImportResult,
)
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["export control"])
CREATED = status.HTTP_201_CREATED
MAX_CSV_BYTES = 5 * 1024 * 1024


@router.get("/export-authorisations")
def list_authorisations(actor: ApiPrincipal, uow: UowDep) -> list[AuthorisationOut]:
    return services.list_authorisations(uow, actor)


@router.post("/export-authorisations", status_code=CREATED)
def create_authorisation(
    actor: ApiPrincipal, uow: UowDep, data: AuthorisationIn
) -> AuthorisationOut:
    return services.create_authorisation(uow, actor, data)


@router.post("/export-authorisations/import", status_code=CREATED)
async def import_authorisations(actor: ApiPrincipal, uow: UowDep, request: Request) -> ImportResult:
    """Authorisations from a CSV file sent as the request body (UTF-8, a header row; lists
    in a cell separated by ';'; end users by short name, projects by code). Every row is
    checked and every problem named by row and column; nothing is recorded unless all rows
    are right."""
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise ValidationFailed.of("file", f"is larger than {MAX_CSV_BYTES} bytes")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.of("file", "is not UTF-8 text") from exc
    return await run_in_threadpool(services.import_authorisations, uow, actor, text)


@router.get("/export-authorisations/expiring")
def expiring(actor: ApiPrincipal, uow: UowDep) -> list[AuthorisationOut]:
    """Active authorisations lapsing within 90 days, soonest first, with their warning band
    (90, 60 or 30 days)."""
    return services.expiring(uow, actor)


@router.get("/export-authorisations/{authorisation_id}")
def get_authorisation(
    actor: ApiPrincipal, uow: UowDep, authorisation_id: uuid.UUID
) -> AuthorisationDetail:
    """The authorisation with what remains of its limits, its amendments and draw-downs."""
    return services.get_authorisation(uow, actor, authorisation_id)


@router.post("/export-authorisations/{authorisation_id}/amendments")
def amend_authorisation(
    actor: ApiPrincipal, uow: UowDep, authorisation_id: uuid.UUID, data: AmendmentIn
) -> AuthorisationDetail:
    """Amend the fields given, with a reason; the old and new values are kept in order."""
    return services.amend_authorisation(uow, actor, authorisation_id, data)


@router.post("/export-authorisations/{authorisation_id}/drawdowns", status_code=CREATED)
def draw_down(
    actor: ApiPrincipal, uow: UowDep, authorisation_id: uuid.UUID, data: DrawdownIn
) -> AuthorisationDetail:
    """Record value or quantity used; refused (409) when it would pass a limit, even when
    two draw-downs arrive at the same moment."""
    return services.draw_down(uow, actor, authorisation_id, data)


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
