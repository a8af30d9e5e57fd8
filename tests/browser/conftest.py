"""A real server on a free port and Debian's headless Chromium, for tests that use the UI.

Each test gets its own SQLite file and server, so tests never see each other's records.
The browser is started once per session; each test gets a fresh context (no shared cookies).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from coalition.accounts.permissions import Principal, Role
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.registry.reference import load_reference
from coalition.registry.schemas import NationIn
from coalition.registry.services import create_nation
from coalition.settings import Settings
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import UnitOfWork, uow_factory
from coalition.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "browser-test-passphrase-42"
OPERATOR = Principal.operator("test")


@dataclass(frozen=True)
class LiveServer:
    url: str
    uow: Callable[[], UnitOfWork]


def _seed(uow: Callable[[], UnitOfWork], settings: Settings) -> None:
    load_reference(uow(), OPERATOR, settings.effective_reference_dir)
    create_nation(uow(), OPERATOR, NationIn(code="USA", currency="USD", scheme_code="USA"))
    create_nation(uow(), OPERATOR, NationIn(code="GBR", currency="GBP", scheme_code="GBR"))
    create_account(
        uow(),
        OPERATOR,
        AccountIn(
            username=ADMIN_USERNAME,
            display_name="Admin",
            password=ADMIN_PASSWORD,
            grants=[GrantIn(role=Role.NODE_ADMIN)],
        ),
    )


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    """The served node's settings; a test module overrides this fixture to change them."""
    # Loopback host: the session cookie is not marked Secure, so it travels over plain HTTP.
    return Settings(data_dir=tmp_path, host="127.0.0.1")


@pytest.fixture
def live_server(live_settings: Settings) -> Iterator[LiveServer]:
    settings = live_settings
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    uow = uow_factory(engine)
    _seed(uow, settings)
    try:
        with serve(settings, uow) as url:
            yield LiveServer(url=url, uow=uow)
    finally:
        engine.dispose()


@contextmanager
def serve(settings: Settings, uow: Callable[[], UnitOfWork]) -> Iterator[str]:
    """A node's app served on a free port of the loopback interface; yields its URL."""
    # Bind before starting, so no other process can take the port in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, uow),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            # A live-update stream (/events) still open at the end would keep a server in a
            # thread waiting for ever: it gets no signal, so sse-starlette cannot tell that
            # it is stopping (a served node can: see tests/browser/test_live_updates.py).
            timeout_graceful_shutdown=2,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("COALITION_REQUIRE_BROWSER", "") not in ("", "0", "false", "no"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def live_uow(live_server: LiveServer) -> Callable[[], UnitOfWork]:
    """Units of work on the server's database, to set up records without clicking."""
    return live_server.uow


@pytest.fixture
def csp_violations() -> list[str]:
    """Scripts or styles the browser refused under the Content-Security-Policy."""
    return []


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, csp_violations: list[str]) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    opened = context.new_page()

    def record(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            csp_violations.append(f"{opened.url}: {message.text}")

    opened.on("console", record)
    try:
        yield opened
    finally:
        context.close()


def log_in(page: Page, username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.fixture
def admin_credentials() -> tuple[str, str]:
    """Username and password of the node administrator every test server has."""
    return ADMIN_USERNAME, ADMIN_PASSWORD


@pytest.fixture
def admin_page(page: Page) -> Page:
    """A browser page logged in as the node administrator."""
    log_in(page)
    return page
