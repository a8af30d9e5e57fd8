"""C2SP signed notes, checkpoints and cosignatures (c2sp.org/signed-note,
c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature), with Ed25519 from ``cryptography``.

Pure apart from the signing itself: text in, text out. The offline verifier needs only this
module, ``merkle`` and ``cryptography``.

A note is UTF-8 text ending in a newline, a blank line, and signature lines
``— <key name> <base64(key id || signature)>``. Signatures by keys the reader does not know
are ignored, as the spec says; a note is accepted when at least one known key signed it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
MAX_SIGNATURES = 100
_NAME = re.compile(r"^[^\s+]+$")


class NoteError(ValueError):
    """A note, key, checkpoint or cosignature is malformed or does not verify."""


def key_id(name: str, algorithm: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()[:4]


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise NoteError(f"key name {name!r} is empty or holds a space or '+'")
    return name


@dataclass(frozen=True)
class Verifier:
    """A public key under a name: checks note signatures (or cosignatures)."""

    name: str
    public_key: bytes
    algorithm: int = ED25519

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.algorithm, self.public_key)

    def encoded(self) -> str:
        """``name+hexkeyid+base64(algorithm || key)``, the signed-note verifier key form."""
        raw = bytes([self.algorithm]) + self.public_key
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    seed: bytes = field(repr=False)

    @classmethod
    def generate(cls, name: str) -> Signer:
        key = Ed25519PrivateKey.generate()
        return cls(_check_name(name), key.private_bytes_raw())

    @property
    def verifier(self) -> Verifier:
        public = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return Verifier(self.name, public)

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)

    def encoded(self) -> str:
        """``PRIVATE+KEY+name+hexkeyid+base64(algorithm || seed)``: for the key file only."""
        raw = bytes([ED25519]) + self.seed
        return (
            f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{base64.b64encode(raw).decode()}"
        )


def parse_verifier(text: str) -> Verifier:
    parts = text.strip().split("+", 2)  # base64 may itself hold '+'
    if len(parts) != 3:
        raise NoteError("a verifier key is name+keyid+key")
    name, hex_id, encoded = parts
    _check_name(name)
    raw = _b64(encoded, "the verifier key")
    if len(raw) != 33 or raw[0] != ED25519:
        raise NoteError("the verifier key is not an Ed25519 key")
    verifier = Verifier(name, raw[1:])
    if hex_id != verifier.key_id.hex():
        raise NoteError("the verifier key's id does not match its name and key")
    return verifier


def parse_signer(text: str) -> Signer:
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("a signer key is PRIVATE+KEY+name+keyid+key")
    name, hex_id, encoded = parts[2:]
    raw = _b64(encoded, "the signer key")
    if len(raw) != 33 or raw[0] != ED25519:
        raise NoteError("the signer key is not an Ed25519 key")
    signer = Signer(_check_name(name), raw[1:])
    if hex_id != signer.verifier.key_id.hex():
        raise NoteError("the signer key's id does not match its name and key")
    return signer


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError(f"{what} is not base64") from exc


# --- notes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    payload: bytes  # after the key id

    def line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.payload).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]

    def encoded(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("the note's text must end with a newline")
    if "\n\n" in text:
        raise NoteError("the note's text must not hold a blank line")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("the note's text holds a control character")


def sign_note(text: str, *signers: Signer) -> str:
    _check_text(text)
    message = text.encode()
    signatures = tuple(Signature(s.name, s.verifier.key_id, s.sign(message)) for s in signers)
    return Note(text, signatures).encoded()


def parse_note(encoded: str) -> Note:
    """Split a note into its text and signature lines; nothing is verified yet."""
    if len(encoded.encode()) > 1 << 20:
        raise NoteError("the note is larger than 1 MiB")
    split = encoded.rfind("\n\n")
    if split < 0:
        raise NoteError("the note has no blank line before its signatures")
    text, block = encoded[: split + 1], encoded[split + 2 :]
    _check_text(text)
    if not block.endswith("\n"):
        raise NoteError("the signature lines must end with a newline")
    signatures = []
    for number, line in enumerate(block[:-1].split("\n"), start=1):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"signature line {number} does not start with '— '")
        parts = line[len(SIGNATURE_PREFIX) :].split(" ")
        if len(parts) != 2:
            raise NoteError(f"signature line {number} is not '— name signature'")
        name, encoded_signature = parts
        _check_name(name)
        raw = _b64(encoded_signature, f"signature line {number}")
        if len(raw) < 5:
            raise NoteError(f"signature line {number} is too short")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"the note has more than {MAX_SIGNATURES} signatures")
    return Note(text, tuple(signatures))


def open_note(encoded: str, *verifiers: Verifier) -> tuple[Note, tuple[Verifier, ...]]:
    """The note and the known keys that signed it; at least one must have."""
    note = parse_note(encoded)
    known = {(v.name, v.key_id): v for v in verifiers if v.algorithm == ED25519}
    message = note.text.encode()
    verified = []
    for signature in note.signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue  # unknown keys are ignored (signed-note spec)
        if not verifier.verify(message, signature.payload):
            raise NoteError(f"the signature by {signature.name} does not verify")
        verified.append(verifier)
    if not verified:
        raise NoteError("no known key signed the note")
    return note, tuple(verified)


# --- checkpoints --------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, root hash, and extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    _check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint has an origin, a tree size and a root hash")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise NoteError("the checkpoint's origin is empty")
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError(f"the checkpoint's tree size {size_text!r} is not a decimal number")
    root = _b64(root_text, "the checkpoint's root hash")
    if len(root) != 32:
        raise NoteError("the checkpoint's root hash is not 32 bytes")
    if any(not line for line in extensions):
        raise NoteError("a checkpoint extension line is empty")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


# --- cosignatures -------------------------------------------------------------------------


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def cosign(checkpoint_text: str, witness: Signer, timestamp: int) -> Signature:
    """A witness's tlog-cosignature/v1 over a checkpoint, as a signature line."""
    _check_text(checkpoint_text)
    public = witness.verifier.public_key
    kid = key_id(witness.name, COSIGNATURE_V1, public)
    signed = witness.sign(cosigned_message(checkpoint_text, timestamp))
    return Signature(witness.name, kid, struct.pack(">Q", timestamp) + signed)


def cosigner(witness: Verifier) -> Verifier:
    """The same public key as a cosignature verifier (its key id uses type 0x04)."""
    return Verifier(witness.name, witness.public_key, COSIGNATURE_V1)


def verify_cosignature(checkpoint_text: str, signature: Signature, witness: Verifier) -> int:
    """The cosignature's timestamp, if ``witness`` made it over this checkpoint."""
    expected = key_id(witness.name, COSIGNATURE_V1, witness.public_key)
    if signature.name != witness.name or signature.key_id != expected:
        raise NoteError(f"the cosignature is not by {witness.name}")
    if len(signature.payload) != 8 + 64:
        raise NoteError("a cosignature is a timestamp and a 64-byte signature")
    (timestamp,) = struct.unpack(">Q", signature.payload[:8])
    if not witness.verify(cosigned_message(checkpoint_text, timestamp), signature.payload[8:]):
        raise NoteError(f"the cosignature by {witness.name} does not verify")
    return int(timestamp)
