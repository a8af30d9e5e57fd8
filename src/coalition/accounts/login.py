"""Log-in, browser sessions and throttling of failed log-ins.

Three steps keep the slow part (argon2, ~50 ms on purpose) out of the write lock: read
what is needed, verify the password, then record the outcome in one write transaction.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from coalition.accounts.models import Account, AccountStatus, ApiToken, LoginThrottle, WebSession
from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.common.access import principal_for_account
from coalition.errors import AuthenticationFailed, ValidationFailed
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork

_hasher = PasswordHasher()
# Verifying against a fixed hash when the user is unknown keeps a failed log-in as slow
# whether or not the account exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
#: How many more failures one address may have across all usernames (password spraying).
SOURCE_ALLOWANCE = 4
_LAST_SEEN_RESOLUTION = timedelta(minutes=1)
MAX_PASSWORD_INPUT = 1024

FAILED = "wrong username or password, or too many failed attempts: wait and try again"


@dataclass(frozen=True)
class Throttling:
    max_failures: int
    lockout_seconds: int


@dataclass(frozen=True)
class LoggedIn:
    principal: Principal
    #: Goes into the signed cookie; only its hash is stored.
    session_secret: str


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _keys(username: str, source: str) -> tuple[str, str]:
    return digest(f"{username.strip().lower()}|{source}"), digest(f"*|{source}")


def log_in(
    uow: UnitOfWork,
    username: str,
    password: str,
    *,
    throttling: Throttling,
    session_seconds: int,
    source: str = "unknown",
) -> LoggedIn:
    """Check the password and open a browser session; every outcome is recorded.

    The error never says which part was wrong, nor whether the account exists.
    """
    now = utcnow()
    allowed = claim_attempt(uow, username, source, throttling, now)
    with uow:
        account = uow.session.scalar(select(Account).where(Account.username == username.strip()))
        known = (account.id, account.password_hash) if account else None
    # No account has a password this long; refusing it unread keeps argon2 from being fed
    # megabytes through the log-in form.
    too_long = len(password) > MAX_PASSWORD_INPUT
    password_ok = (
        allowed and not too_long and verify_password(known[1] if known else _DUMMY_HASH, password)
    )

    with uow:
        uow.for_writing()
        session = uow.session
        account = session.get(Account, known[0]) if known else None
        if account is None or not password_ok or account.status is not AccountStatus.ACTIVE:
            outcome = (
                "throttled"
                if not allowed
                else "unknown-account"
                if account is None
                else "suspended"
                if password_ok
                else "bad-password"
            )
            _record(
                uow, username if account else f"unknown:{digest(username)[:16]}", outcome, source
            )
            uow.commit()
            raise AuthenticationFailed(FAILED)
        _take_back(session, username, source)
        if _hasher.check_needs_rehash(account.password_hash):
            account.password_hash = hash_password(password)
        logged_in = open_session(
            uow, account, session_seconds=session_seconds, source=source, now=now
        )
        uow.commit()
        return logged_in


def open_session(
    uow: UnitOfWork,
    account: Account,
    *,
    session_seconds: int,
    source: str,
    now: datetime,
    via: str | None = None,
) -> LoggedIn:
    """Open a browser session for an active account whose holder has proven who they are
    (their password, or ``via`` their nation's identity provider) and record the log-in,
    in the caller's transaction: the caller commits."""
    account.last_login_at = now
    secret = secrets.token_urlsafe(32)
    uow.session.add(
        WebSession(
            account_id=account.id,
            secret_hash=digest(secret),
            source=source[:64],
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=session_seconds),
        )
    )
    _record(uow, account.username, "ok", source, via)
    uow.flush()
    principal = principal_for_account(uow.session, account.id)
    assert principal is not None
    return LoggedIn(principal, secret)


def is_paused(uow: UnitOfWork, username: str, source: str, now: datetime) -> bool:
    """Whether log-ins of ``username`` from ``source`` are paused after failed passwords:
    another way in (single sign-on) waits out the pause too."""
    pair_key, _ = _keys(username, source)
    row = uow.session.get(LoginThrottle, pair_key)
    return row is not None and row.locked_until is not None and row.locked_until > now


def confirm_password(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    password: str,
    *,
    throttling: Throttling,
    source: str,
    field: str = "password",
) -> None:
    """Ask a logged-in user for their password again (before a new credential is made or the
    password changed), throttled like a log-in so a stolen session cannot guess it."""
    with uow:
        account = uow.session.get(Account, account_id)
        if account is None:
            raise AuthenticationFailed(FAILED)
        username, password_hash = account.username, account.password_hash
    now = utcnow()
    allowed = claim_attempt(uow, username, source, throttling, now)
    if allowed and len(password) <= MAX_PASSWORD_INPUT and verify_password(password_hash, password):
        with uow:
            uow.for_writing()
            _take_back(uow.session, username, source)
            uow.commit()
        return
    with uow:
        uow.for_writing()
        _record(uow, username, "reconfirm-failed" if allowed else "throttled", source)
        uow.commit()
    raise ValidationFailed.of(field, "is wrong" if allowed else "too many wrong tries; wait")


def claim_attempt(
    uow: UnitOfWork, username: str, source: str, throttling: Throttling, now: datetime
) -> bool:
    """Count an attempt as a failure *before* the password is checked, in its own short
    transaction, so parallel guesses cannot all slip under the limit; a success takes the
    count back. False when the username (from this address) or the address is paused."""
    pair_key, source_key = _keys(username, source)
    window = timedelta(seconds=throttling.lockout_seconds)
    with uow:
        uow.for_writing()
        allowed = _claim(uow.session, pair_key, throttling.max_failures, window, now) and _claim(
            uow.session, source_key, throttling.max_failures * SOURCE_ALLOWANCE, window, now
        )
        uow.commit()
    return allowed


def _claim(session: Session, key: str, limit: int, window: timedelta, now: datetime) -> bool:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(LoginThrottle)
        .values(key=key, failures=0, window_started_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    # The row lock makes concurrent claims on one key take turns (PostgreSQL); on SQLite the
    # write transaction already does.
    row = session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if row.locked_until is not None and row.locked_until > now:
        return False
    if now - row.window_started_at > window:
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit:
        # This attempt is the last one allowed in the window; the next waits.
        row.locked_until = now + window
    return True


def _take_back(session: Session, username: str, source: str) -> None:
    """A successful log-in: clear the username's count, and return the address its claim."""
    pair_key, source_key = _keys(username, source)
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == pair_key)
        .values(failures=0, locked_until=None)
    )
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == source_key, LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )


def _record(uow: UnitOfWork, who: str, outcome: str, source: str, via: str | None = None) -> None:
    details = {"outcome": outcome, "source": source}
    if via is not None:
        details["via"] = via
    uow.add(
        Event(
            actor=who[:120],
            tag="accounts:login:" + ("ok" if outcome == "ok" else "failed"),
            object_type="accounts",
            object_id=who[:64],
            details=details,
        )
    )


def session_principal(
    uow: UnitOfWork,
    secret: str,
    idle_seconds: int,
    now: datetime | None = None,
    *,
    touch: bool = True,
) -> Principal | None:
    """The principal behind a browser session, or None when it ended, expired or idled out.
    Without ``touch`` the asking does not count as use of the session: a page left open
    with its live updates (web/live.py) must still idle out."""
    now = now or utcnow()
    with uow:
        row = uow.session.scalar(select(WebSession).where(WebSession.secret_hash == digest(secret)))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        if now - row.last_seen_at > timedelta(seconds=idle_seconds):
            return None
        principal = principal_for_account(uow.session, row.account_id)
        if principal is None or not principal.active:
            return None
        if touch and now - row.last_seen_at > _LAST_SEEN_RESOLUTION:
            row.last_seen_at = now
            uow.commit()
        return principal


def log_out(uow: UnitOfWork, secret: str) -> None:
    with uow:
        uow.for_writing()
        row = uow.session.scalar(select(WebSession).where(WebSession.secret_hash == digest(secret)))
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
            account = uow.session.get(Account, row.account_id)
            _record(uow, account.username if account else "?", "logout", "session")
            uow.commit()


def end_sessions(session: Session, account_id: object, now: datetime | None = None) -> None:
    """End every open session and revoke every API token of an account (suspension,
    password change): whoever held them must prove themselves again."""
    now = now or utcnow()
    session.execute(
        update(WebSession)
        .where(WebSession.account_id == account_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
