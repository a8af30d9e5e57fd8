"""Use cases of identity providers: the nations' OpenID Connect providers this node
trusts for single sign-on, the file each one's client secret is kept in, and the links
between a provider's subjects and local accounts.

Managing providers and links needs ``node:identity:manage``; every change is in the ledger.
Links are made only here, by an administrator, never at sign-in: a provider's claims
(``preferred_username`` and the like) are neither unique nor stable (OpenID Connect Core
5.7), so no claim may choose an account. Signing in through a provider is in
:mod:`coalition.identity.signin`.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalition.accounts.models import Account
from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import changed_fields, record_event
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.identity.models import ExternalIdentity, IdentityProvider
from coalition.identity.schemas import (
    LinkIn,
    LinkOut,
    ProviderIn,
    ProviderOut,
    ProviderPatch,
    SignInOption,
)
from coalition.registry.models import Nation
from coalition.settings import Settings
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork

log = logging.getLogger(__name__)

NOT_FOUND = "no identity provider with this key"


# --- providers ---------------------------------------------------------------------------


def _out(session: Session, provider: IdentityProvider) -> ProviderOut:
    linked = session.scalar(
        select(func.count())
        .select_from(ExternalIdentity)
        .where(ExternalIdentity.provider_id == provider.id)
    )
    return ProviderOut(
        id=provider.id,
        key=provider.key,
        nation_code=provider.nation_code,
        display_name=provider.display_name,
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret_file=provider.client_secret_file,
        scopes=list(provider.scopes),
        account_claim=provider.account_claim,
        may_assert=list(provider.may_assert),
        citizenship_claim=provider.citizenship_claim,
        clearance_claim=provider.clearance_claim,
        enabled=provider.enabled,
        callback_path=callback_path(provider.key),
        linked_identities=int(linked or 0),
        created_at=provider.created_at,
        updated_at=provider.updated_at,
        version=provider.version,
    )


def callback_path(key: str) -> str:
    return f"/login/sso/{key}/callback"


def redirect_uri(settings: Settings, key: str) -> str:
    """The provider's redirect URI: the node's public address (COALITION_PUBLIC_URL), never
    the address a request claims in its Host header."""
    return settings.public_url.rstrip("/") + callback_path(key)


def provider_by_key(session: Session, key: str) -> IdentityProvider:
    provider = session.scalar(
        select(IdentityProvider).where(IdentityProvider.key == key.strip().lower())
    )
    if provider is None:
        raise NotFound(NOT_FOUND)
    return provider


def list_providers(uow: UnitOfWork, actor: Principal) -> list[ProviderOut]:
    require(actor, Permission.IDENTITY_MANAGE, Target.node())
    with uow:
        session = uow.session
        rows = session.scalars(select(IdentityProvider).order_by(IdentityProvider.key))
        return [_out(session, p) for p in rows]


def get_provider(uow: UnitOfWork, actor: Principal, key: str) -> ProviderOut:
    require(actor, Permission.IDENTITY_MANAGE, Target.node())
    with uow:
        return _out(uow.session, provider_by_key(uow.session, key))


def create_provider(
    uow: UnitOfWork, actor: Principal, data: ProviderIn, settings: Settings
) -> ProviderOut:
    require(actor, Permission.IDENTITY_MANAGE, Target.node())
    problems = Problems()
    secret_problem = _secret_file_problem(settings, data.client_secret_file, data.enabled)
    if secret_problem:
        problems.add("client_secret_file", secret_problem)
    with uow:
        uow.for_writing()
        session = uow.session
        if session.get(Nation, data.nation_code) is None:
            problems.add("nation_code", f"{data.nation_code} is not a nation on this node")
        problems.raise_if_any()
        if session.scalar(select(IdentityProvider.id).where(IdentityProvider.key == data.key)):
            raise Conflict(f"key: an identity provider '{data.key}' exists already")
        provider = IdentityProvider(**data.model_dump())
        uow.add(provider)
        uow.flush()
        record_event(uow, actor, "identity:provider:create", provider, data.model_dump())
        uow.commit()
        return _out(session, provider)


def update_provider(
    uow: UnitOfWork, actor: Principal, key: str, data: ProviderPatch, settings: Settings
) -> ProviderOut:
    require(actor, Permission.IDENTITY_MANAGE, Target.node())
    changes = data.model_dump(exclude_unset=True)
    with uow:
        uow.for_writing()
        session = uow.session
        provider = provider_by_key(session, key)
        secret_file = changes.get("client_secret_file", provider.client_secret_file)
        enabled = changes.get("enabled", provider.enabled)
        if "client_secret_file" in changes or "enabled" in changes:
            problem = _secret_file_problem(settings, secret_file, enabled)
            if problem:
                raise ValidationFailed.of("client_secret_file", problem)
        applied = changed_fields(provider, changes)
        if not applied:
            raise ValidationFailed.of("body", "changes nothing")
        uow.flush()
        record_event(uow, actor, "identity:provider:update", provider, applied)
        if "issuer" in applied:
            # A subject is unique only at its issuer: the same "sub" at the new issuer may
            # be someone else, so no old link may open an account there.
            _drop_links(uow, actor, provider, "the provider's issuer changed")
        uow.commit()
        return _out(session, provider)


def _drop_links(uow: UnitOfWork, actor: Principal, provider: IdentityProvider, reason: str) -> None:
    session = uow.session
    links = session.scalars(
        select(ExternalIdentity)
        .where(ExternalIdentity.provider_id == provider.id)
        .order_by(ExternalIdentity.first_login_at)
    ).all()
    for link in links:
        record_event(
            uow,
            actor,
            "identity:link:delete",
            link,
            {
                "provider": provider.key,
                "subject": link.subject,
                "account": link.account.username,
                "reason": reason,
            },
        )
        session.delete(link)
    if links:
        log.warning(
            "identity provider %s: %d link(s) removed: %s", provider.key, len(links), reason
        )
    uow.flush()


def disable_provider(uow: UnitOfWork, actor: Principal, key: str) -> ProviderOut:
    """Nobody signs in through it any more; its links to accounts are kept, so enabling
    it again restores them."""
    require(actor, Permission.IDENTITY_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        provider = provider_by_key(session, key)
        if not provider.enabled:
            raise Conflict(f"{provider.key} is disabled already")
        provider.enabled = False
        uow.flush()
        record_event(uow, actor, "identity:provider:disable", provider, {"enabled": False})
        uow.commit()
        return _out(session, provider)


# --- links between a provider's subjects and accounts ------------------------------------


def _link_out(link: ExternalIdentity) -> LinkOut:
    return LinkOut(
        provider=link.provider.key,
        subject=link.subject,
        account=link.account.username,
        account_display_name=link.account.display_name,
        linked_at=link.first_login_at,
        # Both are set when the link is made; a sign-in moves the latter on.
        last_sign_in_at=(link.last_login_at if link.last_login_at != link.first_login_at else None),
    )


def list_links(uow: UnitOfWork, actor: Principal, key: str) -> list[LinkOut]:
    require(actor, Permission.IDENTITY_MANAGE, Target.node())
    with uow:
        session = uow.session
        provider = provider_by_key(session, key)
        rows = session.scalars(
            select(ExternalIdentity)
            .join(Account, Account.id == ExternalIdentity.account_id)
            .where(ExternalIdentity.provider_id == provider.id)
            .order_by(Account.username, ExternalIdentity.subject)
        )
        return [_link_out(link) for link in rows]


def link_identity(uow: UnitOfWork, actor: Principal, key: str, data: LinkIn) -> LinkOut:
    """Link a provider's subject to an account, so that the subject signs in as it.

    Only an administrator makes links, having checked out of band who the subject is: the
    account's person must be a national of the provider's nation on record, the provider
    enabled, and neither the subject nor the account linked already at this provider.
    """
    require(actor, Permission.IDENTITY_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        provider = provider_by_key(session, key)
        if not provider.enabled:
            raise Conflict(f"{provider.key} is disabled: enable it before linking to it")
        account = session.scalar(select(Account).where(Account.username == data.account))
        if account is None:
            raise ValidationFailed.of("account", f"no account named '{data.account}'")
        person = account.person
        if person is None:
            raise ValidationFailed.of(
                "account", f"{account.username} is not linked to a person in the registry"
            )
        if provider.nation_code not in {c.nation_code for c in person.citizenships}:
            raise ValidationFailed.of(
                "account",
                f"{account.username}'s person is not a {provider.nation_code} national on "
                f"record: {provider.key} signs in only its own nation's nationals",
            )
        taken = session.scalar(
            select(ExternalIdentity).where(
                ExternalIdentity.provider_id == provider.id,
                ExternalIdentity.subject == data.subject,
            )
        )
        if taken is not None:
            raise Conflict(
                f"subject: {data.subject} of {provider.key} is linked to "
                f"{taken.account.username} already; unlink it first"
            )
        other = session.scalar(
            select(ExternalIdentity.subject).where(
                ExternalIdentity.provider_id == provider.id,
                ExternalIdentity.account_id == account.id,
            )
        )
        if other is not None:
            raise Conflict(
                f"account: {account.username} is linked to subject {other} of "
                f"{provider.key} already; unlink it first"
            )
        moment = utcnow()
        link = ExternalIdentity(
            provider=provider,
            subject=data.subject,
            account=account,
            first_login_at=moment,
            last_login_at=moment,
        )
        uow.add(link)
        uow.flush()
        record_event(
            uow,
            actor,
            "identity:link:create",
            link,
            {
                "provider": provider.key,
                "issuer": provider.issuer,
                "subject": data.subject,
                "account": account.username,
            },
        )
        uow.commit()
        return _link_out(link)


def unlink_identity(uow: UnitOfWork, actor: Principal, key: str, subject: str) -> None:
    """Remove a link: the subject no longer signs in here (a disabled provider's too)."""
    require(actor, Permission.IDENTITY_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        provider = provider_by_key(session, key)
        link = session.scalar(
            select(ExternalIdentity).where(
                ExternalIdentity.provider_id == provider.id, ExternalIdentity.subject == subject
            )
        )
        if link is None:
            raise NotFound(f"no link of subject {subject} of {provider.key}")
        record_event(
            uow,
            actor,
            "identity:link:delete",
            link,
            {
                "provider": provider.key,
                "subject": link.subject,
                "account": link.account.username,
                "reason": "unlinked by an administrator",
            },
        )
        session.delete(link)
        uow.commit()


def sign_in_options(uow: UnitOfWork) -> list[SignInOption]:
    """The enabled providers, for the public log-in page: key and name only."""
    with uow:
        rows = uow.session.execute(
            select(IdentityProvider.key, IdentityProvider.display_name)
            .where(IdentityProvider.enabled.is_(True))
            .order_by(IdentityProvider.display_name)
        )
        return [SignInOption(key=key, display_name=name) for key, name in rows]


# --- the client secret -------------------------------------------------------------------


class SecretFileError(Exception):
    pass


def _secret_path(settings: Settings, configured: str) -> Path:
    """Only files in the SSO secrets folder: a provider's address is configuration an
    administrator sets over the API, and the secret is sent to that address; any other
    file of the node (its keys) must never be."""
    base = settings.effective_sso_secrets_dir.resolve()
    path = Path(configured)
    resolved = (path if path.is_absolute() else base / path).resolve()
    if not resolved.is_relative_to(base) or resolved == base:
        raise SecretFileError(f"must be a file inside {base} (COALITION_SSO_SECRETS_DIR)")
    return resolved


def read_client_secret(settings: Settings, configured: str) -> str:
    path = _secret_path(settings, configured)
    try:
        found = path.stat()
    except OSError as exc:
        raise SecretFileError(f"{path} cannot be read ({exc.strerror})") from exc
    if not stat.S_ISREG(found.st_mode):
        raise SecretFileError(f"{path} is not a file")
    if found.st_mode & 0o077:
        raise SecretFileError(
            f"{path} may be read by others (mode {stat.S_IMODE(found.st_mode):o}): chmod 600 it"
        )
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretFileError(f"{path} cannot be read ({type(exc).__name__})") from exc
    if not secret:
        raise SecretFileError(f"{path} is empty")
    return secret


def _secret_file_problem(settings: Settings, configured: str, enabled: bool) -> str | None:
    """The file must be in the folder; an enabled provider's must also be readable."""
    try:
        if enabled:
            read_client_secret(settings, configured)
        else:
            _secret_path(settings, configured)
    except SecretFileError as exc:
        return str(exc)
    return None
