"""API routes of artifact content: upload a version (the request body, streamed), list the
versions, read or download with its marking."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Annotated, Literal, TypeVar
from urllib.parse import quote

import anyio
import anyio.from_thread
import anyio.to_thread
from fastapi import APIRouter, Query, Request, status
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import StreamingResponse

from coalition.content import services
from coalition.content.schemas import VersionOut
from coalition.policy.facts import Action
from coalition.settings import Settings
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["content"])


def content_settings(request: Request) -> services.ContentSettings:
    found: services.ContentSettings = request.app.state.content
    return found


#: How much of the body goes to the worker thread at a time: the server receives pieces of
#: about 64 KiB, and each hop between the threads costs as much as sealing a few of them.
BATCH_BYTES = 1 << 20
#: Batches read ahead while the worker seals: memory stays flat (about 4 MiB) however large
#: the upload, and receiving and sealing overlap.
READ_AHEAD = 4

T = TypeVar("T")


async def with_body(request: Request, work: Callable[[Iterator[bytes]], T]) -> T:
    """Run ``work`` in a worker thread over the request body, received on the event loop
    while the worker consumes it. When ``work`` is done (or fails) the rest of the body is
    not read; its error is raised as it is."""
    send, receive = anyio.create_memory_object_stream[bytes](READ_AHEAD)
    results: list[T] = []

    async def produce() -> None:
        async with send:
            batch: list[bytes] = []
            size = 0
            async for part in request.stream():
                batch.append(part)
                size += len(part)
                if size >= BATCH_BYTES:
                    await send.send(b"".join(batch))
                    batch, size = [], 0
            if batch:
                await send.send(b"".join(batch))

    def chunks() -> Iterator[bytes]:
        while True:
            try:
                yield anyio.from_thread.run(receive.receive)
            except anyio.EndOfStream:
                return

    async def consume(scope: anyio.CancelScope) -> None:
        with receive:
            results.append(await anyio.to_thread.run_sync(work, chunks()))
        scope.cancel()  # whatever the work did not read is not waited for

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(produce)
            group.start_soon(consume, group.cancel_scope)
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    return results[0]


@router.post("/artifacts/{artifact_id}/versions", status_code=status.HTTP_201_CREATED)
async def upload_version(
    actor: ApiPrincipal,
    request: Request,
    artifact_id: uuid.UUID,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
    comment: Annotated[str | None, Query(max_length=500)] = None,
) -> VersionOut:
    """Upload a new version of the artifact's content: the request body is the file, sent
    as it is (not a form), streamed and sealed as it arrives. Refused with 413 beyond
    ``COALITION_UPLOAD_MAX_BYTES``; nothing is kept of a refused or interrupted upload."""
    settings: Settings = request.app.state.settings
    declared = request.headers.get("content-type")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.upload_max_bytes:
        raise services.TooLarge.of(
            "content", f"is larger than the limit of {settings.upload_max_bytes} bytes"
        )

    def work(chunks: Iterator[bytes]) -> VersionOut:
        return services.upload(
            request.app.state.uow_factory,
            actor,
            artifact_id,
            filename,
            chunks,
            content_settings(request),
            declared_type=declared,
            comment=comment,
        )

    return await with_body(request, work)


@router.get("/artifacts/{artifact_id}/versions")
def list_versions(actor: ApiPrincipal, uow: UowDep, artifact_id: uuid.UUID) -> list[VersionOut]:
    """The versions of the artifact's content, newest first."""
    return services.list_versions(uow, actor, artifact_id)


@router.get(
    "/artifacts/{artifact_id}/content",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def content(
    actor: ApiPrincipal,
    uow: UowDep,
    request: Request,
    artifact_id: uuid.UUID,
    version: Annotated[int | None, Query(ge=1, description="Default: the latest.")] = None,
    disposition: Annotated[
        Literal["attachment", "inline"],
        Query(description="attachment: download (the download rule); inline: read it here."),
    ] = "attachment",
) -> StreamingResponse:
    """The content, after the engine permits it (recorded in the ledger either way): text
    and PDF carry the banner top and bottom; other formats come zipped with their STANAG
    4774 label. 403 names the rules that refused and their remedies."""
    action = Action.DOWNLOAD if disposition == "attachment" else Action.READ
    handout = services.hand_out(
        uow, actor, artifact_id, content_settings(request), number=version, action=action
    )
    return StreamingResponse(
        iterate_in_threadpool(handout.body()),
        media_type=handout.body_type,
        headers=handout_headers(handout, disposition),
    )


def handout_headers(handout: services.Handout, disposition: str) -> dict[str, str]:
    return {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(handout.body_name)}",
        "X-Coalition-Classification": handout.banner.encode("ascii", "replace").decode(),
        "X-Coalition-Version": str(handout.version),
        "X-Coalition-Original-SHA256": handout.sha256,  # as uploaded, before marking
        "Cache-Control": "no-store",
    }
