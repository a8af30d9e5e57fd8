"""Quotas, a no-show and the utilisation page in a real Chromium (issue 8): the wind tunnel's
manager sets a weekly quota for the project on the facility's page, marks last week's
session a no-show on the booking's page, and reads the utilisation page: the table, the
timeline chart (an image that loads, with the figures in its text alternative) and the
downloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import LiveServer, log_in
from tests.facility_world import PROJECT, TUNNEL, make_facility_world

from coalition.accounts.permissions import Principal
from coalition.facilities import bookings
from coalition.facilities.schemas import BookingDecisionIn, BookingIn

pytestmark = pytest.mark.browser

OPERATOR = Principal.operator("test")
PASSWORD = "browser-test-passphrase-42"


def test_the_manager_sets_a_quota_marks_a_no_show_and_reads_the_utilisation(
    page: Page, live_server: LiveServer, csp_violations: list[str]
) -> None:
    fw = make_facility_world(live_server.uow, OPERATOR, closed=None, password=PASSWORD)
    day = (datetime.now(UTC) - timedelta(days=2)).date()
    while day.weekday() > 4:
        day -= timedelta(days=1)
    past = bookings.request_booking(
        live_server.uow(),
        OPERATOR,
        BookingIn(
            reference="BK-PAST",
            facility=TUNNEL,
            project=PROJECT,
            purpose="Runs nobody came to",
            starts=datetime.fromisoformat(f"{day.isoformat()}T09:00"),
            ends=datetime.fromisoformat(f"{day.isoformat()}T11:00"),
            participant_ids=[fw.carol],
        ),
        now=datetime.now(UTC) - timedelta(days=20),
    )
    bookings.decide_booking(
        live_server.uow(), OPERATOR, past.id, BookingDecisionIn(outcome="approved")
    )

    log_in(page, "grace", PASSWORD)
    page.goto(f"/facilities/{fw.tunnel}")
    expect(page.get_by_text("No quota: bookings are limited by capacity only.")).to_be_visible()
    quota = page.locator("form", has=page.get_by_role("button", name="Set quota"))
    quota.get_by_label("Project").select_option(PROJECT)
    quota.get_by_label("Period").select_option("week")
    quota.get_by_label("Hours").fill("12.5")
    page.get_by_role("button", name="Set quota").click()
    expect(page.get_by_role("status")).to_contain_text("Quota set: TUNNEL, 12.50 h a week.")
    expect(page.locator("#quotas")).to_contain_text("project TUNNEL")

    page.get_by_role("link", name="BK-PAST").click()
    page.get_by_role("button", name="No-show").click()
    expect(page.get_by_role("status")).to_contain_text("Occurrence of BK-PAST marked a no-show.")
    expect(page.locator("#occurrences")).to_contain_text("no-show by grace")

    page.goto(f"/facilities/{fw.tunnel}")
    page.get_by_role("link", name="Utilisation").click()
    page.locator("#f-from").fill(day.isoformat())
    page.locator("#f-to").fill(day.isoformat())
    page.get_by_role("button", name="Show").click()
    table = page.locator("#utilisation-table")
    expect(table).to_contain_text("TUNNEL")
    expect(table).to_contain_text("USA")
    chart = page.locator("#timeline-chart")
    expect(chart).to_be_visible()
    alt = chart.get_attribute("alt") or ""
    assert "no-show 2.00 h" in alt and "utilisation 0.0%" in alt, alt
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename == f"utilisation-{TUNNEL}-{day}-{day}.xlsx"
    assert not csp_violations
