"""The release pre-check in a real Chromium: a researcher names items and recipients and
sees, before submitting anything, what may go, what stands in the way and who approves."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import log_in
from tests.browser.test_techdata_flows import PASSWORD, UowFactory, _programme

pytestmark = pytest.mark.browser


def test_a_researcher_prechecks_a_release(
    page: Page, live_uow: UowFactory, csp_violations: list[str]
) -> None:
    programme = _programme(live_uow)
    log_in(page, "priya", PASSWORD)
    page.get_by_role("link", name="Release").click()
    page.get_by_label("Artifacts").fill(f"{programme.seen}\n{programme.hidden}")
    page.get_by_label("Recipient organisations").select_option(
        label="AFRL · Air Force Research Laboratory (USA)"
    )
    page.get_by_role("button", name="Check").click()
    # The NOFORN artifact is not hers to know: named as unknown, nothing else said.
    expect(page.get_by_text(f"no artifact you may see: {programme.hidden}")).to_be_visible()

    page.get_by_label("Artifacts").fill(programme.seen)
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name="pairs may be released")).to_contain_text("1 of 1")
    expect(page.get_by_role("table", name="Items")).to_contain_text("AFRL")
    assert not csp_violations
