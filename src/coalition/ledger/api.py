"""API routes of the transparency ledger, for auditors and partners' tools."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import PlainTextResponse

from coalition.accounts.permissions import Permission, Target
from coalition.common.access import require
from coalition.common.paging import Page
from coalition.ledger import cosigning, keys, services
from coalition.ledger.entries import decode_entry
from coalition.ledger.note import Verifier
from coalition.settings import Settings
from coalition.web.deps import ApiPrincipal, PageDep, UowDep

router = APIRouter(tags=["ledger"])


def _verifier(request: Request) -> Verifier:
    settings: Settings = request.app.state.settings
    return keys.load_signer(settings.effective_ledger_key_file, settings.ledger_origin).verifier


@router.get("/ledger/checkpoint", response_class=PlainTextResponse)
def checkpoint(actor: ApiPrincipal, uow: UowDep, request: Request) -> str:
    """The latest checkpoint this node signed, as published: a C2SP signed note with its
    witnesses' cosignature lines."""
    require(actor, Permission.LEDGER_READ, Target.node())
    settings: Settings = request.app.state.settings
    return services.published_checkpoint(
        uow, actor, _verifier(request), settings.ledger_checkpoint_file
    )


@router.get("/ledger/status")
def status(actor: ApiPrincipal, uow: UowDep, request: Request) -> services.LedgerStatus:
    """Size, root and pending entries; the latest checkpoint, its cosigners, and whether
    it verifies with this node's key and its witnesses' quorum."""
    require(actor, Permission.LEDGER_READ, Target.node())
    settings: Settings = request.app.state.settings
    return services.status(
        uow,
        actor,
        _verifier(request),
        settings.ledger_checkpoint_file,
        tuple(w.key for w in cosigning.configured(settings)),
        settings.ledger_witness_quorum,
    )


@router.get("/ledger/public-key", response_class=PlainTextResponse)
def public_key(actor: ApiPrincipal, request: Request) -> str:
    """The log's verifier key, ``name+hexkeyid+base64key``."""
    require(actor, Permission.LEDGER_READ, Target.node())
    return _verifier(request).encoded() + "\n"


@router.get("/ledger/entries")
def search_entries(
    actor: ApiPrincipal,
    uow: UowDep,
    page: PageDep,
    who: Annotated[str | None, Query(max_length=120, description="The actor.")] = None,
    tag: Annotated[str | None, Query(max_length=80, description="A tag prefix.")] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    outcome: Annotated[
        str | None,
        Query(
            max_length=40,
            description="permit or deny (decisions); ok, bad-password, throttled, ... (log-ins).",
        ),
    ] = None,
) -> Page[services.EntryRow]:
    """Entries by actor, tag prefix, object, time and outcome, newest first."""
    return services.search_entries(
        uow,
        actor,
        page,
        who=who,
        tag=tag,
        object_id=object_id,
        since=since,
        until=until,
        outcome=outcome,
    )


@router.get("/ledger/entries/{index}")
def entry(actor: ApiPrincipal, uow: UowDep, index: int) -> dict[str, Any]:
    """One entry: its exact leaf bytes (base64) and their decoded content."""
    require(actor, Permission.LEDGER_READ, Target.node())
    data = services.entry(uow, index)
    return {"index": index, "entry": base64.b64encode(data).decode(), "decoded": decode_entry(data)}


@router.get("/ledger/proof/{index}", response_class=PlainTextResponse)
def proof(actor: ApiPrincipal, uow: UowDep, request: Request, index: int) -> str:
    """A receipt for the entry: C2SP tlog-proof against the latest signed checkpoint."""
    require(actor, Permission.LEDGER_READ, Target.node())
    settings: Settings = request.app.state.settings
    return services.receipt(uow, _verifier(request), settings.ledger_checkpoint_file, index)


@router.get("/ledger/consistency")
def consistency(
    actor: ApiPrincipal,
    uow: UowDep,
    size1: Annotated[int, Query(alias="from", ge=0)],
    size2: Annotated[int, Query(alias="to", ge=0)],
) -> dict[str, Any]:
    """The consistency proof between two tree sizes, base64 hashes."""
    require(actor, Permission.LEDGER_READ, Target.node())
    hashes = services.consistency(uow, size1, size2)
    return {"from": size1, "to": size2, "proof": [base64.b64encode(h).decode() for h in hashes]}
