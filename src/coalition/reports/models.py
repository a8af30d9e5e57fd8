"""Periodic reports of a project or an agreement, and their schedules.

A report is itself an artifact: its content (the PDF) is sealed like any other, and its
label is the highest of what it includes, so reading it goes through the decision engine.
``GeneratedReport`` links the artifact to the period and scope it reports on;
``ReportSchedule`` makes the clock generate one per period (e.g. quarterly)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column


class ReportScope(enum.StrEnum):
    PROJECT = "project"
    AGREEMENT = "agreement"


class Frequency(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class ReportSchedule(Entity, Base):
    __tablename__ = "report_schedules"
    scope: Mapped[ReportScope] = mapped_column(enum_column(ReportScope))
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), index=True)
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"))
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency))
    #: The first day of the next period to report on, once it has ended.
    next_period_start: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(120))


class GeneratedReport(Base):
    __tablename__ = "generated_reports"
    __table_args__ = (CheckConstraint("period_end >= period_start", name="period"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    artifact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("artifacts.id"), unique=True)
    scope: Mapped[ReportScope] = mapped_column(enum_column(ReportScope))
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), index=True)
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("report_schedules.id"))
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    generated_by: Mapped[str] = mapped_column(String(120))
