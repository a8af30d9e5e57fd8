"""This node's package keys, files outside the database (mode 0600):

- the **wrapping key** (RSA-3072): partners wrap a package's key for its public half, and
  only this node can open what is addressed to it;
- the **signing key** (Ed25519): binds the assertions of the packages this node releases.

Both public halves are handed to partners as PEM (``coalition package public-key``).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coalition.errors import Conflict, ValidationFailed

RSA_BITS = 3072


def _write_new(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise Conflict(f"key: {path} exists already") from exc
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _pem(key: rsa.RSAPrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: rsa.RSAPublicKey | Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def keygen(wrapping: Path, signing: Path) -> tuple[rsa.RSAPrivateKey, Ed25519PrivateKey]:
    """Create both keys, once; never overwrites one (packages in flight need it)."""
    for path in (wrapping, signing):
        if path.exists():
            raise Conflict(f"key: {path} exists already")
    recipient = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    signer = Ed25519PrivateKey.generate()
    _write_new(wrapping, _pem(recipient))
    _write_new(signing, _pem(signer))
    return recipient, signer


def _private(path: Path, what: str) -> object:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ValidationFailed.of(
            "key", f"no {what} at {path}: run `coalition package keygen` first"
        ) from exc
    if path.stat().st_mode & 0o077:
        raise ValidationFailed.of("key", f"{path} is readable by others; chmod 600 it")
    try:
        return _parsed(data)
    except ValueError as exc:
        raise ValidationFailed.of("key", f"{path} is not a PEM private key") from exc


@functools.lru_cache(maxsize=16)
def _parsed(data: bytes) -> object:
    """A private key from its PEM, parsed once per process: checking an RSA key on load
    takes about 0.1 s, and every package sent or received needs the node's keys. Keyed
    by the file's bytes, so a replaced key file is read afresh."""
    return serialization.load_pem_private_key(data, password=None)


def load_wrapping(path: Path) -> rsa.RSAPrivateKey:
    key = _private(path, "package wrapping key")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValidationFailed.of("key", f"{path} is not an RSA key")
    return key


def load_signing(path: Path) -> Ed25519PrivateKey:
    key = _private(path, "package signing key")
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationFailed.of("key", f"{path} is not an Ed25519 key")
    return key


def load_sender(path: Path, option: str) -> Ed25519PublicKey:
    """A partner's package signing key, as they handed it over (PEM)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ValidationFailed.of(option, f"{path} is not a readable PEM key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationFailed.of(option, f"{path} is not an Ed25519 signing key")
    return key
