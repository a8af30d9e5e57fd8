"""The node-to-node protocol, under ``/federation/v1`` (docs/federation.md).

Every call but ``GET /node`` must be signed by a registered partner node (RFC 9421, see
``signing``); errors are RFC 9457 problem documents. The OpenAPI description of these
routes alone is ``coalition federation openapi`` (kept in docs/federation-openapi.json).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, PlainTextResponse, Response

from coalition.errors import ValidationFailed
from coalition.federation import directory, identity, receiving, signing
from coalition.federation.receiving import Caller
from coalition.ledger import services as ledger
from coalition.settings import Settings
from coalition.web.problems import documented

PREFIX = "/federation/v1"
TAG = "federation protocol"
TAG_SIGNATURE = signing.TAG
router = APIRouter(prefix=PREFIX, tags=[TAG])

SIGNED: dict[int | str, dict[str, Any]] = {
    401: documented("Not signed by a registered partner, badly signed, or replayed"),
    403: documented("Signed by a partner whose trust this node has suspended"),
}


async def _body(request: Request, limit: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ValidationFailed.of("body", f"is larger than {limit} bytes")
    return bytes(body)


async def _caller(request: Request, body: bytes | None) -> Caller:
    settings: Settings = request.app.state.settings
    return await run_in_threadpool(
        receiving.authenticate,
        request.app.state.uow_factory,
        settings,
        request.method,
        str(request.url),
        dict(request.headers.items()),
        body,
        client=request.client.host if request.client else None,
    )


@router.get("/node")
def node_identity(request: Request) -> dict[str, Any]:
    """This node's identity, signed with its node key: its name and address, its public
    keys (node signing, package wrapping, ledger, witness) and the organisations it hosts.
    Partners fetch it to register the node, and pin its key after checking the key's
    fingerprint with this node's operators out of band."""
    return identity.signed_identity(request.app.state.uow_factory, request.app.state.settings)


@router.put(
    "/deliveries/{delivery_id}",
    status_code=201,
    responses={
        200: {"description": "Taken in before: the same receipt again."},
        **SIGNED,
        409: {"description": "This delivery id was taken in with other content."},
        422: {"description": "The package is refused (named in the problem)."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The release package (OpenTDF-style .tdf, docs/packages.md).",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def put_delivery(request: Request, delivery_id: uuid.UUID) -> Response:
    """Deliver one release package (the body, ``application/zip``). Idempotent by the
    delivery id: the package is imported once, and the node's signed receipt (with the
    proof that its ledger holds the import) is the answer to every repeat."""
    settings: Settings = request.app.state.settings
    # The signed headers first: a body is read only from a partner, then checked against
    # the digest it signed.
    caller = await _caller(request, None)
    body = await _body(request, settings.upload_max_bytes)
    await run_in_threadpool(
        receiving.check_body,
        request.app.state.uow_factory,
        settings,
        caller,
        body,
        f"PUT {request.url.path}",
    )
    receipt, created = await run_in_threadpool(
        receiving.receive_delivery,
        request.app.state.uow_factory,
        settings,
        caller,
        delivery_id,
        body,
    )
    return JSONResponse(receipt, status_code=201 if created else 200)


@router.get("/directory", responses=SIGNED)
async def get_directory(request: Request) -> dict[str, Any]:
    """The organisations this node chose to list and the capability profiles the calling
    partner may see (unclassified, releasable to its nations), signed with the node key."""
    caller = await _caller(request, b"")
    return await run_in_threadpool(
        directory.publish,
        request.app.state.uow_factory,
        request.app.state.settings,
        caller.partner,
    )


@router.get("/checkpoint", response_class=PlainTextResponse, responses=SIGNED)
async def get_checkpoint(request: Request) -> Response:
    """The latest checkpoint of this node's ledger, with the cosignatures of its
    witnesses (a C2SP signed note): partners compare it with what they witnessed."""
    await _caller(request, b"")

    def latest() -> str | None:
        with request.app.state.uow_factory() as unit:
            return ledger.published_note(unit.session)

    note = await run_in_threadpool(latest)
    if note is None:
        return PlainTextResponse("no checkpoint is signed yet\n", status_code=404)
    return PlainTextResponse(note)
