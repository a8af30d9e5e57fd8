"""RFC 6962 / RFC 9162 Merkle trees: hashes, roots, inclusion and consistency proofs.

Pure: no I/O. A tree is anything that can give the hash of a *perfect* subtree, the 2^level
leaves starting at ``index * 2^level`` (a stored node, a tile entry, or a list in memory);
every other hash is computed from those by the RFC's recursive split. Verification follows
the algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2, with the edge cases transparency
logs agree on (an empty tree, equal sizes, a first size of zero).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
#: The root of the empty tree: the hash of the empty string (RFC 9162 section 2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: ``nodes(level, index)``: the hash of the perfect subtree of 2^level leaves starting at
#: leaf ``index << level``; only asked for subtrees that lie inside the tree.
NodeSource = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof does not verify, or is malformed; the message says how."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(nodes: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range that the recursive split of some tree produces: its
    start is a multiple of the largest power of two not above its length."""
    size = end - start
    if size <= 0:
        raise ValueError("empty range")
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return nodes(level, start >> level)
    k = _split(size)
    return node_hash(subtree_hash(nodes, start, start + k), subtree_hash(nodes, start + k, end))


def root_hash(nodes: NodeSource, size: int) -> bytes:
    return EMPTY_ROOT if size == 0 else subtree_hash(nodes, 0, size)


def inclusion_proof(nodes: NodeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]), leaf to root (RFC 6962 section 2.1.1)."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    proof: list[bytes] = []
    start, end = 0, size
    # Walk down from the root, remembering the sibling at each split; the proof lists
    # them from the leaf up.
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            proof.append(subtree_hash(nodes, start + k, end))
            end = start + k
        else:
            proof.append(subtree_hash(nodes, start, start + k))
            start = start + k
    proof.reverse()
    return proof


def consistency_proof(nodes: NodeSource, size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[0:size2]) (RFC 6962 section 2.1.2); empty when the sizes are equal
    (or the first is 0, from which nothing can be proved)."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"sizes {size1} and {size2} are not in order")
    if size1 == 0 or size1 == size2:
        return []
    return _subproof(nodes, size1, 0, size2, True)


def _subproof(nodes: NodeSource, m: int, start: int, end: int, whole: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [subtree_hash(nodes, start, end)]
    k = _split(n)
    if m <= k:
        return [
            *_subproof(nodes, m, start, start + k, whole),
            subtree_hash(nodes, start + k, end),
        ]
    return [
        *_subproof(nodes, m - k, start + k, end, False),
        subtree_hash(nodes, start, start + k),
    ]


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    _check_hash(leaf, "the leaf hash")
    fn, sn = index, size - 1
    r = leaf
    for position, p in enumerate(proof):
        _check_hash(p, f"proof hash {position}")
        if sn == 0:
            raise ProofError(f"the proof is longer than a tree of size {size} allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the proof is shorter than a tree of size {size} needs")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``leaf`` is entry ``index`` of the tree ``root``."""
    _check_hash(root, "the root hash")
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError("the inclusion proof leads to another root")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Raise :class:`ProofError` unless the tree ``root2`` of ``size2`` extends the tree
    ``root1`` of ``size1`` (RFC 9162 section 2.1.4.2). Equal sizes need equal roots and an
    empty proof; a first size of zero is refused, as the public test vectors expect."""
    if size1 < 0 or size2 < size1:
        raise ProofError(f"the second size {size2} is smaller than the first {size1}")
    if size1 == 0:
        # Every tree extends the empty one: such a proof would prove nothing.
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if root1 != root2:
            raise ProofError("equal sizes with different roots")
        return
    _check_hash(root1, "the first root")
    _check_hash(root2, "the second root")
    for position, p in enumerate(proof):
        _check_hash(p, f"proof hash {position}")
    if not proof:
        raise ProofError("the proof is empty")
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the sizes allow")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the sizes need")
    if fr != root1:
        raise ProofError("the proof does not lead to the first root")
    if sr != root2:
        raise ProofError("the proof does not lead to the second root")


class MemoryTree:
    """A tree held in memory, level by level: for tests, and for auditing a whole log by
    recomputing it from its entries."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaf_hashes:
            self.append(leaf)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        """Add a leaf hash and every perfect subtree it completes."""
        self.levels[0].append(leaf)
        level, index = 0, len(self.levels[0]) - 1
        while index & 1:
            if len(self.levels) == level + 1:
                self.levels.append([])
            row = self.levels[level]
            self.levels[level + 1].append(node_hash(row[index - 1], row[index]))
            level, index = level + 1, index >> 1

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        return root_hash(self.node, self.size if size is None else size)
