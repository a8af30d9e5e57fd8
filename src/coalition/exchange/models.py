"""Partner nodes: where a recipient organisation's data goes, and the keys to address and
check what passes between the nodes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coalition.store.base import Base, Entity, utcnow


class PartnerNode(Entity, Base):
    __tablename__ = "partner_nodes"
    name: Mapped[str] = mapped_column(String(120), unique=True)
    url: Mapped[str] = mapped_column(String(300))
    #: The organisations whose data this node receives (ids as strings).
    organisation_ids: Mapped[list[str]]
    #: The node's package wrapping key (RSA, PEM): packages for it are wrapped for this.
    wrapping_key: Mapped[str] = mapped_column(Text)
    #: The node's package signing key (Ed25519, PEM): what it releases is checked with it.
    signing_key: Mapped[str] = mapped_column(Text)
    #: The node's ledger verifier key (name+id+key), to check its receipts.
    log_key: Mapped[str | None] = mapped_column(String(300))
    #: The node's witness verifier key: it cosigns this node's checkpoints (at ``url``/witness).
    witness_key: Mapped[str | None] = mapped_column(String(300))
    #: Set while this node's trust in the partner is suspended (its key may be compromised,
    #: its arrangement lapsed): nothing is sent to it or taken from it until reinstated.
    suspended_at: Mapped[datetime | None]
    suspended_by: Mapped[str | None] = mapped_column(String(120))
    suspension_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None


class ImportedPackage(Base):
    """Where an imported artifact came from: the partner node, its request and item, and
    what was checked on arrival."""

    __tablename__ = "imported_packages"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    artifact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("artifacts.id"), unique=True)
    partner_node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_nodes.id"))
    #: The sender's own words (its release-provenance assertion), as received.
    provenance: Mapped[dict[str, Any]]
    receipt_checked: Mapped[bool]
    #: The receipt's entry index in the sender's log, when it was checked.
    sender_ledger_index: Mapped[int | None]
    package_sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
