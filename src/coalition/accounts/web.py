"""HTML pages of accounts: log-in, log-out, the caller's account and API tokens."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts import services
from coalition.accounts.schemas import TokenIn
from coalition.errors import CoalitionError
from coalition.web.deps import CheckedForm, SettingsDep, UowDep, WebPrincipal, safe_next
from coalition.web.forms import form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "accounts/login.html", None, {"next": safe_next(next)})


@router.post("/login")
def login(request: Request, form: CheckedForm, uow: UowDep, settings: SettingsDep) -> Response:
    username = str(form.get("username", ""))
    target = safe_next(str(form.get("next", "/")))
    try:
        principal, epoch = services.authenticate(
            uow,
            username,
            str(form.get("password", "")),
            max_failures=settings.login_max_failures,
            lockout_seconds=settings.login_lockout_seconds,
            source=request.client.host if request.client else "unknown",
        )
    except CoalitionError as exc:
        return render(
            request,
            "accounts/login.html",
            None,
            {"next": target, "values": {"username": username}, "errors": {"_form": exc.detail}},
            status_code=exc.status,
        )
    # A fresh session on log-in: nothing from before (e.g. a planted CSRF token) survives.
    request.session.clear()
    request.session.update({"account_id": str(principal.account_id), "epoch": epoch})
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, form: CheckedForm) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _account_page(request: Request, actor: WebPrincipal, uow: UowDep, **extra: object) -> Response:
    assert actor.account_id is not None
    account = services.get_account(uow, actor, actor.account_id)
    tokens = services.list_tokens(uow, actor)
    return render(
        request, "accounts/account.html", actor, {"account": account, "tokens": tokens, **extra}
    )


@router.get("/account")
def account_page(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    return _account_page(request, actor, uow)


@router.post("/account/tokens")
def create_token(request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm) -> Response:
    try:
        token = services.create_token(uow, actor, parse(TokenIn, form_values(form)))
    except CoalitionError as exc:
        flash(request, exc.detail, "error")
        return RedirectResponse("/account", status_code=303)
    return _account_page(request, actor, uow, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    token = services.revoke_token(uow, actor, token_id)
    flash(request, f"Token {token.name} revoked.")
    return RedirectResponse("/account", status_code=303)
