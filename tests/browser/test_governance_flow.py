"""Governance in a real Chromium (issue 9): the programme manager opens a written procedure
in the pages; members of two nations vote from "Votes waiting for you"; when the deadline
passes the clock closes it, the motion's page explains the outcome, and the members'
e-mail (a real SMTP server on loopback) says it carried."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect
from tests.browser.conftest import LiveServer, log_in
from tests.factories import PASSWORD
from tests.governance_world import make_governance_world

from coalition.accounts.permissions import Principal
from coalition.governance.services import tick
from coalition.notifications.mail import send_due
from coalition.settings import Settings

pytestmark = pytest.mark.browser

OPERATOR = Principal.operator("test")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def live_settings(tmp_path: Path, smtp: tuple[Inbox, int]) -> Settings:
    return Settings(
        data_dir=tmp_path,
        host="127.0.0.1",
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_starttls=False,
        smtp_from="coalition@node.example",
    )


def test_a_written_procedure_voted_from_two_nations(
    page: Page,
    live_server: LiveServer,
    live_settings: Settings,
    smtp: tuple[Inbox, int],
    csp_violations: list[str],
) -> None:
    make_governance_world(live_server.uow, OPERATOR, rule="majority")
    deadline = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
    log_in(page, "pmgr", PASSWORD)
    page.get_by_role("link", name="Governance", exact=True).click()
    page.get_by_role("link", name="SC-TRI").click()
    form = page.get_by_role("form", name="Open a vote")
    form.get_by_label("Reference", exact=True).fill("SC-TRI/WP/1")
    form.get_by_label("Title", exact=True).fill("Adopt the trials plan")
    form.get_by_label("Text of the motion").fill("The committee adopts trials plan v3.")
    form.get_by_label("Deadline (UTC)").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_role("button", name="Open the vote").click()
    expect(page.get_by_role("status")).to_contain_text("Vote on SC-TRI/WP/1 opened.")
    page.get_by_role("button", name="Log out").click()

    for name in ("alice", "bob"):  # USA and GBR
        log_in(page, name, PASSWORD)
        page.get_by_role("link", name="Governance", exact=True).click()
        page.get_by_role("link", name="SC-TRI/WP/1").click()
        page.get_by_label("for", exact=True).check()
        page.get_by_role("button", name="Cast vote").click()
        expect(page.get_by_role("status")).to_contain_text("Your vote on SC-TRI/WP/1 is recorded.")
        expect(page.get_by_text("You voted for.")).to_be_visible()
        page.get_by_role("button", name="Log out").click()

    # The scheduler's clock runs after the deadline; France never voted.
    closed = tick(live_server.uow, OPERATOR, live_settings, deadline + timedelta(minutes=1))
    assert closed.motions_closed == ["SC-TRI/WP/1"]
    log_in(page, "alice", PASSWORD)
    page.get_by_role("link", name="Inbox").click()
    page.get_by_role("button", name="Open").first.click()
    expect(page.locator("#outcome")).to_have_text(
        "carried by simple majority of votes cast: for 2 of 3 voting weight, 1 not voting"
    )
    send_due(live_server.uow, live_settings, datetime.now(UTC) + timedelta(seconds=1))
    inbox = smtp[0]
    outcome = [
        message_from_bytes(m.content)
        for m in inbox.messages
        if m.rcpt_tos == ["alice@usapl.example"]
    ]
    subjects = [m["Subject"] for m in outcome]
    assert "[Coalition] SC-TRI SC-TRI/WP/1 carried: Adopt the trials plan" in subjects
    assert csp_violations == []
