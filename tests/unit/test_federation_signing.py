"""Signed requests and documents between nodes: what verifies, and that any change to a
covered part, the wrong key, the wrong node or the wrong time does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.federation import signing
from coalition.federation.outbox import MAX_WAIT, backoff
from coalition.settings import Settings

KEY = Ed25519PrivateKey.generate()
KEYS = {signing.key_id(KEY.public_key()): KEY.public_key()}
ME = "coalition.gbr.example"
URL = "https://coalition.gbr.example/federation/v1/deliveries/6f1c"
SKEW = timedelta(seconds=300)


def _verify(method: str, url: str, headers: dict[str, str], body: bytes, **kw: object) -> object:
    return signing.verify_request(method, url, headers, body, KEYS, ME, max_skew=SKEW, **kw)  # type: ignore[arg-type]


def test_a_signed_request_verifies_behind_a_proxy_too() -> None:
    headers = signing.sign_request(KEY, "PUT", URL, ME, b"package")
    verified = _verify(
        "PUT", "http://10.0.0.5:8000/federation/v1/deliveries/6f1c", headers, b"package"
    )
    assert isinstance(verified, signing.Verified)
    assert verified.key_id == signing.key_id(KEY.public_key())
    assert verified.expires - verified.created == signing.LIFETIME


@pytest.mark.parametrize(
    ("method", "url", "body", "why"),
    [
        ("POST", URL, b"package", "InvalidSignature"),
        ("PUT", URL.replace("6f1c", "6f1d"), b"package", "InvalidSignature"),
        ("PUT", URL + "?x=1", b"package", "InvalidSignature"),
        ("PUT", URL, b"packagf", "Content-Digest"),
    ],
)
def test_any_change_to_what_is_covered_fails(method: str, url: str, body: bytes, why: str) -> None:
    headers = signing.sign_request(KEY, "PUT", URL, ME, b"package")
    with pytest.raises(signing.BadSignature, match=why):
        _verify(method, url, headers, body)


def test_a_request_for_another_node_an_unknown_key_or_no_signature_fails() -> None:
    other = signing.sign_request(KEY, "PUT", URL, "coalition.fra.example", b"x")
    with pytest.raises(signing.BadSignature, match="meant for"):
        _verify("PUT", URL, other, b"x")
    stranger = Ed25519PrivateKey.generate()
    with pytest.raises(signing.UnknownSigner):
        _verify("PUT", URL, signing.sign_request(stranger, "PUT", URL, ME, b"x"), b"x")
    headers = signing.sign_request(KEY, "PUT", URL, ME, b"x")
    headers.pop("signature")
    with pytest.raises(signing.BadSignature):
        _verify("PUT", URL, headers, b"x")


def test_an_old_or_future_signature_fails() -> None:
    now = datetime.now(UTC)
    old = signing.sign_request(KEY, "GET", URL, ME, now=now - timedelta(seconds=400))
    with pytest.raises(signing.BadSignature):
        _verify("GET", URL, old, b"")
    ahead = signing.sign_request(KEY, "GET", URL, ME, now=now + timedelta(seconds=400))
    with pytest.raises(signing.BadSignature, match="future"):
        _verify("GET", URL, ahead, b"")
    # A sender's clock a little behind or ahead: accepted while the signature lives.
    behind = signing.sign_request(KEY, "GET", URL, ME, now=now - timedelta(seconds=100))
    assert isinstance(_verify("GET", URL, behind, b""), signing.Verified)
    ahead_a_little = signing.sign_request(KEY, "GET", URL, ME, now=now + timedelta(seconds=100))
    assert isinstance(_verify("GET", URL, ahead_a_little, b""), signing.Verified)


def test_each_signature_has_its_own_nonce() -> None:
    nonces = {
        _verify("GET", URL, signing.sign_request(KEY, "GET", URL, ME), b"").nonce  # type: ignore[attr-defined]
        for _ in range(50)
    }
    assert len(nonces) == 50


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=200), flip=st.integers(min_value=0, max_value=10_000))
def test_flipping_any_bit_of_the_body_fails(body: bytes, flip: int) -> None:
    headers = signing.sign_request(KEY, "PUT", URL, ME, body)
    if not body:
        changed = b"\x00"
    else:
        index = flip % (len(body) * 8)
        data = bytearray(body)
        data[index // 8] ^= 1 << (index % 8)
        changed = bytes(data)
    with pytest.raises(signing.BadSignature):
        _verify("PUT", URL, headers, changed)


@settings(max_examples=60, deadline=None)
@given(
    document=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda k: k != "signature"),
        st.one_of(st.integers(), st.text(max_size=20), st.booleans(), st.none()),
        max_size=6,
    ),
    name=st.text(min_size=1, max_size=8),
    value=st.text(max_size=10),
)
def test_a_signed_document_verifies_and_any_change_fails(
    document: dict[str, object], name: str, value: str
) -> None:
    signed = signing.sign_document(document, KEY)
    assert signing.verify_document(signed, KEY.public_key()) == document
    if name == "signature" or document.get(name) == value:
        return
    changed = {**signed, name: value}
    with pytest.raises(signing.BadSignature):
        signing.verify_document(changed, KEY.public_key())


def test_a_document_signed_by_another_key_fails() -> None:
    signed = signing.sign_document({"a": 1}, Ed25519PrivateKey.generate())
    with pytest.raises(signing.BadSignature, match="another key"):
        signing.verify_document(signed, KEY.public_key())


@given(attempts=st.integers(min_value=1, max_value=200))
def test_the_back_off_doubles_and_is_capped(attempts: int) -> None:
    config = Settings(federation_backoff_seconds=5)
    wait = backoff(config, attempts)
    assert timedelta(seconds=5) <= wait <= MAX_WAIT
    assert backoff(config, attempts + 1) >= wait
    if attempts < 8:
        assert backoff(config, attempts + 1) == 2 * wait
