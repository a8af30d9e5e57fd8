"""Disputes over the REST API: problem+json naming the field (a skipped level, a party that
is not one), 403, 404 and 409 as the use cases decide, and the automatic run.

Disputes are raised at the real "now" through the API; the automatic run's test raises one
through the use case 100 days ago, so its first two levels have run out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coalition.accounts.permissions import Principal
from coalition.disputes import services
from coalition.settings import Settings
from tests.api.conftest import login
from tests.conftest import UowFactory
from tests.factories import World
from tests.integration.test_disputes import (
    AGREEMENT,
    PROJECT,
    DisputeWorld,
    actor_of,
    command,
    make_dispute_world,
)

PROBLEM = "application/problem+json"


@pytest.fixture
def dw(uow: UowFactory, operator: Principal, world: World) -> DisputeWorld:
    return make_dispute_world(uow, operator, world, admin=False)


def body(reference: str = "DSP-1", **changes: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "agreement": AGREEMENT,
        "project": PROJECT,
        "subject": "technical",
        "title": "Who fixes the calibration drift",
        "description": "The parties disagree on whose sensor drifts.",
        "raised_by": "USAPL",
        "parties": ["UKSL"],
    } | changes


def problem(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    found = response.json()
    return {e["field"]: e["message"] for e in found.get("errors", [])} or {"": found["detail"]}


def made(client: TestClient, who: str = "alice", **changes: Any) -> Any:
    response = client.post("/api/v1/disputes", json=body(**changes), headers=login(client, who))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_dispute_through_the_api_from_raising_to_settlement(
    client: TestClient, dw: DisputeWorld
) -> None:
    created = made(client)
    assert (created["level"], created["level_name"], created["overdue"]) == (
        1,
        "Project officers",
        False,
    )
    assert [lv["state"] for lv in created["ladder"]] == ["current", "ahead", "ahead"]
    assert created["allowed_actions"] == ["escalate", "settle", "withdraw"]
    dispute = f"/api/v1/disputes/{created['id']}"
    headers = login(client, "bob")
    assert client.get(dispute).json()["allowed_actions"] == ["escalate"]
    skipped = client.post(
        f"{dispute}/escalation", json={"to_level": 3, "reason": "urgent"}, headers=headers
    )
    assert "may not skip a level" in problem(skipped, 422)["to_level"]
    no_reason = client.post(f"{dispute}/escalation", json={}, headers=headers)
    assert "reason" in problem(no_reason, 422)
    up = client.post(f"{dispute}/escalation", json={"reason": "no answer"}, headers=headers)
    assert up.status_code == 200 and up.json()["level_name"] == "Steering committee"
    assert [s["kind"] for s in up.json()["steps"]] == ["raised", "escalated"]
    gone = client.post(f"{dispute}/withdrawal", json={"reason": "moot"}, headers=headers)
    assert problem(gone, 403)
    ended = client.post(f"{dispute}/settlement", json={"outcome": "none owed"}, headers=headers)
    assert problem(ended, 403)  # only the raising side records the settlement
    headers = login(client, "alice")
    settled = client.post(
        f"{dispute}/settlement", json={"outcome": "UKSL recalibrates"}, headers=headers
    )
    assert settled.status_code == 200 and settled.json()["status"] == "resolved"
    again = client.post(f"{dispute}/escalation", json={"reason": "still"}, headers=headers)
    assert problem(again, 409) == {"": "status: the dispute is resolved"}
    listed = client.get("/api/v1/disputes", params={"status": "resolved"}).json()
    assert [d["reference"] for d in listed] == ["DSP-1"]
    assert client.get("/api/v1/disputes", params={"overdue": True}).json() == []


def test_bad_requests_name_their_fields(client: TestClient, dw: DisputeWorld) -> None:
    headers = login(client, "alice")

    def post(**changes: Any) -> Any:
        return client.post("/api/v1/disputes", json=body(**changes), headers=headers)

    assert problem(post(parties=["USNL"]), 422) == {"parties": f"USNL is not party to {AGREEMENT}"}
    assert problem(post(agreement="MOU-USA-GBR", project=None), 422) == {
        "agreement": services.NO_LADDER
    }
    assert "subject" in problem(post(subject="weather"), 422)
    assert "parties" in problem(post(parties=[]), 422)
    assert problem(post(raised_by="UKSL"), 403)
    assert client.get("/api/v1/disputes").json() == []


def test_outsiders_see_nothing(client: TestClient, dw: DisputeWorld) -> None:
    created = made(client)
    login(client, "olga")
    assert client.get("/api/v1/disputes").json() == []
    assert problem(client.get(f"/api/v1/disputes/{created['id']}"), 404) == {
        "": "no dispute with this id"
    }
    headers = login(client, "reader")
    response = client.post(
        f"/api/v1/disputes/{created['id']}/settlement", json={"outcome": "agreed"}, headers=headers
    )
    assert problem(response, 404)


def test_the_automatic_run(
    client: TestClient, dw: DisputeWorld, uow: UowFactory, settings: Settings
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=100)
    old = services.raise_dispute(
        uow(), actor_of(uow, dw, "alice"), command("DSP-OLD"), settings, now=long_ago
    )
    made(client, reference="DSP-NEW")
    overdue = client.get("/api/v1/disputes", params={"overdue": True}).json()
    assert [d["reference"] for d in overdue] == ["DSP-OLD"]
    assert problem(client.post("/api/v1/disputes/escalations", headers=login(client, "alice")), 403)
    run = client.post("/api/v1/disputes/escalations", headers=login(client, "admin"))
    assert run.status_code == 200, run.text
    assert [
        (d["reference"], d["from_level"], d["to_level"], d["levels_climbed"]) for d in run.json()
    ] == [("DSP-OLD", 1, 3, 2)]
    again = client.post("/api/v1/disputes/escalations", headers=login(client, "admin"))
    assert again.json() == []
    shown = client.get(f"/api/v1/disputes/{old.id}").json()
    assert (shown["level"], shown["overdue"]) == (3, False)
    assert [s["kind"] for s in shown["steps"]] == [
        "raised",
        "escalated_by_time",
        "escalated_by_time",
    ]
