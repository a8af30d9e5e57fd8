"""How one node proves to another that it said something.

- **Requests** between nodes are signed per RFC 9421 (HTTP Message Signatures) with the
  sending node's Ed25519 key: the signature covers the method, path and query, the body
  (through its RFC 9530 ``Content-Digest``), and the ``Coalition-Recipient`` header naming
  the node it is meant for, so a request cannot be replayed at another node; it carries a
  creation time, an expiry and a nonce, so it cannot be replayed at the same one either
  (the receiver keeps nonces until the signature expires; see ``receiving``).
- **Documents** that outlive the request (delivery receipts, directories) carry a detached
  Ed25519 signature over their canonical JSON, so they can be kept and checked again later.

The key is the node's package signing key (``coalition package keygen``): it is the
node's identity, which partners pin when they register the node. The three uses never
sign the same bytes: an RFC 9421 signature base starts with ``"@method"``, a document's
with :data:`DOCUMENT_DOMAIN`, and a package's assertion binding is a JWS.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from coalition.exchange import tdf

#: The RFC 9421 ``tag`` of this protocol's signatures: a verifier selects only these.
TAG = "coalition-federation/1"
LABEL = "node"
RECIPIENT_HEADER = "coalition-recipient"
#: The components every request's signature must cover (the digest is added with a body).
COVERED = ("@method", "@path", "@query", RECIPIENT_HEADER)
#: How long a signed request is valid after it is made.
LIFETIME = timedelta(seconds=60)
DOCUMENT_DOMAIN = b"coalition signed document v1\n"


def key_id(key: Ed25519PublicKey) -> str:
    """The id partners know a node's key by (the same as in its packages)."""
    return tdf.key_id(key)


@dataclass
class _Message:
    """What the RFC 9421 library reads of a request: method, absolute URL, headers."""

    method: str
    url: str
    headers: Any


def sign_request(
    key: Ed25519PrivateKey,
    method: str,
    url: str,
    recipient: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers of a signed request to the node ``recipient``: the ones given, plus
    ``Coalition-Recipient``, ``Content-Digest``, ``Signature-Input`` and ``Signature``."""
    out = httpx.Headers(dict(headers or {}))
    out[RECIPIENT_HEADER] = recipient
    created = (now or datetime.now(UTC)).replace(microsecond=0)
    kid = key_id(key.public_key())
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_OwnKey(kid, key)
    )
    signer.sign(
        _Message(method.upper(), url, out),
        key_id=kid,
        created=created,
        expires=created + LIFETIME,
        nonce=secrets.token_urlsafe(18),
        label=LABEL,
        tag=TAG,
        covered_component_ids=COVERED,
        body=body,
    )
    return dict(out.items())


class _OwnKey(HTTPSignatureKeyResolver):
    def __init__(self, kid: str, key: Ed25519PrivateKey) -> None:
        self._kid, self._key = kid, key

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        if key_id != self._kid:
            raise KeyError(key_id)
        return self._key

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        return self._key.public_key() if key_id == self._kid else None


class UnknownSigner(Exception):
    """Signed with a key no registered partner holds."""

    def __init__(self, key_id: str | None) -> None:
        super().__init__(f"signed with key {key_id!r}, which no registered partner holds")
        self.key_id = key_id


class BadSignature(Exception):
    """Missing, malformed, expired or not verifying."""


@dataclass(frozen=True)
class Verified:
    key_id: str
    nonce: str
    created: datetime
    expires: datetime
    #: The signed Content-Digest, when the signature covers one.
    digest: str | None = None


class _Pinned(HTTPSignatureKeyResolver):
    def __init__(self, keys: Mapping[str, Ed25519PublicKey]) -> None:
        self._keys = keys
        self.asked: str | None = None

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        self.asked = key_id
        return self._keys.get(key_id)

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:  # pragma: no cover
        raise KeyError(key_id)


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    keys: Mapping[str, Ed25519PublicKey],
    me: str,
    *,
    max_skew: timedelta,
    now: datetime | None = None,
) -> Verified:
    """Check a request's signature against the partners' pinned ``keys`` (by key id): the
    covered components, the body's digest, that it is meant for ``me``, its times (created
    no more than ``max_skew`` ago or ahead, not expired) and that it has a nonce. The
    nonce's freshness is the caller's to check, in its database.

    With ``body=None`` the headers are checked before the body is read (a stranger's large
    body is then never read): the signature must cover a Content-Digest, and the caller
    checks the body against it with :func:`check_body`."""
    message = _Message(method.upper(), url, httpx.Headers(list(headers.items())))
    resolver = _Pinned(keys)
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
    verifier.max_clock_skew = max_skew  # partners' clocks differ by up to this, either way
    try:
        if body is None:
            results = verifier.verify(
                message,
                max_age=max_skew,
                expect_tag=TAG,
                require_components=(*COVERED, "content-digest"),
            )
        else:
            results = verifier.verify(
                message,
                max_age=max_skew,
                expect_tag=TAG,
                require_components=COVERED,
                body=body,
            )
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as exc:
        if resolver.asked is not None and resolver.asked not in keys:
            raise UnknownSigner(resolver.asked) from exc
        raise BadSignature(str(exc) or type(exc).__name__) from exc
    if len(results) != 1:
        raise BadSignature("expected exactly one signature of this protocol")
    params = results[0].parameters
    recipient = results[0].covered_components.get(f'"{RECIPIENT_HEADER}"')
    if recipient != me:
        raise BadSignature(f"the request is meant for {recipient!r}, not this node")
    nonce, created, expires = params.get("nonce"), params.get("created"), params.get("expires")
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 80:
        raise BadSignature("the signature has no usable nonce")
    if not isinstance(created, int) or not isinstance(expires, int):
        raise BadSignature("the signature must carry created and expires")
    moment = now or datetime.now(UTC)
    made = datetime.fromtimestamp(created, UTC)
    ends = datetime.fromtimestamp(expires, UTC)
    if made - moment > max_skew:
        raise BadSignature("the signature was made in the future")
    if ends - made > LIFETIME or ends < moment - max_skew:
        raise BadSignature("the signature has expired or lives too long")
    digest = results[0].covered_components.get('"content-digest"')
    return Verified(str(params.get("keyid", resolver.asked)), nonce, made, ends, digest)


def check_body(verified: Verified, body: bytes) -> None:
    """The body read after its headers were verified must be the one signed."""
    if verified.digest is None:
        raise BadSignature("the signature covers no Content-Digest")
    try:
        ContentDigest.verify(verified.digest, body)
    except (InvalidSignature, HTTPMessageSignaturesException) as exc:
        raise BadSignature(str(exc)) from exc


# --- signed documents ----------------------------------------------------------------------


def canonical(body: Mapping[str, Any]) -> bytes:
    """The bytes a document's signature covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_document(body: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``body`` with a ``signature`` member: {alg, keyid, value}."""
    if "signature" in body:
        raise ValueError("the document is signed already")
    value = key.sign(DOCUMENT_DOMAIN + canonical(body))
    return {
        **body,
        "signature": {
            "alg": "ed25519",
            "keyid": key_id(key.public_key()),
            "value": base64.b64encode(value).decode(),
        },
    }


def verify_document(document: Mapping[str, Any], key: Ed25519PublicKey) -> dict[str, Any]:
    """The document without its signature, if the signature is ``key``'s; else
    :class:`BadSignature`."""
    signature = document.get("signature")
    if not isinstance(signature, dict) or signature.get("alg") != "ed25519":
        raise BadSignature("the document carries no Ed25519 signature")
    if signature.get("keyid") != key_id(key):
        raise BadSignature("the document is signed with another key")
    body = {k: v for k, v in document.items() if k != "signature"}
    try:
        key.verify(
            base64.b64decode(str(signature.get("value")), validate=True),
            DOCUMENT_DOMAIN + canonical(body),
        )
    except (CryptoInvalidSignature, ValueError) as exc:
        raise BadSignature("the document's signature does not verify") from exc
    return body
