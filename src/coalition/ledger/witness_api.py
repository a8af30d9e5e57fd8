"""The C2SP tlog-witness endpoint of this node: ``POST /witness/add-checkpoint``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from coalition.ledger import keys
from coalition.ledger.note import NoteError, Verifier, parse_verifier
from coalition.ledger.witness import MAX_BODY, WitnessError, add_checkpoint
from coalition.settings import Settings

router = APIRouter(tags=["ledger"])


@router.post("/witness/add-checkpoint", response_class=PlainTextResponse)
async def witness_add_checkpoint(request: Request) -> Response:
    """Cosign a partner log's checkpoint that extends the one last cosigned for its origin
    (C2SP tlog-witness). Answers with the cosignature line, or the protocol's status."""
    settings: Settings = request.app.state.settings
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return PlainTextResponse("request too large\n", status_code=400)
    try:
        configured = {
            v.name: v
            for v in (parse_verifier(k) for k in settings.witness_logs.replace(",", " ").split())
        }
        witness = keys.load_signer(settings.effective_witness_key_file, settings.witness_name)
    except NoteError as exc:
        return PlainTextResponse(f"witness misconfigured: {exc}\n", status_code=500)
    factory = request.app.state.uow_factory
    # Partner nodes registered with their log key are witnessed too (docs/federation.md);
    # imported here, as the federation builds on the ledger and not the other way round.
    from coalition.federation.witnessing import (
        on_witness_refusal,
        partner_logs,
        refuse_suspended,
        suspended_logs,
    )

    def known_logs() -> tuple[dict[str, Verifier], dict[str, str]]:
        with factory() as unit:
            suspended = suspended_logs(unit.session)
            logs = {**partner_logs(unit.session), **configured}
        return {o: v for o, v in logs.items() if o not in suspended}, suspended

    logs, suspended = await run_in_threadpool(known_logs)
    offered = body.split(b"\n\n", 1)[-1].split(b"\n", 1)[0].decode("utf-8", "replace")
    client = request.client.host if request.client else None
    refusal = await run_in_threadpool(
        refuse_suspended, factory, settings, offered, suspended, client
    )
    if refusal is not None:
        return PlainTextResponse(refusal + "\n", status_code=403)
    try:
        line = await run_in_threadpool(add_checkpoint, factory(), witness, logs, body)
    except WitnessError as exc:
        origin = body.split(b"\n\n", 1)[-1].split(b"\n", 1)[0].decode("utf-8", "replace")
        await run_in_threadpool(on_witness_refusal, factory, settings, origin, exc, body)
        if exc.body is not None:
            return Response(exc.body, status_code=exc.status, media_type="text/x.tlog.size")
        return PlainTextResponse(exc.message + "\n", status_code=exc.status)
    return PlainTextResponse(line)
