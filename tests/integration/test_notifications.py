"""Notification e-mail through a real SMTP server (aiosmtpd on loopback): the outbox is
written with the change, sent once, retried after a failure with a growing wait, and the
inbox is each person's own."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from coalition.accounts.permissions import Principal
from coalition.errors import NotFound, PermissionDenied
from coalition.governance.schemas import MotionIn
from coalition.governance.services import open_motion
from coalition.notifications import services
from coalition.notifications.mail import send_due
from coalition.notifications.models import Notification, OutgoingMail
from coalition.settings import Settings
from tests.conftest import UowFactory
from tests.governance_world import GovernanceWorld, make_governance_world

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Collector:
    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


@pytest.fixture
def gw(uow: UowFactory, operator: Principal) -> GovernanceWorld:
    return make_governance_world(uow, operator)


def _open(uow: UowFactory, gw: GovernanceWorld, settings: Settings) -> None:
    open_motion(
        uow(),
        gw.principal(uow, "pm"),
        MotionIn(
            reference="SC-TRI/W1",
            body="SC-TRI",
            title="Adopt the test plan",
            text="Text.",
            procedure="written",
            deadline=NOW + timedelta(days=3),
        ),
        settings,
        NOW,
    )


def test_the_outbox_is_sent_once_over_smtp(
    uow: UowFactory, gw: GovernanceWorld, settings: Settings, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    mailing = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "smtp_from": "coalition@node.example",
            "public_url": "https://coalition.example",
        }
    )
    _open(uow, gw, mailing)
    # Mail is due from when it was queued (the real clock), whatever the use case's moment.
    sent_at = datetime.now(UTC) + timedelta(seconds=1)
    first = send_due(uow, mailing, sent_at)
    assert (first.sent, first.failed, first.waiting) == (3, 0, 0)
    assert sorted(e.rcpt_tos[0] for e in collector.received) == [
        "alice@usapl.example",
        "bob@uksl.example",
        "claire@example.org",
    ]
    message = message_from_bytes(collector.received[0].content)
    assert message["Subject"].startswith("[Coalition] Vote opened on SC-TRI SC-TRI/W1")
    assert "https://coalition.example/governance/motions/" in message.get_payload()
    again = send_due(uow, mailing, sent_at + timedelta(minutes=10))
    assert again.sent == 0 and len(collector.received) == 3


def test_a_failed_send_waits_longer_each_time(
    uow: UowFactory, gw: GovernanceWorld, settings: Settings
) -> None:
    down = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_starttls": False}
    )
    _open(uow, gw, down)
    at = datetime.now(UTC) + timedelta(seconds=1)
    run = send_due(uow, down, at)
    assert (run.sent, run.failed, run.waiting) == (0, 3, 3)
    with uow() as u:
        mails = [
            (m.attempts, m.next_attempt_at, m.last_error)
            for m in u.session.scalars(select(OutgoingMail))
        ]
    assert {a for a, _, _ in mails} == {1}
    assert all(n == at + timedelta(minutes=1) for _, n, _ in mails)
    assert all(e and "ConnectionRefusedError" in e for _, _, e in mails)
    assert send_due(uow, down, at + timedelta(seconds=30)).failed == 0  # not due yet
    assert send_due(uow, down, at + timedelta(minutes=1)).failed == 3
    with uow() as u:
        assert {m.next_attempt_at for m in u.session.scalars(select(OutgoingMail))} == {
            at + timedelta(minutes=3)
        }


def test_the_inbox_is_each_persons_own(
    uow: UowFactory, gw: GovernanceWorld, settings: Settings
) -> None:
    _open(uow, gw, settings)
    alice, bob = gw.principal(uow, "alice"), gw.principal(uow, "bob")
    inbox = services.inbox(uow(), alice)
    assert inbox.unread == 1
    with uow() as u:
        bobs = u.session.scalar(
            select(Notification.id).where(Notification.person_id == gw.people["bob"])
        )
    assert bobs is not None
    with pytest.raises(NotFound):
        services.mark_read(uow(), alice, bobs)
    assert services.mark_read(uow(), bob, bobs) == 1
    assert services.inbox(uow(), bob, unread_only=True).items == []
    assert services.unread_count(uow(), alice) == 1
    with pytest.raises(PermissionDenied):
        services.inbox(uow(), gw.principal(uow, "pm"))
