"""RFC 9457 problem details for every API error."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from coalition.errors import CoalitionError, ValidationFailed

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the fields at fault in ``errors``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None


def documented(description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


#: Shown on every API route in the OpenAPI document.
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: documented("Not logged in, or the API token is unknown, revoked or expired"),
    403: documented("Not allowed; the detail names the permission"),
    404: documented("No such resource"),
    409: documented("Conflicts with an existing record; the detail names the field"),
    422: documented("Invalid input; `errors` names each field and its problem"),
}


def problem(status: int, title: str, detail: str, request: Request, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def from_error(request: Request, exc: CoalitionError) -> JSONResponse:
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [{"field": p.field, "message": p.message} for p in exc.problems]
    return problem(exc.status, exc.title, exc.detail, request, **extra)


def field_name(location: tuple[int | str, ...]) -> str:
    """('body', 'parties', 0, 'organisation_id') -> 'parties[0].organisation_id'."""
    parts = [p for p in location if p not in {"body", "query", "path", "header", "cookie"}]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += ("." if name else "") + str(part)
    return name or "body"


_NAMED = re.compile(r"^([a-z][a-z_]*): (.+)$", re.DOTALL)


def located(errors: Sequence[Any]) -> list[tuple[str, str]]:
    """pydantic's errors as (field, message). A check across fields is raised by the
    command as a whole with "field: message"; it is reported at that field."""
    out = []
    for error in errors:
        location = tuple(error["loc"])
        name, message = field_name(location), _message(error)
        match = _NAMED.match(message)
        if match and location in {(), ("body",)} and error.get("type") == "value_error":
            name, message = match.group(1), match.group(2)
        out.append((name, message))
    return out


def from_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"field": field, "message": message} for field, message in located(exc.errors())]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "Unprocessable content", detail, request, errors=errors)


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    # pydantic prefixes messages from our own validators with "Value error, ".
    return message.removeprefix("Value error, ")
