"""Calendar feed pages: one's feeds with the form that makes one (its address shown once)
and revokes it, and the feed itself at its secret address, served without a log-in."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Principal
from coalition.errors import CoalitionError
from coalition.facilities import feeds
from coalition.facilities.models import FeedKind
from coalition.facilities.schemas import FeedIn, NewFeed
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)
KINDS = [(k.value, k.value) for k in FeedKind]


def _page(
    request: Request,
    actor: Principal,
    *,
    new: NewFeed | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "facilities/feeds.html",
        actor,
        {
            "section": "facilities",
            "feeds": feeds.list_feeds(request.app.state.uow_factory(), actor),
            "kinds": KINDS,
            "new": new,
            "address": str(request.base_url).rstrip("/") + new.path if new else None,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/calendar-feeds")
def feeds_page(
    request: Request,
    actor: WebPrincipal,
    kind: Annotated[str | None, AnyChoice] = None,
    target: Annotated[str | None, AnyChoice] = None,
) -> Response:
    return _page(request, actor, values={"kind": kind or "", "target": target or ""})


@router.post("/calendar-feeds")
def create_feed_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        made = feeds.create_feed(uow, actor, parse(FeedIn, values))
    except CoalitionError as exc:
        return _page(request, actor, errors=form_errors(exc), values=values, status_code=exc.status)
    return _page(request, actor, new=made)


@router.post("/calendar-feeds/{feed_id}/revoke")
def revoke_feed_page(
    feed_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    revoked = feeds.revoke_feed(uow, actor, feed_id)
    flash(request, f"Feed {revoked.name} revoked: calendar programs using it get nothing more.")
    return RedirectResponse("/calendar-feeds", status_code=303)


@router.get("/feeds/{token}.ics")
def feed(token: str, uow: UowDep) -> Response:
    """No log-in: the token is the credential, for this one calendar only."""
    return Response(
        feeds.serve(uow, token),
        media_type="text/calendar",
        headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"},
    )
