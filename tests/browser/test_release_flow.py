"""Releases in a real Chromium: a researcher names items and recipients, sees before
submitting anything what may go, what stands in the way and who approves, and submits."""

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
    page.get_by_role("link", name="Releases").click()
    page.get_by_role("link", name="New release").click()
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

    # Unclassified, uncontrolled, no ORCON: nothing to approve, approved on submission.
    page.get_by_label("Justification").fill("Inlet survey for the joint trial")
    page.get_by_role("button", name="Submit the request").click()
    expect(page.get_by_role("status")).to_contain_text("submitted: approved")
    expect(page.get_by_role("heading", level=1)).to_contain_text("approved")
    page.get_by_role("link", name="Release requests").click()
    expect(page.get_by_role("table", name="Release requests")).to_contain_text(programme.seen)
    assert not csp_violations
