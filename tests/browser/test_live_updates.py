"""Live updates against a real server: a change made outside the page (a notice, a release
request, an arriving package) reaches an open stream within a poll, as counts and the kind
that rose, never a title; the stream ends with the session and when the client goes; a
served node stops promptly with streams open; and in Chromium the badges of an open page
change without a reload."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Page, expect
from sqlalchemy import select
from tests.browser.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, LiveServer, _seed, log_in
from tests.browser.test_techdata_flows import OPERATOR, PASSWORD, UowFactory, _programme

from coalition.accounts.models import Account
from coalition.accounts.permissions import Principal
from coalition.common.access import principal_for_account
from coalition.exchange import keys as package_keys
from coalition.exchange import services as exchange
from coalition.exchange.models import ImportedPackage
from coalition.exchange.schemas import PartnerIn
from coalition.notifications.services import notify
from coalition.registry.models import Organisation, Person
from coalition.releases import services as releases
from coalition.releases.schemas import RequestIn
from coalition.settings import Settings
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import uow_factory
from coalition.techdata.schemas import ArtifactIn, LabelIn
from coalition.techdata.services import create_artifact
from coalition.web import live

POLL_SECONDS = 0.1
#: A title no reader's stream may ever carry.
TITLE = "Inlet survey VANTAGE-7 results"


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, host="127.0.0.1", live_poll_seconds=POLL_SECONDS)


@dataclass(frozen=True)
class Desk:
    """The hypersonics programme, seen from the desk of Oliver (DSTL's security officer):
    Priya (DSTL researcher) asks for releases he may approve."""

    settings: Settings
    uow: UowFactory
    project: uuid.UUID
    afrl: uuid.UUID
    dstl: uuid.UUID
    oliver: uuid.UUID

    def notify_oliver(self) -> None:
        with self.uow() as unit:
            notify(unit, self.settings, [self.oliver], kind="test", title=TITLE, link="/inbox")
            unit.commit()

    def request_release(self) -> None:
        """Priya asks to release an OFFICIAL-SENSITIVE plan to AFRL: GBR's security officer
        must approve it."""
        create_artifact(
            self.uow(),
            OPERATOR,
            ArtifactIn(
                reference="HYP-0100",
                title="Inlet test plan",
                kind="report",
                project_id=self.project,
                owner_organisation_id=self.dstl,
                label=LabelIn(
                    scheme="GBR", originator="GBR", banner="OFFICIAL-SENSITIVE//REL TO USA, GBR"
                ),
            ),
        )
        releases.submit(
            self.uow(),
            self.principal("priya"),
            RequestIn(
                artifact_references=["HYP-0100"],
                recipient_organisation_ids=[self.afrl],
                purpose="carrying_out_the_project",
                justification="Joint inlet trial",
            ),
            self.settings,
        )

    def package_arrives(self) -> None:
        """A package for DSTL, taken in (its row as an import leaves it)."""
        artifact = create_artifact(
            self.uow(),
            OPERATOR,
            ArtifactIn(
                reference="AFRL-IN-1",
                title=TITLE,
                kind="report",
                owner_organisation_id=self.dstl,
                label=LabelIn(scheme="GBR", originator="GBR", banner="OFFICIAL"),
            ),
        )
        partner = exchange.register_partner(
            self.uow(),
            OPERATOR,
            PartnerIn(
                name="coalition.afrl.example",
                url="https://coalition.afrl.example",
                organisation_ids=[self.afrl],
                wrapping_key=package_keys.public_pem(
                    rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
                ),
                signing_key=package_keys.public_pem(Ed25519PrivateKey.generate().public_key()),
            ),
        )
        with self.uow() as unit:
            unit.add(
                ImportedPackage(
                    artifact_id=artifact.id,
                    partner_node_id=partner.id,
                    provenance={"item": "AFRL-IN-1"},
                    receipt_checked=False,
                    sender_ledger_index=None,
                    package_sha256="0" * 64,
                    imported_by=OPERATOR.name,
                )
            )
            unit.commit()

    def principal(self, username: str) -> Principal:
        with self.uow() as unit:
            account = unit.session.scalar(select(Account.id).where(Account.username == username))
            assert account is not None
            found = principal_for_account(unit.session, account)
        assert found is not None
        return found


@pytest.fixture
def desk(live_server: LiveServer, live_settings: Settings) -> Desk:
    programme = _programme(live_server.uow)
    with live_server.uow() as unit:
        dstl = unit.session.scalar(select(Organisation.id).where(Organisation.short_name == "DSTL"))
        oliver = unit.session.scalar(select(Person.id).where(Person.given_name == "Oliver"))
    assert dstl is not None and oliver is not None
    return Desk(live_settings, live_server.uow, programme.project, programme.afrl, dstl, oliver)


@contextmanager
def logged_in(url: str, username: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    # A read timeout bounds every wait for an event: a missing one fails, never hangs.
    with httpx.Client(base_url=url, timeout=httpx.Timeout(15.0)) as client:
        answer = client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        yield client


def events(stream: httpx.Response, raw: list[str]) -> Iterator[tuple[str, dict[str, object]]]:
    """The stream's events (name, data); every line received goes to ``raw``."""
    fields: dict[str, str] = {}
    for line in stream.iter_lines():
        raw.append(line)
        if line.startswith(":"):  # keep-alive ping
            continue
        if line:
            name, _, value = line.partition(": ")
            fields[name] = value
            continue
        if "event" in fields:
            yield fields["event"], json.loads(fields["data"])
        fields = {}


def test_a_change_reaches_an_open_stream_as_counts_and_kind_never_a_title(
    live_server: LiveServer, desk: Desk
) -> None:
    raw: list[str] = []
    with (
        logged_in(live_server.url, "oliver") as client,
        client.stream("GET", "/events") as stream,
    ):
        received = events(stream, raw)
        assert next(received) == ("counts", {"inbox": 0, "approvals": 0, "packages": 0})
        desk.notify_oliver()
        assert next(received) == ("counts", {"inbox": 1, "approvals": 0, "packages": 0})
        assert next(received) == ("arrived", {"kind": "inbox"})
        desk.request_release()
        assert next(received) == ("counts", {"inbox": 1, "approvals": 1, "packages": 0})
        assert next(received) == ("arrived", {"kind": "approvals"})
        desk.package_arrives()
        assert next(received) == ("counts", {"inbox": 1, "approvals": 1, "packages": 1})
        assert next(received) == ("arrived", {"kind": "packages"})
    assert not [line for line in raw if "VANTAGE" in line or "HYP-0100" in line or "Inlet" in line]


def test_the_stream_ends_with_the_session(live_server: LiveServer) -> None:
    raw: list[str] = []
    with (
        logged_in(live_server.url, ADMIN_USERNAME, ADMIN_PASSWORD) as client,
        client.stream("GET", "/events") as stream,
    ):
        received = events(stream, raw)
        assert next(received)[0] == "counts"
        assert client.post("/api/v1/auth/logout").status_code == 204
        started = time.monotonic()
        assert list(received) == []  # the server ends the stream at its next poll
        assert time.monotonic() - started < 2
        # The browser's reconnection is refused, so it stops asking.
        assert client.get("/events").status_code == 401


def test_a_stream_stops_polling_when_its_client_goes(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    polls: list[float] = []

    def counted(uow: UowFactory, reader: Principal) -> live.Counts:
        polls.append(time.monotonic())
        return live.Counts()

    monkeypatch.setattr(live, "snapshot", counted)
    with logged_in(live_server.url, ADMIN_USERNAME, ADMIN_PASSWORD) as client:
        with client.stream("GET", "/events") as stream:
            # Kept while listening: dropping the reader would close the response.
            received = events(stream, [])
            assert next(received)[0] == "counts"
            time.sleep(5 * POLL_SECONDS)
        gone = len(polls)
        assert gone >= 3  # it was polling while the client listened
        time.sleep(10 * POLL_SECONDS)
    assert len(polls) <= gone + 1  # at most a poll that was already under way


def test_a_served_node_stops_promptly_with_a_stream_open(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, host="127.0.0.1")
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    _seed(uow_factory(engine), settings)
    engine.dispose()
    with socket.socket() as probe:  # a free port, handed to the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    node = subprocess.Popen(
        [sys.executable, "-m", "coalition", "serve", "--port", str(port)],
        env={**os.environ, "COALITION_DATA_DIR": str(tmp_path), "COALITION_LOG_LEVEL": "WARNING"},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz")
                break
            except httpx.TransportError:
                assert node.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.1)
        with (
            logged_in(url, ADMIN_USERNAME, ADMIN_PASSWORD) as client,
            client.stream("GET", "/events") as stream,
        ):
            received = events(stream, [])
            assert next(received)[0] == "counts"
            started = time.monotonic()
            node.send_signal(signal.SIGTERM)
            node.wait(timeout=10)
            assert time.monotonic() - started < 5
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()


@pytest.mark.browser
def test_the_badges_of_an_open_page_change_without_a_reload(
    page: Page, desk: Desk, csp_violations: list[str]
) -> None:
    log_in(page, "oliver", PASSWORD)
    page.get_by_role("link", name="Projects", exact=True).click()
    header = page.locator("header.top")
    expect(header).to_have_attribute("data-live-state", "current")
    inbox = page.locator('[data-live-count="inbox"]')
    approvals = page.locator('[data-live-count="approvals"]')
    packages = page.locator('[data-live-count="packages"]')
    for badge in (inbox, approvals, packages):
        expect(badge).to_be_hidden()  # nothing yet: no badge at all
    page.evaluate("window.notReloaded = true")

    desk.notify_oliver()
    expect(inbox.locator("[data-live-number]")).to_have_text("1")
    # What a screen reader says of the link (Chromium spaces the badge off: "Inbox , ...").
    expect(page.get_by_role("link", name="unread notifications: 1")).to_contain_text("Inbox")
    notice = page.locator("[data-live-notice]")
    expect(notice).to_have_text("New notification.")
    expect(notice).to_have_attribute("aria-live", "polite")

    desk.request_release()
    expect(approvals.locator("[data-live-number]")).to_have_text("1")
    expect(notice).to_contain_text("A new approval is waiting")

    desk.package_arrives()
    expect(packages.locator("[data-live-number]")).to_have_text("1")
    expect(notice).to_contain_text("A package arrived")

    assert page.evaluate("window.notReloaded") is True
    expect(header).not_to_contain_text("VANTAGE")
    assert not csp_violations
