"""The ledger's tables: entries waiting to be integrated, the integrated entries, the
hashes of every perfect subtree, and the head (size and root) the integrator maintains."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.audit.models import Event
from coalition.store.base import Base, utcnow


class LedgerPending(Base):
    """An entry written in the same transaction as the change it records, before it has
    an index: writers never contend on the tree."""

    __tablename__ = "ledger_pending"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    #: The event the entry records (the node's own, readable record of the change).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    event: Mapped[Event | None] = relationship()


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    # On SQLite an INTEGER key is the rowid itself: one B-tree instead of a table and an index.
    index: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    #: Kept beside the entry (never in it): with the event, it proves a field's value.
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    integrated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerNode(Base):
    """The hash of the perfect subtree of 2^level entries from ``index << level``."""

    __tablename__ = "ledger_nodes"
    # On SQLite, stored in its key's B-tree: a lookup is one probe, not an index then a row.
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - read by SQLAlchemy once
    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerHead(Base):
    __tablename__ = "ledger_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    root: Mapped[bytes] = mapped_column(LargeBinary)


class WitnessState(Base):
    """What this node, as a witness, last cosigned for a partner's log: the next checkpoint
    must extend it (compare-and-swap on ``size``)."""

    __tablename__ = "witness_state"
    origin: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerCheckpoint(Base):
    """A checkpoint this node signed, as published: the signed note; its witnesses'
    cosignatures are kept beside it as they arrive."""

    __tablename__ = "ledger_checkpoints"
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerCosignature(Base):
    """A witness's C2SP cosignature of one of this node's checkpoints, verified on receipt."""

    __tablename__ = "ledger_cosignatures"
    size: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ledger_checkpoints.size"), primary_key=True, autoincrement=False
    )
    witness: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: The signature line, ``— name base64(keyid ‖ timestamp ‖ signature)``.
    line: Mapped[str] = mapped_column(Text)
    #: The witness's own time of cosigning (seconds since the epoch), from the line.
    timestamp: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
