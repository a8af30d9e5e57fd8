"""C2SP tlog-tiles: the log as static files a partner can mirror and audit.

Tiles are 256 hashes wide. The tile at tile-level L and index N holds the Merkle nodes of
level 8·L numbered 256·N to 256·N + 255; level-0 tiles hold leaf hashes. Entry bundles
hold the entries themselves, each prefixed by its length (2 bytes, big-endian). Full tiles
have plain paths; the last, partial tile of each level has a ``.p/<width>`` suffix. Index
numbers are written in groups of three digits, all but the last prefixed with ``x``.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

WIDTH = 256
HEIGHT = 8


def index_path(n: int) -> str:
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def tile_path(level: int, index: int, width: int) -> str:
    suffix = "" if width == WIDTH else f".p/{width}"
    return f"tile/{level}/{index_path(index)}{suffix}"


def entries_path(index: int, width: int) -> str:
    suffix = "" if width == WIDTH else f".p/{width}"
    return f"tile/entries/{index_path(index)}{suffix}"


def tiles_for(size: int) -> Iterator[tuple[int, int, int]]:
    """(tile level, tile index, width) of every tile a tree of ``size`` publishes."""
    level = 0
    while True:
        nodes = size >> (HEIGHT * level)
        if nodes == 0:
            return
        for index in range(nodes // WIDTH):
            yield level, index, WIDTH
        if nodes % WIDTH:
            yield level, nodes // WIDTH, nodes % WIDTH
        level += 1


def bundle(entries: list[bytes]) -> bytes:
    out = bytearray()
    for entry in entries:
        if len(entry) > 0xFFFF:
            raise ValueError("an entry longer than 65,535 bytes does not fit a bundle")
        out += struct.pack(">H", len(entry)) + entry
    return bytes(out)


def unbundle(data: bytes) -> list[bytes]:
    entries = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise ValueError("an entry bundle ends inside a length prefix")
        (length,) = struct.unpack(">H", data[at : at + 2])
        entry = data[at + 2 : at + 2 + length]
        if len(entry) != length:
            raise ValueError("an entry bundle ends inside an entry")
        entries.append(entry)
        at += 2 + length
    return entries


def write(
    folder: Path,
    size: int,
    node: Callable[[int, int], bytes],
    entries: Callable[[int, int], list[bytes]],
    checkpoint_note: str,
) -> int:
    """Write every tile and entry bundle of a tree of ``size`` and its checkpoint; returns
    how many files were written. ``node(level, index)`` gives Merkle nodes,
    ``entries(start, end)`` the entries in that range."""
    written = 0
    for level, index, width in tiles_for(size):
        start = index * WIDTH
        hashes = b"".join(node(HEIGHT * level, start + i) for i in range(width))
        _write(folder / tile_path(level, index, width), hashes)
        written += 1
        if level == 0:
            _write(folder / entries_path(index, width), bundle(entries(start, start + width)))
            written += 1
    _write(folder / "checkpoint", checkpoint_note.encode())
    return written + 1


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
