"""Tables of single sign-on: each nation's OpenID Connect provider, and which of its subjects
is which local account.

A provider row holds no secret: ``client_secret_file`` is the path of a file (mode 0600)
that holds the client secret, read only when the token endpoint is called, so a copy of the
database or of the ledger never carries it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.accounts.models import Account
from coalition.registry.models import Nation
from coalition.store.base import Base, Entity, utcnow

#: The attributes a provider may be trusted to assert about the people it signs in.
ASSERTABLE_ATTRIBUTES = ("citizenship", "clearance")


class IdentityProvider(Entity, Base):
    __tablename__ = "identity_providers"
    #: The slug in the login URL (``/login/sso/{key}``) and in the CLI.
    key: Mapped[str] = mapped_column(String(40), unique=True)
    nation_code: Mapped[str] = mapped_column(ForeignKey("nations.code"), index=True)
    display_name: Mapped[str] = mapped_column(String(120))
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret_file: Mapped[str] = mapped_column(String(500))
    scopes: Mapped[list[str]]
    #: A claim (e.g. its username at the provider) recorded with a refused sign-in of a
    #: subject not linked yet, to help an administrator recognise who asked. Never used to
    #: find or link an account: such claims are neither unique nor stable.
    account_claim: Mapped[str] = mapped_column(String(80), default="preferred_username")
    #: A subset of ASSERTABLE_ATTRIBUTES; anything else the provider sends is ignored.
    may_assert: Mapped[list[str]]
    citizenship_claim: Mapped[str] = mapped_column(String(80), default="nationality")
    clearance_claim: Mapped[str] = mapped_column(String(80), default="clearance")
    enabled: Mapped[bool] = mapped_column(default=True)
    nation: Mapped[Nation] = relationship()


class ExternalIdentity(Base):
    """A provider's subject linked to a local account, by an administrator (never at
    sign-in). A subject is unique only at its issuer: changing the provider's issuer
    removes its links.

    ``first_login_at`` is when the link was made; ``last_login_at`` the latest sign-in
    through it (equal to ``first_login_at`` until the first).
    """

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("provider_id", "subject"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    first_login_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(default=utcnow)
    provider: Mapped[IdentityProvider] = relationship()
    account: Mapped[Account] = relationship()
