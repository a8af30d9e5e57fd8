"""Tables of the facility catalogue: wind tunnels, ranges, test beds, laboratories and
computing, each owned by an organisation and labelled like technical data (the label's
releasability decides who may know of the facility; its level, caveats and export controls
who may take part in its bookings), with capabilities, capacity, rates, opening hours in
its own time zone, and closures."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.policy.models import LabelClass
from coalition.registry.models import Organisation
from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column


class FacilityKind(enum.StrEnum):
    WIND_TUNNEL = "wind_tunnel"
    RANGE = "range"
    TEST_BED = "test_bed"
    LABORATORY = "laboratory"
    COMPUTING = "computing"
    OTHER = "other"


class FacilityStatus(enum.StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class RateUnit(enum.StrEnum):
    HOUR = "hour"
    DAY = "day"


class Facility(Entity, Base):
    __tablename__ = "facilities"
    __table_args__ = (CheckConstraint("capacity >= 1", name="capacity"),)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[FacilityKind] = mapped_column(enum_column(FacilityKind))
    status: Mapped[FacilityStatus] = mapped_column(
        enum_column(FacilityStatus), default=FacilityStatus.ACTIVE
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    location: Mapped[str] = mapped_column(String(200))
    #: IANA zone of the opening hours, bookings and calendars of the facility.
    time_zone: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    #: Capability codes of the taxonomy (docs/facilities.md), e.g. "aero.hypersonic".
    capabilities: Mapped[list[str]] = mapped_column(default=list)
    label_id: Mapped[int] = mapped_column(ForeignKey("label_classes.id"))
    #: A technology control plan applies: visitors are escorted and briefed on it.
    tcp_applies: Mapped[bool] = mapped_column(default=False)
    #: Bookings that may run at the same time.
    capacity: Mapped[int] = mapped_column(default=1)
    rate_minor: Mapped[int | None] = mapped_column(BigInteger)
    rate_currency: Mapped[str | None] = mapped_column(String(3))
    rate_unit: Mapped[RateUnit | None] = mapped_column(enum_column(RateUnit))
    #: Weekday ("0" Monday ... "6") -> [opens, closes] in minutes after local midnight;
    #: empty means always open.
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    organisation: Mapped[Organisation] = relationship()
    label: Mapped[LabelClass] = relationship()
    closures: Mapped[list[FacilityClosure]] = relationship(
        back_populates="facility",
        cascade="all, delete-orphan",
        order_by="FacilityClosure.first_day",
    )


class FacilityClosure(Base):
    """Days the facility is closed (maintenance, holidays, its own campaigns)."""

    __tablename__ = "facility_closures"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="days"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"), index=True
    )
    first_day: Mapped[date]
    last_day: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200))
    facility: Mapped[Facility] = relationship(back_populates="closures")


class BookingStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Booking(Entity, Base):
    """A request to use a facility for a project, once or on a recurring rule, with the
    people who will take part. Its occurrences are rows of their own, so that conflicts
    are an indexed overlap query."""

    __tablename__ = "facility_bookings"
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    #: The first occurrence, in UTC; the rule repeats it in the facility's time zone.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    recurrence: Mapped[str | None] = mapped_column(String(300))
    exceptions: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[BookingStatus] = mapped_column(
        enum_column(BookingStatus), default=BookingStatus.REQUESTED
    )
    requested_by: Mapped[str] = mapped_column(String(120))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    facility: Mapped[Facility] = relationship()
    occurrences: Mapped[list[BookingOccurrence]] = relationship(
        back_populates="booking",
        cascade="all, delete-orphan",
        order_by="BookingOccurrence.starts_at",
    )
    #: In the order requested (ids rise as they are added).
    participants: Mapped[list[BookingParticipant]] = relationship(
        back_populates="booking", cascade="all, delete-orphan", order_by="BookingParticipant.id"
    )


class OccurrenceStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    #: Cancelled on its own (decision 0017): inactive, listed in the booking's exceptions.
    CANCELLED = "cancelled"
    #: Marked by the facility manager once it had started and nobody came.
    NO_SHOW = "no_show"


class BookingOccurrence(Base):
    __tablename__ = "facility_booking_occurrences"
    __table_args__ = (Index("ix_facility_occurrences_when", "facility_id", "starts_at", "ends_at"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("facility_bookings.id", ondelete="CASCADE"), index=True
    )
    #: Copied from the booking so that the overlap query needs no join.
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    #: Counts against capacity while the booking is requested or approved.
    active: Mapped[bool] = mapped_column(default=True)
    status: Mapped[OccurrenceStatus] = mapped_column(
        enum_column(OccurrenceStatus), default=OccurrenceStatus.SCHEDULED
    )
    #: Who cancelled it or marked the no-show, when and why.
    noted_by: Mapped[str | None] = mapped_column(String(120))
    noted_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    booking: Mapped[Booking] = relationship(back_populates="occurrences")


class BookingParticipant(Base):
    """A person taking part, with the engine's decision on their access when requested."""

    __tablename__ = "facility_booking_participants"
    __table_args__ = (UniqueConstraint("booking_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("facility_bookings.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    booking: Mapped[Booking] = relationship(back_populates="participants")


class QuotaPeriod(enum.StrEnum):
    """Calendar periods in the facility's own time zone; a week starts on Monday."""

    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class QuotaHolder(enum.StrEnum):
    PROJECT = "project"
    NATION = "nation"


class FacilityQuota(Entity, Base):
    """The booked hours a project, or the projects a nation leads, may hold at a facility
    in each period (decision 0017)."""

    __tablename__ = "facility_quotas"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes"),
        CheckConstraint("(project_id IS NULL) <> (nation_code IS NULL)", name="holder"),
        # holder_key is the project id or the nation code: a NULL would defeat uniqueness.
        UniqueConstraint("facility_id", "holder_kind", "holder_key", "period"),
    )
    facility_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"), index=True
    )
    holder_kind: Mapped[QuotaHolder] = mapped_column(enum_column(QuotaHolder))
    holder_key: Mapped[str] = mapped_column(String(40))
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE")
    )
    nation_code: Mapped[str | None] = mapped_column(ForeignKey("nations.code"))
    period: Mapped[QuotaPeriod] = mapped_column(enum_column(QuotaPeriod))
    minutes: Mapped[int]
    set_by: Mapped[str] = mapped_column(String(120))


class FeedKind(enum.StrEnum):
    FACILITY = "facility"
    PROJECT = "project"
    PERSON = "person"


class CalendarFeed(Base):
    """A subscription address for calendar programs, which cannot log in: a secret token
    in the URL serves one calendar (of a facility, a project or a person) as its account
    would see it, and nothing else. Only a SHA-256 of the token is kept."""

    __tablename__ = "calendar_feeds"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FeedKind] = mapped_column(enum_column(FeedKind))
    #: The facility's id, the project's code or the person's id.
    target: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
