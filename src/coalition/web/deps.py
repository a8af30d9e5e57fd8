"""Typed dependencies shared by API routes and HTML views."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from coalition.accounts.login import Throttling, log_out, session_principal
from coalition.accounts.permissions import Principal
from coalition.accounts.services import token_principal
from coalition.common.paging import MAX_LIMIT, MAX_OFFSET, PageRequest
from coalition.errors import AuthenticationFailed, PermissionDenied
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """An HTML page was asked for without a valid session: send the browser to log in."""


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_uow(request: Request) -> UnitOfWork:
    uow: UnitOfWork = request.app.state.uow_factory()
    return uow


SettingsDep = Annotated[Settings, Depends(get_settings)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def client_address(request: Request) -> str:
    """The client's address (uvicorn has already applied X-Forwarded-For from trusted
    proxies only, see COALITION_TRUSTED_PROXIES)."""
    return request.client.host if request.client else "unknown"


def login_throttling(settings: SettingsDep) -> Throttling:
    return Throttling(settings.login_max_failures, settings.login_lockout_seconds)


ClientAddress = Annotated[str, Depends(client_address)]
ThrottlingDep = Annotated[Throttling, Depends(login_throttling)]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, supplied: str | None) -> bool:
    expected = request.session.get("csrf")
    return (
        bool(expected) and bool(supplied) and secrets.compare_digest(str(expected), supplied or "")
    )


def _from_session(request: Request, uow: UnitOfWork) -> Principal | None:
    secret = request.session.get("sid")
    if not isinstance(secret, str):
        return None
    settings: Settings = request.app.state.settings
    principal = session_principal(uow, secret, settings.session_idle_seconds)
    if principal is None:
        request.session.clear()
    return principal


def start_session(request: Request, uow: UnitOfWork, secret: str) -> None:
    # A fresh cookie on log-in: nothing from before (e.g. a planted CSRF token) survives,
    # and a session the browser still held is ended on the server.
    end_session(request, uow)
    request.session["sid"] = secret


def end_session(request: Request, uow: UnitOfWork) -> None:
    secret = request.session.get("sid")
    if isinstance(secret, str):
        log_out(uow, secret)
    request.session.clear()


def api_principal(request: Request, uow: UowDep) -> Principal:
    """Bearer token, or the browser's session (then unsafe methods need X-CSRF-Token)."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token:
        principal = token_principal(uow, token.strip())
        if principal is None:
            raise AuthenticationFailed("the API token is unknown, revoked or expired")
        return principal
    principal = _from_session(request, uow)
    if principal is None:
        raise AuthenticationFailed("log in, or send an API token as 'Authorization: Bearer ...'")
    if request.method not in SAFE_METHODS and not csrf_ok(
        request, request.headers.get("x-csrf-token")
    ):
        raise PermissionDenied("a cookie-authenticated change needs the X-CSRF-Token header")
    return principal


def web_principal(request: Request, uow: UowDep) -> Principal:
    principal = _from_session(request, uow)
    if principal is None:
        raise LoginRequired()
    return principal


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
WebPrincipal = Annotated[Principal, Depends(web_principal)]


def page_request(limit: int = 50, offset: int = 0) -> PageRequest:
    # Clamp instead of failing: a hand-edited ?limit=10000 should still show a page.
    return PageRequest(limit=max(1, min(limit, MAX_LIMIT)), offset=max(0, min(offset, MAX_OFFSET)))


PageDep = Annotated[PageRequest, Depends(page_request)]


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session's."""
    form = await request.form()
    supplied = form.get("csrf_token")
    if not csrf_ok(request, supplied if isinstance(supplied, str) else None):
        raise PermissionDenied("the form has expired or did not come from this site; reload it")
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def safe_next(target: str | None) -> str:
    """Only same-site paths: '/x' yes, '//evil' or 'https://evil' no."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
