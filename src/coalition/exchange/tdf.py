"""Release packages: OpenTDF-style ``.tdf`` zips (TDF spec 4.3 manifest).

A package holds ``0.manifest.json`` and ``0.payload``:

- The payload is AES-256-GCM in segments (``iv (12) ‖ ciphertext ‖ tag (16)``) under a
  fresh key. Each segment's hash is its GCM tag (``GMAC``). The root signature is
  HMAC-SHA256 under the payload key over the segments' tags in order (``HS256``).
- The payload key is wrapped for the recipient node's RSA public key (RSA-OAEP with
  SHA-256) in one ``wrapped`` key access object. Its policy binding is HMAC-SHA256 of the
  base64 policy under the payload key.
- The policy's data attributes come from the security label (``attributes_of``).
- Assertions carry the STANAG 4774 label (``handling``) and the ledger receipt of the
  release (``other``). Each is bound by a JWS (EdDSA, the sending node's package-signing
  key) over the assertion's hash and the payload's root signature, so neither can be
  altered or moved to another package.

Everything here is pure: keys come in as objects, bytes go out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SPEC_VERSION = "4.3.0"
MANIFEST = "0.manifest.json"
PAYLOAD = "0.payload"
SEGMENT = 1 << 20
IV_SIZE = 12
TAG_SIZE = 16
LABEL_ASSERTION = "stanag4774-label"
RECEIPT_ASSERTION = "ledger-receipt"
PROVENANCE_ASSERTION = "release-provenance"
PROVENANCE_SCHEMA = "urn:coalition:release-provenance:1"
LABEL_SCHEMA = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
RECEIPT_SCHEMA = "c2sp.org/tlog-proof@v1"
OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class PackageError(ValueError):
    """The package is malformed or does not verify; the message names the part."""


@dataclass(frozen=True)
class Label:
    """What the policy's attributes are derived from."""

    classification: str  # the level's name in the common scale, e.g. "SECRET"
    common_level: int
    releasable_to: tuple[str, ...]
    noforn: bool
    originator: str


def attributes_of(label: Label, namespace: str) -> list[str]:
    """The data attribute FQNs of a label: the classification as a hierarchy attribute,
    and one ``rel-to`` value per nation the data may go to (the originator only, under
    NOFORN)."""
    base = f"https://{namespace}/attr"
    level = label.classification.lower().replace(" ", "-")
    nations = {label.originator} if label.noforn else {label.originator, *label.releasable_to}
    return [f"{base}/classification/value/{level}"] + [
        f"{base}/rel-to/value/{n.lower()}" for n in sorted(nations)
    ]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _assertion_hash(assertion: dict[str, Any]) -> str:
    unbound = {k: v for k, v in assertion.items() if k != "binding"}
    return hashlib.sha256(_canonical(unbound)).hexdigest()


def _jws(signer: Ed25519PrivateKey, kid: str, claims: dict[str, Any]) -> str:
    header = _b64url(_canonical({"alg": "EdDSA", "kid": kid, "typ": "JWT"}))
    body = _b64url(_canonical(claims))
    signature = signer.sign(f"{header}.{body}".encode())
    return f"{header}.{body}.{_b64url(signature)}"


def _jws_claims(token: str, key: Ed25519PublicKey, what: str) -> dict[str, Any]:
    try:
        header, body, signature = token.split(".")
        key.verify(_unb64url(signature), f"{header}.{body}".encode())
        claims = json.loads(_unb64url(body))
    except (ValueError, InvalidSignature) as exc:
        raise PackageError(f"{what}: the binding's signature does not verify") from exc
    if not isinstance(claims, dict):
        raise PackageError(f"{what}: the binding holds no claims")
    return claims


def key_id(public: rsa.RSAPublicKey | Ed25519PublicKey) -> str:
    """A short, stable id of a public key: the first 16 hex digits of its DER's SHA-256."""
    from cryptography.hazmat.primitives import serialization

    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


@dataclass(frozen=True)
class Contents:
    """What goes into a package besides the payload."""

    mime_type: str
    label: Label
    label_xml: str
    namespace: str
    #: The recipient node's key access service (its base URL), written into key access.
    kas_url: str
    #: The ledger receipt (tlog-proof) of the release entry, and that entry's bytes.
    receipt: str | None = None
    receipt_entry: bytes | None = None
    #: Where the item comes from and where it goes: the sending node, the request, the
    #: item's reference and title, the recipient organisation.
    provenance: dict[str, str] | None = None


def build(
    chunks: Iterable[bytes],
    contents: Contents,
    recipient: rsa.RSAPublicKey,
    signer: Ed25519PrivateKey,
    segment_size: int = SEGMENT,
) -> bytes:
    """The package, as bytes."""
    key = AESGCM.generate_key(bit_length=256)
    aead = AESGCM(key)
    payload = io.BytesIO()
    tags: list[bytes] = []
    sizes: list[tuple[int, int]] = []
    for plain in _segments(chunks, segment_size):
        iv = os.urandom(IV_SIZE)
        sealed = aead.encrypt(iv, plain, None)
        payload.write(iv + sealed)
        tags.append(sealed[-TAG_SIZE:])
        sizes.append((len(plain), IV_SIZE + len(sealed)))
    root = hmac.new(key, b"".join(tags), hashlib.sha256).digest()
    policy = _b64(
        _canonical(
            {
                "uuid": str(uuid.uuid4()),
                "body": {
                    "dataAttributes": [
                        {"attribute": a} for a in attributes_of(contents.label, contents.namespace)
                    ],
                    "dissem": [],
                },
            }
        )
    )
    binding = _b64(hmac.new(key, policy.encode(), hashlib.sha256).hexdigest().encode())
    signer_id = key_id(signer.public_key())
    assertions = [
        _assertion(
            LABEL_ASSERTION,
            "handling",
            "payload",
            {"format": "string", "schema": LABEL_SCHEMA, "value": contents.label_xml},
        )
    ]
    if contents.receipt is not None and contents.receipt_entry is not None:
        assertions.append(
            _assertion(
                RECEIPT_ASSERTION,
                "other",
                "tdo",
                {
                    "format": "string",
                    "schema": RECEIPT_SCHEMA,
                    "value": {
                        "receipt": contents.receipt,
                        "entry": _b64(contents.receipt_entry),
                    },
                },
            )
        )
    if contents.provenance is not None:
        assertions.append(
            _assertion(
                PROVENANCE_ASSERTION,
                "other",
                "tdo",
                {"format": "string", "schema": PROVENANCE_SCHEMA, "value": contents.provenance},
            )
        )
    for assertion in assertions:
        claims = {"assertionHash": _assertion_hash(assertion), "assertionSig": _b64(root)}
        assertion["binding"] = {"method": "jws", "signature": _jws(signer, signer_id, claims)}
    manifest = {
        "payload": {
            "type": "reference",
            "url": PAYLOAD,
            "protocol": "zip",
            "isEncrypted": True,
            "mimeType": contents.mime_type,
            "tdf_spec_version": SPEC_VERSION,
        },
        "encryptionInformation": {
            "type": "split",
            "keyAccess": [
                {
                    "type": "wrapped",
                    "url": contents.kas_url,
                    "protocol": "kas",
                    "wrappedKey": _b64(recipient.encrypt(key, OAEP)),
                    "sid": "",
                    "kid": key_id(recipient),
                    "policyBinding": {"alg": "HS256", "hash": binding},
                }
            ],
            "method": {"algorithm": "AES-256-GCM", "isStreamable": True, "iv": ""},
            "integrityInformation": {
                "rootSignature": {"alg": "HS256", "sig": _b64(root)},
                "segmentHashAlg": "GMAC",
                "segmentSizeDefault": segment_size,
                "encryptedSegmentSizeDefault": segment_size + IV_SIZE + TAG_SIZE,
                "segments": [
                    {"hash": _b64(tag), "segmentSize": plain, "encryptedSegmentSize": sealed}
                    for tag, (plain, sealed) in zip(tags, sizes, strict=True)
                ],
            },
            "policy": policy,
        },
        "assertions": assertions,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        archive.writestr(PAYLOAD, payload.getvalue())
    return out.getvalue()


def _assertion(ident: str, kind: str, scope: str, statement: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ident,
        "type": kind,
        "scope": scope,
        "appliesToState": "unencrypted",
        "statement": statement,
    }


def _segments(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    buffer = bytearray()
    produced = False
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
            produced = True
    if buffer or not produced:
        yield bytes(buffer)


@dataclass(frozen=True)
class Opened:
    """A package read and checked: its manifest, label, receipt (if any) and attributes."""

    manifest: dict[str, Any]
    label_xml: str
    attributes: list[str]
    receipt: str | None
    receipt_entry: bytes | None
    payload: bytes
    provenance: dict[str, str] | None = None
    #: The key id of the key that signed the bindings (the sending node's).
    signer: str | None = None


def read(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The manifest and the encrypted payload; PackageError when it is no package."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if names != {MANIFEST, PAYLOAD}:
                raise PackageError(f"a package holds {MANIFEST} and {PAYLOAD}, not {sorted(names)}")
            manifest = json.loads(archive.read(MANIFEST))
            payload = archive.read(PAYLOAD)
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PackageError(f"not a readable package ({exc})") from exc
    if not isinstance(manifest, dict):
        raise PackageError("manifest: not a JSON object")
    return manifest, payload


def signer_of(data: bytes) -> str | None:
    """The key id in the first assertion's binding: which partner to check it with."""
    manifest, _ = read(data)
    for assertion in manifest.get("assertions", []):
        token = str((assertion.get("binding") or {}).get("signature", ""))
        try:
            header = json.loads(_unb64url(token.split(".")[0]))
        except ValueError:
            return None
        kid = header.get("kid") if isinstance(header, dict) else None
        return str(kid) if kid else None
    return None


def verify(data: bytes, sender: Ed25519PublicKey) -> Opened:
    """Check what can be checked without the recipient's key: the structure, every
    assertion's signed binding (to its content and to this payload's root signature), and
    each encrypted segment's tag against the manifest."""
    manifest, payload = read(data)
    try:
        info = manifest["encryptionInformation"]
        integrity = info["integrityInformation"]
        root_sig = integrity["rootSignature"]["sig"]
        segments = integrity["segments"]
        assertions = manifest.get("assertions", [])
        policy = json.loads(base64.b64decode(info["policy"]))
        attributes = [a["attribute"] for a in policy["body"]["dataAttributes"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise PackageError(f"manifest: a required part is missing or malformed ({exc})") from exc
    found: dict[str, dict[str, Any]] = {}
    for assertion in assertions:
        ident = str(assertion.get("id"))
        binding = assertion.get("binding") or {}
        if binding.get("method") != "jws":
            raise PackageError(f"assertion {ident}: not bound by a JWS")
        claims = _jws_claims(str(binding.get("signature")), sender, f"assertion {ident}")
        if claims.get("assertionHash") != _assertion_hash(assertion):
            raise PackageError(f"assertion {ident}: altered after it was bound")
        if claims.get("assertionSig") != root_sig:
            raise PackageError(f"assertion {ident}: bound to another payload")
        found[ident] = assertion
    if LABEL_ASSERTION not in found:
        raise PackageError("assertion stanag4774-label: missing; a package carries its label")
    offset = 0
    for number, segment in enumerate(segments):
        size = int(segment["encryptedSegmentSize"])
        piece = payload[offset : offset + size]
        if len(piece) != size or _b64(piece[-TAG_SIZE:]) != segment["hash"]:
            raise PackageError(f"payload: segment {number} does not match the manifest")
        offset += size
    if offset != len(payload):
        raise PackageError("payload: longer than its segments")
    receipt = found.get(RECEIPT_ASSERTION)
    value = receipt["statement"]["value"] if receipt else None
    provenance = found.get(PROVENANCE_ASSERTION)
    return Opened(
        provenance=(
            {str(k): str(v) for k, v in provenance["statement"]["value"].items()}
            if provenance
            else None
        ),
        signer=key_id(sender),
        manifest=manifest,
        label_xml=str(found[LABEL_ASSERTION]["statement"]["value"]),
        attributes=attributes,
        receipt=str(value["receipt"]) if value else None,
        receipt_entry=base64.b64decode(value["entry"]) if value else None,
        payload=payload,
    )


def open_package(
    data: bytes, sender: Ed25519PublicKey, recipient: rsa.RSAPrivateKey
) -> tuple[Opened, bytes]:
    """Verify, unwrap the key with the recipient's private key, check the policy binding
    and the root signature, and decrypt every segment."""
    opened = verify(data, sender)
    info = opened.manifest["encryptionInformation"]
    mine = key_id(recipient.public_key())
    access = next((k for k in info["keyAccess"] if k.get("kid") == mine), None)
    if access is None:
        raise PackageError(f"key access: no key wrapped for this node's key {mine}")
    try:
        key = recipient.decrypt(base64.b64decode(access["wrappedKey"]), OAEP)
    except ValueError as exc:
        raise PackageError("key access: the key does not unwrap with this node's key") from exc
    expected = _b64(hmac.new(key, info["policy"].encode(), hashlib.sha256).hexdigest().encode())
    if not hmac.compare_digest(expected, access["policyBinding"]["hash"]):
        raise PackageError("policy: altered (its binding does not match)")
    integrity = info["integrityInformation"]
    tags = [base64.b64decode(s["hash"]) for s in integrity["segments"]]
    root = hmac.new(key, b"".join(tags), hashlib.sha256).digest()
    if not hmac.compare_digest(_b64(root), integrity["rootSignature"]["sig"]):
        raise PackageError("payload: the root signature does not match its segments")
    aead = AESGCM(key)
    plain = bytearray()
    offset = 0
    for number, segment in enumerate(integrity["segments"]):
        piece = opened.payload[offset : offset + int(segment["encryptedSegmentSize"])]
        offset += len(piece)
        try:
            plain += aead.decrypt(piece[:IV_SIZE], piece[IV_SIZE:], None)
        except InvalidTag as exc:
            raise PackageError(f"payload: segment {number} does not decrypt") from exc
    return opened, bytes(plain)
