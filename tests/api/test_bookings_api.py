"""Facility bookings over HTTP: the REST API (problem+json naming the field, 403, 404 and 409
as the use cases decide, the iCalendar feeds) and the server-rendered pages (the request
form with participants by e-mail, errors at their fields, the decision and cancel forms).

Requests are made at the real "now", so the dates are weeks ahead of today; the world is
tests/facility_world.py on top of the API's two-nation world."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from coalition.accounts.permissions import Principal
from tests.api.conftest import login
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.facility_world import (
    EMAILS,
    PROJECT,
    RANGE,
    TUNNEL,
    ZONE,
    FacilityWorld,
    make_facility_world,
)
from tests.factories import World

PROBLEM = "application/problem+json"
NEW_YORK = ZoneInfo(ZONE)
_today = date.today()
#: A Monday three to four weeks ahead; USAPL-WT is closed four weeks later.
MONDAY = _today + timedelta(days=21 + (7 - _today.weekday()) % 7)
TUESDAY = MONDAY + timedelta(days=1)
CLOSED = (MONDAY + timedelta(days=28), MONDAY + timedelta(days=32))


@pytest.fixture
def fw(uow: UowFactory, operator: Principal, world: World) -> FacilityWorld:
    return make_facility_world(uow, operator, world, closed=CLOSED)


def local(day: date, hour: int, minute: int = 0) -> str:
    """A local time as the API takes it: no zone, the facility's."""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def as_utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


def body(fw: FacilityWorld, reference: str = "BK-1", **changes: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "facility": TUNNEL,
        "project": PROJECT,
        "purpose": "Inlet calibration runs",
        "starts": local(TUESDAY, 10),
        "ends": local(TUESDAY, 12),
        "participant_ids": [str(fw.carol), str(fw.alice)],
    } | changes


def post(client: TestClient, headers: dict[str, str], fw: FacilityWorld, **changes: Any) -> Any:
    return client.post("/api/v1/bookings", json=body(fw, **changes), headers=headers)


def made(client: TestClient, headers: dict[str, str], fw: FacilityWorld, **changes: Any) -> Any:
    response = post(client, headers, fw, **changes)
    assert response.status_code == 201, response.text
    return response.json()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    found: dict[str, Any] = response.json()
    assert found["status"] == status and found["type"] == "about:blank"
    assert found["title"] and found["detail"] and found["instance"].startswith("/api/v1/")
    return found


def fields(found: dict[str, Any]) -> dict[str, str]:
    return {e["field"]: e["message"] for e in found["errors"]}


def events(feed: bytes) -> dict[datetime, tuple[datetime, str]]:
    calendar = Calendar.from_ical(feed)
    return {
        e.decoded("dtstart"): (e.decoded("dtend"), str(e.get("status")))
        for e in calendar.walk()
        if e.name == "VEVENT"
    }


def vevent_count(feed: bytes) -> int:
    return sum(1 for e in Calendar.from_ical(feed).walk() if e.name == "VEVENT")


# --- the API ----------------------------------------------------------------------------------


def test_a_researcher_requests_a_booking_and_reads_it_back(
    client: TestClient, fw: FacilityWorld
) -> None:
    headers = login(client, "carol")
    created = made(client, headers, fw)
    assert created["status"] == "requested" and created["requested_by"] == "carol"
    assert [
        (datetime.fromisoformat(o["starts_at"]), datetime.fromisoformat(o["ends_at"]))
        for o in created["occurrences"]
    ] == [(as_utc(TUESDAY, 10), as_utc(TUESDAY, 12))]
    assert sorted(p["name"] for p in created["participants"]) == ["Alice Archer", "Carol Cole"]
    shown = client.get(f"/api/v1/bookings/{created['id']}").json()
    assert shown["reference"] == "BK-1" and shown["occurrences"] == created["occurrences"]
    listed = client.get(f"/api/v1/facilities/{fw.tunnel}/bookings").json()
    assert [b["id"] for b in listed] == [created["id"]]


def test_a_recurring_booking_through_the_api(client: TestClient, fw: FacilityWorld) -> None:
    headers = login(client, "carol")
    created = made(
        client,
        headers,
        fw,
        starts=local(MONDAY, 9),
        ends=local(MONDAY, 10),
        recurrence="FREQ=DAILY;BYDAY=MO,WE,FR;COUNT=4",
        exceptions=[local(MONDAY + timedelta(days=2), 9)],
    )
    days = [MONDAY, MONDAY + timedelta(days=4), MONDAY + timedelta(days=7)]
    assert [datetime.fromisoformat(o["starts_at"]) for o in created["occurrences"]] == [
        as_utc(d, 9) for d in days
    ]


def test_a_time_outside_opening_hours_is_problem_json_at_starts(
    client: TestClient, fw: FacilityWorld
) -> None:
    headers = login(client, "carol")
    found = problem(post(client, headers, fw, starts=local(TUESDAY, 6)), 422)
    assert found["instance"] == "/api/v1/bookings"
    assert fields(found) == {
        "starts": f"{TUESDAY} 06:00: {TUESDAY} ({TUESDAY:%A}): open 08:00 to 18:00 {ZONE}"
    }
    closed = problem(
        post(client, headers, fw, starts=local(CLOSED[0], 10), ends=local(CLOSED[0], 12)), 422
    )
    assert fields(closed) == {
        "starts": f"{CLOSED[0]} 10:00: the facility is closed from {CLOSED[0]} to {CLOSED[1]}"
    }
    past = problem(
        post(
            client,
            headers,
            fw,
            starts=local(_today - timedelta(days=1), 10),
            ends=local(_today - timedelta(days=1), 12),
        ),
        422,
    )
    assert fields(past)["starts"].startswith("is in the past (now ")
    rule = problem(post(client, headers, fw, recurrence="FREQ=WEEKLY"), 422)
    assert fields(rule) == {"recurrence": "give COUNT or UNTIL, so the series ends"}
    assert client.get(f"/api/v1/facilities/{fw.tunnel}/bookings").json() == []


def test_a_refused_participant_is_named_at_their_index(
    client: TestClient, fw: FacilityWorld
) -> None:
    headers = login(client, "carol")
    found = problem(
        post(client, headers, fw, participant_ids=[str(fw.carol), str(fw.dan), str(fw.bob)]),
        422,
    )
    errors = fields(found)
    assert set(errors) == {"participant_ids[1]", "participant_ids[2]"}
    assert errors["participant_ids[1]"].startswith(f"Dan Dawson may not take part on {TUESDAY}")
    assert "clearance: needs a SECRET-level clearance" in errors["participant_ids[1]"]
    assert errors["participant_ids[2]"] == (
        f"Bob Baker may not take part on {TUESDAY}: releasability: not releasable to CAN"
    )
    unknown = problem(post(client, headers, fw, participant_ids=[str(uuid.uuid4())]), 422)
    assert fields(unknown) == {"participant_ids[0]": "no person with this id"}


def test_a_malformed_request_names_each_field(client: TestClient, fw: FacilityWorld) -> None:
    headers = login(client, "carol")
    twice = problem(post(client, headers, fw, participant_ids=[str(fw.carol)] * 2), 422)
    assert "a person is listed twice" in fields(twice)["participant_ids"]
    bad = {k: v for k, v in body(fw).items() if k != "purpose"} | {"starts": "tomorrow"}
    found = problem(client.post("/api/v1/bookings", json=bad, headers=headers), 422)
    assert {"purpose", "starts"} <= set(fields(found))


def test_an_overlap_is_409_with_free_slots(client: TestClient, fw: FacilityWorld) -> None:
    headers = login(client, "carol")
    made(client, headers, fw)
    found = problem(post(client, headers, fw, reference="BK-2", starts=local(TUESDAY, 11)), 409)
    assert "errors" not in found
    assert found["detail"].startswith(
        f"starts: {TUNNEL} is fully booked at {TUESDAY} 11:00 ({ZONE}); free: {TUESDAY} 12:00-13:00"
    )
    first_free = re.search(r"free: (\S+) (\d\d:\d\d)-(\d\d:\d\d)", found["detail"])
    assert first_free is not None
    day, starts, ends = first_free.groups()
    made(client, headers, fw, reference="BK-3", starts=f"{day}T{starts}", ends=f"{day}T{ends}")
    duplicate = problem(
        post(client, headers, fw, starts=local(MONDAY, 14), ends=local(MONDAY, 15)), 409
    )
    assert duplicate["detail"] == "reference: a booking 'BK-1' already exists"
    # A facility for two takes a second overlapping booking.
    made(client, headers, fw, reference="BK-R1", facility=RANGE)
    made(client, headers, fw, reference="BK-R2", facility=RANGE)
    problem(post(client, headers, fw, reference="BK-R3", facility=RANGE), 409)


def test_who_may_book_and_who_may_know(client: TestClient, fw: FacilityWorld) -> None:
    headers = login(client, "carol")
    booking = made(client, headers, fw)
    erin = login(client, "erin")
    forbidden = problem(
        post(client, erin, fw, reference="BK-E", participant_ids=[str(fw.alice)]), 403
    )
    assert "project:facility:book" in forbidden["detail"]
    fabien = login(client, "fabien")
    hidden = problem(post(client, fabien, fw, reference="BK-F"), 422)
    unknown = problem(post(client, fabien, fw, reference="BK-F", facility="NOPE-WT"), 422)
    assert fields(hidden) == {"facility": f"no facility '{TUNNEL}'"}
    assert fields(unknown) == {"facility": "no facility 'NOPE-WT'"}
    for path in (
        f"/api/v1/bookings/{booking['id']}",
        f"/api/v1/facilities/{fw.tunnel}/bookings",
        f"/api/v1/facilities/{fw.tunnel}/calendar.ics",
    ):
        assert problem(client.get(path), 404)["detail"] in (
            "no booking with this id",
            "no facility with this id",
        )
    assert problem(client.get(f"/api/v1/bookings/{uuid.uuid4()}"), 404)["detail"] == (
        "no booking with this id"
    )
    client.cookies.clear()
    assert problem(client.get(f"/api/v1/bookings/{booking['id']}"), 401)


def test_the_facility_manager_decides_once(client: TestClient, fw: FacilityWorld) -> None:
    booking = made(client, login(client, "carol"), fw)
    decision = f"/api/v1/bookings/{booking['id']}/decision"
    carol = login(client, "carol")
    assert problem(client.post(decision, json={"outcome": "approved"}, headers=carol), 403)
    hugh = login(client, "hugh")
    refused = problem(client.post(decision, json={"outcome": "approved"}, headers=hugh), 403)
    assert "organisation:facility:manage" in refused["detail"]
    grace = login(client, "grace")
    assert (
        "organisation:facility:manage"
        in client.get(f"/api/v1/bookings/{booking['id']}").json()["allowed_actions"]
    )
    wrong = problem(client.post(decision, json={"outcome": "maybe"}, headers=grace), 422)
    assert "outcome" in fields(wrong)
    approved = client.post(
        decision, json={"outcome": "approved", "note": "crew booked"}, headers=grace
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "grace")
    again = problem(client.post(decision, json={"outcome": "rejected"}, headers=grace), 409)
    assert again["detail"] == "status: the booking is approved"


def test_cancelled_bookings_leave_the_list_and_the_calendar(
    client: TestClient, fw: FacilityWorld
) -> None:
    carol = login(client, "carol")
    weekly = made(
        client,
        carol,
        fw,
        reference="BK-WEEKLY",
        starts=local(TUESDAY, 8),
        ends=local(TUESDAY, 9),
        recurrence="FREQ=WEEKLY;COUNT=2",
    )
    once = made(client, carol, fw, reference="BK-ONCE")
    gone = made(
        client, carol, fw, reference="BK-GONE", starts=local(TUESDAY, 14), ends=local(TUESDAY, 15)
    )
    feed = client.get(f"/api/v1/facilities/{fw.tunnel}/calendar.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert {status for _, status in events(feed.content).values()} == {"TENTATIVE"}
    assert vevent_count(feed.content) == 4
    grace = login(client, "grace")
    assert (
        client.post(
            f"/api/v1/bookings/{once['id']}/decision", json={"outcome": "approved"}, headers=grace
        ).status_code
        == 200
    )
    cancelled = client.post(
        f"/api/v1/bookings/{gone['id']}/cancel", json={"reason": "model late"}, headers=grace
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert problem(
        client.post(
            f"/api/v1/bookings/{gone['id']}/cancel", json={"reason": "again"}, headers=grace
        ),
        409,
    )
    assert problem(
        client.post(f"/api/v1/bookings/{once['id']}/cancel", json={"reason": "x"}, headers=grace),
        422,
    )
    listed = client.get(f"/api/v1/facilities/{fw.tunnel}/bookings").json()
    assert [b["reference"] for b in listed] == ["BK-WEEKLY", "BK-ONCE"]
    ended = client.get(
        f"/api/v1/facilities/{fw.tunnel}/bookings", params={"include_ended": "true"}
    ).json()
    assert [(b["reference"], b["status"]) for b in ended] == [
        ("BK-WEEKLY", "requested"),
        ("BK-ONCE", "approved"),
        ("BK-GONE", "cancelled"),
    ]
    expected = {
        datetime.fromisoformat(o["starts_at"]): (datetime.fromisoformat(o["ends_at"]), status)
        for b, status in ((weekly, "TENTATIVE"), (once, "CONFIRMED"))
        for o in b["occurrences"]
    }
    feed = client.get(f"/api/v1/facilities/{fw.tunnel}/calendar.ics")
    assert vevent_count(feed.content) == 3 and events(feed.content) == expected
    by_project = client.get("/api/v1/bookings/calendar.ics", params={"project": PROJECT})
    assert events(by_project.content) == expected
    by_person = client.get("/api/v1/bookings/calendar.ics", params={"person_id": str(fw.alice)})
    assert events(by_person.content) == expected
    nobody = client.get("/api/v1/bookings/calendar.ics", params={"person_id": str(fw.dan)})
    assert vevent_count(nobody.content) == 0
    neither = problem(client.get("/api/v1/bookings/calendar.ics"), 422)
    assert fields(neither) == {"project": "name a project or a person"}


# --- the pages --------------------------------------------------------------------------------


def page_form(fw: FacilityWorld, token: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "reference": "BK-WEB-1",
        "project": PROJECT,
        "purpose": "Inlet calibration runs",
        "starts": local(TUESDAY, 10),
        "ends": local(TUESDAY, 12),
        "participants": f"{EMAILS['carol']}, {EMAILS['alice']}",
    } | changes


def test_the_booking_form_shows_errors_at_their_fields(
    client: TestClient, fw: FacilityWorld
) -> None:
    web_login(client, "carol")
    page = client.get(f"/facilities/{fw.tunnel}")
    assert page.status_code == 200 and "Request a booking" in page.text
    token = form_token(page.text)
    action = f"/facilities/{fw.tunnel}/bookings"
    early = client.post(action, data=page_form(fw, token, starts=local(TUESDAY, 7)))
    assert early.status_code == 422
    assert re.search(r'id="e-starts">[^<]*open 08:00 to 18:00', early.text), early.text
    assert 'value="BK-WEB-1"' in early.text  # what was typed is kept
    nobody = client.post(action, data=page_form(fw, token, participants="nobody@nowhere.example"))
    assert nobody.status_code == 422
    assert re.search(
        r'id="e-participants">[^<]*no person with e-mail nobody@nowhere.example', nobody.text
    )
    refused = client.post(
        action, data=page_form(fw, token, participants=f"{EMAILS['carol']}, {EMAILS['dan']}")
    )
    assert refused.status_code == 422
    assert re.search(r'id="e-participants">[^<]*Dan Dawson may not take part', refused.text)
    assert client.get(f"/api/v1/facilities/{fw.tunnel}/bookings").json() == []


def test_a_booking_requested_decided_and_cancelled_through_the_pages(
    client: TestClient, fw: FacilityWorld
) -> None:
    web_login(client, "carol")
    token = form_token(client.get(f"/facilities/{fw.tunnel}").text)
    created = client.post(
        f"/facilities/{fw.tunnel}/bookings", data=page_form(fw, token), follow_redirects=False
    )
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    assert re.fullmatch(r"/bookings/[0-9a-f-]{36}", location)
    page = client.get(location).text
    assert "Booking BK-WEB-1 requested: 1 occurrence(s)." in page
    assert "Carol Cole (UKSL)" in page and "Alice Archer (USAPL)" in page
    assert "Record decision" not in page  # a researcher does not decide
    conflict = client.post(
        f"/facilities/{fw.tunnel}/bookings",
        data=page_form(fw, token, reference="BK-WEB-2", starts=local(TUESDAY, 11)),
    )
    assert conflict.status_code == 409
    assert re.search(r'id="e-starts">[^<]*is fully booked at', conflict.text)

    web_login(client, "grace")
    page = client.get(location).text
    assert "Record decision" in page
    decided = client.post(
        f"{location}/decision",
        data={"csrf_token": form_token(page), "outcome": "approved", "note": "crew booked"},
        follow_redirects=True,
    )
    assert decided.status_code == 200 and "Booking BK-WEB-1 approved." in decided.text
    again = client.post(
        f"{location}/decision", data={"csrf_token": form_token(page), "outcome": "rejected"}
    )
    assert again.status_code == 409
    feed = client.get(f"/facilities/{fw.tunnel}/calendar.ics")
    assert feed.headers["content-type"].startswith("text/calendar")
    assert events(feed.content) == {as_utc(TUESDAY, 10): (as_utc(TUESDAY, 12), "CONFIRMED")}
    cancelled = client.post(
        f"{location}/cancel",
        data={"csrf_token": form_token(page), "reason": "tunnel fan fault"},
        follow_redirects=True,
    )
    assert "Booking BK-WEB-1 cancelled." in cancelled.text
    assert vevent_count(client.get(f"/facilities/{fw.tunnel}/calendar.ics").content) == 0


def test_a_second_decision_from_a_stale_page_says_why_it_is_refused(
    client: TestClient, fw: FacilityWorld
) -> None:
    booking = made(client, login(client, "carol"), fw)
    web_login(client, "grace")
    location = f"/bookings/{booking['id']}"
    stale = client.get(location).text
    for outcome in ("approved", "rejected"):
        answer = client.post(
            f"{location}/decision", data={"csrf_token": form_token(stale), "outcome": outcome}
        )
    assert answer.status_code == 409
    assert "the booking is approved" in answer.text
