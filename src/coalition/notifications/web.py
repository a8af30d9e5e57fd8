"""The inbox page."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.notifications import services
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/inbox")
def inbox_page(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    found = services.inbox(uow, actor) if actor.person_id is not None else None
    return render(request, "notifications/inbox.html", actor, {"section": "inbox", "inbox": found})


@router.post("/inbox/read")
def read_all_page(actor: WebPrincipal, uow: UowDep, form: CheckedForm) -> Response:
    services.mark_read(uow, actor)
    return RedirectResponse("/inbox", status_code=303)


@router.post("/inbox/{notification_id}/open")
def open_page(
    notification_id: uuid.UUID, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    """Mark a notice read and go to what it is about."""
    services.mark_read(uow, actor, notification_id)
    link = str(form.get("link") or "/inbox")
    # Only paths on this node: a notice never sends its reader elsewhere.
    target = link if link.startswith("/") and not link.startswith("//") else "/inbox"
    return RedirectResponse(target, status_code=303)
