"""The ledger's signing key: a file outside the database, created once with mode 0600."""

from __future__ import annotations

import os
from pathlib import Path

from coalition.errors import Conflict, ValidationFailed
from coalition.ledger.note import NoteError, Signer, parse_signer


def keygen(path: Path, origin: str) -> Signer:
    """Create the key file; never overwrites one (a new key would orphan the log)."""
    signer = Signer.generate(origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise Conflict(f"key: {path} exists already; the ledger keeps its key for life") from exc
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(signer.encoded() + "\n")
        file.flush()
        os.fsync(file.fileno())
    return signer


def load_signer(path: Path, origin: str) -> Signer:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError as exc:
        raise ValidationFailed.of(
            "key", f"no ledger key at {path}: run `coalition ledger keygen` first"
        ) from exc
    if path.stat().st_mode & 0o077:
        raise ValidationFailed.of("key", f"{path} is readable by others; chmod 600 it")
    try:
        signer = parse_signer(text)
    except NoteError as exc:
        raise ValidationFailed.of("key", f"{path} is not a ledger key ({exc})") from exc
    if signer.name != origin:
        raise ValidationFailed.of(
            "key", f"{path} belongs to {signer.name}, not to this node's origin {origin}"
        )
    return signer
