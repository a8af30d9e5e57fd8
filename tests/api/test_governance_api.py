"""Governance over HTTP: a body run through the API (problem+json naming the field, 403
for a vote without a seat, 404 for an outsider), the inbox, and the pages where a member
votes by written procedure and sees the outcome."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar, vInt

from coalition.accounts.permissions import Principal
from tests.api.conftest import login
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.factories import World
from tests.governance_world import GovernanceWorld, make_governance_world

PROBLEM = "application/problem+json"
API = "/api/v1/governance"


@pytest.fixture
def gw(uow: UowFactory, operator: Principal) -> GovernanceWorld:
    return make_governance_world(uow, operator)


@pytest.fixture
def world(gw: GovernanceWorld) -> World:
    return gw.base


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    found: dict[str, Any] = response.json()
    return found


def motion(reference: str = "SC-TRI/W1", **changes: Any) -> dict[str, Any]:
    deadline = datetime.now(UTC) + timedelta(days=5)
    return {
        "reference": reference,
        "body": "SC-TRI",
        "title": "Adopt the test plan",
        "text": "The committee adopts test plan v2.",
        "procedure": "written",
        "deadline": deadline.isoformat(),
    } | changes


def test_a_written_procedure_over_the_api(client: TestClient, gw: GovernanceWorld) -> None:
    headers = login(client, "pmgr")
    bodies = client.get(f"{API}/bodies").json()
    assert [b["code"] for b in bodies] == ["SC-TRI"]
    assert bodies[0]["allowed_actions"] == ["organisation:governance:manage"]
    made = client.post(f"{API}/motions", json=motion(), headers=headers)
    assert made.status_code == 201, made.text
    motion_id = made.json()["id"]
    bad = problem(
        client.post(f"{API}/motions", json=motion("SC-TRI/W2", deadline=None), headers=headers), 422
    )
    assert "deadline" in bad["detail"]
    client.post("/api/v1/auth/logout", headers=headers)

    headers = login(client, "dan")
    refused = problem(
        client.post(f"{API}/motions/{motion_id}/votes", json={"choice": "for"}, headers=headers),
        403,
    )
    assert "holds no seat" in refused["detail"]
    client.post("/api/v1/auth/logout", headers=headers)
    headers = login(client, "oscar")
    problem(client.get(f"{API}/motions/{motion_id}"), 404)
    assert client.get(f"{API}/bodies").json() == []
    client.post("/api/v1/auth/logout", headers=headers)

    for name, choice in (("alice", "for"), ("bob", "against"), ("claire", "for")):
        headers = login(client, name)
        if name == "alice":
            inbox = client.get("/api/v1/inbox").json()
            assert inbox["unread"] == 1 and "Vote opened" in inbox["items"][0]["title"]
            wrong = problem(
                client.post(
                    f"{API}/motions/{motion_id}/votes", json={"choice": "maybe"}, headers=headers
                ),
                422,
            )
            assert wrong["errors"][0]["field"] == "choice"
        voted = client.post(
            f"{API}/motions/{motion_id}/votes", json={"choice": choice}, headers=headers
        )
        assert voted.status_code == 201, voted.text
        client.post("/api/v1/auth/logout", headers=headers)
    outcome = voted.json()
    assert outcome["status"] == "failed"
    assert outcome["explanation"] == "failed: unanimity required, GBR (Bob Baker) voted against"


def test_meeting_invitation_and_minutes_over_the_api(
    client: TestClient, gw: GovernanceWorld
) -> None:
    headers = login(client, "pmgr")
    start = datetime.now(UTC) + timedelta(days=3)
    made = client.post(
        f"{API}/meetings",
        json={
            "reference": "SC-TRI/M1",
            "body": "SC-TRI",
            "title": "Kick-off",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "agenda": ["Welcome", "Plan"],
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    meeting_id = made.json()["id"]
    invitation = client.get(f"{API}/meetings/{meeting_id}/invitation.ics")
    assert invitation.headers["content-type"].startswith("text/calendar")
    event = Calendar.from_ical(invitation.content).walk("VEVENT")[0]
    assert str(event["summary"]) == "SC-TRI: Kick-off" and int(cast(vInt, event["sequence"])) == 0
    moved = client.patch(
        f"{API}/meetings/{meeting_id}",
        json={
            "starts_at": (start + timedelta(days=1)).isoformat(),
            "ends_at": (start + timedelta(days=1, hours=2)).isoformat(),
        },
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    event = Calendar.from_ical(
        client.get(f"{API}/meetings/{meeting_id}/invitation.ics").content
    ).walk("VEVENT")[0]
    assert int(cast(vInt, event["sequence"])) == 1
    early = problem(
        client.post(
            f"{API}/meetings/{meeting_id}/minutes", json={"minutes": "Too soon."}, headers=headers
        ),
        409,
    )
    assert "has not started" in early["detail"]
    bad = problem(
        client.post(
            f"{API}/meetings",
            json={
                "reference": "SC-TRI/M2",
                "body": "SC-TRI",
                "title": "x" * 5,
                "starts_at": start.isoformat(),
                "ends_at": start.isoformat(),
            },
            headers=headers,
        ),
        422,
    )
    assert "ends_at" in bad["detail"]


def test_a_member_votes_in_the_pages_and_sees_the_outcome(
    client: TestClient, gw: GovernanceWorld
) -> None:
    headers = login(client, "pmgr")
    motion_id = client.post(f"{API}/motions", json=motion(), headers=headers).json()["id"]
    client.post("/api/v1/auth/logout", headers=headers)
    for name in ("alice", "bob", "claire"):
        client.cookies.clear()
        web_login(client, name)
        home = client.get("/governance")
        assert "Votes waiting for you" in home.text and "SC-TRI/W1" in home.text
        page = client.get(f"/governance/motions/{motion_id}")
        assert 'name="choice"' in page.text
        if name == "alice":
            wrong = client.post(
                f"/governance/motions/{motion_id}/vote",
                data={"choice": "perhaps", "csrf_token": form_token(page.text)},
            )
            assert wrong.status_code == 422 and "must be one of" in wrong.text
        done = client.post(
            f"/governance/motions/{motion_id}/vote",
            data={"choice": "for", "csrf_token": form_token(page.text)},
            follow_redirects=True,
        )
        assert done.status_code == 200
    assert re.search(r'id="outcome">carried by unanimity', done.text)
    inbox = client.get("/inbox")
    assert "SC-TRI SC-TRI/W1 carried" in inbox.text


def test_the_pages_run_a_body(client: TestClient, gw: GovernanceWorld) -> None:
    web_login(client, "pmgr")
    form = client.get("/governance/bodies/new")
    made = client.post(
        "/governance/bodies/new",
        data={
            "code": "TP-TRI",
            "name": "Technical panel",
            "kind": "technical_panel",
            "agreement": "MOU-TRI",
            "decision_rule": "majority",
            "quorum_percent": "50",
            "csrf_token": form_token(form.text),
        },
        follow_redirects=True,
    )
    assert made.status_code == 200 and "Technical panel" in made.text
    body_url = str(made.url)
    token = form_token(made.text)
    wrong = client.post(
        f"{body_url}/members", data={"person": "nobody@example.org", "csrf_token": token}
    )
    assert wrong.status_code == 422 and "no person with e-mail nobody@example.org" in wrong.text
    seated = client.post(
        f"{body_url}/members",
        data={"person": "bob@uksl.example", "weight": "2", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Bob Baker" in seated.text
    late = client.post(
        f"{body_url}/actions",
        data={
            "reference": "TP/A1",
            "title": "Write it up",
            "owner": "bob@uksl.example",
            "due_on": "2020-01-01",
            "csrf_token": token,
        },
    )
    assert late.status_code == 422 and "is in the past" in late.text


def test_the_dashboard_shows_each_reader_what_waits_for_them(
    client: TestClient, gw: GovernanceWorld
) -> None:
    headers = login(client, "pmgr")
    client.post(f"{API}/motions", json=motion(), headers=headers)
    board = client.get(f"{API}/dashboard").json()
    # A programme manager keeps risk registers and acts on disputes; pmgr has no person.
    assert board["high_risks"] == [] and board["open_disputes"] == []
    assert board["votes_waiting"] == [] and board["unread"] == 0
    client.post("/api/v1/auth/logout", headers=headers)
    login(client, "alice")
    board = client.get(f"{API}/dashboard").json()
    assert [v["reference"] for v in board["votes_waiting"]] == ["SC-TRI/W1"]
    assert board["unread"] == 1
    assert board["high_risks"] is None and board["open_disputes"] is None
    client.cookies.clear()
    web_login(client, "alice")
    home = client.get("/").text
    assert "Votes waiting for you" in home and "1 unread notification" in home
    assert "High and critical risks" not in home
