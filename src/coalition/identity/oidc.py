"""The OpenID Connect client: discovery, the authorization request (code flow with PKCE
S256), the token exchange (client_secret_basic) and the ID token's verification.

No database here. Signatures and registered claims are checked by joserfc and the PKCE
challenge made by authlib, never by hand. Discovery documents and key sets are kept a
few minutes per issuer; a token signed with a key not in the cached set makes one fresh
fetch of the set (the provider rotated its keys).
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, cast
from urllib.parse import quote_plus, urlencode, urlsplit

import httpx
from authlib.oauth2.rfc7636 import (  # type: ignore[import-untyped]  # authlib ships no type hints
    create_s256_code_challenge,
)
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

log = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
#: How long a discovery document and key set are reused before being fetched again.
CACHE_SECONDS = 300
HTTP_TIMEOUT_SECONDS = 10
#: A sign-in not finished within this long must start again.
PENDING_SECONDS = 600
#: Clock skew tolerated between this node and the provider.
LEEWAY_SECONDS = 60
#: Asymmetric algorithms only: "none" and HMAC (keyed with the client secret, which the
#: node shares with the provider) are refused.
ID_TOKEN_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "Ed25519",
)


class OidcError(Exception):
    """The provider or its answer failed a check; the message is safe to show and log
    (it never carries a token, a code or the secret)."""


def endpoint_problem(url: str) -> str | None:
    """HTTPS, except on the loopback interface (a provider run for tests or development)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "is not a URL"
    if not parts.hostname:
        return "is not an absolute URL"
    if parts.query or parts.fragment:
        return "may not have a query or fragment"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return None
    return "must use https (plain http only on 127.0.0.1 or localhost)"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None


@dataclass(frozen=True)
class PendingSignIn:
    """What the browser's signed session keeps between the redirect and the callback."""

    provider: str
    state: str
    nonce: str
    code_verifier: str
    next: str
    started_at: float

    @classmethod
    def start(cls, provider: str, next_path: str) -> PendingSignIn:
        return cls(
            provider=provider,
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            # 64 URL-safe characters: within RFC 7636's 43 to 128.
            code_verifier=secrets.token_urlsafe(48),
            next=next_path,
            started_at=time.time(),
        )

    def as_session(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_session(cls, data: object) -> PendingSignIn | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                provider=str(data["provider"]),
                state=str(data["state"]),
                nonce=str(data["nonce"]),
                code_verifier=str(data["code_verifier"]),
                next=str(data["next"]),
                started_at=float(data["started_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def expired(self, now: float | None = None) -> bool:
        return (now or time.time()) - self.started_at > PENDING_SECONDS

    def state_matches(self, state: str) -> bool:
        return secrets.compare_digest(self.state.encode(), state.encode())


def authorization_url(
    endpoints: Endpoints,
    client_id: str,
    redirect_uri: str,
    scopes: list[str],
    pending: PendingSignIn,
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": create_s256_code_challenge(pending.code_verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in endpoints.authorization_endpoint else "?"
    return endpoints.authorization_endpoint + separator + urlencode(params)


class OidcClient:
    """Talks to providers; one per process, shared by requests (its caches are)."""

    def __init__(
        self,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http or httpx.Client(timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=False)
        self._clock = clock
        self._lock = threading.Lock()
        self._discovery: dict[str, tuple[float, Endpoints]] = {}
        self._keys: dict[str, tuple[float, KeySet]] = {}

    # --- discovery and keys ------------------------------------------------------------

    def endpoints(self, issuer: str) -> Endpoints:
        with self._lock:
            cached = self._discovery.get(issuer)
        if cached and self._clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        document = self._get_json(issuer.rstrip("/") + DISCOVERY_PATH, "discovery document")
        found = _endpoints(issuer, document)
        with self._lock:
            self._discovery[issuer] = (self._clock(), found)
        return found

    def _key_set(self, endpoints: Endpoints, *, fresh: bool = False) -> KeySet:
        with self._lock:
            cached = self._keys.get(endpoints.jwks_uri)
        if not fresh and cached and self._clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        document = self._get_json(endpoints.jwks_uri, "key set")
        try:
            keys = KeySet.import_key_set(cast(Any, document))
        except (JoseError, KeyError, TypeError, ValueError) as exc:
            raise OidcError(f"the provider's key set cannot be read ({exc})") from exc
        with self._lock:
            self._keys[endpoints.jwks_uri] = (self._clock(), keys)
        return keys

    # --- the code flow -----------------------------------------------------------------

    def exchange_code(
        self,
        endpoints: Endpoints,
        client_id: str,
        client_secret: str,
        code: str,
        redirect_uri: str,
        code_verifier: str,
    ) -> dict[str, Any]:
        """The token endpoint's answer to the authorization code and its PKCE verifier."""
        # RFC 6749 2.3.1: id and secret are form-encoded before they are joined.
        auth = httpx.BasicAuth(quote_plus(client_id), quote_plus(client_secret))
        try:
            response = self._http.post(
                endpoints.token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": code_verifier,
                },
                auth=auth,
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise OidcError(f"the token endpoint cannot be reached ({type(exc).__name__})") from exc
        body = _json_object(response)
        if response.status_code != 200:
            # The error code and description are the provider's; never the request.
            error = str(body.get("error", f"HTTP {response.status_code}"))[:80]
            raise OidcError(f"the provider refused the authorization code ({error})")
        if not isinstance(body.get("id_token"), str):
            raise OidcError("the provider's token response has no ID token")
        return body

    def verify_id_token(
        self,
        endpoints: Endpoints,
        id_token: str,
        client_id: str,
        nonce: str,
        now: int | None = None,
    ) -> dict[str, Any]:
        """The ID token's claims, once its signature (the provider's key set), issuer,
        audience, expiry, issue time and nonce are checked."""
        keys = self._key_set(endpoints)
        try:
            token = self._decode(id_token, keys)
        except _UnknownKey:
            token = self._decode(id_token, self._key_set(endpoints, fresh=True))
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": endpoints.issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise OidcError(
                f"the ID token failed a check ({exc.error}: {exc.description})"
            ) from exc
        # OpenID Connect Core 3.1.3.7: with several audiences, we must be the party the
        # token was issued to.
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
            raise OidcError("the ID token was issued to another party (azp)")
        return claims

    def _decode(self, id_token: str, keys: KeySet) -> jwt.Token:
        try:
            return jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
        except InvalidKeyIdError as exc:
            raise _UnknownKey() from exc
        except JoseError as exc:
            raise OidcError(f"the ID token's signature is not valid ({exc.error})") from exc
        except ValueError as exc:  # joserfc's word for a token it cannot even parse
            raise OidcError("the ID token is not a signed JWT") from exc

    def userinfo(self, endpoints: Endpoints, access_token: str, subject: str) -> dict[str, Any]:
        """The UserInfo claims, for providers that keep attributes out of the ID token;
        refused unless about the ID token's subject (OpenID Connect Core 5.3.2)."""
        if endpoints.userinfo_endpoint is None:
            return {}
        try:
            response = self._http.get(
                endpoints.userinfo_endpoint,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise OidcError(
                f"the userinfo endpoint cannot be reached ({type(exc).__name__})"
            ) from exc
        if response.status_code != 200:
            raise OidcError(f"the userinfo endpoint answered HTTP {response.status_code}")
        claims = _json_object(response)
        if claims.get("sub") != subject:
            raise OidcError("the userinfo answer is about another subject")
        return claims

    # --- plumbing ----------------------------------------------------------------------

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(
                f"the provider's {what} cannot be reached ({type(exc).__name__})"
            ) from exc
        if response.status_code != 200:
            raise OidcError(f"the provider's {what} answered HTTP {response.status_code}")
        return _json_object(response)


class _UnknownKey(Exception):
    pass


def _endpoints(issuer: str, document: Mapping[str, Any]) -> Endpoints:
    # OpenID Connect Discovery 4.3: the document must name exactly the issuer asked for,
    # or one provider could pass itself off as another.
    if document.get("issuer") != issuer:
        raise OidcError(
            f"the discovery document names issuer {str(document.get('issuer'))[:200]!r}, "
            f"not {issuer!r}"
        )
    found: dict[str, str | None] = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        value = document.get(name)
        if value is None and name == "userinfo_endpoint":
            found[name] = None
            continue
        if not isinstance(value, str):
            raise OidcError(f"the discovery document has no {name}")
        # The authorization endpoint may carry a query (the browser's parameters are added
        # to it); the scheme rule applies to every endpoint.
        checked = value.split("?", 1)[0] if name == "authorization_endpoint" else value
        problem = endpoint_problem(checked)
        if problem:
            raise OidcError(f"the discovery document's {name} {problem}")
        found[name] = value
    methods = document.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise OidcError("the provider does not support PKCE with S256")
    return Endpoints(
        issuer=issuer,
        authorization_endpoint=str(found["authorization_endpoint"]),
        token_endpoint=str(found["token_endpoint"]),
        jwks_uri=str(found["jwks_uri"]),
        userinfo_endpoint=found["userinfo_endpoint"],
    )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise OidcError(f"the provider answered with something other than JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise OidcError("the provider answered with JSON that is not an object")
    return body
