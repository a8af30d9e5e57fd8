"""Tables of projects and their plan."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.agreements.models import Agreement
from coalition.registry.models import Organisation, Person
from coalition.store.base import Base, Entity
from coalition.store.enums import enum_column


class ProjectStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ParticipantRole(enum.StrEnum):
    LEAD = "lead"
    PARTNER = "partner"
    OBSERVER = "observer"
    SUBCONTRACTOR = "subcontractor"


class MemberRole(enum.StrEnum):
    """A person's role in one project; the release engine reads it for need-to-know."""

    PROJECT_MANAGER = "project_manager"
    TECHNICAL_LEAD = "technical_lead"
    RESEARCHER = "researcher"
    OBSERVER = "observer"


class DeliverableStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"


class MilestoneStatus(enum.StrEnum):
    PLANNED = "planned"
    ACHIEVED = "achieved"
    MISSED = "missed"


class Project(Entity, Base):
    __tablename__ = "projects"
    __table_args__ = (CheckConstraint("end_on IS NULL OR end_on > start_on", name="dates"),)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), index=True)
    status: Mapped[ProjectStatus] = mapped_column(
        enum_column(ProjectStatus), default=ProjectStatus.PROPOSED
    )
    start_on: Mapped[date]
    end_on: Mapped[date | None]
    classification_ceiling: Mapped[int] = mapped_column(default=0)
    description: Mapped[str | None] = mapped_column(Text)
    agreement: Mapped[Agreement] = relationship()
    participants: Mapped[list[Participant]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Participant.joined_on"
    )
    members: Mapped[list[Member]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Member.joined_on"
    )
    work_packages: Mapped[list[WorkPackage]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="WorkPackage.code"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Milestone.due_on"
    )
    trl_assessments: Mapped[list[TrlAssessment]] = relationship(
        back_populates="project", order_by="TrlAssessment.assessed_on", cascade="all, delete-orphan"
    )


class Participant(Base):
    """An organisation taking part, between the dates it joined and withdrew."""

    __tablename__ = "project_participants"
    __table_args__ = (
        CheckConstraint("withdrew_on IS NULL OR withdrew_on >= joined_on", name="dates"),
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[ParticipantRole] = mapped_column(enum_column(ParticipantRole))
    joined_on: Mapped[date]
    withdrew_on: Mapped[date | None]
    project: Mapped[Project] = relationship(back_populates="participants")
    organisation: Mapped[Organisation] = relationship()


class Member(Base):
    """A person on the team, sponsored by the participation of the organisation that
    employed them when they joined: it stays theirs if they later change employer, and
    the membership ends when that participation does."""

    __tablename__ = "project_members"
    __table_args__ = (CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="dates"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("project_participants.id"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole))
    joined_on: Mapped[date]
    left_on: Mapped[date | None]
    project: Mapped[Project] = relationship(back_populates="members")
    participant: Mapped[Participant] = relationship()
    person: Mapped[Person] = relationship()


class WorkPackage(Entity, Base):
    __tablename__ = "work_packages"
    __table_args__ = (UniqueConstraint("project_id", "code"),)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    lead_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    description: Mapped[str | None] = mapped_column(Text)
    project: Mapped[Project] = relationship(back_populates="work_packages")
    lead_organisation: Mapped[Organisation] = relationship()
    deliverables: Mapped[list[Deliverable]] = relationship(
        back_populates="work_package", cascade="all, delete-orphan", order_by="Deliverable.code"
    )


class Deliverable(Entity, Base):
    __tablename__ = "deliverables"
    __table_args__ = (UniqueConstraint("work_package_id", "code"),)
    work_package_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_packages.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date]
    status: Mapped[DeliverableStatus] = mapped_column(
        enum_column(DeliverableStatus), default=DeliverableStatus.PLANNED
    )
    work_package: Mapped[WorkPackage] = relationship(back_populates="deliverables")


class Milestone(Entity, Base):
    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("project_id", "code"),)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date]
    status: Mapped[MilestoneStatus] = mapped_column(
        enum_column(MilestoneStatus), default=MilestoneStatus.PLANNED
    )
    achieved_on: Mapped[date | None]
    project: Mapped[Project] = relationship(back_populates="milestones")


class TrlAssessment(Base):
    """The project's technology readiness level (1 to 9) as assessed on a day: kept, never
    changed, so progress reports can show readiness over time."""

    __tablename__ = "project_trl_assessments"
    __table_args__ = (
        UniqueConstraint("project_id", "assessed_on"),
        CheckConstraint("level BETWEEN 1 AND 9", name="level"),
    )
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    assessed_on: Mapped[date]
    level: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    project: Mapped[Project] = relationship(back_populates="trl_assessments")
