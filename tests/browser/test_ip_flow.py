"""The IP register in a real Chromium: an IP officer records a result carried by an
artifact (a wrong share total refused first), sees that a partner may not use it for
government purposes and what it would take, licenses it (a period before the agreement
refused first), and sees the denial turn into a permit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import log_in
from tests.browser.test_techdata_flows import TODAY, UowFactory, _artifact_id, _programme

pytestmark = pytest.mark.browser


def test_a_result_licensed_for_government_purposes_turns_a_denial_into_a_permit(
    page: Page, live_uow: UowFactory, csp_violations: list[str]
) -> None:
    programme = _programme(live_uow)
    artifact = _artifact_id(live_uow, programme.seen)
    why = (
        f"/artifacts/{artifact}/why?person_id={programme.priya}"
        "&action=use_for&purpose=government_purposes"
    )
    log_in(page)
    page.get_by_role("link", name="IP", exact=True).click()
    page.get_by_role("link", name="Record a result").click()
    page.get_by_role("textbox", name=re.compile(r"^Reference")).fill("IP-HYP-RES-001")
    page.get_by_label("Title").fill("Inlet boundary-layer bleed schedule")
    page.get_by_label("Project").select_option(label="HYP")
    page.get_by_label("Owners and shares").fill("AFRL:60")
    page.get_by_label("Artifacts carrying it").fill(programme.seen)
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#e-owners")).to_contain_text("the shares add up to 60%, not 100%")

    page.get_by_label("Owners and shares").fill("AFRL:100")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("status")).to_contain_text("IP-HYP-RES-001 recorded")
    expect(page.get_by_role("heading", level=1)).to_contain_text("IP-HYP-RES-001")

    page.goto(why)
    row = page.get_by_role("row", name=re.compile("ip_use"))
    expect(row).to_contain_text("fail")
    expect(row).to_contain_text(
        "a licence or access right on IP-HYP-RES-001 from AFRL for government purposes"
    )

    page.goto("/ip")
    page.get_by_role("link", name="IP-HYP-RES-001").click()
    page.get_by_role("link", name="Record a licence of IP-HYP-RES-001").click()
    page.get_by_role("textbox", name=re.compile(r"^Reference")).fill("LIC-HYP-001")
    page.get_by_label("Licensor").select_option(label="AFRL")
    page.get_by_label("Licensee", exact=True).select_option(label="DSTL")
    page.get_by_label("government purposes").check()
    page.get_by_label("Valid from").fill(str(TODAY - timedelta(days=800)))
    page.get_by_role("button", name="Record licence").click()
    expect(page.locator("#e-valid_from")).to_contain_text(
        "starts before the agreement takes effect"
    )

    page.get_by_label("Valid from").fill(str(TODAY - timedelta(days=1)))
    page.get_by_label("Valid until").fill(str(TODAY + timedelta(days=365)))
    page.get_by_role("button", name="Record licence").click()
    expect(page.get_by_role("status")).to_contain_text("Licence LIC-HYP-001 recorded")
    licences = page.get_by_role("table", name="Licences and access rights")
    expect(licences).to_contain_text("government purposes")

    page.goto(why)
    row = page.get_by_role("row", name=re.compile("ip_use"))
    expect(row).to_contain_text("pass")
    expect(row).to_contain_text("licensed under LIC-HYP-001")
    expect(page.get_by_text("permit", exact=True)).to_be_visible()
    assert not csp_violations
