"""Two national nodes in a real Chromium: each operator reads out their node key's
fingerprint and pins the other's node with it from the Federation page; a release from
node A then goes to node B by itself, and both pages show it: A's delivery with B's signed
receipt, B's delivery received. A wrong fingerprint pins nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import serve
from tests.integration.test_federation import _approved_release, _release_again
from tests.integration.test_two_nodes import Node, _node

from coalition.accounts.permissions import Principal, Role
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.federation import outbox
from coalition.federation.models import DeliveryStatus
from coalition.federation.worker import http_client

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-passphrase-42"


def _operator(node: Node) -> None:
    create_account(
        node.unit(),
        Principal.operator("test"),
        AccountIn(
            username="operator",
            display_name="Operator",
            password=PASSWORD,
            grants=[GrantIn(role=Role.NODE_ADMIN)],
        ),
    )


@contextmanager
def _page(browser: Browser, url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=url)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _federation(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Federation").click()
    expect(page.get_by_role("heading", name="Federation", exact=True)).to_be_visible()


def _pin(page: Page, url: str, fingerprint: str, organisation: str) -> None:
    page.get_by_label("Address").fill(url)
    page.get_by_label("Key fingerprint").fill(fingerprint)
    page.get_by_label("Organisations it hosts").select_option(label=organisation)
    page.get_by_role("button", name="Pin and register").click()


def test_operators_pin_each_others_nodes_and_a_release_arrives(
    browser: Browser, tmp_path: Path
) -> None:
    a = _node(tmp_path / "a", "coalition.usapl.example/ledger")
    b = _node(tmp_path / "b", "coalition.uksl.example/ledger")
    for node in (a, b):
        _operator(node)
    with (
        serve(a.settings, a.uow) as url_a,  # type: ignore[arg-type]
        serve(b.settings, b.uow) as url_b,  # type: ignore[arg-type]
        _page(browser, url_a) as page_a,
        _page(browser, url_b) as page_b,
    ):
        _federation(page_a)
        _federation(page_b)
        fingerprint_a = page_a.get_by_test_id("fingerprint").inner_text()
        fingerprint_b = page_b.get_by_test_id("fingerprint").inner_text()

        # A wrong fingerprint (one digit changed): nothing is pinned, and the page says why.
        wrong = fingerprint_b[:-1] + ("0" if fingerprint_b[-1] != "0" else "1")
        _pin(page_a, url_b, wrong, "UKSL · Lab UKSL (GBR)")
        expect(page_a.get_by_text("it is not pinned")).to_be_visible()
        expect(page_a.get_by_text("No partner node is registered.")).to_be_visible()

        _pin(page_a, url_b, fingerprint_b, "UKSL · Lab UKSL (GBR)")
        expect(page_a.get_by_text("coalition.uksl.example pinned and registered.")).to_be_visible()
        _pin(page_b, url_a, fingerprint_a, "USAPL · Lab USAPL (USA)")
        expect(page_b.get_by_text("coalition.usapl.example pinned and registered.")).to_be_visible()

        # A release approved on A goes out by itself (here: one round of A's clock).
        _approved_release(a)
        with http_client(a.settings) as client:
            (attempt,) = outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
        assert attempt.status is DeliveryStatus.DELIVERED, attempt.problem

        page_a.reload()
        deliveries = page_a.get_by_role("table", name="Deliveries")
        expect(deliveries.get_by_text("SONAR-7")).to_be_visible()
        expect(deliveries.get_by_test_id("delivery-status")).to_have_text("delivered")
        expect(deliveries).to_contain_text("of coalition.uksl.example's ledger")
        page_b.reload()
        received = page_b.get_by_role("table", name="Received")
        expect(received.get_by_role("link", name="SONAR-7")).to_be_visible()
        expect(received).to_contain_text("coalition.usapl.example")

        # A suspends its trust in B: a release approved meanwhile is held, not sent.
        page_a.get_by_text("Suspend trust in a partner").click()
        page_a.get_by_label("Why suspend coalition.uksl.example").fill("node key reported lost")
        page_a.get_by_role("button", name="Suspend coalition.uksl.example").click()
        expect(page_a.get_by_text("Trust in coalition.uksl.example is suspended.")).to_be_visible()
        partners = page_a.get_by_role("table", name="Partner nodes")
        expect(partners).to_contain_text("node key reported lost")
        _release_again(a)
        with http_client(a.settings) as client:
            assert outbox.dispatch_due(a.uow, a.settings, client) == []  # type: ignore[arg-type]
        page_a.reload()
        expect(deliveries).to_contain_text("held: trust in coalition.uksl.example is suspended")

        # Reinstated, what was held goes.
        page_a.get_by_role("button", name="Reinstate coalition.uksl.example").click()
        expect(page_a.get_by_text("coalition.uksl.example is trusted again")).to_be_visible()
        with http_client(a.settings) as client:
            outbox.dispatch_due(a.uow, a.settings, client)  # type: ignore[arg-type]
        page_a.reload()
        expect(deliveries.get_by_test_id("delivery-status")).to_have_text(["delivered"] * 2)
        expect(deliveries).not_to_contain_text("held")
