"""API routes of accounts: log-in for browsers, the caller's own account, tokens, admin."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field, SecretStr

from coalition.accounts import services
from coalition.accounts.login import Throttling, log_in
from coalition.accounts.models import AccountStatus
from coalition.accounts.schemas import (
    MAX_PASSWORD_LENGTH,
    AccountIn,
    AccountOut,
    GrantIn,
    NewToken,
    PasswordChange,
    TokenIn,
    TokenOut,
)
from coalition.web.deps import (
    ApiPrincipal,
    ClientAddress,
    SettingsDep,
    ThrottlingDep,
    UowDep,
    csrf_token,
    end_session,
    start_session,
)

router = APIRouter(tags=["accounts"])


class LoginIn(BaseModel):
    username: str = Field(max_length=200)
    password: SecretStr = Field(max_length=MAX_PASSWORD_LENGTH)


class LoginOut(BaseModel):
    account: AccountOut
    csrf_token: str


@router.post("/auth/login", summary="Log in and receive a session cookie")
def login(data: LoginIn, request: Request, uow: UowDep, settings: SettingsDep) -> LoginOut:
    logged_in = log_in(
        uow,
        data.username,
        data.password.get_secret_value(),
        throttling=Throttling(settings.login_max_failures, settings.login_lockout_seconds),
        session_seconds=settings.session_max_age_seconds,
        source=request.client.host if request.client else "unknown",
    )
    start_session(request, uow, logged_in.session_secret)
    principal = logged_in.principal
    assert principal.account_id is not None
    account = services.get_account(uow, principal, principal.account_id)
    return LoginOut(account=account, csrf_token=csrf_token(request))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, actor: ApiPrincipal, uow: UowDep) -> None:
    end_session(request, uow)


@router.get("/me", summary="The calling account")
def me(actor: ApiPrincipal, uow: UowDep) -> AccountOut:
    assert actor.account_id is not None
    return services.get_account(uow, actor, actor.account_id)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    data: PasswordChange,
    actor: ApiPrincipal,
    uow: UowDep,
    throttling: ThrottlingDep,
    source: ClientAddress,
) -> None:
    services.change_password(uow, actor, data, throttling=throttling, source=source)


@router.get("/me/tokens")
def list_tokens(actor: ApiPrincipal, uow: UowDep) -> list[TokenOut]:
    return services.list_tokens(uow, actor)


@router.post("/me/tokens", status_code=status.HTTP_201_CREATED)
def create_token(
    data: TokenIn,
    actor: ApiPrincipal,
    uow: UowDep,
    throttling: ThrottlingDep,
    source: ClientAddress,
) -> NewToken:
    return services.create_token(uow, actor, data, throttling=throttling, source=source)


@router.delete("/me/tokens/{token_id}")
def revoke_token(token_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> TokenOut:
    return services.revoke_token(uow, actor, token_id)


@router.get("/accounts")
def list_accounts(actor: ApiPrincipal, uow: UowDep) -> list[AccountOut]:
    return services.list_accounts(uow, actor)


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
def create_account(data: AccountIn, actor: ApiPrincipal, uow: UowDep) -> AccountOut:
    return services.create_account(uow, actor, data)


@router.get("/accounts/{account_id}")
def get_account(account_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> AccountOut:
    return services.get_account(uow, actor, account_id)


@router.post("/accounts/{account_id}/roles", status_code=status.HTTP_201_CREATED)
def grant_role(
    account_id: uuid.UUID, data: GrantIn, actor: ApiPrincipal, uow: UowDep
) -> AccountOut:
    return services.grant_role(uow, actor, account_id, data)


@router.delete("/accounts/{account_id}/roles/{assignment_id}")
def revoke_role(
    account_id: uuid.UUID, assignment_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep
) -> AccountOut:
    return services.revoke_role(uow, actor, account_id, assignment_id)


class StatusIn(BaseModel):
    status: AccountStatus


@router.put("/accounts/{account_id}/status")
def set_status(
    account_id: uuid.UUID, data: StatusIn, actor: ApiPrincipal, uow: UowDep
) -> AccountOut:
    return services.set_account_status(uow, actor, account_id, data.status)
