"""The event table. The transparency ledger (a later issue) turns these into Merkle leaves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from coalition.store.base import Base, utcnow


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    # "source:subject:action", e.g. "registry:organisation:create" (pypi/warehouse style).
    tag: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64), index=True)
    # Names and new values of changed fields, the authority used; never secrets.
    details: Mapped[dict[str, Any]]
