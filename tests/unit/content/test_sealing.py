"""Sealed content: what goes in comes out, for any sizes and segmentings; any change to
the sealed bytes, their order or their length is refused; keys wrap and unwrap."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.content.sealing import (
    HEADER,
    NONCE_SIZE,
    TAG_SIZE,
    SealError,
    new_key,
    seal,
    sealed_size,
    unseal,
    unwrap_key,
    wrap_key,
)

KEY = bytes(range(32))
IDENTITY = b"version-0000001"


def _open(sealed: bytes, key: bytes = KEY, identity: bytes = IDENTITY) -> bytes:
    return b"".join(unseal(key, identity, io.BytesIO(sealed)))


@settings(max_examples=200)
@given(
    chunks=st.lists(st.binary(max_size=300), max_size=12),
    segment=st.integers(min_value=1, max_value=257),
)
def test_what_is_sealed_unseals_to_the_same_bytes(chunks: list[bytes], segment: int) -> None:
    sealed = seal(KEY, IDENTITY, chunks, segment)
    plain = b"".join(chunks)
    assert len(sealed) == sealed_size(len(plain), segment)
    assert _open(sealed) == plain
    if len(plain) >= 16:  # a 16-byte run of the plaintext in the ciphertext: never by chance
        assert plain[:16] not in sealed[HEADER.size :]


@settings(max_examples=200)
@given(
    data=st.binary(min_size=1, max_size=600),
    segment=st.integers(min_value=1, max_value=97),
    where=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=7),
)
def test_a_flipped_bit_anywhere_is_refused(data: bytes, segment: int, where: int, bit: int) -> None:
    sealed = bytearray(seal(KEY, IDENTITY, [data], segment))
    sealed[where % len(sealed)] ^= 1 << bit
    with pytest.raises(SealError):
        _open(bytes(sealed))


@settings(max_examples=100)
@given(data=st.binary(min_size=2, max_size=400), segment=st.integers(min_value=1, max_value=50))
def test_segments_cut_off_swapped_or_sealed_for_another_object_are_refused(
    data: bytes, segment: int
) -> None:
    sealed = seal(KEY, IDENTITY, [data], segment)
    frame = NONCE_SIZE + segment + TAG_SIZE
    body = sealed[HEADER.size :]
    frames = [body[i : i + frame] for i in range(0, len(body), frame)]
    with pytest.raises(SealError):
        _open(sealed, identity=b"another-version")
    with pytest.raises(SealError):
        _open(sealed, key=new_key())
    if len(frames) > 1:
        with pytest.raises(SealError):  # the last segment dropped
            _open(sealed[: HEADER.size] + b"".join(frames[:-1]))
        swapped = [frames[1], frames[0], *frames[2:]]
        with pytest.raises(SealError):
            _open(sealed[: HEADER.size] + b"".join(swapped))
    with pytest.raises(SealError):  # cut in the middle of a segment
        _open(sealed[:-1])


def test_headers_that_are_not_this_format_are_refused() -> None:
    with pytest.raises(SealError, match="header"):
        _open(b"short")
    with pytest.raises(SealError, match="format"):
        _open(b"NOTSEALD" + bytes(4) + bytes(40))


def test_data_keys_are_kept_only_wrapped_and_unwrap_with_the_node_key_only() -> None:
    node_key, data_key = new_key(), new_key()
    wrapped = wrap_key(node_key, data_key)
    assert data_key not in wrapped and len(wrapped) == 40
    assert unwrap_key(node_key, wrapped) == data_key
    with pytest.raises(SealError, match="unwrap"):
        unwrap_key(new_key(), wrapped)
