"""RFC 6962 / 9162 Merkle proofs: the public test vectors, and properties for every tree
size and index up to a few thousand."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from tests.conftest import require_flag

VECTORS = Path(__file__).resolve().parents[4] / "shared" / "reference" / "merkle-testdata"


def _vectors(kind: str) -> list[Path]:
    if not VECTORS.is_dir():
        return []
    return sorted((VECTORS / kind).rglob("*.json"))


def _skip_without_vectors() -> None:
    if VECTORS.is_dir():
        return
    reason = f"the public Merkle test vectors are not at {VECTORS} (see reference/README.md)"
    if require_flag("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _b64(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


@pytest.mark.parametrize("path", _vectors("inclusion") or [None], ids=str)
def test_inclusion_vectors(path: Path | None) -> None:
    _skip_without_vectors()
    assert path is not None
    case = json.loads(path.read_text())

    def check() -> None:
        verify_inclusion(
            case["leafIdx"],
            case["treeSize"],
            base64.b64decode(case["leafHash"] or ""),
            _b64(case["proof"]),
            base64.b64decode(case["root"] or ""),
        )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize("path", _vectors("consistency") or [None], ids=str)
def test_consistency_vectors(path: Path | None) -> None:
    _skip_without_vectors()
    assert path is not None
    case = json.loads(path.read_text())

    def check() -> None:
        verify_consistency(
            case["size1"],
            case["size2"],
            base64.b64decode(case["root1"] or ""),
            base64.b64decode(case["root2"] or ""),
            _b64(case["proof"]),
        )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            check()
    else:
        check()


def test_the_vectors_hold_good_and_bad_cases() -> None:
    _skip_without_vectors()
    cases = [json.loads(p.read_text()) for p in _vectors("inclusion") + _vectors("consistency")]
    assert len(cases) > 100
    assert {c["wantErr"] for c in cases} == {True, False}


def _naive_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 6962's definition."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_naive_root(leaves[:k]), _naive_root(leaves[k:]))


def _tree(size: int) -> MemoryTree:
    return MemoryTree(leaf_hash(i.to_bytes(4, "big")) for i in range(size))


def test_roots_match_the_definition_for_small_trees() -> None:
    for size in range(0, 70):
        tree = _tree(size)
        leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
        assert tree.root() == _naive_root(leaves)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=3000).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(min_value=0, max_value=n - 1))
    )
)
def test_every_inclusion_proof_verifies(case: tuple[int, int]) -> None:
    size, index = case
    tree = _tree(size)
    proof = inclusion_proof(tree.node, index, size)
    verify_inclusion(index, size, tree.node(0, index), proof, tree.root())


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=3000).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(min_value=1, max_value=n))
    )
)
def test_every_consistency_proof_verifies(case: tuple[int, int]) -> None:
    size2, size1 = case
    tree = _tree(size2)
    proof = consistency_proof(tree.node, size1, size2)
    verify_consistency(size1, size2, tree.root(size1), tree.root(size2), proof)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_flipped_bit_anywhere_is_rejected(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=2, max_value=2000))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    tree = _tree(size)
    proof = inclusion_proof(tree.node, index, size)
    leaf, root = tree.node(0, index), tree.root()
    parts = [leaf, root, *proof]
    which = data.draw(st.integers(min_value=0, max_value=len(parts) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    flipped = bytearray(parts[which])
    flipped[bit // 8] ^= 1 << (bit % 8)
    parts[which] = bytes(flipped)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, parts[0], parts[2:], parts[1])

    size1 = data.draw(st.integers(min_value=1, max_value=size - 1))
    consistency = consistency_proof(tree.node, size1, size)
    parts = [tree.root(size1), root, *consistency]
    which = data.draw(st.integers(min_value=0, max_value=len(parts) - 1))
    flipped = bytearray(parts[which])
    flipped[bit // 8] ^= 1 << (bit % 8)
    parts[which] = bytes(flipped)
    with pytest.raises(ProofError):
        verify_consistency(size1, size, parts[0], parts[1], parts[2:])


def test_malformed_proofs_are_refused_with_a_reason() -> None:
    tree = _tree(10)
    proof = inclusion_proof(tree.node, 3, 10)
    with pytest.raises(ProofError, match="outside"):
        verify_inclusion(10, 10, tree.node(0, 3), proof, tree.root())
    with pytest.raises(ProofError, match="shorter"):
        verify_inclusion(3, 10, tree.node(0, 3), proof[:-1], tree.root())
    with pytest.raises(ProofError, match="longer"):
        verify_inclusion(3, 10, tree.node(0, 3), [*proof, proof[0]], tree.root())
    with pytest.raises(ProofError, match="bytes"):
        verify_inclusion(3, 10, tree.node(0, 3)[:31], proof, tree.root())
    with pytest.raises(ProofError, match="smaller"):
        verify_consistency(5, 4, tree.root(5), tree.root(4), [])
