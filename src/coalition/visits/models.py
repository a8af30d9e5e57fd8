"""Requests for visit: a person asks to visit a host facility on given days. The visitor's
home security office confirms their clearance when classified access is needed, and the
host nation's security office approves, naming an escort where one is required. Days are
the facility's local days."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.facilities.models import Booking, Facility
from coalition.registry.models import Person
from coalition.store.base import Base, Entity
from coalition.store.enums import enum_column


class VisitStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Visit(Entity, Base):
    __tablename__ = "visits"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="days"),)
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    visitor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    #: The project the visit serves: its need-to-know when classified access is needed.
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"))
    booking_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("facility_bookings.id"), index=True
    )
    first_day: Mapped[date]
    last_day: Mapped[date]
    purpose: Mapped[str] = mapped_column(Text)
    classified_access: Mapped[bool] = mapped_column(default=False)
    #: Nations fixed at the request: the visitor's employer's and the facility's owner's.
    home_nation: Mapped[str] = mapped_column(String(3))
    host_nation: Mapped[str] = mapped_column(String(3), index=True)
    status: Mapped[VisitStatus] = mapped_column(
        enum_column(VisitStatus), default=VisitStatus.REQUESTED, index=True
    )
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_on: Mapped[date]
    #: The host nation's lead time was not met; the requester said why it cannot wait.
    late_justification: Mapped[str | None] = mapped_column(Text)
    #: Whether the home security office must confirm a clearance before the host decides.
    clearance_needed: Mapped[bool] = mapped_column(default=False)
    clearance_due: Mapped[date | None]
    decision_due: Mapped[date]
    clearance_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clearances.id"))
    clearance_summary: Mapped[str | None] = mapped_column(String(200))
    clearance_confirmed_by: Mapped[str | None] = mapped_column(String(120))
    clearance_confirmed_at: Mapped[datetime | None]
    escort_required: Mapped[bool] = mapped_column(default=False)
    escort_reason: Mapped[str | None] = mapped_column(String(300))
    escort_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: The last day a reminder of the pending step was recorded (one a day at most).
    reminded_on: Mapped[date | None]
    visitor: Mapped[Person] = relationship(foreign_keys=[visitor_id])
    escort: Mapped[Person | None] = relationship(foreign_keys=[escort_id])
    facility: Mapped[Facility] = relationship()
    booking: Mapped[Booking | None] = relationship()
