"""Requests for visit and expertise in a real Chromium (issue 8): a researcher asks to visit
the wind tunnel, her home security office confirms her clearance from its dashboard, the
host's security office approves naming an escort (a wrong escort refused at the field
first); then a French researcher and a British one search expertise and see only what their
nations may know, and the partner finder names the cleared laboratory."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import LiveServer, log_in
from tests.facility_world import EMAILS, PROJECT, TUNNEL, make_facility_world
from tests.visit_world import add_security_offices

from coalition.accounts.permissions import Principal
from coalition.expertise.schemas import ProfileIn
from coalition.expertise.services import create_profile
from coalition.techdata.schemas import LabelIn

pytestmark = pytest.mark.browser

OPERATOR = Principal.operator("test")
PASSWORD = "browser-test-passphrase-42"
FIRST = date.today() + timedelta(days=70)


def test_a_visit_through_both_security_offices(
    page: Page, live_server: LiveServer, csp_violations: list[str]
) -> None:
    fw = make_facility_world(live_server.uow, OPERATOR, password=PASSWORD)
    add_security_offices(live_server.uow, OPERATOR, fw, password=PASSWORD)
    log_in(page, "carol", PASSWORD)
    page.get_by_role("link", name="Visits", exact=True).click()
    page.get_by_role("link", name="Request a visit").click()
    page.locator("#f-reference").fill("RFV-2027-001")
    page.get_by_label("Visitor").fill(EMAILS["carol"])
    page.get_by_label("Host facility").select_option(TUNNEL)
    page.get_by_label("First day").fill(FIRST.isoformat())
    page.get_by_label("Last day").fill((FIRST + timedelta(days=1)).isoformat())
    page.get_by_label("Project").fill(PROJECT)
    page.get_by_label("Purpose").fill("Witness the inlet calibration runs")
    page.get_by_label("Access to the facility's classified").check()
    page.get_by_role("button", name="Request visit").click()
    expect(page.get_by_role("status")).to_contain_text("Visit RFV-2027-001 requested")
    expect(page.get_by_text("the visitor's home security office (GBR)")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, "uma", PASSWORD)
    page.get_by_role("link", name="RFV-2027-001").click()  # from the dashboard
    page.get_by_label("Outcome").select_option(label="confirm")
    page.get_by_role("button", name="Record answer").click()
    expect(page.get_by_role("status")).to_contain_text("Clearance confirmed for RFV-2027-001.")
    expect(page.locator("dd", has_text="confirmed by uma")).to_contain_text("GBR SC")
    page.get_by_role("button", name="Log out").click()

    log_in(page, "sam", PASSWORD)
    page.get_by_role("link", name="RFV-2027-001").click()
    page.get_by_label("Outcome").select_option(label="approve")
    page.get_by_label("Escort").fill(EMAILS["hugh"])
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#e-escort")).to_contain_text("Hugh Hale is not a citizen of USA")
    page.get_by_label("Outcome").select_option(label="approve")
    page.get_by_label("Escort").fill(EMAILS["grace"])
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text("Visit RFV-2027-001 approved.")
    expect(page.locator("dd", has_text="required:")).to_contain_text("Grace Gould")
    assert not csp_violations


def test_expertise_search_shows_each_reader_what_they_may_know(
    page: Page, live_server: LiveServer, csp_violations: list[str]
) -> None:
    make_facility_world(live_server.uow, OPERATOR, password=PASSWORD)
    for headline, banner in (
        ("Transonic inlet testing", "UNCLASSIFIED//REL TO USA, GBR, FRA"),
        ("Hypersonic inlet testing", "SECRET//REL TO USA, GBR"),
    ):
        create_profile(
            live_server.uow(),
            OPERATOR,
            ProfileIn(
                organisation="USAPL",
                headline=headline,
                capabilities=["aero.transonic"],
                trl=6,
                label=LabelIn(scheme="USA", originator="USA", banner=banner),
            ),
        )
    log_in(page, "fabien", PASSWORD)
    page.get_by_role("link", name="Expertise", exact=True).click()
    page.get_by_label("Search", exact=True).fill("inlet")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("1 profile, most relevant first")).to_be_visible()
    expect(page.get_by_role("link", name="Transonic inlet testing")).to_be_visible()
    expect(page.get_by_text("Hypersonic inlet testing")).to_have_count(0)
    page.get_by_role("button", name="Log out").click()

    log_in(page, "carol", PASSWORD)
    page.goto("/expertise?q=inlet")
    expect(page.get_by_text("2 profiles, most relevant first")).to_be_visible()
    page.get_by_role("link", name="Find partners").click()
    page.get_by_label("Capability").fill("aero")
    page.get_by_label("Facility cleared to").fill("SECRET")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text("1 organisation")).to_be_visible()
    expect(page.get_by_role("link", name="USAPL-WT")).to_be_visible()
    assert not csp_violations
