"""Use cases of accounts: create, log in (with throttling), roles, API tokens."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.accounts.login import (
    Throttling,
    confirm_password,
    digest,
    end_sessions,
    hash_password,
)
from coalition.accounts.models import Account, AccountStatus, ApiToken, RoleAssignment
from coalition.accounts.permissions import Permission, Principal, ScopeKind, Target
from coalition.accounts.schemas import (
    AccountIn,
    AccountOut,
    GrantIn,
    NewToken,
    PasswordChange,
    TokenIn,
    TokenOut,
)
from coalition.common.access import principal_for_account, require
from coalition.common.events import record_event
from coalition.errors import Conflict, NotFound, ValidationFailed
from coalition.projects.models import Project
from coalition.registry.models import Organisation, Person
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork

TOKEN_PREFIX = "coal_"  # noqa: S105  (a label that makes leaked tokens easy to scan for)


def token_digest(token: str) -> str:
    return digest(token)


def create_account(uow: UnitOfWork, actor: Principal, data: AccountIn) -> AccountOut:
    require(actor, Permission.ACCOUNT_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        if session.scalar(select(Account.id).where(Account.username == data.username)):
            raise Conflict(f"username: '{data.username}' is taken")
        if data.person_id is not None:
            if session.get(Person, data.person_id) is None:
                raise ValidationFailed.of("person_id", "no person with this id")
            if session.scalar(select(Account.id).where(Account.person_id == data.person_id)):
                raise Conflict("person_id: this person already has an account")
        account = Account(
            username=data.username,
            display_name=data.display_name,
            password_hash=hash_password(data.password.get_secret_value()),
            person_id=data.person_id,
        )
        for index, grant in enumerate(data.grants):
            _check_scope(session, grant, f"grants[{index}]")
            account.roles.append(_assignment(grant, actor))
        uow.add(account)
        uow.flush()
        record_event(
            uow,
            actor,
            "accounts:account:create",
            account,
            {"username": data.username, "grants": [g.model_dump() for g in data.grants]},
        )
        uow.commit()
        return AccountOut.model_validate(account)


def list_accounts(uow: UnitOfWork, actor: Principal) -> list[AccountOut]:
    require(actor, Permission.ACCOUNT_MANAGE, Target.node())
    with uow:
        rows = uow.session.scalars(select(Account).order_by(Account.username))
        return [AccountOut.model_validate(a) for a in rows]


def get_account(uow: UnitOfWork, actor: Principal, account_id: uuid.UUID) -> AccountOut:
    if actor.account_id != account_id:
        require(actor, Permission.ACCOUNT_MANAGE, Target.node())
    with uow:
        return AccountOut.model_validate(_account(uow.session, account_id))


def grant_role(
    uow: UnitOfWork, actor: Principal, account_id: uuid.UUID, data: GrantIn
) -> AccountOut:
    require(actor, Permission.ACCOUNT_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        account = _account(session, account_id)
        _check_scope(session, data, "scope_id")
        if any(
            (r.role, r.scope_kind, r.scope_id) == (data.role, data.scope_kind, data.scope_id)
            for r in account.roles
        ):
            raise Conflict("the account already holds this role in this scope")
        account.roles.append(_assignment(data, actor))
        record_event(uow, actor, "accounts:role:grant", account, data.model_dump())
        uow.commit()
        return AccountOut.model_validate(account)


def revoke_role(
    uow: UnitOfWork, actor: Principal, account_id: uuid.UUID, assignment_id: uuid.UUID
) -> AccountOut:
    require(actor, Permission.ACCOUNT_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        account = _account(uow.session, account_id)
        match = [r for r in account.roles if r.id == assignment_id]
        if not match:
            raise NotFound("the account holds no such role assignment")
        account.roles.remove(match[0])
        record_event(
            uow,
            actor,
            "accounts:role:revoke",
            account,
            {
                "role": match[0].role,
                "scope_kind": match[0].scope_kind,
                "scope_id": match[0].scope_id,
            },
        )
        uow.commit()
        return AccountOut.model_validate(account)


def set_account_status(
    uow: UnitOfWork, actor: Principal, account_id: uuid.UUID, status: AccountStatus
) -> AccountOut:
    require(actor, Permission.ACCOUNT_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        account = _account(uow.session, account_id)
        account.status = status
        end_sessions(uow.session, account.id)
        record_event(uow, actor, "accounts:account:status", account, {"status": status})
        uow.commit()
        return AccountOut.model_validate(account)


def _assignment(grant: GrantIn, actor: Principal) -> RoleAssignment:
    return RoleAssignment(
        role=grant.role, scope_kind=grant.scope_kind, scope_id=grant.scope_id, granted_by=actor.name
    )


def _check_scope(session: Session, grant: GrantIn, field: str) -> None:
    if grant.scope_kind is ScopeKind.NODE:
        if grant.scope_id is not None:
            raise ValidationFailed.of(field, "a node-wide role takes no scope_id")
        return
    if grant.scope_id is None:
        raise ValidationFailed.of(field, f"a role in a {grant.scope_kind} needs its id")
    model = Organisation if grant.scope_kind is ScopeKind.ORGANISATION else Project
    if session.get(model, grant.scope_id) is None:
        raise ValidationFailed.of(field, f"no {grant.scope_kind} with this id")


def _account(session: Session, account_id: uuid.UUID) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("no account with this id")
    return account


def change_password(
    uow: UnitOfWork,
    actor: Principal,
    data: PasswordChange,
    *,
    throttling: Throttling,
    source: str,
) -> None:
    if actor.account_id is None:
        raise ValidationFailed.of("account", "the operator has no password here")
    confirm_password(
        uow,
        actor.account_id,
        data.current_password.get_secret_value(),
        throttling=throttling,
        source=source,
        field="current_password",
    )
    with uow:
        uow.for_writing()
        account = _account(uow.session, actor.account_id)
        account.password_hash = hash_password(data.new_password.get_secret_value())
        # Every session (this one too) and every token ends: log in again, make new tokens.
        end_sessions(uow.session, account.id)
        record_event(uow, actor, "accounts:password:change", account, {})
        uow.commit()


# --- API tokens -----------------------------------------------------------------------------


def create_token(
    uow: UnitOfWork,
    actor: Principal,
    data: TokenIn,
    *,
    throttling: Throttling,
    source: str,
) -> NewToken:
    """A new API token, only after the user gives their password again: a browser session
    left open must not be turned into a credential that outlives it."""
    if actor.account_id is None:
        raise ValidationFailed.of("account", "API tokens belong to accounts; log in first")
    confirm_password(
        uow,
        actor.account_id,
        data.password.get_secret_value(),
        throttling=throttling,
        source=source,
    )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        uow.for_writing()
        row = ApiToken(
            account_id=actor.account_id,
            name=data.name,
            token_hash=token_digest(token),
            prefix=token[: len(TOKEN_PREFIX) + 6],
            expires_at=utcnow() + timedelta(days=data.expires_in_days),
        )
        uow.add(row)
        uow.flush()
        record_event(uow, actor, "accounts:token:create", row, {"name": data.name})
        uow.commit()
        return NewToken(**TokenOut.model_validate(row).model_dump(), token=token)


def list_tokens(uow: UnitOfWork, actor: Principal) -> list[TokenOut]:
    with uow:
        rows = uow.session.scalars(
            select(ApiToken)
            .where(ApiToken.account_id == actor.account_id)
            .order_by(ApiToken.created_at)
        )
        return [TokenOut.model_validate(t) for t in rows]


def revoke_token(uow: UnitOfWork, actor: Principal, token_id: uuid.UUID) -> TokenOut:
    with uow:
        uow.for_writing()
        row = uow.session.get(ApiToken, token_id)
        if row is None or row.account_id != actor.account_id:
            raise NotFound("no token with this id")
        row.revoked_at = row.revoked_at or utcnow()
        record_event(uow, actor, "accounts:token:revoke", row, {"name": row.name})
        uow.commit()
        return TokenOut.model_validate(row)


def token_principal(uow: UnitOfWork, token: str, now: datetime | None = None) -> Principal | None:
    now = now or utcnow()
    with uow:
        row = uow.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= now:
            return None
        principal = principal_for_account(uow.session, row.account_id)
        if principal is None or not principal.active:
            return None
        # Write last use at most once a minute, so reads do not become writes every request.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            row.last_used_at = now
            uow.commit()
        return principal
