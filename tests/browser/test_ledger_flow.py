"""The auditor's ledger page in a real Chromium: the state, an entry search, and an audit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import log_in

from coalition.accounts.permissions import Principal, Role
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.store.uow import UnitOfWork

pytestmark = pytest.mark.browser

PASSWORD = "browser-test-passphrase-42"


def test_an_auditor_searches_the_ledger_and_audits_it(
    page: Page, live_uow: Callable[[], UnitOfWork], csp_violations: list[str]
) -> None:
    create_account(
        live_uow(),
        Principal.operator("test"),
        AccountIn(
            username="inspector",
            display_name="Inspector",
            password=PASSWORD,
            grants=[GrantIn(role=Role.AUDITOR)],
        ),
    )
    log_in(page, "inspector", PASSWORD)
    page.get_by_role("link", name="Ledger").click()
    expect(page.get_by_role("heading", name="Transparency ledger")).to_be_visible()

    page.get_by_label("Tag starts with").fill("accounts:login")
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_role("row").filter(has_text="accounts:login:ok")
    expect(rows.first).to_contain_text("inspector")
    expect(page.get_by_role("row").filter(has_text="accounts:account:create")).to_have_count(0)

    page.get_by_role("button", name="Recompute and verify the whole log").click()
    expect(page.get_by_role("status")).to_contain_text("Audit passed")
    assert not csp_violations
