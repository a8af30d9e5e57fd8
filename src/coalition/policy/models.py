"""Label classes: each distinct security label stored once, shared by the artifacts that
carry it, so decisions and listings work per label class, not per artifact."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from coalition.store.base import Base, utcnow


class LabelClass(Base):
    __tablename__ = "label_classes"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    #: SHA-256 of the label's canonical JSON: the same label always finds the same row.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    scheme: Mapped[str] = mapped_column(String(8))
    classification: Mapped[str] = mapped_column(String(80))
    originator: Mapped[str] = mapped_column(String(3), index=True)
    common_level: Mapped[int]
    requires_clearance: Mapped[bool]
    releasable_to: Mapped[list[str]]
    noforn: Mapped[bool]
    caveats: Mapped[list[str]]
    export: Mapped[list[Any]]
    distribution: Mapped[str | None] = mapped_column(String(200))
    ip_terms: Mapped[str | None] = mapped_column(String(200))
    embargo_until: Mapped[date | None]
    review_on: Mapped[date | None]
    pinned_on: Mapped[date | None]
    banner: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FactVersion(Base):
    """One row whose counter moves whenever a fact a decision reads changes (people,
    clearances, projects, agreements, groups, export and IP records...), so per-subject
    verdicts can be cached and shared between processes (store/versions.py)."""

    __tablename__ = "fact_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    counter: Mapped[int] = mapped_column(default=0)
