"""The node's content key: the AES-256 key that wraps every artifact's data key. It lives
in a file outside the database (mode 0600), created on first use; without it sealed
content cannot be read, so it is backed up apart from the database."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import tempfile
from pathlib import Path

from coalition.content.sealing import KEY_SIZE, new_key
from coalition.errors import ValidationFailed


def load_or_create(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-key-")
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(base64.b64encode(new_key()).decode() + "\n")
                file.flush()
                os.fsync(file.fileno())
            # A link either appears complete or fails because another process won.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    if path.stat().st_mode & 0o077:
        raise ValidationFailed.of("key", f"{path} is readable by others; chmod 600 it")
    try:
        key = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed.of("key", f"{path} is not a content key") from exc
    if len(key) != KEY_SIZE:
        raise ValidationFailed.of("key", f"{path} is not a 256-bit content key")
    return key
