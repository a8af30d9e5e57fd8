"""Reports over the REST API and in the pages: generate, list, one report, its PDF through
the artifact's download path (the engine decides), schedules and the run of those due, the
progress of a project; problem+json naming the field, 403 and 404 as the use cases decide;
the report's page drawn from its PDF, with its banner and charts, and the progress page.

The world is tests/integration/test_reports.py's, on tests/api/conftest.py's."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from coalition.accounts.permissions import Principal
from coalition.reports import rules
from coalition.reports.models import Frequency
from tests.api.conftest import login
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.factories import World
from tests.integration.test_reports import (
    BANNER,
    PROJECT,
    SECRET_TITLE,
    ReportWorld,
    make_report_world,
)

PROBLEM = "application/problem+json"
REPORTS = "/api/v1/reports"
QUARTER = {
    "scope": "project",
    "project": PROJECT,
    "period_start": "2026-01-01",
    "period_end": "2026-03-31",
}


@pytest.fixture
def rw(uow: UowFactory, operator: Principal, world: World) -> ReportWorld:
    return make_report_world(uow, operator, world)


def problem(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    found = response.json()
    return {e["field"]: e["message"] for e in found.get("errors", [])} or {"": found["detail"]}


def generated(client: TestClient, **changes: str) -> Any:
    response = client.post(REPORTS, json=QUARTER | changes, headers=login(client, "paula"))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_report_through_the_api(client: TestClient, rw: ReportWorld) -> None:
    made = generated(client)
    assert (made["reference"], made["period"], made["banner"]) == (
        "RPT-RADAR-2026-Q1",
        "2026-Q1",
        BANNER,
    )
    assert [r["id"] for r in client.get(REPORTS, params={"project": PROJECT}).json()] == [
        made["id"]
    ]
    assert client.get(f"{REPORTS}/{made['id']}").json()["sha256"] == made["sha256"]
    moved = client.get(f"{REPORTS}/{made['id']}/pdf", follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/api/v1/artifacts/{made['artifact_id']}/content?version=1"
    document = client.get(moved.headers["location"])
    assert document.status_code == 200, document.text
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["x-coalition-classification"] == BANNER
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(document.content)).pages)
    assert "6. Releases made" in text and "RSK-RAD-1" in text and SECRET_TITLE not in text
    login(client, "bob")  # on the team, but not releasable to his CAN citizenship
    assert client.get(REPORTS).json() == []
    assert problem(client.get(f"{REPORTS}/{made['id']}"), 404) == {"": "no report with this id"}
    assert problem(client.get(f"{REPORTS}/{made['id']}/pdf", follow_redirects=False), 404)
    login(client, "alice")  # of the owner, without a clearance: knows of it, may not read it
    refused = client.get(f"/api/v1/artifacts/{made['artifact_id']}/content?version=1")
    assert "clearance" in problem(refused, 403)[""]


def test_bad_requests_name_their_fields(client: TestClient, rw: ReportWorld) -> None:
    headers = login(client, "paula")

    def post(**c: Any) -> Any:
        return client.post(REPORTS, json=QUARTER | c, headers=headers)

    early = problem(post(period_start="2024-10-01"), 422)
    assert set(early) == {"period_start"} and "2025-01-01 to 2028-12-31" in early["period_start"]
    assert set(problem(post(period_end="2025-12-31"), 422)) == {"period_end"}
    assert problem(post(project="NOPE"), 422) == {"project": "no project 'NOPE'"}
    assert problem(post(scope="agreement"), 422)  # an agreement report names an agreement
    headers = login(client, "alice")
    refused = client.post(REPORTS, json=QUARTER, headers=headers)
    assert "organisation:governance:manage" in problem(refused, 403)[""]


def test_schedules_and_the_run_of_those_due(client: TestClient, rw: ReportWorld) -> None:
    headers = login(client, "paula")
    made = client.post(
        f"{REPORTS}/schedules",
        json={"project": PROJECT, "frequency": "quarterly", "first_period_start": "2026-01-01"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["next_period_start"] == "2026-01-01"
    again = client.post(
        f"{REPORTS}/schedules", json={"project": PROJECT, "frequency": "quarterly"}, headers=headers
    )
    assert "already has an active quarterly schedule" in problem(again, 409)[""]
    assert (
        "node:governance:tick"
        in problem(client.post(f"{REPORTS}/run-due", headers=headers), 403)[""]
    )
    headers = login(client, "admin")
    ran = client.post(f"{REPORTS}/run-due", headers=headers)
    assert ran.status_code == 200, ran.text
    today = datetime.now(UTC).date()
    owed = [p.label() for p in rules.ended_periods(date(2026, 1, 1), Frequency.QUARTERLY, today)]
    assert [r["period"] for r in ran.json()["generated"]] == owed
    assert client.post(f"{REPORTS}/run-due", headers=headers).json()["generated"] == []
    listed = client.get(f"{REPORTS}/schedules", params={"project": PROJECT}).json()
    assert [s["reports"] for s in listed] == [len(owed)]
    stopped = client.post(
        f"{REPORTS}/schedules/{listed[0]['id']}/stop", headers=login(client, "paula")
    )
    assert stopped.json()["active"] is False


def test_progress_of_a_project(client: TestClient, rw: ReportWorld) -> None:
    login(client, "bob")
    found = client.get("/api/v1/progress", params={"project": PROJECT, "on": "2026-04-01"}).json()
    assert {m["code"]: m["state"] for m in found["milestones"]} == {
        "M1": "achieved",
        "M2": "late",
        "M3": "planned",
    }
    assert found["trl"][0]["points"] == [] and found["spend"]["currency"] == "USD"
    login(client, "fred")
    assert problem(client.get("/api/v1/progress", params={"project": PROJECT}), 404)


def test_the_report_pages(client: TestClient, rw: ReportWorld) -> None:
    web_login(client, "paula")
    page = client.get("/reports")
    assert "Generate a report" in page.text and "Schedules" in page.text
    response = client.post(
        "/reports",
        data={"csrf_token": form_token(page.text)} | QUARTER,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    shown = client.get(response.headers["location"])
    assert shown.status_code == 200, shown.text
    text = shown.text
    assert text.count(f'<code class="banner">{BANNER}</code>') == 2  # top and bottom
    assert "Report RPT-RADAR-2026-Q1 generated" in text
    for heading in (
        "1. Progress against plan",
        "3. Risks",
        "6. Releases made",
        "8. Funding and balance",
    ):
        assert heading in text
    assert 'src="data:image/svg+xml;base64,' in text and "<svg" not in text
    assert "Risk heat map of RADAR" in text  # the heat map's text alternative
    assert "/content?version=1" in text and SECRET_TITLE not in text
    assert "RPT-RADAR-2026-Q1" in client.get("/reports").text
    refused = client.post(
        "/reports",
        data={"csrf_token": form_token(page.text)} | QUARTER | {"period_start": "2024-10-01"},
    )
    assert refused.status_code == 422 and "2025-01-01 to 2028-12-31" in refused.text
    scheduled = client.post(
        "/reports/schedules",
        data={
            "csrf_token": form_token(page.text),
            "scope": "project",
            "project": PROJECT,
            "frequency": "yearly",
        },
        follow_redirects=False,
    )
    assert scheduled.status_code == 303, scheduled.text
    progress = client.get("/progress", params={"project": PROJECT, "on": "2026-04-01"})
    assert "Waveform library" in progress.text and "No technology readiness level" in progress.text
    web_login(client, "bob")
    assert client.get(response.headers["location"]).status_code == 404
