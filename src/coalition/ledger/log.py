"""The Merkle log in the application's database.

Every event a use case records becomes a pending entry in the same flush (a session hook,
so no use case can forget it): no change without its entry, no entry without its change.
The integrator gives pending entries their indexes in order, in batches, stores the leaf
and every perfect subtree it completes, and moves the head (size, root). On PostgreSQL it
runs under one advisory lock, so business transactions never wait on the tree (the
Tessera / Trillian pattern); on SQLite, whose writers are serialised anyway, each writing
transaction integrates its own entries before it commits.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, event, or_, select, text
from sqlalchemy.orm import Session

from coalition.audit.models import Event
from coalition.ledger import merkle
from coalition.ledger.entries import encode_entry
from coalition.ledger.models import LedgerEntry, LedgerHead, LedgerNode, LedgerPending
from coalition.store.base import Base, utcnow

_PENDING = "coalition.ledger_pending"
#: PostgreSQL advisory lock key of the integrator ("CLEDGER" as digits).
INTEGRATOR_LOCK = 0x434C4544474552
BATCH = 1000


@event.listens_for(Session, "before_flush")
def _pending_entries(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.new):
        if isinstance(obj, Event):
            if obj.at is None:
                obj.at = utcnow()  # the event and its entry carry the same time
            salt = os.urandom(16)
            session.add(
                LedgerPending(
                    entry=encode_entry(
                        at=obj.at,
                        actor=obj.actor,
                        tag=obj.tag,
                        object_type=obj.object_type,
                        object_id=obj.object_id,
                        details=obj.details,
                        salt=salt,
                    ),
                    salt=salt,
                    event=obj,
                )
            )
            session.info[_PENDING] = True


@event.listens_for(Session, "before_commit")
def _integrate_on_sqlite(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        return
    session.flush()  # first: the flush is what writes this transaction's entries
    if session.info.pop(_PENDING, False):
        integrate(session)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


class DbNodes:
    """Perfect-subtree hashes from ``ledger_nodes``, fetched as the proofs ask for them,
    with what has been fetched kept for the rest of the request."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[int, int], bytes] = {}

    def prefetch(self, keys: Iterable[tuple[int, int]]) -> None:
        by_level: dict[int, list[int]] = {}
        for level, index in keys:
            if (level, index) not in self.cache:
                by_level.setdefault(level, []).append(index)
        if not by_level:
            return
        # One query; per level an IN list, which both databases answer from the key.
        condition = or_(
            *(
                and_(LedgerNode.level == level, LedgerNode.index.in_(indexes))
                for level, indexes in by_level.items()
            )
        )
        for level, index, value in self.session.execute(
            select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).where(condition)
        ):
            self.cache[(level, index)] = bytes(value)

    def __call__(self, level: int, index: int) -> bytes:
        key = (level, index)
        found = self.cache.get(key)
        if found is None:
            value = self.session.scalar(
                select(LedgerNode.hash).where(LedgerNode.level == level, LedgerNode.index == index)
            )
            if value is None:
                raise LookupError(f"no stored node at level {level}, index {index}")
            found = self.cache[key] = bytes(value)
        return found


def head(session: Session) -> tuple[int, bytes]:
    row = session.execute(
        select(LedgerHead.size, LedgerHead.root).where(LedgerHead.id == 1)
    ).first()
    return (0, merkle.EMPTY_ROOT) if row is None else (int(row.size), bytes(row.root))


#: Per database (its engine or connection): the tree's size, root and right edge after the
#: last integration in this process. Reused only when the head still has that size and
#: root; the root is a hash of the right edge, so a match means the edge is right.
_edges: weakref.WeakKeyDictionary[object, tuple[int, bytes, dict[tuple[int, int], bytes]]] = (
    weakref.WeakKeyDictionary()
)
_edges_lock = threading.Lock()


def integrate(session: Session, limit: int = BATCH) -> int:
    """Give up to ``limit`` pending entries their indexes; returns how many. Call inside a
    writing transaction (the caller commits)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INTEGRATOR_LOCK})
    pending = session.execute(
        select(LedgerPending.id, LedgerPending.entry, LedgerPending.salt, LedgerPending.event_id)
        .order_by(LedgerPending.id)
        .limit(limit)
    ).all()
    if not pending:
        return 0
    size, old_root = head(session)
    nodes = DbNodes(session)
    # The right edge of the tree: the perfect subtrees a new leaf can complete.
    with _edges_lock:
        known = _edges.get(bind)
    if known is not None and known[0] == size and known[1] == old_root:
        nodes.cache.update(known[2])
    else:
        nodes.prefetch(_right_edge(size))
    new_nodes: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for offset, row in enumerate(pending):
        index = size + offset
        leaf = merkle.leaf_hash(bytes(row.entry))
        entries.append(
            {"index": index, "entry": row.entry, "salt": row.salt, "event_id": row.event_id}
        )
        nodes.cache[(0, index)] = leaf
        new_nodes.append({"level": 0, "index": index, "hash": leaf})
        level, at = 0, index
        while at & 1:
            parent = merkle.node_hash(nodes(level, at - 1), nodes(level, at))
            level, at = level + 1, at >> 1
            nodes.cache[(level, at)] = parent
            new_nodes.append({"level": level, "index": at, "hash": parent})
    new_size = size + len(pending)
    root = merkle.root_hash(nodes, new_size)
    tables = Base.metadata.tables
    session.execute(tables["ledger_entries"].insert(), entries)
    session.execute(tables["ledger_nodes"].insert(), new_nodes)
    session.execute(
        tables["ledger_pending"]
        .delete()
        .where(tables["ledger_pending"].c.id.in_([p.id for p in pending]))
    )
    if size == 0 and session.scalar(select(LedgerHead.id).where(LedgerHead.id == 1)) is None:
        session.execute(tables["ledger_head"].insert().values(id=1, size=new_size, root=root))
    else:
        session.execute(
            tables["ledger_head"]
            .update()
            .where(tables["ledger_head"].c.id == 1)
            .values(size=new_size, root=root)
        )
    edge = {key: nodes.cache[key] for key in _right_edge(new_size)}
    with _edges_lock:
        # Remembered now, trusted later only if the head then shows this size and root
        # (a rolled-back transaction leaves the old head, which will not match).
        _edges[bind] = (new_size, root, edge)
    return len(pending)


def _right_edge(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees at the right edge of a tree of ``size`` leaves."""
    keys = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


def _needed(build: Callable[[merkle.NodeSource], object]) -> list[tuple[int, int]]:
    """The stored nodes a proof reads: which ones depends only on the sizes and index, so a
    dry run with placeholder hashes finds them, and one query fetches them all."""
    keys: list[tuple[int, int]] = []

    def record(level: int, index: int) -> bytes:
        keys.append((level, index))
        return bytes(merkle.HASH_SIZE)

    build(record)
    return keys


def inclusion(session: Session, index: int, size: int) -> list[bytes]:
    nodes = DbNodes(session)
    nodes.prefetch(_needed(lambda n: merkle.inclusion_proof(n, index, size)))
    return merkle.inclusion_proof(nodes, index, size)


def consistency(session: Session, size1: int, size2: int) -> list[bytes]:
    nodes = DbNodes(session)
    nodes.prefetch(_needed(lambda n: merkle.consistency_proof(n, size1, size2)))
    return merkle.consistency_proof(nodes, size1, size2)


@dataclass(frozen=True)
class AuditResult:
    size: int
    root: bytes
    #: The first index whose entry, leaf or subtree does not match, if any.
    first_bad_index: int | None
    problem: str | None


def audit(session: Session, batch: int = 10_000) -> AuditResult:
    """Recompute the tree from the stored entries and compare it with every stored node and
    the head; name the first index that does not match."""
    size, stored_root = head(session)
    tree = merkle.MemoryTree()
    expected = 0
    for start in range(0, size, batch):
        rows = session.execute(
            select(LedgerEntry.index, LedgerEntry.entry)
            .where(LedgerEntry.index >= start, LedgerEntry.index < start + batch)
            .order_by(LedgerEntry.index)
        ).all()
        for index, entry in rows:
            if index != expected:
                return AuditResult(size, stored_root, expected, f"entry {expected} is missing")
            tree.append(merkle.leaf_hash(bytes(entry)))
            expected += 1
    if expected != size:
        return AuditResult(size, stored_root, expected, f"entry {expected} is missing")
    # A changed entry shows at its leaf (and every subtree above it); a changed node only
    # at itself: the lowest mismatching level names the place.
    bad: tuple[int, int, str] | None = None
    stored = 0
    for level, index, value in session.execute(
        select(LedgerNode.level, LedgerNode.index, LedgerNode.hash)
    ):
        stored += 1
        known = level < len(tree.levels) and index < len(tree.levels[level])
        if known and tree.levels[level][index] == bytes(value):
            continue
        place = (level, index << level)
        if bad is None or place < bad[:2]:
            what = "does not match" if known else "is beyond the tree"
            bad = (*place, f"the stored node {level}/{index} {what}")
    if bad is not None:
        return AuditResult(size, stored_root, bad[1], bad[2])
    if stored != sum(len(row) for row in tree.levels):
        return AuditResult(size, stored_root, None, "stored nodes are missing")
    root = tree.root()
    if root != stored_root:
        return AuditResult(size, stored_root, size - 1, "the head's root does not match")
    return AuditResult(size, root, None, None)
