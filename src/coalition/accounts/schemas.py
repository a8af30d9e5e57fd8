"""Commands and views of accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, SecretStr, field_validator

from coalition.accounts.models import AccountStatus
from coalition.accounts.permissions import Role, ScopeKind
from coalition.registry.schemas import Command, View

MIN_PASSWORD_LENGTH = 12


#: Long passphrases are welcome; megabytes are a way to make argon2 burn CPU.
MAX_PASSWORD_LENGTH = 1024


def _password_ok(value: SecretStr) -> SecretStr:
    length = len(value.get_secret_value())
    if length < MIN_PASSWORD_LENGTH:
        raise ValueError(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if length > MAX_PASSWORD_LENGTH:
        raise ValueError(f"must be at most {MAX_PASSWORD_LENGTH} characters")
    return value


class GrantIn(Command):
    role: Role
    scope_kind: ScopeKind = ScopeKind.NODE
    scope_id: uuid.UUID | None = None


class AccountIn(Command):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    display_name: str = Field(min_length=1, max_length=200)
    password: SecretStr
    person_id: uuid.UUID | None = None
    grants: list[GrantIn] = Field(default_factory=list)

    _check_password = field_validator("password")(_password_ok)


class PasswordChange(Command):
    current_password: SecretStr = Field(max_length=MAX_PASSWORD_LENGTH)
    new_password: SecretStr

    _check_password = field_validator("new_password")(_password_ok)


MAX_TOKEN_DAYS = 365


class TokenIn(Command):
    name: str = Field(min_length=1, max_length=120)
    expires_in_days: int = Field(default=90, ge=1, le=MAX_TOKEN_DAYS)
    password: SecretStr = Field(
        max_length=MAX_PASSWORD_LENGTH, description="The account's password, asked again."
    )


class GrantOut(View):
    id: uuid.UUID
    role: Role
    scope_kind: ScopeKind
    scope_id: uuid.UUID | None


class AccountOut(View):
    id: uuid.UUID
    username: str
    display_name: str
    status: AccountStatus
    person_id: uuid.UUID | None
    last_login_at: datetime | None
    roles: list[GrantOut]


class TokenOut(View):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewToken(TokenOut):
    token: str = Field(description="Shown once; only its hash is stored.")
