"""Notifications: each person's in-app inbox, and the e-mails waiting to be sent.

A use case that must tell someone (a vote opened, an approval due, a dispute escalated)
adds the inbox rows and the e-mails in its own transaction: a transactional outbox, so a
notice is sent if and only if its change was committed, and a crash between the two loses
nothing. The sender (coalition.notifications.mail) delivers the outbox over SMTP later."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.registry.models import Person
from coalition.store.base import Base, utcnow


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # A reminder sent by a daily job must not repeat: the job names it by a key.
        UniqueConstraint("person_id", "key"),
        Index("ix_notifications_inbox", "person_id", "read_at", "created_at"),
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    #: Path of the page the notice is about, on this node.
    link: Mapped[str | None] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    person: Mapped[Person] = relationship()


class OutgoingMail(Base):
    __tablename__ = "outgoing_mail"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None until sent; the sender takes the oldest unsent whose next attempt is due.
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    notification: Mapped[Notification] = relationship()
