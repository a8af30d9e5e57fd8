"""Signing in through a nation's identity provider, in three steps (as the password
log-in keeps argon2 out of the write lock): the protocol (discovery, token exchange, ID
token check: :mod:`coalition.identity.oidc`) outside any transaction, then one write
transaction that finds the linked account, applies what the provider may assert
(:mod:`coalition.identity.assertions`) and opens the session like the password log-in.

Accounts are never created, nor linked, at sign-in: a provider only opens the account an
administrator linked to its subject (provider, subject), see
:func:`coalition.identity.services.link_identity`. No claim ever chooses an account:
``preferred_username`` and the like are neither unique nor stable (OpenID Connect Core
5.7), so a provider's administrator, or a person who may rename themselves there, could
otherwise open someone else's account.

Refusals of a sign-in this browser started (its state matched) are recorded with their
reason. A callback that matches no sign-in started from the browser writes nothing (it
is only logged): anyone may send those, as often as they like.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import select

from coalition.accounts.login import LoggedIn, is_paused, open_session
from coalition.accounts.models import AccountStatus
from coalition.common.events import record_event
from coalition.errors import AuthenticationFailed, NotFound
from coalition.identity import assertions, oidc, rules
from coalition.identity.models import ExternalIdentity, IdentityProvider
from coalition.identity.services import (
    NOT_FOUND,
    SecretFileError,
    provider_by_key,
    read_client_secret,
    redirect_uri,
)
from coalition.registry.models import PersonStatus
from coalition.settings import Settings
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork

log = logging.getLogger(__name__)

NOT_LINKED = (
    "this sign-in with {provider} (subject {subject}) is not linked to an account on this "
    "node. Accounts are never created or linked at sign-in: ask your node administrator to "
    "link subject {subject} of {provider} to your account"
)
NO_PERSON = (
    "the account linked to this sign-in is not linked to a person in the registry: tell your "
    "node administrator"
)
CANNOT_SIGN_IN = "this account cannot sign in now (suspended, or paused after failed log-ins)"
UNAVAILABLE = (
    "sign-in with {provider} is not available: its configuration on this node is incomplete; "
    "tell your node administrator"
)


@dataclass(frozen=True)
class ProviderConfig:
    """What the protocol steps need of a provider, read in a short transaction."""

    key: str
    display_name: str
    issuer: str
    client_id: str
    client_secret_file: str
    scopes: list[str]


@dataclass(frozen=True)
class SignedIn:
    logged_in: LoggedIn
    provider: str
    #: What the provider asserted and what became of it, to tell the person: (kind, text)
    #: with kind "success" or "error", as flash messages have.
    notes: list[tuple[str, str]]


def provider_for_sign_in(uow: UnitOfWork, key: str) -> ProviderConfig:
    with uow:
        provider = provider_by_key(uow.session, key)
        if not provider.enabled:
            raise NotFound(NOT_FOUND)
        return ProviderConfig(
            key=provider.key,
            display_name=provider.display_name,
            issuer=provider.issuer,
            client_id=provider.client_id,
            client_secret_file=provider.client_secret_file,
            scopes=list(provider.scopes),
        )


def begin_sign_in(
    uow: UnitOfWork, settings: Settings, client: oidc.OidcClient, key: str, next_path: str
) -> tuple[str, oidc.PendingSignIn]:
    """Where to send the browser, and what to keep in its session until it returns."""
    config = provider_for_sign_in(uow, key)
    try:
        endpoints = client.endpoints(config.issuer)
    except oidc.OidcError as exc:
        log.warning("identity provider %s: %s", config.key, exc)
        raise AuthenticationFailed(f"{config.display_name} cannot be reached now: {exc}") from exc
    pending = oidc.PendingSignIn.start(config.key, next_path)
    url = oidc.authorization_url(
        endpoints,
        config.client_id,
        redirect_uri(settings, config.key),
        config.scopes,
        pending,
    )
    return url, pending


@dataclass(frozen=True)
class Callback:
    """The provider's redirect back: its query parameters."""

    code: str | None
    state: str | None
    error: str | None = None
    #: RFC 9207: the issuer that sent the browser back (defends against mix-ups).
    iss: str | None = None


def finish_sign_in(
    uow: UnitOfWork,
    settings: Settings,
    client: oidc.OidcClient,
    key: str,
    pending: oidc.PendingSignIn | None,
    callback: Callback,
    source: str,
) -> SignedIn:
    """Check the callback against the sign-in the browser started, redeem the code, verify
    the ID token and sign the person in.

    A callback that matches no sign-in started from this browser is refused without a
    write (logged only): it costs its sender nothing, so recording each would let anyone
    fill the event record. Every refusal of a sign-in the browser did start is recorded.
    """
    config = provider_for_sign_in(uow, key)
    if pending is None or pending.provider != config.key:
        ignore_callback(config.key, "no-sign-in-started", source)
    assert pending is not None
    if callback.state is None or not pending.state_matches(callback.state):
        ignore_callback(config.key, "state-mismatch", source)
    if pending.expired():
        refuse_sign_in(uow, key, "sign-in-expired", source)
    if callback.error is not None:
        refuse_sign_in(
            uow,
            key,
            "provider-error",
            source,
            {"error": callback.error[:80]},
            shown=f"{config.display_name} did not sign you in ({callback.error[:80]})",
        )
    if callback.iss is not None and callback.iss != config.issuer:
        refuse_sign_in(uow, key, "issuer-mismatch", source)
    if not callback.code:
        refuse_sign_in(uow, key, "no-code", source)
    assert callback.code is not None
    try:
        secret = read_client_secret(settings, config.client_secret_file)
    except SecretFileError as exc:
        log.error("identity provider %s: client_secret_file %s", config.key, exc)
        refuse_sign_in(
            uow,
            key,
            "secret-unavailable",
            source,
            shown=UNAVAILABLE.format(provider=config.display_name),
        )
    try:
        endpoints = client.endpoints(config.issuer)
        tokens = client.exchange_code(
            endpoints,
            config.client_id,
            secret,
            callback.code,
            redirect_uri(settings, config.key),
            pending.code_verifier,
        )
        claims = client.verify_id_token(
            endpoints, str(tokens["id_token"]), config.client_id, pending.nonce
        )
        access_token = tokens.get("access_token")
        if isinstance(access_token, str):
            # Providers that keep attributes out of the ID token release them here; the
            # signed ID token wins where both name a claim.
            claims = {**client.userinfo(endpoints, access_token, str(claims["sub"])), **claims}
    except oidc.OidcError as exc:
        log.warning("identity provider %s: %s", config.key, exc)
        refuse_sign_in(
            uow,
            key,
            "protocol",
            source,
            {"problem": str(exc)[:300]},
            shown=f"sign-in with {config.display_name} failed: {exc}",
        )
    return complete_sign_in(
        uow,
        key,
        claims,
        source=source,
        session_seconds=settings.session_max_age_seconds,
        issuer=config.issuer,
    )


def ignore_callback(key: str, reason: str, source: str) -> NoReturn:
    """Refuse a callback that belongs to no sign-in this browser started: logged, never
    written to the database."""
    log.warning("sign-in callback for %s from %s refused: %s", key, source, reason)
    raise AuthenticationFailed(_REFUSALS[reason])


def refuse_sign_in(
    uow: UnitOfWork,
    key: str,
    reason: str,
    source: str,
    details: dict[str, Any] | None = None,
    *,
    shown: str | None = None,
) -> NoReturn:
    """Record a refused sign-in in its own transaction, then refuse it."""
    with uow:
        uow.for_writing()
        provider = uow.session.scalar(
            select(IdentityProvider).where(IdentityProvider.key == key.strip().lower())
        )
        if provider is not None:
            _record_refusal(uow, provider, reason, source, details or {})
            uow.commit()
    raise AuthenticationFailed(shown or _REFUSALS.get(reason, "sign-in refused"))


_REFUSALS = {
    "no-sign-in-started": "no sign-in was started from this browser, or it was finished already: "
    "start again from the log-in page",
    "state-mismatch": "this answer does not belong to the sign-in this browser started: "
    "start again from the log-in page",
    "sign-in-expired": "the sign-in took too long: start again from the log-in page",
    "issuer-mismatch": "the answer came from another provider than the one asked",
    "no-code": "the provider's answer carries no authorization code",
}


def _record_refusal(
    uow: UnitOfWork,
    provider: IdentityProvider,
    reason: str,
    source: str,
    details: dict[str, Any],
) -> None:
    log.info("sign-in through %s refused: %s", provider.key, reason)
    record_event(
        uow,
        assertions.provider_actor(provider),
        "identity:sign_in:refuse",
        provider,
        {"reason": reason, "source": source, **details},
    )


def complete_sign_in(
    uow: UnitOfWork,
    key: str,
    claims: dict[str, Any],
    *,
    source: str,
    session_seconds: int,
    now: datetime | None = None,
    issuer: str | None = None,
) -> SignedIn:
    """Sign in the account behind verified ``claims`` and apply the attributes the
    provider may assert, in one transaction; or refuse, recording why.

    ``issuer``: the issuer the ID token was verified against. Should the provider's
    issuer have changed since (which removes its links), the subject means nothing here.
    """
    moment = now or utcnow()
    today = moment.date()
    subject = str(claims["sub"])
    with uow:
        uow.for_writing()
        session = uow.session
        provider = provider_by_key(session, key)
        if not provider.enabled:
            raise NotFound(NOT_FOUND)

        def refuse(reason: str, shown: str, **details: Any) -> NoReturn:
            _record_refusal(uow, provider, reason, source, {"subject": subject, **details})
            uow.commit()
            raise AuthenticationFailed(shown)

        if issuer is not None and issuer != provider.issuer:
            refuse(
                "issuer-changed",
                f"the configuration of {provider.display_name} changed during your sign-in: "
                "start again from the log-in page",
            )
        link = session.scalar(
            select(ExternalIdentity).where(
                ExternalIdentity.provider_id == provider.id, ExternalIdentity.subject == subject
            )
        )
        if link is None:
            # Never a claim's say-so (OpenID Connect Core 5.7): an administrator links.
            hint = claims.get(provider.account_claim)
            refuse(
                "not-linked",
                NOT_LINKED.format(provider=provider.display_name, subject=subject),
                **({"claimed_name": hint.strip()[:80]} if isinstance(hint, str) else {}),
            )
        assert link is not None
        account = link.account
        person = account.person
        if person is None:
            refuse("account-without-person", NO_PERSON, username=account.username)
        assert person is not None
        if (
            account.status is not AccountStatus.ACTIVE
            or person.status is not PersonStatus.ACTIVE
            or is_paused(uow, account.username, source, moment)
        ):
            refuse("account-inactive", CANNOT_SIGN_IN, username=account.username)

        assessment = rules.assess(
            assertions.trust(provider),
            claims,
            frozenset(c.nation_code for c in person.citizenships),
            assertions.level_names(session, provider.nation_code),
            today,
        )
        notes = assertions.apply(uow, provider, person, assessment, today)
        link.last_login_at = moment
        logged_in = open_session(
            uow,
            account,
            session_seconds=session_seconds,
            source=source,
            now=moment,
            via=f"sso:{provider.key}",
        )
        uow.commit()
        return SignedIn(logged_in, provider.key, notes)
