"""Commands and views of identity providers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from coalition.common.validation import NationCode, text
from coalition.identity.oidc import endpoint_problem
from coalition.registry.schemas import Command, Patch, View

Attribute = Literal["citizenship", "clearance"]


def _issuer(value: str) -> str:
    problem = endpoint_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _scopes(value: list[str]) -> list[str]:
    if "openid" not in value:
        raise ValueError("must include 'openid'")
    return list(dict.fromkeys(value))


def _attributes(value: list[Attribute]) -> list[Attribute]:
    return sorted(set(value))


ProviderKey = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9-]{1,39}$"),
]
IssuerUrl = Annotated[str, text(300), AfterValidator(_issuer)]
# RFC 6749 3.3: scope tokens are printable ASCII without spaces, quotes or backslashes.
ScopeToken = Annotated[str, StringConstraints(pattern=r"^[\x21\x23-\x5b\x5d-\x7e]{1,80}$")]
Scopes = Annotated[list[ScopeToken], Field(min_length=1, max_length=20), AfterValidator(_scopes)]
ClaimName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:/-]{1,80}$")]
Attributes = Annotated[list[Attribute], Field(max_length=2), AfterValidator(_attributes)]
SecretFile = Annotated[
    str,
    text(500),
    Field(
        description="Path of the file holding the client secret (mode 0600), inside the "
        "node's SSO secrets folder (COALITION_SSO_SECRETS_DIR); a relative path is taken "
        "from that folder. The secret itself is never sent to or kept by Coalition's "
        "database."
    ),
]


class ProviderIn(Command):
    key: ProviderKey = Field(
        description="Short name in the sign-in address: /login/sso/{key}.", examples=["gbr"]
    )
    nation_code: NationCode = Field(description="The nation whose provider this is.")
    display_name: Annotated[str, text(120)] = Field(examples=["UK MOD Identity"])
    issuer: IssuerUrl = Field(
        description="The provider's issuer; https except on 127.0.0.1 or localhost.",
        examples=["https://id.mod.example.gb"],
    )
    client_id: Annotated[str, text(200)]
    client_secret_file: SecretFile
    scopes: Scopes = Field(default_factory=lambda: ["openid", "profile"])
    account_claim: ClaimName = Field(
        default="preferred_username",
        description="A claim recorded with a refused sign-in of an unlinked subject, to help "
        "an administrator recognise who asked. Never used to find or link an account.",
    )
    may_assert: Attributes = Field(
        default_factory=list,
        description="What the provider is trusted to assert: its own nation's citizenship, "
        "its own nationals' clearances. Anything else it sends is ignored.",
    )
    citizenship_claim: ClaimName = "nationality"
    clearance_claim: ClaimName = "clearance"
    enabled: bool = True


class ProviderPatch(Patch):
    """Fields left out stay as they are. The key and the nation never change: they are
    what the provider's links to accounts mean. Changing the issuer removes every link (a
    subject is only unique at its issuer)."""

    display_name: Annotated[str, text(120)] | None = None
    issuer: IssuerUrl | None = None
    client_id: Annotated[str, text(200)] | None = None
    client_secret_file: SecretFile | None = None
    scopes: Scopes | None = None
    account_claim: ClaimName | None = None
    may_assert: Attributes | None = None
    citizenship_claim: ClaimName | None = None
    clearance_claim: ClaimName | None = None
    enabled: bool | None = None


class ProviderOut(View):
    id: uuid.UUID
    key: str
    nation_code: str
    display_name: str
    issuer: str
    client_id: str
    client_secret_file: str
    scopes: list[str]
    account_claim: str
    may_assert: list[str]
    citizenship_claim: str
    clearance_claim: str
    enabled: bool
    #: Append to the node's address: the redirect URI to register with the provider.
    callback_path: str
    linked_identities: int = 0
    created_at: datetime
    updated_at: datetime
    version: int


def _subject(value: str) -> str:
    if value != value.strip() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(
            "must be the subject exactly as the provider sends it (no surrounding spaces or "
            "control characters)"
        )
    return value


#: OpenID Connect Core 2: ``sub`` is at most 255 ASCII characters, unique at its issuer.
Subject = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255),
    AfterValidator(_subject),
    Field(
        description="The provider's subject (the ID token's 'sub'): the person's stable, "
        "never reassigned identifier at that provider, as a refused sign-in shows it.",
        examples=["248289761001"],
    ),
]


class LinkIn(Command):
    """Link a provider's subject to a local account (made by an administrator, never at
    sign-in)."""

    subject: Subject
    account: Annotated[str, text(80)] = Field(
        description="The username of the account to link.", examples=["bob"]
    )


class LinkOut(View):
    """A provider's subject linked to a local account."""

    provider: str
    subject: str
    account: str
    account_display_name: str
    linked_at: datetime
    #: The latest sign-in through the link; None while it has never been used.
    last_sign_in_at: datetime | None


class SignInOption(View):
    """A "Sign in with ..." button of the log-in page."""

    key: str
    display_name: str
