"""API routes for the node's operators: federation state, deliveries, alerts, pinning a
partner, and the partners' directories (the node-to-node protocol is ``protocol``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from coalition.exchange.schemas import PartnerOut
from coalition.federation import directory, services
from coalition.federation.models import DeliveryStatus
from coalition.federation.schemas import (
    AlertOut,
    DeliveryOut,
    DirectoryEntryOut,
    InboundOut,
    NodeState,
    PartnerTrust,
    PinIn,
    RepinIn,
    SuspendIn,
)
from coalition.federation.worker import http_client
from coalition.web.deps import ApiPrincipal, SettingsDep, UowDep

router = APIRouter(prefix="/federation", tags=["federation"])


@router.get("/state")
def node_state(actor: ApiPrincipal, uow: UowDep, settings: SettingsDep) -> NodeState:
    """This node's identity (name, key fingerprint) and, per partner, its pinned keys,
    deliveries by status, deliveries received, directory and witnessed log size."""
    return services.node_state(uow, actor, settings)


@router.get("/deliveries")
def list_deliveries(
    actor: ApiPrincipal,
    uow: UowDep,
    status: DeliveryStatus | None = None,
    request_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DeliveryOut]:
    """Deliveries to partner nodes, newest first."""
    return services.list_deliveries(uow, actor, status=status, request_id=request_id, limit=limit)


@router.get("/deliveries/{delivery_id}/receipt")
def delivery_receipt(actor: ApiPrincipal, uow: UowDep, delivery_id: uuid.UUID) -> dict[str, Any]:
    """The partner's signed receipt of a delivery, as received and checked."""
    return services.get_receipt(uow, actor, delivery_id)


@router.post("/deliveries/{delivery_id}/retry", status_code=status.HTTP_204_NO_CONTENT)
def retry_delivery(actor: ApiPrincipal, uow: UowDep, delivery_id: uuid.UUID) -> Response:
    """Queue a failed or refused delivery again."""
    services.retry_delivery(uow, actor, delivery_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/requests/{request_id}/queue")
def queue_request(actor: ApiPrincipal, uow: UowDep, request_id: uuid.UUID) -> dict[str, int]:
    """Queue an approved request's deliveries to partner nodes that are not queued yet."""
    return {"queued": services.queue_request(uow, actor, request_id)}


@router.get("/inbound")
def list_inbound(
    actor: ApiPrincipal, uow: UowDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[InboundOut]:
    """Deliveries taken in from partner nodes, newest first."""
    return services.list_inbound(uow, actor, limit=limit)


@router.get("/alerts")
def list_alerts(
    actor: ApiPrincipal,
    uow: UowDep,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertOut]:
    """Forged, replayed or refused requests and packages, receipts that did not match,
    inconsistent checkpoints: newest first."""
    return services.list_alerts(uow, actor, open_only=open_only, limit=limit)


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(actor: ApiPrincipal, uow: UowDep, alert_id: uuid.UUID) -> AlertOut:
    return services.acknowledge_alert(uow, actor, alert_id)


@router.post("/partners/pin", status_code=status.HTTP_201_CREATED)
async def pin_partner(
    actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: PinIn
) -> PartnerOut:
    """Register a partner node from its published identity, pinning its keys if their
    fingerprint is the one given."""

    def pin() -> PartnerOut:
        with http_client(settings) as client:
            return services.pin_partner(uow, actor, data, client)

    return await run_in_threadpool(pin)


@router.post("/partners/{partner_id}/repin")
async def repin_partner(
    actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, partner_id: uuid.UUID, data: RepinIn
) -> PartnerOut:
    """Replace a partner's pinned keys by those it now publishes (it rotated them), if its
    node key has the fingerprint given."""

    def repin() -> PartnerOut:
        with http_client(settings) as client:
            return services.repin_partner(uow, actor, partner_id, data.fingerprint, client)

    return await run_in_threadpool(repin)


@router.post("/partners/{partner_id}/suspend")
def suspend_partner(
    actor: ApiPrincipal, uow: UowDep, partner_id: uuid.UUID, data: SuspendIn
) -> PartnerTrust:
    """Suspend this node's trust in a partner, with the reason: nothing is sent to it or
    taken from it (its deliveries are held) until it is reinstated."""
    return services.suspend_partner(uow, actor, partner_id, data)


@router.post("/partners/{partner_id}/reinstate")
def reinstate_partner(
    request: Request, actor: ApiPrincipal, uow: UowDep, partner_id: uuid.UUID
) -> PartnerTrust:
    """Trust a suspended partner again; the deliveries held for it are due at once."""
    out = services.reinstate_partner(uow, actor, partner_id)
    worker = getattr(request.app.state, "federation", None)
    if worker is not None:
        worker.wake()
    return out


@router.get("/directory")
def search_directory(
    actor: ApiPrincipal,
    uow: UowDep,
    capability: Annotated[str | None, Query(max_length=80)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> list[DirectoryEntryOut]:
    """Organisations partner nodes list in their directories, by capability code (or
    branch) and/or words."""
    return directory.find(uow, actor, capability=capability, text=q)
