"""C2SP tlog-tiles paths, the tiles a tree publishes, and entry bundles."""

from __future__ import annotations

import pytest

from coalition.ledger.tiles import bundle, entries_path, index_path, tile_path, tiles_for, unbundle


def test_index_paths_group_digits_by_three() -> None:
    assert index_path(0) == "000"
    assert index_path(5) == "005"
    assert index_path(1234067) == "x001/x234/067"
    assert index_path(1000) == "x001/000"


def test_full_and_partial_tile_paths() -> None:
    assert tile_path(0, 1234067, 256) == "tile/0/x001/x234/067"
    assert tile_path(1, 3, 7) == "tile/1/003.p/7"
    assert entries_path(2, 256) == "tile/entries/002"


def test_a_tree_publishes_its_full_tiles_and_one_partial_per_level() -> None:
    assert list(tiles_for(0)) == []
    assert list(tiles_for(5)) == [(0, 0, 5)]
    assert list(tiles_for(256)) == [(0, 0, 256), (1, 0, 1)]
    assert list(tiles_for(770)) == [(0, 0, 256), (0, 1, 256), (0, 2, 256), (0, 3, 2), (1, 0, 3)]
    assert (2, 0, 1) in list(tiles_for(65536))


def test_bundles_round_trip_and_truncation_is_refused() -> None:
    entries = [b"", b"a", b"x" * 300]
    assert unbundle(bundle(entries)) == entries
    with pytest.raises(ValueError, match="inside an entry"):
        unbundle(bundle(entries)[:-1])
    with pytest.raises(ValueError, match="65,535"):
        bundle([b"x" * 70000])
