"""API routes of releases."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from coalition.releases import services
from coalition.releases.schemas import (
    DecisionIn,
    PrecheckIn,
    PrecheckOut,
    RequestIn,
    RequestOut,
    WithdrawIn,
)
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["releases"])


@router.post("/releases/precheck")
def precheck(actor: ApiPrincipal, uow: UowDep, data: PrecheckIn) -> PrecheckOut:
    """Every item against every recipient for the purpose: which pairs the engine permits,
    every blocker with its remedy, what a release would oblige, and who must approve.
    Changes nothing."""
    return services.precheck(uow, actor, data)


@router.post("/releases", status_code=status.HTTP_201_CREATED)
def submit(actor: ApiPrincipal, uow: UowDep, request: Request, data: RequestIn) -> RequestOut:
    """Submit a release request: refused (422, every blocker named) unless the engine
    permits every item to every recipient; the approvals its items call for are created
    with their due dates."""
    return services.submit(uow, actor, data, request.app.state.settings)


@router.get("/releases")
def list_requests(
    actor: ApiPrincipal,
    uow: UowDep,
    inbox: Annotated[bool, Query(description="Only those waiting for your approval.")] = False,
) -> list[RequestOut]:
    """Your requests and those you may approve; ``inbox``: waiting for you, soonest due
    first."""
    return services.list_requests(uow, actor, inbox=inbox)


@router.get("/releases/{request_id}")
def get_request(actor: ApiPrincipal, uow: UowDep, request_id: uuid.UUID) -> RequestOut:
    return services.get_request(uow, actor, request_id)


@router.post("/releases/{request_id}/approvals/{key}")
def decide(
    actor: ApiPrincipal, uow: UowDep, request_id: uuid.UUID, key: str, data: DecisionIn
) -> RequestOut:
    """Approve or reject one approval (``approve``: true or false), with a reason."""
    return services.decide_approval(uow, actor, request_id, key, data)


@router.post("/releases/{request_id}/withdraw")
def withdraw(
    actor: ApiPrincipal, uow: UowDep, request_id: uuid.UUID, data: WithdrawIn
) -> RequestOut:
    return services.withdraw(uow, actor, request_id, data)


@router.get(
    "/releases/{request_id}/packages/{artifact_id}/{recipient_id}",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def package(
    actor: ApiPrincipal,
    request: Request,
    request_id: uuid.UUID,
    artifact_id: uuid.UUID,
    recipient_id: uuid.UUID,
) -> Response:
    """The release package (OpenTDF .tdf) of one item of an approved request for one
    recipient: decided again, recorded, and carrying the receipt of its ledger entry."""
    made = services.package(
        request.app.state.uow_factory,
        actor,
        request_id,
        artifact_id,
        recipient_id,
        request.app.state.settings,
    )
    return package_response(made)


def package_response(made: services.Package) -> Response:
    """A package (or a bundle of them) as a download that is never cached."""
    return Response(
        made.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{made.filename}"',
            "X-Coalition-Ledger-Index": str(made.ledger_index),
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/releases/{request_id}/bundles/{recipient_id}",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def bundle(
    actor: ApiPrincipal, request: Request, request_id: uuid.UUID, recipient_id: uuid.UUID
) -> Response:
    """Every item of an approved request for one recipient: a zip of .tdf packages, the
    releases recorded together under one checkpoint."""
    made = services.bundle(
        request.app.state.uow_factory, actor, request_id, recipient_id, request.app.state.settings
    )
    return package_response(made)
