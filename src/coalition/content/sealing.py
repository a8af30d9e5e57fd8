"""Content sealed at rest: AES-256-GCM in segments, data keys wrapped by the node's key.

A sealed object is a short header, then segments of up to ``segment_size`` plaintext bytes,
each ``nonce (12) ‖ ciphertext ‖ tag (16)``. Each segment is authenticated with the object's
identity, its own index and whether it is the last, so segments cannot be reordered,
dropped, repeated, swapped between objects, or the object cut short without the reader
noticing; the header is authenticated with every segment. Segments keep memory flat for
any size and let a reader stream.

Data keys are 256-bit, one per artifact, and stored only wrapped (RFC 3394 AES key wrap)
by the node's content key, which lives in a file outside the database.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

MAGIC = b"CSEAL1\n\x00"
HEADER = struct.Struct(">8sI")  # magic, segment size
NONCE_SIZE = 12
TAG_SIZE = 16
DEFAULT_SEGMENT = 1 << 20
KEY_SIZE = 32


class SealError(ValueError):
    """The sealed object is damaged, truncated, or not for this key or identity."""


def new_key() -> bytes:
    return os.urandom(KEY_SIZE)


def wrap_key(node_key: bytes, data_key: bytes) -> bytes:
    return aes_key_wrap(node_key, data_key)


def unwrap_key(node_key: bytes, wrapped: bytes) -> bytes:
    try:
        return aes_key_unwrap(node_key, wrapped)
    except InvalidUnwrap as exc:
        raise SealError("the data key does not unwrap with this node's content key") from exc


def _aad(identity: bytes, header: bytes, index: int, last: bool) -> bytes:
    # The header too: the segment size read back must be the one sealed with.
    return identity + header + struct.pack(">QB", index, 1 if last else 0)


class Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class Sealer:
    """Push plaintext in, sealed bytes go to ``sink``; ``close()`` seals the last segment.
    Counts the plaintext bytes, so a caller can stop an upload at its limit."""

    def __init__(
        self, key: bytes, identity: bytes, sink: Sink, segment_size: int = DEFAULT_SEGMENT
    ) -> None:
        if not 0 < segment_size <= 1 << 30:
            raise ValueError("segment size out of range")
        self._aead = AESGCM(key)
        self._identity = identity
        self._sink = sink
        self._size = segment_size
        self._buffer = bytearray()
        self._index = 0
        self.plaintext_bytes = 0
        self._header = HEADER.pack(MAGIC, segment_size)
        sink.write(self._header)

    def write(self, data: bytes) -> None:
        self.plaintext_bytes += len(data)
        view = memoryview(data)
        # Keep one full segment back: only close() knows which segment is the last.
        if self._buffer:
            taken = view[: self._size - len(self._buffer)]
            self._buffer += taken
            view = view[len(taken) :]
            if view and len(self._buffer) == self._size:
                self._seal(self._buffer, last=False)
                self._buffer.clear()
        # Whole segments straight from the caller's bytes, without copying them first.
        while len(view) > self._size:
            self._seal(view[: self._size], last=False)
            view = view[self._size :]
        self._buffer += view

    def close(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _seal(self, plain: bytes | bytearray | memoryview, last: bool) -> None:
        nonce = os.urandom(NONCE_SIZE)
        sealed = self._aead.encrypt(
            nonce, plain, _aad(self._identity, self._header, self._index, last)
        )
        self._sink.write(nonce + sealed)
        self._index += 1


def seal(
    key: bytes, identity: bytes, chunks: Iterable[bytes], segment_size: int = DEFAULT_SEGMENT
) -> bytes:
    """The whole sealed object in memory (for tests and small objects)."""
    out = bytearray()

    class _Out:
        def write(self, data: bytes) -> None:
            out.extend(data)

    sealer = Sealer(key, identity, _Out(), segment_size)
    for chunk in chunks:
        sealer.write(chunk)
    sealer.close()
    return bytes(out)


def unseal(key: bytes, identity: bytes, source: BinaryIO) -> Iterator[bytes]:
    """The plaintext, segment by segment, each checked before it is handed out. A damaged,
    reordered or truncated object raises :class:`SealError` at the first bad segment."""
    header = source.read(HEADER.size)
    if len(header) != HEADER.size:
        raise SealError("the sealed object is shorter than its header")
    magic, segment_size = HEADER.unpack(header)
    if magic != MAGIC or not 0 < segment_size <= 1 << 30:
        raise SealError("not a sealed object of this format")
    aead = AESGCM(key)
    frame = NONCE_SIZE + segment_size + TAG_SIZE
    index = 0
    current = source.read(frame)
    while True:
        if len(current) < NONCE_SIZE + TAG_SIZE:
            raise SealError(f"segment {index} is missing or cut short")
        following = source.read(frame) if len(current) == frame else b""
        last = not following
        try:
            plain = aead.decrypt(
                current[:NONCE_SIZE], current[NONCE_SIZE:], _aad(identity, header, index, last)
            )
        except InvalidTag as exc:
            raise SealError(
                f"segment {index} does not authenticate (altered, moved, or the object cut short)"
            ) from exc
        yield plain
        if last:
            return
        current, index = following, index + 1


def sealed_size(plaintext_size: int, segment_size: int = DEFAULT_SEGMENT) -> int:
    segments = max(1, -(-plaintext_size // segment_size))
    return HEADER.size + plaintext_size + segments * (NONCE_SIZE + TAG_SIZE)
