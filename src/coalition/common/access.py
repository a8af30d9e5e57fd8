"""Loading who acts and asking the permission function, for services."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from coalition.accounts.permissions import (
    Decision,
    Grant,
    Permission,
    Principal,
    Target,
    authorize,
)
from coalition.errors import PermissionDenied


def require(principal: Principal, permission: Permission, target: Target) -> Decision:
    decision = authorize(principal, permission, target)
    if not decision.allowed:
        # The reason names the permission, never the object: the caller learns nothing
        # about what is behind a refusal.
        raise PermissionDenied(decision.reason)
    return decision


def allowed_actions(
    principal: Principal, target: Target, permissions: tuple[Permission, ...]
) -> list[str]:
    """Which of ``permissions`` the principal holds on an object: pages show only the
    forms that would succeed, and API clients learn the same without trying."""
    return [str(p) for p in permissions if authorize(principal, p, target).allowed]


def principal_for_account(session: Session, account_id: uuid.UUID) -> Principal | None:
    from coalition.accounts.models import Account, AccountStatus

    account = session.get(Account, account_id)
    if account is None:
        return None
    return Principal(
        name=account.username,
        account_id=account.id,
        active=account.status is AccountStatus.ACTIVE,
        grants=tuple(Grant(r.role, r.scope_kind, r.scope_id) for r in account.roles),
        person_id=account.person_id,
    )


def people_holding(session: Session, permission: Permission, target: Target) -> list[uuid.UUID]:
    """The people whose active accounts hold ``permission`` on ``target``: whom to tell
    that something waits for them. Asks :func:`authorize` for each account, so it agrees
    with what those people will be allowed to do."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from coalition.accounts.models import Account, AccountStatus

    accounts = session.scalars(
        select(Account)
        .where(Account.person_id.is_not(None), Account.status == AccountStatus.ACTIVE)
        .options(selectinload(Account.roles))
    )
    found: list[uuid.UUID] = []
    for account in accounts:
        principal = Principal(
            name=account.username,
            account_id=account.id,
            active=True,
            grants=tuple(Grant(r.role, r.scope_kind, r.scope_id) for r in account.roles),
            person_id=account.person_id,
        )
        if account.person_id not in found and authorize(principal, permission, target).allowed:
            found.append(account.person_id)  # type: ignore[arg-type]
    return found
