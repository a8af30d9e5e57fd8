"""What passes between this node and its partners: deliveries out (the outbox) and in,
the nonces of signed requests already seen, alerts, and the partners' published
directories."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column


class DeliveryStatus(enum.StrEnum):
    #: Queued with the approval; the package is not built yet.
    QUEUED = "queued"
    #: The release is recorded and its package built and kept: sending (again) sends these bytes.
    PACKAGED = "packaged"
    #: The partner's signed receipt came back, checked, and is in this node's ledger.
    DELIVERED = "delivered"
    #: The partner refused it for good (a 4xx that retrying cannot change).
    REFUSED = "refused"
    #: Given up after the configured number of attempts; an operator may retry it.
    FAILED = "failed"


class Delivery(Entity, Base):
    """One item of an approved release, on its way to the partner node that hosts the
    recipient. Its id is the delivery's identity on both sides: the receiver imports a
    delivery id once, whatever the number of attempts."""

    __tablename__ = "federation_deliveries"
    __table_args__ = (
        UniqueConstraint("request_id", "recipient_id", "artifact_id"),
        Index("ix_federation_deliveries_due", "status", "next_attempt_at"),
    )
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("release_requests.id"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    artifact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("artifacts.id"))
    partner_node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_nodes.id"))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus), default=DeliveryStatus.QUEUED
    )
    #: The release entry recorded for this delivery: set in the transaction that records
    #: it, so that building the package again after a crash does not release twice.
    release_event_id: Mapped[int | None]
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    package_size: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The receiver's signed receipt, as checked.
    receipt: Mapped[dict[str, Any] | None]
    delivered_at: Mapped[datetime | None]


class InboundStatus(enum.StrEnum):
    IMPORTED = "imported"


class InboundDelivery(Base):
    """A delivery taken in from a partner: at most one per (partner, delivery id), written
    in the transaction that imports it, so a repeated delivery gets the same receipt."""

    __tablename__ = "federation_inbound"
    __table_args__ = (UniqueConstraint("partner_node_id", "delivery_id"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    partner_node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_nodes.id"))
    delivery_id: Mapped[uuid.UUID]
    package_sha256: Mapped[str] = mapped_column(String(64))
    artifact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("artifacts.id"))
    #: The ledger event of the import: the receipt proves its entry.
    event_id: Mapped[int]
    #: This node's signed receipt, once made (kept, so a repeat gets the same one).
    receipt: Mapped[dict[str, Any] | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeenNonce(Base):
    """A signed request's nonce, kept until its signature would have expired anyway: a
    request carrying one again is a replay."""

    __tablename__ = "federation_nonces"
    __table_args__ = (UniqueConstraint("key_id", "nonce"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(80))
    nonce: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AlertKind(enum.StrEnum):
    UNKNOWN_NODE = "unknown_node"
    BAD_SIGNATURE = "bad_signature"
    REPLAY = "replay"
    REFUSED_PACKAGE = "refused_package"
    RECEIPT_MISMATCH = "receipt_mismatch"
    INCONSISTENT_CHECKPOINT = "inconsistent_checkpoint"
    BAD_DIRECTORY = "bad_directory"
    SUSPENDED_NODE = "suspended_node"


class FederationAlert(Base):
    """Something a partner (or someone claiming to be one) did that an operator must look
    at: a forged or replayed request, a tampered package, a receipt that does not match,
    a checkpoint inconsistent with one already seen."""

    __tablename__ = "federation_alerts"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind))
    partner_node_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partner_nodes.id"))
    #: Who it came from as far as can be told (a key id or an address), when not a partner.
    source: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: The same kind from the same source again, while this one is open and recent:
    #: counted here rather than kept again (a stranger probing cannot fill the table).
    repeats: Mapped[int] = mapped_column(default=0)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    acknowledged_at: Mapped[datetime | None]


class PartnerDirectory(Base):
    """The latest signed directory a partner published: the organisations and capability
    profiles it chose to share, checked with its pinned key before it is kept."""

    __tablename__ = "federation_directories"
    partner_node_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partner_nodes.id", ondelete="CASCADE"), primary_key=True
    )
    issued_at: Mapped[datetime]
    #: The signed document as received (verifiable again at any time).
    document: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class DirectoryEntry(Base):
    """One organisation of a partner's directory, flattened for search and the partner
    finder; replaced whole with each newer directory."""

    __tablename__ = "federation_directory_entries"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    partner_node_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partner_nodes.id", ondelete="CASCADE"), index=True
    )
    short_name: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    nation_code: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(40))
    #: Capabilities and expertise keywords the partner published for it.
    capabilities: Mapped[list[str]]
    summary: Mapped[str] = mapped_column(Text, default="")
