"""Booking a facility in a real Chromium (issue 8): a researcher requests the wind tunnel on
its page (a time outside opening hours is refused at the field first), the facility's manager
approves it on the booking's page, and the facility's calendar feed then holds the event,
confirmed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect
from tests.browser.conftest import LiveServer, log_in
from tests.facility_world import EMAILS, PROJECT, TUNNEL, ZONE, make_facility_world

from coalition.accounts.permissions import Principal

pytestmark = pytest.mark.browser

OPERATOR = Principal.operator("test")
PASSWORD = "browser-test-passphrase-42"
_today = date.today()
#: A Tuesday three to four weeks ahead; USAPL-WT is closed some weeks later.
TUESDAY = _today + timedelta(days=22 + (7 - _today.weekday()) % 7)
CLOSED = (TUESDAY + timedelta(days=27), TUESDAY + timedelta(days=31))


def as_utc(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def test_a_researcher_books_the_tunnel_and_its_manager_approves(
    page: Page, live_server: LiveServer, csp_violations: list[str]
) -> None:
    fw = make_facility_world(live_server.uow, OPERATOR, closed=CLOSED, password=PASSWORD)
    log_in(page, "carol", PASSWORD)
    page.get_by_role("link", name="Facilities", exact=True).click()
    page.get_by_role("link", name=TUNNEL).click()
    expect(page.get_by_role("heading", name="Request a booking")).to_be_visible()
    expect(page.get_by_text("No booking is requested or approved.")).to_be_visible()

    page.get_by_label("Reference").fill("BK-2027-014")
    page.get_by_label("Project").select_option(PROJECT)
    page.get_by_label("Purpose").fill("Inlet calibration runs")
    page.get_by_label("Starts").fill(f"{TUESDAY.isoformat()}T06:30")
    page.get_by_label("Ends").fill(f"{TUESDAY.isoformat()}T08:30")
    page.get_by_label("Participants").fill(f"{EMAILS['carol']}, {EMAILS['alice']}")
    page.get_by_role("button", name="Request booking").click()
    expect(page.locator("#e-starts")).to_contain_text(
        f"{TUESDAY} ({TUESDAY:%A}): open 08:00 to 18:00 {ZONE}"
    )
    expect(page.get_by_label("Starts")).to_have_attribute("aria-invalid", "true")
    # What was typed is still there; only the times change.
    expect(page.get_by_label("Reference")).to_have_value("BK-2027-014")
    page.get_by_label("Starts").fill(f"{TUESDAY.isoformat()}T10:00")
    page.get_by_label("Ends").fill(f"{TUESDAY.isoformat()}T12:00")
    page.get_by_role("button", name="Request booking").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Booking BK-2027-014 requested: 1 occurrence(s)."
    )
    expect(page.get_by_role("heading", name="Booking BK-2027-014")).to_be_visible()
    participants = page.locator("dd", has_text="each checked by the engine")
    expect(participants).to_contain_text("Carol Cole (UKSL)")
    expect(participants).to_contain_text("Alice Archer (USAPL)")
    expect(page.get_by_role("button", name="Record decision")).to_have_count(0)
    tentative = page.request.get(f"/facilities/{fw.tunnel}/calendar.ics")
    assert tentative.ok
    assert [str(e.get("status")) for e in Calendar.from_ical(tentative.body()).walk("VEVENT")] == [
        "TENTATIVE"
    ]

    page.get_by_role("button", name="Log out").click()
    log_in(page, "grace", PASSWORD)
    page.goto(f"/facilities/{fw.tunnel}")
    page.get_by_role("link", name="BK-2027-014").click()
    page.get_by_label("Outcome").select_option(label="approve")
    page.get_by_label("Note").fill("tunnel crew booked")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text("Booking BK-2027-014 approved.")
    expect(page.get_by_text("approved by grace: tunnel crew booked")).to_be_visible()

    feed = page.request.get(f"/facilities/{fw.tunnel}/calendar.ics")
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    found = Calendar.from_ical(feed.body()).walk("VEVENT")
    assert [
        (e.decoded("dtstart"), e.decoded("dtend"), str(e.get("status")), str(e.get("location")))
        for e in found
    ] == [(as_utc(TUESDAY, 10), as_utc(TUESDAY, 12), "CONFIRMED", TUNNEL)]
    assert not csp_violations
