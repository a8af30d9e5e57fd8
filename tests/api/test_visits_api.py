"""Requests for visit over HTTP: the REST API (problem+json naming the field, 403, 404 and
409 as the use cases decide) and the pages (the request form with the visitor and the escort
by e-mail, each office's form shown only to whoever may use it, errors at their fields).

Requests are made at the real "now": the visit days are ten weeks ahead, past any host's
default notice."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coalition.accounts.permissions import Principal
from tests.api.conftest import login
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.facility_world import EMAILS, PROJECT, TUNNEL, FacilityWorld, make_facility_world
from tests.factories import World
from tests.visit_world import add_security_offices

PROBLEM = "application/problem+json"
FIRST = date.today() + timedelta(days=70)
LAST = FIRST + timedelta(days=2)


@pytest.fixture
def fw(uow: UowFactory, operator: Principal, world: World) -> FacilityWorld:
    return add_security_offices(uow, operator, make_facility_world(uow, operator, world))


def body(fw: FacilityWorld, reference: str = "RFV-1", **changes: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "visitor_id": str(fw.carol),
        "facility": TUNNEL,
        "project": PROJECT,
        "first_day": FIRST.isoformat(),
        "last_day": LAST.isoformat(),
        "purpose": "Witness the inlet calibration runs",
        "classified_access": True,
    } | changes


def problem(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    found = response.json()
    return {e["field"]: e["message"] for e in found.get("errors", [])} or {"": found["detail"]}


def made(client: TestClient, fw: FacilityWorld, who: str = "carol", **changes: Any) -> Any:
    response = client.post("/api/v1/visits", json=body(fw, **changes), headers=login(client, who))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_visit_through_the_api_from_request_to_approval(
    client: TestClient, fw: FacilityWorld
) -> None:
    created = made(client, fw)
    assert (created["status"], created["waiting_for"], created["escort_required"]) == (
        "requested",
        "clearance",
        True,
    )
    assert created["allowed_actions"] == ["cancel"]
    visit = f"/api/v1/visits/{created['id']}"
    headers = login(client, "sam")
    early = client.post(f"{visit}/decision", json={"outcome": "approved"}, headers=headers)
    assert "clearance has not been confirmed" in problem(early, 409)[""]
    headers = login(client, "uma")
    assert client.get(visit).json()["allowed_actions"] == [
        "organisation:visit:confirm_clearance",
        "cancel",
    ]
    confirmed = client.post(f"{visit}/clearance", json={"outcome": "confirmed"}, headers=headers)
    assert confirmed.status_code == 200 and confirmed.json()["waiting_for"] == "host"
    headers = login(client, "sam")
    no_escort = client.post(f"{visit}/decision", json={"outcome": "approved"}, headers=headers)
    assert "an escort is required" in problem(no_escort, 422)["escort_id"]
    approved = client.post(
        f"{visit}/decision",
        json={"outcome": "approved", "escort_id": str(fw.grace)},
        headers=headers,
    )
    assert approved.status_code == 200 and approved.json()["escort"] == "Grace Gould"
    again = client.post(f"{visit}/decision", json={"outcome": "rejected"}, headers=headers)
    assert problem(again, 409) == {"": "status: the visit is approved"}


def test_bad_requests_name_their_fields(client: TestClient, fw: FacilityWorld) -> None:
    headers = login(client, "carol")

    def post(**c: Any) -> Any:
        return client.post("/api/v1/visits", json=body(fw, **c), headers=headers)

    # Two days back: "today" is the facility's own date, which may lag this machine's by one.
    past = date.today() - timedelta(days=2)
    assert (
        "in the past"
        in problem(post(first_day=past.isoformat(), last_day=past.isoformat()), 422)["first_day"]
    )
    soon = date.today() + timedelta(days=3)
    short = problem(post(first_day=soon.isoformat(), last_day=soon.isoformat()), 422)
    assert "working days' notice" in short["first_day"]
    assert "last_day" in problem(post(last_day=(FIRST - timedelta(days=1)).isoformat()), 422)
    assert "first_day" in problem(post(first_day="31/12/2027"), 422)
    assert "visitor_id" in problem(post(visitor_id="not-a-uuid"), 422)
    assert problem(post(facility="NOPE"), 422) == {"facility": "no facility 'NOPE'"}
    assert "releasability" in problem(post(visitor_id=str(fw.bob)), 422)["visitor_id"]
    assert client.get("/api/v1/visits").json() == []


def test_who_sees_what(client: TestClient, fw: FacilityWorld) -> None:
    created = made(client, fw)
    login(client, "erin")
    assert client.get("/api/v1/visits").json() == []
    assert problem(client.get(f"/api/v1/visits/{created['id']}"), 404) == {
        "": "no visit with this id"
    }
    login(client, "uma")
    waiting = client.get("/api/v1/visits", params={"waiting": True}).json()
    assert [v["reference"] for v in waiting] == ["RFV-1"]
    reminders = client.post("/api/v1/visits/reminders", headers=login(client, "uma"))
    assert reminders.status_code == 403
    assert client.post("/api/v1/visits/reminders", headers=login(client, "admin")).json() == []


def test_the_pages_take_a_visit_through_both_offices(client: TestClient, fw: FacilityWorld) -> None:
    web_login(client, "carol")
    page = client.get("/visits/new").text
    token = form_token(page)
    assert f'value="{TUNNEL}"' in page
    form = {
        "csrf_token": token,
        "reference": "RFV-WEB",
        "visitor": EMAILS["carol"],
        "facility": TUNNEL,
        "project": PROJECT,
        "first_day": FIRST.isoformat(),
        "last_day": LAST.isoformat(),
        "purpose": "Witness the runs",
        "classified_access": "true",
    }
    nobody = client.post("/visits/new", data=form | {"visitor": "nobody@nowhere.example"})
    assert nobody.status_code == 422
    assert re.search(
        r'id="e-visitor">[^<]*no person with e-mail nobody@nowhere.example', nobody.text
    )
    assert 'value="RFV-WEB"' in nobody.text
    created = client.post("/visits/new", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    page = client.get(location).text
    assert "Visit RFV-WEB requested" in page and "home security office (GBR)" in page
    assert "Confirm the clearance" not in page and "Record decision" not in page

    web_login(client, "uma")
    board = client.get("/").text
    assert "Visits waiting for you" in board and "confirm the clearance" in board
    assert "RFV-WEB" in board
    page = client.get(location).text
    assert "Confirm the clearance" in page
    done = client.post(
        f"{location}/clearance",
        data={"csrf_token": form_token(page), "outcome": "confirmed"},
        follow_redirects=True,
    )
    assert "Clearance confirmed for RFV-WEB." in done.text and "GBR SC" in done.text

    web_login(client, "sam")
    assert "approve or reject" in client.get("/").text
    page = client.get(location).text
    assert "Record decision" in page and "Escort" in page
    wrong = client.post(
        f"{location}/decision",
        data={"csrf_token": form_token(page), "outcome": "approved", "escort": EMAILS["hugh"]},
    )
    assert wrong.status_code == 422
    assert re.search(r'id="e-escort">[^<]*Hugh Hale is not a citizen of USA', wrong.text)
    approved = client.post(
        f"{location}/decision",
        data={"csrf_token": form_token(page), "outcome": "approved", "escort": EMAILS["grace"]},
        follow_redirects=True,
    )
    assert "Visit RFV-WEB approved." in approved.text and "Grace Gould" in approved.text
    listed = client.get("/visits").text
    assert "RFV-WEB" in listed and "approved" in listed
    stale = client.post(
        f"{location}/decision", data={"csrf_token": form_token(page), "outcome": "rejected"}
    )
    assert stale.status_code == 409 and "the visit is approved" in stale.text
