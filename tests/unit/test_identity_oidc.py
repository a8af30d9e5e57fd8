"""The OpenID Connect client's checks, against answers made here (the real provider is in
tests/api/test_sso_flow.py): discovery, PKCE, the token request and the ID token."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from coalition.identity.oidc import (
    CACHE_SECONDS,
    Endpoints,
    OidcClient,
    OidcError,
    PendingSignIn,
    authorization_url,
    endpoint_problem,
)

ISSUER = "https://id.example.gb"
CLIENT = "coalition"
NONCE = "n-0S6_WzA2Mj"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
ENDPOINTS = Endpoints(
    issuer=ISSUER,
    authorization_endpoint=f"{ISSUER}/auth",
    token_endpoint=f"{ISSUER}/token",
    jwks_uri=f"{ISSUER}/jwks",
    userinfo_endpoint=f"{ISSUER}/me",
)


def discovery(**changes: Any) -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "authorization_endpoint": ENDPOINTS.authorization_endpoint,
        "token_endpoint": ENDPOINTS.token_endpoint,
        "jwks_uri": ENDPOINTS.jwks_uri,
        "userinfo_endpoint": ENDPOINTS.userinfo_endpoint,
        "code_challenge_methods_supported": ["S256"],
    } | changes


class Provider:
    """Answers like a provider; counts what was asked."""

    def __init__(self, document: dict[str, Any] | None = None, keys: list[RSAKey] | None = None):
        self.document = document or discovery()
        self.keys = keys or [KEY]
        self.asked: list[httpx.Request] = []
        self.token_answer: tuple[int, dict[str, Any]] = (200, {"id_token": "x"})
        self.userinfo: dict[str, Any] = {"sub": "s-1"}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request)
        path = request.url.path
        if path.endswith("/openid-configuration"):
            return httpx.Response(200, json=self.document)
        if path == "/jwks":
            return httpx.Response(200, json=KeySet(list(self.keys)).as_dict(private=False))
        if path == "/token":
            return httpx.Response(self.token_answer[0], json=self.token_answer[1])
        if path == "/me":
            return httpx.Response(200, json=self.userinfo)
        return httpx.Response(404)

    def client(self, clock: Callable[[], float] = time.monotonic) -> OidcClient:
        return OidcClient(httpx.Client(transport=httpx.MockTransport(self)), clock=clock)


def id_token(key: Any = KEY, alg: str = "RS256", **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "s-1",
        "aud": CLIENT,
        "exp": now + 300,
        "iat": now,
        "nonce": NONCE,
    } | changes
    header = {"alg": alg, "kid": "k1"} if alg != "none" else {"alg": "none"}
    return jwt.encode(header, {k: v for k, v in claims.items() if v is not None}, key)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://id.example.gb", None),
        ("https://id.example.gb/realms/mod", None),
        ("http://127.0.0.1:5000", None),
        ("http://localhost:5000", None),
        ("http://[::1]:5000", None),
        ("http://id.example.gb", "must use https"),
        ("http://127.0.0.1.example.gb", "must use https"),
        ("ftp://id.example.gb", "must use https"),
        ("https://id.example.gb?x=1", "may not have a query"),
        ("id.example.gb", "is not an absolute URL"),
    ],
)
def test_issuers_use_https_except_on_loopback(url: str, problem: str | None) -> None:
    found = endpoint_problem(url)
    assert found == problem if problem is None else problem in (found or "")


def test_the_authorization_request_carries_state_nonce_and_an_s256_challenge() -> None:
    pending = PendingSignIn.start("gbr", "/projects")
    url = authorization_url(ENDPOINTS, CLIENT, "https://node/cb", ["openid", "profile"], pending)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    expected = base64.urlsafe_b64encode(hashlib.sha256(pending.code_verifier.encode()).digest())
    assert query == {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": "https://node/cb",
        "scope": "openid profile",
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": expected.decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    assert 43 <= len(pending.code_verifier) <= 128


def test_a_pending_sign_in_survives_the_session_and_expires() -> None:
    pending = PendingSignIn.start("gbr", "/")
    again = PendingSignIn.from_session(pending.as_session())
    assert again == pending and again.state_matches(pending.state)
    assert not again.state_matches(pending.state + "x")
    assert PendingSignIn.from_session({"state": "x"}) is None
    assert PendingSignIn.from_session("junk") is None
    assert pending.expired(now=pending.started_at + 3600)


def test_discovery_is_cached_a_few_minutes() -> None:
    provider = Provider()
    now = [1000.0]
    client = provider.client(clock=lambda: now[0])
    assert client.endpoints(ISSUER) == ENDPOINTS
    client.endpoints(ISSUER)
    assert len(provider.asked) == 1
    now[0] += CACHE_SECONDS + 1
    client.endpoints(ISSUER)
    assert len(provider.asked) == 2


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (discovery(issuer="https://evil.example"), "names issuer"),
        (discovery(token_endpoint="http://id.example.gb/token"), "token_endpoint must use https"),
        (discovery(jwks_uri=None), "has no jwks_uri"),
        (discovery(code_challenge_methods_supported=["plain"]), "PKCE with S256"),
    ],
)
def test_a_discovery_document_that_fails_a_check_is_refused(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(OidcError, match=message):
        Provider(document).client().endpoints(ISSUER)


def test_a_good_id_token_is_accepted() -> None:
    claims = Provider().client().verify_id_token(ENDPOINTS, id_token(), CLIENT, NONCE)
    assert claims["sub"] == "s-1"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        # Made when the test runs, not when it is collected: a slow run must not find the
        # good tokens of the other cases expired.
        (lambda: id_token(aud="someone-else"), "aud"),
        (lambda: id_token(aud=[CLIENT, "someone-else"]), "azp"),
        (lambda: id_token(iss="https://evil.example"), "iss"),
        (lambda: id_token(exp=int(time.time()) - 3600), "exp"),
        (lambda: id_token(nonce="another"), "nonce"),
        (lambda: id_token(nonce=None), "nonce"),
        (lambda: id_token(key=OTHER_KEY), "signature"),
        # Signed with the client secret (HMAC): the node must not accept what it could forge.
        (lambda: id_token(key=OctKey.import_key(b"s" * 32), alg="HS256"), "signature"),
        (lambda: "not.a.jwt", "not"),
    ],
)
def test_an_id_token_failing_a_check_is_refused(make: Callable[[], str], message: str) -> None:
    with pytest.raises(OidcError, match=message):
        Provider().client().verify_id_token(ENDPOINTS, make(), CLIENT, NONCE)


def test_a_token_signed_with_an_unseen_key_fetches_the_keys_again() -> None:
    rotated = RSAKey.generate_key(2048, parameters={"kid": "k2", "alg": "RS256", "use": "sig"})
    provider = Provider()
    client = provider.client()
    client.verify_id_token(ENDPOINTS, id_token(), CLIENT, NONCE)
    provider.keys = [KEY, rotated]
    token = jwt.encode({"alg": "RS256", "kid": "k2"}, jwt.decode(id_token(), KEY).claims, rotated)
    assert client.verify_id_token(ENDPOINTS, token, CLIENT, NONCE)["sub"] == "s-1"
    assert [r.url.path for r in provider.asked] == ["/jwks", "/jwks"]


def test_the_code_is_redeemed_with_basic_authentication_and_the_verifier() -> None:
    provider = Provider()
    answer = provider.client().exchange_code(
        ENDPOINTS, "coalition", "s3cret:with/odd chars", "the-code", "https://node/cb", "v" * 50
    )
    assert answer == {"id_token": "x"}
    [request] = provider.asked
    basic = base64.b64decode(request.headers["authorization"].removeprefix("Basic ")).decode()
    assert basic == "coalition:s3cret%3Awith%2Fodd+chars"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["authorization_code"],
        "code": ["the-code"],
        "redirect_uri": ["https://node/cb"],
        "code_verifier": ["v" * 50],
    }


def test_a_refused_code_says_the_provider_s_error_and_nothing_of_the_request() -> None:
    provider = Provider()
    provider.token_answer = (400, {"error": "invalid_grant"})
    with pytest.raises(OidcError) as caught:
        provider.client().exchange_code(ENDPOINTS, "c", "s3cret", "the-code", "https://n", "v")
    assert "invalid_grant" in str(caught.value)
    assert "s3cret" not in str(caught.value) and "the-code" not in str(caught.value)


def test_userinfo_about_another_subject_is_refused() -> None:
    provider = Provider()
    provider.userinfo = {"sub": "someone-else", "clearance": "DV"}
    with pytest.raises(OidcError, match="another subject"):
        provider.client().userinfo(ENDPOINTS, "access", "s-1")
