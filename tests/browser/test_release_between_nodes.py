"""The whole release flow in a real Chromium, between two nodes with databases of their
own: on node A a researcher prechecks and submits, the security officer approves, the
researcher downloads the package; on node B the recipient imports it and sees it with the
originator's label and its receipt verified."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import serve
from tests.integration.test_two_nodes import Node, nodes, releasable_item  # noqa: F401

from coalition.accounts.permissions import Principal, Role
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-passphrase-42"


def _account(node: Node, username: str, role: Role, person: uuid.UUID | None) -> None:
    create_account(
        node.unit(),
        Principal.operator("test"),
        AccountIn(
            username=username,
            display_name=username.title(),
            password=PASSWORD,
            person_id=person,
            grants=[GrantIn(role=role)],
        ),
    )


def _page(browser: Browser, url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=url, accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def _log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_a_release_goes_from_request_on_one_node_to_import_on_another(
    browser: Browser,
    nodes: tuple[Node, Node],  # noqa: F811
    tmp_path: Path,
) -> None:
    a, b = nodes
    releasable_item(a)
    _account(a, "alice", Role.RESEARCHER, a.people["Alice"])
    _account(a, "fdo", Role.SECURITY_OFFICER, None)
    _account(b, "bob", Role.RESEARCHER, b.people["Bob"])
    with serve(a.settings, a.uow) as url_a, serve(b.settings, b.uow) as url_b:  # type: ignore[arg-type]
        pages_a = _page(browser, url_a)
        page = next(pages_a)
        _log_in(page, "alice")
        page.get_by_role("link", name="Releases").click()
        page.get_by_role("link", name="New release").click()
        page.get_by_label("Artifacts").fill("SONAR-7")
        page.get_by_label("Recipient organisations").select_option(label="UKSL · Lab UKSL (GBR)")
        page.get_by_role("button", name="Check").click()
        expect(page.get_by_role("heading", name="pairs may be released")).to_contain_text("1 of 1")
        expect(page.get_by_text("USA security officer (classified)").first).to_be_visible()
        page.get_by_label("Justification").fill("Trial 7 results for UKSL")
        page.get_by_role("button", name="Submit the request").click()
        expect(page.get_by_role("status")).to_contain_text("submitted: submitted")
        request_url = page.url
        _log_out(page)

        _log_in(page, "fdo")
        page.goto("/releases?inbox=true")
        page.get_by_role("link", name="REL-").first.click()
        page.get_by_label("Reason for classified:USA").fill("Within the US-UK GSA")
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_role("status")).to_contain_text("Approval given")
        expect(page.get_by_role("heading", level=1)).to_contain_text("approved")
        _log_out(page)

        _log_in(page, "alice")
        page.goto(request_url)
        with page.expect_download() as download:
            page.get_by_role("link", name="SONAR-7 for UKSL (.tdf)").click()
        package = tmp_path / "release.tdf"
        download.value.save_as(package)
        next(pages_a, None)

        pages_b = _page(browser, url_b)
        page = next(pages_b)
        _log_in(page, "bob")
        page.get_by_role("link", name="Releases").click()
        page.get_by_role("link", name="Import a package").click()
        page.get_by_label("Package").set_input_files(str(package))
        page.get_by_role("button", name="Import").click()
        expect(page.get_by_role("heading", name="Imported: SONAR-7")).to_be_visible()
        expect(page.get_by_text("verified")).to_be_visible()
        page.get_by_role("link", name="SONAR-7").click()
        expect(page.get_by_label("Classification banner")).to_contain_text(
            "SECRET//REL TO USA, GBR"
        )
        expect(page.get_by_role("table", name="Versions")).to_contain_text("trial-7.txt")
        next(pages_b, None)
