"""Jinja2 templates with the helpers every page needs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from coalition.accounts.permissions import (
    Permission,
    Principal,
    Target,
    authorize,
    holds_somewhere,
)
from coalition.web.deps import csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR)

LEVEL_NAMES = {0: "UNCLASSIFIED", 1: "RESTRICTED", 2: "CONFIDENTIAL", 3: "SECRET", 4: "TOP SECRET"}


def _label(value: object) -> str:
    """'project_arrangement' -> 'Project arrangement'."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def _query(request: Request, **changes: Any) -> str:
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params)


templates.env.filters["label"] = _label
templates.env.filters["level_name"] = lambda v: LEVEL_NAMES.get(int(v), str(v))


def _localtime(moment: datetime, zone: str, fmt: str = "%Y-%m-%d %a %H:%M") -> str:
    """An aware time shown in a place's own zone (a facility's, for its bookings)."""
    return moment.astimezone(ZoneInfo(zone)).strftime(fmt)


templates.env.filters["localtime"] = _localtime
templates.env.globals["query"] = _query
templates.env.globals["LEVEL_NAMES"] = LEVEL_NAMES


def _holds(principal: Principal | None, permission: str) -> bool:
    """For navigation only: whether to offer a node-wide page. The page's service still
    decides; hiding a link is never the protection."""
    return (
        principal is not None
        and authorize(principal, Permission(permission), Target.node()).allowed
    )


templates.env.globals["holds"] = _holds
templates.env.globals["holds_somewhere"] = lambda principal, permission: (
    principal is not None and holds_somewhere(principal, Permission(permission))
)


def flash(request: Request, message: str, kind: str = "success") -> None:
    request.session.setdefault("flash", []).append({"kind": kind, "message": message})


def render(
    request: Request,
    name: str,
    principal: Principal | None,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    messages = request.session.pop("flash", [])
    full = {
        "principal": principal,
        "csrf_token": csrf_token(request),
        "messages": messages,
        "errors": {},
        "values": {},
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, full, status_code=status_code)
