"""Threaded discussions where the work is: on a project, a work package, an artifact, a
motion, a risk or a dispute. Every message carries a security label (by default its
thread's) and is checked like an artifact: its project is the thread's (the engine's
need-to-know), its owner the author's organisation. A reader sees only the messages the
engine lets them see; lists and counts are filtered in SQL on the label class, project and
owner, as artifact listings are (coalition.techdata.listing)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.policy.models import LabelClass
from coalition.registry.models import Person
from coalition.store.base import Base, Entity, utcnow
from coalition.store.enums import enum_column


class SubjectKind(enum.StrEnum):
    PROJECT = "project"
    WORK_PACKAGE = "work_package"
    ARTIFACT = "artifact"
    MOTION = "motion"
    RISK = "risk"
    DISPUTE = "dispute"


class DiscussionThread(Entity, Base):
    __tablename__ = "discussion_threads"
    __table_args__ = (
        Index("ix_discussion_threads_subject", "subject_kind", "subject_id"),
        Index("ix_discussion_threads_project_label", "project_id", "label_id"),
    )
    subject_kind: Mapped[SubjectKind] = mapped_column(enum_column(SubjectKind))
    subject_id: Mapped[uuid.UUID]
    #: The project whose team has the need-to-know (the subject's project).
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"))
    owner_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    #: The thread's own label: who may know the thread (and its title) exists, and the
    #: default label of its messages.
    label_id: Mapped[int] = mapped_column(ForeignKey("label_classes.id"))
    title: Mapped[str] = mapped_column(String(300))
    started_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    label: Mapped[LabelClass] = relationship()
    started_by: Mapped[Person] = relationship()


class DiscussionMessage(Base):
    __tablename__ = "discussion_messages"
    __table_args__ = (
        Index("ix_discussion_messages_thread", "thread_id", "created_at"),
        Index("ix_discussion_messages_project_label", "project_id", "label_id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    thread_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("discussion_threads.id", ondelete="CASCADE")
    )
    #: The message this one answers (threaded replies); None at the top of the thread.
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("discussion_messages.id"))
    #: Copied from the thread, so one SQL filter decides visibility as for artifacts.
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"))
    owner_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    label_id: Mapped[int] = mapped_column(ForeignKey("label_classes.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    body: Mapped[str] = mapped_column(Text)
    #: Artifact ids attached; each shown only to readers who may see that artifact.
    attachments: Mapped[list[str]] = mapped_column(default=list)
    #: People mentioned (@e-mail), told when they may see the message.
    mentions: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    label: Mapped[LabelClass] = relationship()
    author: Mapped[Person] = relationship()
