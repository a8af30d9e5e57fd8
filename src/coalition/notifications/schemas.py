"""What the inbox and the mail outbox show."""

from __future__ import annotations

import uuid
from datetime import datetime

from coalition.registry.schemas import View


class NotificationOut(View):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class InboxOut(View):
    unread: int
    items: list[NotificationOut]


class MailRunOut(View):
    """One pass of the sender over the outbox."""

    sent: int
    failed: int
    given_up: int
    waiting: int
