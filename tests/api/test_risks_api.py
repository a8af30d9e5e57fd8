"""The risk register over the REST API: raise, assess (the owner too), reassign, the list
with its filters, the heat map as JSON and SVG and a risk's trend as SVG; problem+json
naming the field, 403, 404 and 409 as the use cases decide.

The world is tests/integration/test_risks.py's, on tests/api/conftest.py's."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from coalition.accounts.permissions import Principal
from tests.api.conftest import login
from tests.conftest import UowFactory
from tests.factories import World
from tests.integration.test_risks import PROJECT, WP, RiskWorld, make_risk_world

PROBLEM = "application/problem+json"
RISKS = "/api/v1/risks"


@pytest.fixture
def rw(uow: UowFactory, operator: Principal, world: World) -> RiskWorld:
    return make_risk_world(uow, operator, world)


def body(rw: RiskWorld, reference: str = "RSK-1", **changes: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "project": PROJECT,
        "work_package": WP,
        "title": "Fusion library licence may lapse",
        "category": "technical",
        "likelihood": 3,
        "impact": 4,
        "owner_id": str(rw.base.alice),
    } | changes


def rated(likelihood: int, impact: int, status: str) -> dict[str, Any]:
    return {"likelihood": likelihood, "impact": impact, "status": status}


def problem(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    found = response.json()
    return {e["field"]: e["message"] for e in found.get("errors", [])} or {"": found["detail"]}


def raised(client: TestClient, rw: RiskWorld, **changes: Any) -> Any:
    response = client.post(RISKS, json=body(rw, **changes), headers=login(client, "paula"))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_risk_through_the_api(client: TestClient, rw: RiskWorld) -> None:
    made = raised(client, rw)
    assert (made["score"], made["band"], made["trend"], made["allowed_actions"]) == (
        12,
        "high",
        "new",
        ["project:risk:manage", "assess"],
    )
    risk = f"{RISKS}/{made['id']}"
    headers = login(client, "alice")
    assert client.get(risk).json()["allowed_actions"] == ["assess"]
    assessed = client.post(
        f"{risk}/assessments",
        json={"likelihood": 4, "impact": 4, "status": "mitigating", "note": "supplier slow"},
        headers=headers,
    )
    assert assessed.status_code == 201, assessed.text
    found = assessed.json()
    assert (found["score"], found["trend"], found["status"]) == (16, "rising", "mitigating")
    assert [(a["score"], a["by"]) for a in found["history"]] == [(12, "paula"), (16, "alice")]
    headers = login(client, "paula")
    handed = client.post(f"{risk}/owner", json={"owner_id": str(rw.base.bob)}, headers=headers)
    assert handed.status_code == 200 and handed.json()["owner"] == "Bob Baker"
    listed = client.get(RISKS, params={"project": PROJECT, "min_score": 10, "live": True})
    assert [r["reference"] for r in listed.json()] == ["RSK-1"]
    assert client.get(RISKS, params={"status": "closed"}).json() == []
    heat = client.get(f"{RISKS}/heat-map", params={"project": PROJECT}).json()
    assert (heat["total"], heat["counts"][3][3], heat["by_band"]["high"]) == (1, 1, 1)
    drawn = client.get(f"{RISKS}/heat-map", params={"project": PROJECT, "format": "svg"})
    assert drawn.headers["content-type"] == "image/svg+xml" and "<svg" in drawn.text
    trend = client.get(f"{risk}/trend.svg")
    assert trend.headers["content-type"] == "image/svg+xml"
    assert "Score of risk RSK-1" in trend.text


def test_bad_requests_name_their_fields(client: TestClient, rw: RiskWorld) -> None:
    raised(client, rw)
    headers = login(client, "paula")

    def post(**c: Any) -> Any:
        return client.post(RISKS, json=body(rw, **c), headers=headers)

    assert set(problem(post(likelihood=6), 422)) == {"likelihood"}
    assert problem(post(work_package="WP9"), 422) == {
        "work_package": "SENSE has no work package 'WP9'"
    }
    assert problem(post(owner_id=str(rw.fred)), 422) == {
        "owner_id": "Fred Fournier works for LOPT, which does not take part in SENSE"
    }
    assert problem(post(project="NOPE"), 422) == {"project": "no project 'NOPE'"}
    assert problem(post(), 409) == {"": "reference: a risk 'RSK-1' already exists"}
    assert set(problem(client.get(RISKS, params={"min_score": 30}), 422)) == {"min_score"}


def test_who_may_see_and_change_a_risk(client: TestClient, rw: RiskWorld) -> None:
    made = raised(client, rw)
    risk = f"{RISKS}/{made['id']}"
    headers = login(client, "bob")
    refused = client.post(
        f"{risk}/assessments",
        json={"likelihood": 1, "impact": 1, "status": "open"},
        headers=headers,
    )
    assert "project:risk:manage" in problem(refused, 403)[""]
    headers = login(client, "fred")
    assert problem(client.get(risk), 404) == {"": "no risk with this id"}
    assert client.get(RISKS).json() == []
    assert problem(client.get(f"{RISKS}/heat-map", params={"project": PROJECT}), 404)
    assert client.get(f"{RISKS}/heat-map").json()["total"] == 0
    assert client.get(f"{risk}/trend.svg").status_code == 404
    lost = client.post(
        f"{risk}/assessments",
        json={"likelihood": 1, "impact": 1, "status": "open"},
        headers=headers,
    )
    assert problem(lost, 404) == {"": "no risk with this id"}


def test_a_closed_risk_is_not_reopened(client: TestClient, rw: RiskWorld) -> None:
    made = raised(client, rw)
    risk = f"{RISKS}/{made['id']}"
    headers = login(client, "paula")
    for status in ("mitigating", "closed"):
        done = client.post(
            f"{risk}/assessments",
            json={"likelihood": 1, "impact": 1, "status": status},
            headers=headers,
        )
        assert done.status_code == 201, done.text
    assert done.json()["closed_on"] is not None
    again = client.post(
        f"{risk}/assessments",
        json={"likelihood": 3, "impact": 3, "status": "open"},
        headers=headers,
    )
    assert "a closed risk is final" in problem(again, 409)[""]
