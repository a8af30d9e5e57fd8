"""HTML of single sign-on: the redirect to a nation's provider and its callback, and the
node administrator's pages of providers and of the links between their subjects and
accounts."""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from coalition.errors import CoalitionError
from coalition.identity import oidc, services, signin
from coalition.identity.schemas import LinkIn, ProviderIn, ProviderPatch
from coalition.web.deps import (
    CheckedForm,
    ClientAddress,
    SettingsDep,
    UowDep,
    WebPrincipal,
    safe_next,
    start_session,
)
from coalition.web.forms import form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)

_CALLBACK_QUERY = re.compile(r"(/login/sso/[^/?\s]+/callback)\?[^\s\"]*")


class RedactSignInCodes(logging.Filter):
    """Keeps the authorization code and state of sign-in callbacks out of the server's
    access log (useless without the browser's PKCE verifier, but a log is no place for
    them): the path is logged as /login/sso/{key}/callback?[redacted]."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _CALLBACK_QUERY.sub(r"\1?[redacted]", a) if isinstance(a, str) else a
                for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _CALLBACK_QUERY.sub(r"\1?[redacted]", record.msg)
        return True


#: Where the browser's session keeps a sign-in between the redirect and the callback.
PENDING_KEY = "sso"
LIST_FIELDS = ("scopes", "may_assert")


def oidc_client(request: Request) -> oidc.OidcClient:
    """One client per application, so discovery documents and key sets are cached."""
    client = getattr(request.app.state, "oidc_client", None)
    if client is None:
        client = request.app.state.oidc_client = oidc.OidcClient()
    assert isinstance(client, oidc.OidcClient)
    return client


OidcClientDep = Annotated[oidc.OidcClient, Depends(oidc_client)]


def _refused(request: Request, uow: UowDep, target: str, exc: CoalitionError) -> Response:
    """Back on the log-in page, saying why."""
    return render(
        request,
        "accounts/login.html",
        None,
        {
            "next": target,
            "sso_providers": services.sign_in_options(uow),
            "errors": {"_form": exc.detail},
        },
        status_code=exc.status,
    )


@router.get("/login/sso/{key}")
def start_sign_in(
    key: str,
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    client: OidcClientDep,
    next: str = "/",
) -> Response:
    target = safe_next(next)
    try:
        # The redirect URI is built from COALITION_PUBLIC_URL, never from the request's
        # Host header or scheme.
        url, pending = signin.begin_sign_in(uow, settings, client, key, target)
    except CoalitionError as exc:
        return _refused(request, uow, target, exc)
    request.session[PENDING_KEY] = pending.as_session()
    return RedirectResponse(url, status_code=303)


@router.get("/login/sso/{key}/callback", name="sso_callback")
def finish_sign_in(
    key: str,
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    client: OidcClientDep,
    source: ClientAddress,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    iss: str | None = None,
) -> Response:
    # Taken out of the session whatever happens next: a callback is good once.
    pending = oidc.PendingSignIn.from_session(request.session.pop(PENDING_KEY, None))
    target = pending.next if pending else "/"
    try:
        signed_in = signin.finish_sign_in(
            uow,
            settings,
            client,
            key,
            pending,
            signin.Callback(code=code, state=state, error=error, iss=iss),
            source,
        )
    except CoalitionError as exc:
        return _refused(request, uow, target, exc)
    start_session(request, uow, signed_in.logged_in.session_secret)
    for kind, note in signed_in.notes:
        flash(request, note, kind)
    return RedirectResponse(safe_next(target), status_code=303)


# --- administration ----------------------------------------------------------------------


def _providers_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "identity/providers.html",
        actor,
        {
            "section": "accounts",
            "providers": services.list_providers(uow, actor),
            "errors": errors or {},
            "values": values or {"scopes": "openid profile"},
        },
        status_code=status_code,
    )


def _listed(values: dict[str, Any], form: CheckedForm) -> dict[str, Any]:
    """Scopes typed space-separated; attributes ticked as checkboxes."""
    if "scopes" in values:
        values["scopes"] = str(values["scopes"]).split()
    values["may_assert"] = [str(v) for v in form.getlist("may_assert")]
    values["enabled"] = form.get("enabled") == "yes"
    return values


@router.get("/identity-providers")
def providers_page(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    return _providers_page(request, actor, uow)


@router.post("/identity-providers")
def add_provider(
    request: Request, actor: WebPrincipal, uow: UowDep, settings: SettingsDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        made = services.create_provider(
            uow, actor, parse(ProviderIn, _listed(dict(values), form)), settings
        )
    except CoalitionError as exc:
        return _providers_page(
            request, actor, uow, errors=form_errors(exc), values=values, status_code=exc.status
        )
    flash(request, f"{made.display_name} added.")
    return RedirectResponse(f"/identity-providers/{made.key}", status_code=303)


def _provider_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    key: str,
    *,
    errors: dict[str, str] | None = None,
    link_errors: dict[str, str] | None = None,
    link_values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    provider = services.get_provider(uow, actor, key)
    return render(
        request,
        "identity/provider.html",
        actor,
        {
            "section": "accounts",
            "provider": provider,
            "callback_url": services.redirect_uri(settings, provider.key),
            "links": services.list_links(uow, actor, provider.key),
            "errors": errors or {},
            "values": {
                **provider.model_dump(),
                "scopes": " ".join(provider.scopes),
            },
            "link_errors": link_errors or {},
            "link_values": link_values or {},
        },
        status_code=status_code,
    )


@router.get("/identity-providers/{key}")
def provider_page(
    key: str, request: Request, actor: WebPrincipal, uow: UowDep, settings: SettingsDep
) -> Response:
    return _provider_page(request, actor, uow, settings, key)


@router.post("/identity-providers/{key}")
def change_provider(
    key: str,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    form: CheckedForm,
) -> Response:
    try:
        services.update_provider(
            uow, actor, key, parse(ProviderPatch, _listed(form_values(form), form)), settings
        )
    except CoalitionError as exc:
        return _provider_page(
            request, actor, uow, settings, key, errors=form_errors(exc), status_code=exc.status
        )
    flash(request, "Provider changed.")
    return RedirectResponse(f"/identity-providers/{key}", status_code=303)


@router.post("/identity-providers/{key}/disable")
def disable_provider(
    key: str, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    try:
        done = services.disable_provider(uow, actor, key)
        flash(request, f"{done.display_name} disabled: nobody signs in through it now.")
    except CoalitionError as exc:
        flash(request, exc.detail, "error")
    return RedirectResponse(f"/identity-providers/{key}", status_code=303)


@router.post("/identity-providers/{key}/links")
def link_identity(
    key: str,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    try:
        made = services.link_identity(uow, actor, key, parse(LinkIn, dict(values)))
    except CoalitionError as exc:
        return _provider_page(
            request,
            actor,
            uow,
            settings,
            key,
            link_errors=form_errors(exc),
            link_values=values,
            status_code=exc.status,
        )
    flash(request, f"Subject {made.subject} linked to {made.account}.")
    return RedirectResponse(f"/identity-providers/{key}#links", status_code=303)


@router.post("/identity-providers/{key}/links/remove")
def unlink_identity(
    key: str, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    subject = str(form.get("subject") or "")
    try:
        services.unlink_identity(uow, actor, key, subject)
        flash(request, f"Subject {subject} unlinked: it no longer signs in here.")
    except CoalitionError as exc:
        flash(request, exc.detail, "error")
    return RedirectResponse(f"/identity-providers/{key}#links", status_code=303)
