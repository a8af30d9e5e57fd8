"""The auditor's page of the ledger: the head and latest checkpoint, entry search, receipts,
and an audit on demand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.errors import CoalitionError
from coalition.ledger import cosigning, keys, services
from coalition.ledger.note import Verifier
from coalition.settings import Settings
from coalition.web.deps import CheckedForm, PageDep, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)


def _verifier(settings: Settings) -> Verifier | None:
    try:
        return keys.load_signer(settings.effective_ledger_key_file, settings.ledger_origin).verifier
    except CoalitionError:
        return None  # no key yet: the page says so


@router.get("/ledger")
def ledger_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    page: PageDep,
    who: Annotated[str | None, AnyChoice] = None,
    tag: Annotated[str | None, AnyChoice] = None,
    object_id: Annotated[str | None, AnyChoice] = None,
    since: Annotated[datetime | None, AnyChoice] = None,
    until: Annotated[datetime | None, AnyChoice] = None,
    outcome: Annotated[str | None, AnyChoice] = None,
) -> Response:
    settings: Settings = request.app.state.settings
    state = services.status(
        uow,
        actor,
        _verifier(settings),
        settings.ledger_checkpoint_file,
        tuple(w.key for w in cosigning.configured(settings)),
        settings.ledger_witness_quorum,
    )
    found = services.search_entries(
        request.app.state.uow_factory(),
        actor,
        page,
        who=who,
        tag=tag,
        object_id=object_id,
        since=since,
        until=until,
        outcome=outcome,
    )
    filters = {
        "outcome": outcome or "",
        "who": who or "",
        "tag": tag or "",
        "object_id": object_id or "",
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    return render(
        request,
        "ledger/ledger.html",
        actor,
        {"section": "ledger", "state": state, "page": found, "filters": filters},
    )


@router.post("/ledger/audit")
def audit_now(request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm) -> Response:
    result = services.run_audit(uow, actor)
    if result.first_bad_index is None and result.problem is None:
        flash(request, f"Audit passed: {result.size} entries recomputed, the root matches.")
    else:
        flash(
            request,
            f"Audit FAILED: {result.problem} (first bad index {result.first_bad_index}).",
            "error",
        )
    return RedirectResponse("/ledger", status_code=303)


@router.get("/ledger/receipts/{index}")
def receipt(index: int, request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    settings: Settings = request.app.state.settings
    # The permission first, so a refusal says nothing about this node's keys.
    services.status(request.app.state.uow_factory(), actor, None, settings.ledger_checkpoint_file)
    verifier = _verifier(settings)
    if verifier is None:
        return Response("no ledger key on this node\n", status_code=404, media_type="text/plain")
    text = services.receipt(uow, verifier, settings.ledger_checkpoint_file, index)
    return Response(
        text,
        media_type="text/plain",
        headers={"Content-Disposition": f'attachment; filename="entry-{index}.tlog-proof"'},
    )
