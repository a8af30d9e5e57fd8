"""The Merkle log in the application's database.

Every event a use case records becomes an entry in the same transaction (a session hook on
every new event, so no use case can forget it): no change without its entry, no entry
without its change. Appending stores the entry, its leaf and every perfect subtree it
completes, and moves the head (size, root).

- On PostgreSQL the hook writes a pending entry; the integrator gives pending entries their
  indexes in batches under one advisory lock, so business transactions never wait on the
  tree (the Tessera / Trillian pattern).
- On SQLite, whose writers are serialised anyway, each writing transaction appends its own
  entries just before it commits, without a pending row.
"""

from __future__ import annotations

import functools
import os
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Table, event, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from coalition.audit.models import Event
from coalition.ledger import merkle
from coalition.ledger.entries import encode_entry
from coalition.ledger.models import LedgerEntry, LedgerHead, LedgerNode, LedgerPending
from coalition.store.base import Base, utcnow

_PENDING = "coalition.ledger_pending"
_FLUSHED = "coalition.ledger_flushed"
#: PostgreSQL advisory lock key of the integrator ("CLEDGER" as digits).
INTEGRATOR_LOCK = 0x434C4544474552
BATCH = 1000


@event.listens_for(Session, "before_flush")
def _pending_entries(session: Session, flush_context: Any, instances: Any) -> None:
    events = [obj for obj in session.new if isinstance(obj, Event)]
    if not events:
        return
    on_sqlite = session.get_bind().dialect.name == "sqlite"
    for obj in events:
        if obj.at is None:
            obj.at = utcnow()  # the event and its entry carry the same time
        salt = os.urandom(16)
        entry = encode_entry(
            at=obj.at,
            actor=obj.actor,
            tag=obj.tag,
            object_type=obj.object_type,
            object_id=obj.object_id,
            details=obj.details,
            salt=salt,
        )
        # SQLite: appended before this transaction commits (_integrate_on_sqlite), with no
        # pending row written and read back. PostgreSQL: written as pending rows at the end
        # of this flush (_write_pending), once the events have their ids.
        session.info.setdefault(_PENDING if on_sqlite else _FLUSHED, []).append((obj, entry, salt))


@event.listens_for(Session, "after_flush")
def _write_pending(session: Session, flush_context: Any) -> None:
    flushed = session.info.pop(_FLUSHED, None)
    if not flushed:
        return
    connection = session.connection()
    sql = _statements(connection.dialect)
    stamp = _now_for(sql)
    # One statement for the flush's entries, no ORM objects: writers stay cheap.
    cursor = _cursor(connection)
    _insert_rows(
        cursor, sql.insert_pending, [(entry, salt, obj.id, stamp) for obj, entry, salt in flushed]
    )
    cursor.close()


@event.listens_for(Session, "before_commit")
def _integrate_on_sqlite(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        return
    session.flush()  # first: the flush is what gives this transaction's events their ids
    waiting = session.info.pop(_PENDING, None)
    if not waiting:
        return
    # An event whose savepoint was rolled back is no longer persistent: no entry for it.
    rows = [(entry, salt, obj.id) for obj, entry, salt in waiting if sa_inspect(obj).persistent]
    if rows:
        _append(session, rows)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_FLUSHED, None)


class DbNodes:
    """Perfect-subtree hashes from ``ledger_nodes``, fetched as the proofs ask for them,
    with what has been fetched kept for the rest of the request."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[int, int], bytes] = {}

    def prefetch(self, keys: Iterable[tuple[int, int]]) -> None:
        wanted = sorted({key for key in keys if key not in self.cache})
        if not wanted:
            return
        # One query by primary key. Written as SQL: building the same condition as an
        # expression cost ten times the query itself (docs/benchmarks.md, "Ledger").
        connection = self.session.connection()
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        quote = connection.dialect.identifier_preparer.quote
        pair = f"({quote('level')} = {mark} AND {quote('index')} = {mark})"
        sql = (
            f"SELECT {quote('level')}, {quote('index')}, {quote('hash')} "  # noqa: S608
            f"FROM {quote(LedgerNode.__tablename__)} WHERE " + " OR ".join([pair] * len(wanted))
        )
        parameters = tuple(value for key in wanted for value in key)
        for level, index, value in connection.exec_driver_sql(sql, parameters):
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


_HEAD = select(LedgerHead.size, LedgerHead.root).where(LedgerHead.id == 1)


def head(session: Session) -> tuple[int, bytes]:
    row = session.execute(_HEAD).first()
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
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INTEGRATOR_LOCK})
    pending = session.execute(
        select(LedgerPending.id, LedgerPending.entry, LedgerPending.salt, LedgerPending.event_id)
        .order_by(LedgerPending.id)
        .limit(limit)
    ).all()
    if not pending:
        return 0
    _append(session, [(bytes(p.entry), bytes(p.salt), p.event_id) for p in pending])
    session.connection().execute(
        _pending_table.delete().where(_pending_table.c.id.in_([p.id for p in pending]))
    )
    return len(pending)


_pending_table = Base.metadata.tables["ledger_pending"]
_entries_table = Base.metadata.tables["ledger_entries"]
_nodes_table = Base.metadata.tables["ledger_nodes"]
_head_table = Base.metadata.tables["ledger_head"]


@dataclass(frozen=True)
class _Statements:
    """The integration's statements as the driver takes them, built once per dialect.
    Integration writes about three rows per entry, and on SQLite runs in every writing
    transaction: SQLAlchemy's compilation and per-row parameter handling cost more than
    the database's own work (docs/benchmarks.md, "Ledger"). Names come from this
    package's own tables, quoted; every value is bound."""

    insert_pending: str
    insert_entries: str
    insert_nodes: str
    #: Compare-and-swap: moves the head only from the size and root it is given.
    move_head: str
    insert_head: str
    #: Converts an aware datetime into what the driver stores for a timestamp column.
    timestamp: Callable[[Any], Any] | None


@functools.cache
def _statements(dialect: Dialect) -> _Statements:
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"

    def insert(table: Table, *columns: str) -> str:
        names = ", ".join(quote(c) for c in columns)
        marks = ", ".join(mark for _ in columns)
        return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608

    head = quote(_head_table.name)
    time_type = _entries_table.c.integrated_at.type
    return _Statements(
        insert_pending=insert(_pending_table, "entry", "salt", "event_id", "created_at"),
        insert_entries=insert(
            _entries_table, "index", "entry", "salt", "event_id", "integrated_at"
        ),
        insert_nodes=insert(_nodes_table, "level", "index", "hash"),
        move_head=(
            f"UPDATE {head} SET {quote('size')} = {mark}, {quote('root')} = {mark} "  # noqa: S608
            f"WHERE {quote('id')} = 1 AND {quote('size')} = {mark} AND {quote('root')} = {mark}"
        ),
        insert_head=insert(_head_table, "id", "size", "root"),
        timestamp=time_type.dialect_impl(dialect).bind_processor(dialect),
    )


def _now_for(sql: _Statements) -> Any:
    now = utcnow()
    return sql.timestamp(now) if sql.timestamp is not None else now


def _cursor(connection: Connection) -> Any:
    """A cursor of the driver's connection, inside the transaction SQLAlchemy began: the
    integration's writes skip even the execution context (about 20 µs a statement, a
    tenth of a SQLite transaction)."""
    return connection.connection.driver_connection.cursor()  # type: ignore[union-attr]


def _insert_rows(cursor: Any, statement: str, rows: list[tuple[Any, ...]]) -> None:
    if len(rows) == 1:
        cursor.execute(statement, rows[0])
    elif rows:
        cursor.executemany(statement, rows)


def _append(session: Session, rows: list[tuple[bytes, bytes, int | None]]) -> None:
    """Append entries (bytes, salt, event id) at the end of the tree: store each entry, its
    leaf and every perfect subtree it completes, and move the head."""
    bind = session.get_bind()
    connection = session.connection()
    nodes = DbNodes(session)
    with _edges_lock:
        known = _edges.get(bind)
    # The right edge of the tree (the perfect subtrees a new leaf can complete) as this
    # process left it, if it did: trusted only if the head still shows its size and root,
    # which moving the head checks (compare-and-swap) before anything is written.
    sql = _statements(connection.dialect)
    cursor = _cursor(connection)
    moved = False
    if known is not None:
        size, old_root = known[0], known[1]
        nodes.cache.update(known[2])
        new_size, root, new_nodes = _extend(nodes, size, rows)
        moved = cursor.execute(sql.move_head, (new_size, root, size, old_root)).rowcount == 1
    if not moved:
        size, old_root = head(session)
        nodes = DbNodes(session)
        nodes.prefetch(_right_edge(size))
        new_size, root, new_nodes = _extend(nodes, size, rows)
        if size == 0 and session.scalar(select(LedgerHead.id).where(LedgerHead.id == 1)) is None:
            cursor.execute(sql.insert_head, (1, new_size, root))
        else:
            cursor.execute(sql.move_head, (new_size, root, size, old_root))
    stamp = _now_for(sql)
    _insert_rows(
        cursor,
        sql.insert_entries,
        [
            (size + offset, entry, salt, event_id, stamp)
            for offset, (entry, salt, event_id) in enumerate(rows)
        ],
    )
    _insert_rows(cursor, sql.insert_nodes, new_nodes)
    cursor.close()
    edge = {key: nodes.cache[key] for key in _right_edge(new_size)}
    with _edges_lock:
        # Remembered now, trusted later only if the head then shows this size and root
        # (a rolled-back transaction leaves the old head, which will not match).
        _edges[bind] = (new_size, root, edge)


def _extend(
    nodes: DbNodes, size: int, rows: list[tuple[bytes, bytes, int | None]]
) -> tuple[int, bytes, list[tuple[int, int, bytes]]]:
    """The new size and root after appending ``rows`` to a tree of ``size`` whose right
    edge ``nodes`` holds, and the nodes to store (level, index, hash): leaves and the
    subtrees they complete."""
    new_nodes: list[tuple[int, int, bytes]] = []
    cache = nodes.cache
    for offset, (entry, _, _) in enumerate(rows):
        index = size + offset
        value = merkle.leaf_hash(entry)
        cache[(0, index)] = value
        new_nodes.append((0, index, value))
        level, at = 0, index
        while at & 1:  # a right child completes its parent: the left sibling is known
            left = cache.get((level, at - 1)) or nodes(level, at - 1)
            value = merkle.node_hash(left, value)
            level, at = level + 1, at >> 1
            cache[(level, at)] = value
            new_nodes.append((level, at, value))
    new_size = size + len(rows)
    return new_size, merkle.root_hash(nodes, new_size), new_nodes


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


def audit(session: Session) -> AuditResult:
    """Recompute the tree from the stored entries and compare it with every stored node and
    the head; name the first index that does not match."""
    size, stored_root = head(session)
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    tree = merkle.MemoryTree()
    expected = 0
    # Two plain scans straight through the driver: a million rows through SQLAlchemy's
    # result processing cost more than hashing them.
    entries = connection.exec_driver_sql(
        f"SELECT {quote('index')}, {quote('entry')} FROM {quote(LedgerEntry.__tablename__)} "  # noqa: S608
        f"ORDER BY {quote('index')}"
    )
    leaf_hash, append = merkle.leaf_hash, tree.append
    for index, entry in entries:
        if index != expected:
            entries.close()
            return AuditResult(size, stored_root, expected, f"entry {expected} is missing")
        append(leaf_hash(bytes(entry)))
        expected += 1
    if expected != size:
        return AuditResult(size, stored_root, expected, f"entry {expected} is missing")
    # A changed entry shows at its leaf (and every subtree above it); a changed node only
    # at itself: the lowest mismatching level names the place.
    bad: tuple[int, int, str] | None = None
    stored = 0
    levels = tree.levels
    for level, index, value in connection.exec_driver_sql(
        f"SELECT {quote('level')}, {quote('index')}, {quote('hash')} "  # noqa: S608
        f"FROM {quote(LedgerNode.__tablename__)}"
    ):
        stored += 1
        known = level < len(levels) and index < len(levels[level])
        if known and levels[level][index] == value:
            continue
        if known and levels[level][index] == bytes(value):  # a driver's memoryview
            continue
        place = (level, index << level)
        if bad is None or place < bad[:2]:
            what = "does not match" if known else "is beyond the tree"
            bad = (*place, f"the stored node {level}/{index} {what}")
    if bad is not None:
        return AuditResult(size, stored_root, bad[1], bad[2])
    if stored != sum(len(row) for row in levels):
        return AuditResult(size, stored_root, None, "stored nodes are missing")
    root = tree.root()
    if root != stored_root:
        return AuditResult(size, stored_root, size - 1, "the head's root does not match")
    return AuditResult(size, root, None, None)
