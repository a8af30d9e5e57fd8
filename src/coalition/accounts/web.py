"""HTML pages of accounts: log-in, log-out, the caller's account and API tokens."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts import services
from coalition.accounts.login import Throttling, log_in
from coalition.accounts.models import AccountStatus
from coalition.accounts.permissions import Role
from coalition.accounts.schemas import AccountIn, GrantIn, TokenIn
from coalition.common.paging import PageRequest
from coalition.errors import CoalitionError, ValidationFailed
from coalition.identity.services import sign_in_options
from coalition.projects.services import list_projects
from coalition.registry.services import list_organisations
from coalition.web.deps import (
    CheckedForm,
    ClientAddress,
    SettingsDep,
    ThrottlingDep,
    UowDep,
    WebPrincipal,
    end_session,
    safe_next,
    start_session,
)
from coalition.web.forms import form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, uow: UowDep, next: str = "/") -> Response:
    return render(
        request,
        "accounts/login.html",
        None,
        {"next": safe_next(next), "sso_providers": sign_in_options(uow)},
    )


@router.post("/login")
def login(request: Request, form: CheckedForm, uow: UowDep, settings: SettingsDep) -> Response:
    username = str(form.get("username", ""))
    target = safe_next(str(form.get("next", "/")))
    try:
        logged_in = log_in(
            uow,
            username,
            str(form.get("password", "")),
            throttling=Throttling(settings.login_max_failures, settings.login_lockout_seconds),
            session_seconds=settings.session_max_age_seconds,
            source=request.client.host if request.client else "unknown",
        )
    except CoalitionError as exc:
        return render(
            request,
            "accounts/login.html",
            None,
            {
                "next": target,
                "values": {"username": username},
                "errors": {"_form": exc.detail},
                "sso_providers": sign_in_options(uow),
            },
            status_code=exc.status,
        )
    start_session(request, uow, logged_in.session_secret)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, form: CheckedForm, uow: UowDep) -> Response:
    end_session(request, uow)
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
def create_token(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
    throttling: ThrottlingDep,
    source: ClientAddress,
) -> Response:
    try:
        token = services.create_token(
            uow, actor, parse(TokenIn, form_values(form)), throttling=throttling, source=source
        )
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


# --- administration of accounts (node administrators) -------------------------------------


def _scope_choices(uow: UowDep, actor: WebPrincipal) -> list[tuple[str, str]]:
    """Where a role may be held: the node, one organisation or one project."""
    organisations = list_organisations(uow, actor, PageRequest(limit=200)).items
    projects = list_projects(uow, actor, PageRequest(limit=200)).items
    return (
        [("node", "The whole node")]
        + [(f"organisation:{o.id}", f"Organisation {o.short_name}") for o in organisations]
        + [(f"project:{p.id}", f"Project {p.code}") for p in projects]
    )


def _grant_values(values: dict[str, Any]) -> dict[str, Any]:
    """'organisation:<id>' from the scope select becomes scope_kind and scope_id."""
    kind, _, scope_id = str(values.pop("scope", "node")).partition(":")
    grant: dict[str, Any] = {"role": values.pop("role", None), "scope_kind": kind}
    if scope_id:
        grant["scope_id"] = scope_id
    return grant


def _accounts_page(request: Request, actor: WebPrincipal, uow: UowDep, **extra: Any) -> Response:
    context = {
        "section": "accounts",
        "accounts": services.list_accounts(uow, actor),
        "roles": ROLES,
        "scopes": _scope_choices(uow, actor),
        **extra,
    }
    status_code = int(context.pop("status_code", 200))
    return render(request, "accounts/accounts.html", actor, context, status_code=status_code)


ROLES = [(r.value, r.value.replace("_", " ").capitalize()) for r in Role]


@router.get("/accounts")
def accounts_page(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    return _accounts_page(request, actor, uow)


@router.post("/accounts")
def create_account(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    shown_values = {k: v for k, v in values.items() if k != "password"}
    try:
        grant = _grant_values(values)
        command = parse(AccountIn, {**values, "grants": [grant] if grant["role"] else []})
        created = services.create_account(uow, actor, command)
    except CoalitionError as exc:
        return _accounts_page(
            request,
            actor,
            uow,
            values=shown_values,
            errors=form_errors(exc),
            status_code=exc.status,
        )
    flash(request, f"Account {created.username} created.")
    return RedirectResponse(f"/accounts/{created.id}", status_code=303)


@router.get("/accounts/{account_id}")
def account_detail(
    account_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    return render(
        request,
        "accounts/account_admin.html",
        actor,
        {
            "section": "accounts",
            "account": services.get_account(uow, actor, account_id),
            "roles": ROLES,
            "scopes": _scope_choices(uow, actor),
        },
    )


@router.post("/accounts/{account_id}/roles")
def grant_role(
    account_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    try:
        services.grant_role(
            uow, actor, account_id, parse(GrantIn, _grant_values(form_values(form)))
        )
        flash(request, "Role granted.")
    except CoalitionError as exc:
        flash(request, exc.detail, "error")
    return RedirectResponse(f"/accounts/{account_id}", status_code=303)


@router.post("/accounts/{account_id}/roles/{assignment_id}/revoke")
def revoke_role(
    account_id: uuid.UUID,
    assignment_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    services.revoke_role(uow, actor, account_id, assignment_id)
    flash(request, "Role revoked.")
    return RedirectResponse(f"/accounts/{account_id}", status_code=303)


@router.post("/accounts/{account_id}/status")
def set_status(
    account_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    try:
        status = AccountStatus(str(form.get("status", "")))
    except ValueError as exc:
        raise ValidationFailed.of("status", "must be active or suspended") from exc
    updated = services.set_account_status(uow, actor, account_id, status)
    flash(request, f"Account {updated.username} is now {updated.status}.")
    return RedirectResponse(f"/accounts/{account_id}", status_code=303)
