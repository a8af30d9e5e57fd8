"""Tables of accounts, role assignments and API tokens."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.accounts.permissions import Role, ScopeKind
from coalition.registry.models import Person
from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Account(Entity, Base):
    __tablename__ = "accounts"
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[AccountStatus] = mapped_column(
        enum_column(AccountStatus), default=AccountStatus.ACTIVE
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"), unique=True)
    last_login_at: Mapped[datetime | None]
    person: Mapped[Person | None] = relationship()
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="account", cascade="all, delete-orphan"
    )


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("account_id", "role", "scope_kind", "scope_id"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role))
    scope_kind: Mapped[ScopeKind] = mapped_column(enum_column(ScopeKind))
    # The organisation or project id; NULL for the node scope.
    scope_id: Mapped[uuid.UUID | None]
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by: Mapped[str] = mapped_column(String(120))
    account: Mapped[Account] = relationship(back_populates="roles")


class ApiToken(Base):
    """Only a SHA-256 of the token is kept; the token itself is shown once at creation."""

    __tablename__ = "api_tokens"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    account: Mapped[Account] = relationship()


class WebSession(Base):
    """A browser session. The cookie carries only a random id; this row says whether it is
    still good, so log-out, suspension and password changes end it on the server."""

    __tablename__ = "web_sessions"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the id in the cookie: a copy of the database opens no session.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(64))


class LoginThrottle(Base):
    """Failed log-ins counted per (username, address) and per address, so an attacker is
    slowed down without locking the real user out from their own address."""

    __tablename__ = "login_throttles"
    #: SHA-256 of "username|address" or "*|address": no raw usernames or addresses kept.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
