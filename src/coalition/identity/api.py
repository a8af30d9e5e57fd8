"""API routes of identity providers (node administrators: ``node:identity:manage``)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from coalition.identity import services
from coalition.identity.schemas import LinkIn, LinkOut, ProviderIn, ProviderOut, ProviderPatch
from coalition.web.deps import ApiPrincipal, SettingsDep, UowDep

router = APIRouter(tags=["identity"])


@router.get("/identity-providers")
def list_providers(actor: ApiPrincipal, uow: UowDep) -> list[ProviderOut]:
    """The nations' OpenID Connect providers this node trusts for single sign-on."""
    return services.list_providers(uow, actor)


@router.post("/identity-providers", status_code=status.HTTP_201_CREATED)
def create_provider(
    actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: ProviderIn
) -> ProviderOut:
    """Add a nation's provider. Its client secret stays in a file on the node (mode 0600,
    inside COALITION_SSO_SECRETS_DIR): only the file's path is given here."""
    return services.create_provider(uow, actor, data, settings)


@router.get("/identity-providers/{key}")
def get_provider(key: str, actor: ApiPrincipal, uow: UowDep) -> ProviderOut:
    return services.get_provider(uow, actor, key)


@router.patch("/identity-providers/{key}")
def update_provider(
    key: str, actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: ProviderPatch
) -> ProviderOut:
    """Change a provider; fields left out stay as they are. The key and the nation never
    change."""
    return services.update_provider(uow, actor, key, data, settings)


@router.post("/identity-providers/{key}/disable")
def disable_provider(key: str, actor: ApiPrincipal, uow: UowDep) -> ProviderOut:
    """Stop every sign-in through the provider; its links to accounts are kept."""
    return services.disable_provider(uow, actor, key)


@router.get("/identity-providers/{key}/links")
def list_links(key: str, actor: ApiPrincipal, uow: UowDep) -> list[LinkOut]:
    """The provider's subjects linked to local accounts."""
    return services.list_links(uow, actor, key)


@router.post("/identity-providers/{key}/links", status_code=status.HTTP_201_CREATED)
def link_identity(key: str, actor: ApiPrincipal, uow: UowDep, data: LinkIn) -> LinkOut:
    """Link a provider's subject to an account, so that it signs in as that account.
    Links are never made at sign-in; the account's person must be a national of the
    provider's nation on record, and the provider enabled."""
    return services.link_identity(uow, actor, key, data)


@router.delete(
    "/identity-providers/{key}/links/{subject:path}", status_code=status.HTTP_204_NO_CONTENT
)
def unlink_identity(key: str, subject: str, actor: ApiPrincipal, uow: UowDep) -> Response:
    """Remove a link: the subject no longer signs in here. The subject is percent-encoded
    in the path."""
    services.unlink_identity(uow, actor, key, subject)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
