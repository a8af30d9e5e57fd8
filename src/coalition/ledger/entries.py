"""The ledger's entry format, version 1: canonical bytes for one recorded event.

An entry is JSON with sorted keys, no insignificant whitespace, UTF-8, so the same event
always gives the same bytes (docs/ledger.md). It names who acted, when, on what object,
with which tag and under which authority, and which fields changed; the fields' values are
present only as salted SHA-256 hashes, so the log never holds content (classified or not)
while a holder of the event and its salt can prove what a value was.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

VERSION = 1
#: Detail keys whose values are kept in clear: they describe the act, not content.
CLEAR_KEYS = frozenset({"authority", "outcome"})


#: What ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
#: uses, made once: every recorded event is encoded several times over.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(value: Any) -> bytes:
    return _ENCODER.encode(value).encode()


def value_hash(salt: bytes, name: str, value: Any) -> str:
    digest = hashlib.sha256(salt + name.encode() + b"\x00" + canonical(value)).hexdigest()
    return f"sha256:{digest}"


def encode_entry(
    *,
    at: datetime,
    actor: str,
    tag: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any],
    salt: bytes,
) -> bytes:
    """The leaf bytes of one event."""
    if at.tzinfo is None:
        raise ValueError("entries need aware UTC times")
    fields = {
        name: value if name in CLEAR_KEYS else value_hash(salt, name, value)
        for name, value in sorted(details.items())
    }
    return canonical(
        {
            "v": VERSION,
            "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": actor,
            "tag": tag,
            "object": {"type": object_type, "id": object_id},
            "fields": fields,
        }
    )


def decode_entry(data: bytes) -> dict[str, Any]:
    decoded = json.loads(data)
    if not isinstance(decoded, dict) or decoded.get("v") != VERSION:
        raise ValueError("not a version-1 ledger entry")
    if canonical(decoded) != data:
        raise ValueError("the entry is not in canonical form")
    return decoded
