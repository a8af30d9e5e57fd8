"""Calendar feeds over HTTP: made through the API and the page (the address shown once),
fetched without a log-in by a calendar program and parsed back with icalendar, revoked."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from coalition.accounts.permissions import Principal
from tests.api.conftest import login
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.facility_world import PROJECT, TUNNEL, FacilityWorld, make_facility_world
from tests.factories import World

_today = date.today()
TUESDAY = _today + timedelta(days=22 + (7 - _today.weekday()) % 7)


@pytest.fixture
def fw(uow: UowFactory, operator: Principal, world: World) -> FacilityWorld:
    made = make_facility_world(uow, operator, world, closed=None)
    return made


def test_a_feed_made_over_the_api_is_read_without_logging_in(
    client: TestClient, fw: FacilityWorld
) -> None:
    headers = login(client, "carol")
    booked = client.post(
        "/api/v1/bookings",
        json={
            "reference": "BK-FEED",
            "facility": TUNNEL,
            "project": PROJECT,
            "purpose": "Inlet calibration runs",
            "starts": f"{TUESDAY}T10:00",
            "ends": f"{TUESDAY}T12:00",
            "participant_ids": [str(fw.carol)],
        },
        headers=headers,
    )
    assert booked.status_code == 201, booked.text
    made = client.post(
        "/api/v1/calendar-feeds",
        json={"kind": "project", "target": PROJECT, "name": "phone"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    path = made.json()["path"]
    assert re.fullmatch(r"/feeds/cf_[A-Za-z0-9_-]{43}\.ics", path)
    listed = client.get("/api/v1/calendar-feeds").json()
    assert [f["name"] for f in listed] == ["phone"] and "path" not in listed[0]
    client.cookies.clear()  # a calendar program: no session, no token header
    feed = client.get(path)
    assert feed.status_code == 200, feed.text[:800]
    assert feed.headers["content-type"].startswith("text/calendar")
    assert feed.headers["cache-control"] == "private, no-store"
    assert [str(e.get("summary")) for e in Calendar.from_ical(feed.content).walk("VEVENT")] == [
        f"{PROJECT}: Inlet calibration runs"
    ]
    headers = login(client, "carol")
    bad = client.post(
        "/api/v1/calendar-feeds",
        json={"kind": "meeting", "target": "x", "name": "y"},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"
    revoked = client.post(f"/api/v1/calendar-feeds/{listed[0]['id']}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    client.cookies.clear()
    assert client.get(path).status_code == 404
    assert client.get("/feeds/cf_guess.ics").status_code == 404


def test_the_feeds_page_shows_the_address_once(client: TestClient, fw: FacilityWorld) -> None:
    web_login(client, "carol")
    facility = client.get(f"/facilities/{fw.tunnel}").text
    assert f"/calendar-feeds?kind=facility&amp;target={TUNNEL}" in facility
    page = client.get("/calendar-feeds", params={"kind": "facility", "target": TUNNEL}).text
    assert f'value="{TUNNEL}"' in page
    token = form_token(page)
    wrong = client.post(
        "/calendar-feeds",
        data={"csrf_token": token, "kind": "facility", "target": "NOPE", "name": "laptop"},
    )
    assert wrong.status_code == 422
    assert re.search(r"id=\"e-target\">no facility &#39;NOPE&#39;", wrong.text)
    made = client.post(
        "/calendar-feeds",
        data={"csrf_token": token, "kind": "facility", "target": TUNNEL, "name": "laptop"},
    )
    assert made.status_code == 200 and "it is not shown again" in made.text
    address = re.search(r'<code id="new-feed">([^<]+)</code>', made.text)
    assert address and re.fullmatch(
        r"http://[^/]+/feeds/cf_[A-Za-z0-9_-]{43}\.ics", address.group(1)
    )
    again = client.get("/calendar-feeds").text
    assert "laptop" in again and address.group(1) not in again
    feed = client.get("/feeds/" + address.group(1).split("/feeds/", 1)[1])
    assert feed.status_code == 200, feed.text[feed.text.find("<main") :][:600]
