"""Oversight bodies of an agreement or a project (steering committees, management boards,
technical panels): their members with voting rights and weights, meetings, motions put to
a vote in a meeting or by written procedure, the votes, and the action items they assign.

A body's decision rule (unanimity, consensus, simple or qualified majority), its quorum and
its members' vetoes come from the agreement; the outcome of a motion is computed by
:mod:`coalition.governance.rules` and stored with its explanation when the vote closes."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.agreements.models import Agreement, DecisionRule
from coalition.projects.models import Project
from coalition.registry.models import Person
from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column


class BodyKind(enum.StrEnum):
    STEERING_COMMITTEE = "steering_committee"
    PROGRAMME_MANAGEMENT_BOARD = "programme_management_board"
    TECHNICAL_PANEL = "technical_panel"
    OTHER = "other"


class BodyStatus(enum.StrEnum):
    ACTIVE = "active"
    DISSOLVED = "dissolved"


class OversightBody(Entity, Base):
    __tablename__ = "oversight_bodies"
    __table_args__ = (
        CheckConstraint("quorum_percent BETWEEN 0 AND 100", name="quorum"),
        CheckConstraint(
            "qualified_majority_percent IS NULL OR qualified_majority_percent BETWEEN 51 AND 100",
            name="qualified_majority",
        ),
    )
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[BodyKind] = mapped_column(enum_column(BodyKind))
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), index=True)
    #: Set for a body of one project (a project board); None for the agreement's own.
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"), index=True)
    decision_rule: Mapped[DecisionRule] = mapped_column(enum_column(DecisionRule))
    qualified_majority_percent: Mapped[int | None]
    #: Share of the voting weight that must take part (votes and abstentions) for a vote
    #: to count at all.
    quorum_percent: Mapped[int] = mapped_column(default=50)
    status: Mapped[BodyStatus] = mapped_column(enum_column(BodyStatus), default=BodyStatus.ACTIVE)
    terms_of_reference: Mapped[str | None] = mapped_column(Text)
    agreement: Mapped[Agreement] = relationship()
    project: Mapped[Project | None] = relationship()
    members: Mapped[list[BodyMember]] = relationship(
        back_populates="body", order_by="BodyMember.nation", cascade="all, delete-orphan"
    )


class BodyMember(Base):
    """A person sitting on a body for their nation; ``voting`` members carry ``weight``."""

    __tablename__ = "oversight_body_members"
    __table_args__ = (
        CheckConstraint("weight >= 1 AND weight <= 1000", name="weight"),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="dates"),
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    body_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oversight_bodies.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    #: The nation the member represents: their employer's, fixed when they join.
    nation: Mapped[str] = mapped_column(String(3))
    chair: Mapped[bool] = mapped_column(default=False)
    voting: Mapped[bool] = mapped_column(default=True)
    weight: Mapped[int] = mapped_column(default=1)
    veto: Mapped[bool] = mapped_column(default=False)
    joined_on: Mapped[date]
    left_on: Mapped[date | None]
    body: Mapped[OversightBody] = relationship(back_populates="members")
    person: Mapped[Person] = relationship()


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class Meeting(Entity, Base):
    __tablename__ = "meetings"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="times"),)
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    body_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oversight_bodies.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(300))
    #: The agenda's items in order, as plain text.
    agenda: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus), default=MeetingStatus.SCHEDULED
    )
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_by: Mapped[str | None] = mapped_column(String(120))
    #: Bumped with every change sent to calendars (RFC 5545 SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    body: Mapped[OversightBody] = relationship()
    attendees: Mapped[list[MeetingAttendee]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[MeetingAttachment]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )


class MeetingAttendee(Base):
    __tablename__ = "meeting_attendees"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    present: Mapped[bool] = mapped_column(default=True)
    meeting: Mapped[Meeting] = relationship(back_populates="attendees")
    person: Mapped[Person] = relationship()


class MeetingAttachment(Base):
    """An artifact (papers, slides, minutes' annexes) attached to a meeting: shown only to
    readers the decision engine lets see it."""

    __tablename__ = "meeting_attachments"
    __table_args__ = (UniqueConstraint("meeting_id", "artifact_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    artifact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("artifacts.id"))
    meeting: Mapped[Meeting] = relationship(back_populates="attachments")


class Procedure(enum.StrEnum):
    MEETING = "meeting"
    WRITTEN = "written"


class MotionStatus(enum.StrEnum):
    OPEN = "open"
    CARRIED = "carried"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


class Motion(Entity, Base):
    __tablename__ = "motions"
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    body_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oversight_bodies.id"), index=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    #: The choices put to the vote; every voter may also abstain.
    options: Mapped[list[str]] = mapped_column(default=list)
    procedure: Mapped[Procedure] = mapped_column(enum_column(Procedure))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(120))
    #: A written procedure closes by itself at its deadline.
    deadline: Mapped[datetime | None] = mapped_column(index=True)
    #: The day a carried decision takes effect (None: the day it is decided).
    effective_on: Mapped[date | None]
    status: Mapped[MotionStatus] = mapped_column(
        enum_column(MotionStatus), default=MotionStatus.OPEN, index=True
    )
    #: The rule, quorum and vetoes as they stood when the vote opened.
    rule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(120))
    carried_option: Mapped[str | None] = mapped_column(String(200))
    explanation: Mapped[str | None] = mapped_column(Text)
    tally: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[OversightBody] = relationship()
    votes: Mapped[list[Vote]] = relationship(
        back_populates="motion", order_by="Vote.cast_at", cascade="all, delete-orphan"
    )


class Vote(Base):
    """One member's vote on a motion; final once cast."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("motion_id", "member_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    motion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("motions.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oversight_body_members.id"))
    #: One of the motion's options, or "abstain".
    choice: Mapped[str] = mapped_column(String(200))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    cast_by: Mapped[str] = mapped_column(String(120))
    motion: Mapped[Motion] = relationship(back_populates="votes")
    member: Mapped[BodyMember] = relationship()


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ActionItem(Entity, Base):
    __tablename__ = "action_items"
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    body_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oversight_bodies.id"), index=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meetings.id"))
    motion_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("motions.id"))
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus), default=ActionStatus.OPEN, index=True
    )
    done_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)
    body: Mapped[OversightBody] = relationship()
    owner: Mapped[Person] = relationship()
