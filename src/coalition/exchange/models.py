"""Partner nodes: where a recipient organisation's data goes, and the keys to address and
check what passes between the nodes."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coalition.store.base import Base, Entity


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
