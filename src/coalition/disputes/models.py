"""Disputes between the parties to an agreement, handled by the agreement's escalation
ladder: each level (say the project managers, then the steering committee, then the
ministries) has a time limit; a dispute not settled within it goes up one level by itself.
The ladder is copied from the agreement when the dispute is raised, so a later amendment
does not change the rules of a dispute under way."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.agreements.models import Agreement
from coalition.projects.models import Project
from coalition.registry.models import Organisation
from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column


class DisputeSubject(enum.StrEnum):
    IP = "ip"
    FUNDING = "funding"
    TECHNICAL = "technical"
    SECURITY = "security"
    OTHER = "other"


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


class Dispute(Entity, Base):
    __tablename__ = "disputes"
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), index=True)
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"), index=True)
    subject: Mapped[DisputeSubject] = mapped_column(enum_column(DisputeSubject))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The agreement's ladder when the dispute was raised: [{"level": ..., "days": ...}].
    ladder: Mapped[list[Any]] = mapped_column(default=list)
    #: Index into ``ladder`` of the level handling the dispute now.
    level: Mapped[int] = mapped_column(default=0)
    level_since: Mapped[datetime]
    #: When the current level's time runs out (None once settled).
    level_due: Mapped[datetime | None] = mapped_column(index=True)
    status: Mapped[DisputeStatus] = mapped_column(
        enum_column(DisputeStatus), default=DisputeStatus.OPEN, index=True
    )
    #: The last level's time ran out with nowhere left to go: flagged, never closed by time.
    exhausted: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str | None] = mapped_column(Text)
    settled_at: Mapped[datetime | None]
    agreement: Mapped[Agreement] = relationship()
    project: Mapped[Project | None] = relationship()
    raised_by: Mapped[Organisation] = relationship(foreign_keys=[raised_by_id])
    parties: Mapped[list[DisputeParty]] = relationship(
        back_populates="dispute", cascade="all, delete-orphan"
    )
    steps: Mapped[list[DisputeStep]] = relationship(
        back_populates="dispute", order_by="DisputeStep.id", cascade="all, delete-orphan"
    )


class DisputeParty(Base):
    __tablename__ = "dispute_parties"
    __table_args__ = (UniqueConstraint("dispute_id", "organisation_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    dispute_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    dispute: Mapped[Dispute] = relationship(back_populates="parties")
    organisation: Mapped[Organisation] = relationship()


class DisputeStep(Base):
    """What happened to a dispute: raised, escalated (by hand or by time), resolved."""

    __tablename__ = "dispute_steps"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    dispute_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    level: Mapped[int]
    by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    dispute: Mapped[Dispute] = relationship(back_populates="steps")
