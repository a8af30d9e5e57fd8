"""Projects over the API and on their pages: changing members, participants and work
packages, and who may open the edit form."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import login
from tests.api.test_web_pages import form_token, web_login
from tests.factories import World

PROBLEM = "application/problem+json"


@pytest.fixture
def project(client: TestClient, world: World) -> dict[str, Any]:
    """SENSE led by USAPL from 2024-01-01, UKSL a partner, Bob (UKSL) on the team, WP1."""
    headers = login(client)
    created = client.post(
        "/api/v1/projects",
        headers=headers,
        json={
            "code": "SENSE",
            "title": "Sensor fusion",
            "agreement_id": str(world.mou),
            "start_on": "2024-01-01",
            "end_on": "2028-01-01",
            "lead_organisation_id": str(world.usa_lab),
        },
    )
    assert created.status_code == 201, created.text
    project_id = created.json()["id"]
    for path, body in (
        (
            "participants",
            {"organisation_id": str(world.gbr_lab), "role": "partner", "joined_on": "2024-02-01"},
        ),
        ("members", {"person_id": str(world.bob), "role": "researcher", "joined_on": "2024-02-01"}),
        (
            "work-packages",
            {"code": "WP1", "title": "Fusion", "lead_organisation_id": str(world.usa_lab)},
        ),
    ):
        response = client.post(f"/api/v1/projects/{project_id}/{path}", headers=headers, json=body)
        assert response.status_code == 201, response.text
    shown: dict[str, Any] = client.get(f"/api/v1/projects/{project_id}").json()
    return shown


def problem_fields(response: Any) -> set[str]:
    assert response.headers["content-type"] == PROBLEM
    return {e["field"] for e in response.json()["errors"]}


def test_new_update_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/members/{member_id}",
        "/api/v1/participants/{participant_id}",
        "/api/v1/work-packages/{work_package_id}",
    ):
        assert "patch" in paths[path], path


def test_patch_member_changes_role_and_end_and_names_a_bad_field(
    client: TestClient, project: dict[str, Any]
) -> None:
    headers = login(client)
    url = f"/api/v1/members/{project['members'][0]['id']}"
    changed = client.patch(url, headers=headers, json={"role": "observer", "left_on": "2025-01-01"})
    assert changed.status_code == 200
    assert (changed.json()["role"], changed.json()["left_on"]) == ("observer", "2025-01-01")
    early = client.patch(url, headers=headers, json={"left_on": "2024-01-15"})
    assert early.status_code == 422 and problem_fields(early) == {"left_on"}
    no_role = client.patch(url, headers=headers, json={"role": None})
    assert no_role.status_code == 422 and problem_fields(no_role) == {"role"}
    cleared = client.patch(url, headers=headers, json={"left_on": None})
    assert cleared.status_code == 200 and cleared.json()["left_on"] is None


def test_patch_participant_promotes_and_refuses_demoting_the_last_lead(
    client: TestClient, project: dict[str, Any]
) -> None:
    headers = login(client)
    lead, partner = (p["id"] for p in project["participants"])
    refused = client.patch(
        f"/api/v1/participants/{lead}", headers=headers, json={"role": "partner"}
    )
    assert refused.status_code == 422 and problem_fields(refused) == {"role"}
    assert "appoint another lead first" in refused.json()["detail"]
    promoted = client.patch(
        f"/api/v1/participants/{partner}", headers=headers, json={"role": "lead"}
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "lead"
    demoted = client.patch(
        f"/api/v1/participants/{lead}", headers=headers, json={"role": "partner"}
    )
    assert demoted.status_code == 200


def test_withdrawing_the_only_lead_is_422_naming_withdrew_on(
    client: TestClient, project: dict[str, Any]
) -> None:
    headers = login(client)
    lead = project["participants"][0]["id"]
    refused = client.post(
        f"/api/v1/participants/{lead}/withdraw", headers=headers, json={"withdrew_on": "2025-01-01"}
    )
    assert refused.status_code == 422 and problem_fields(refused) == {"withdrew_on"}


def test_withdrawing_a_partner_ends_its_employees_memberships(
    client: TestClient, project: dict[str, Any]
) -> None:
    headers = login(client)
    partner = project["participants"][1]["id"]
    done = client.post(
        f"/api/v1/participants/{partner}/withdraw",
        headers=headers,
        json={"withdrew_on": "2025-01-01"},
    )
    assert done.status_code == 200
    shown = client.get(f"/api/v1/projects/{project['id']}").json()
    assert shown["members"][0]["left_on"] == "2025-01-01"


def test_a_member_is_shown_with_the_participation_they_are_on_the_team_for(
    client: TestClient, project: dict[str, Any]
) -> None:
    uksl = project["participants"][1]
    assert project["members"][0]["participant_id"] == uksl["id"]
    web_login(client, "admin")
    page = client.get(f"/projects/{project['id']}").text
    assert re.search(r"Baker, Bob</a></td>\s*<td>UKSL</td>", page)


def test_a_withdrawn_partner_cannot_take_over_a_work_package(
    client: TestClient, world: World, project: dict[str, Any]
) -> None:
    headers = login(client)
    partner = project["participants"][1]["id"]
    client.post(
        f"/api/v1/participants/{partner}/withdraw",
        headers=headers,
        json={"withdrew_on": "2025-01-01"},
    )
    refused = client.patch(
        f"/api/v1/work-packages/{project['work_packages'][0]['id']}",
        headers=headers,
        json={"lead_organisation_id": str(world.gbr_lab)},
    )
    assert refused.status_code == 422 and problem_fields(refused) == {"lead_organisation_id"}
    assert "needs a current participant" in refused.json()["detail"]


def test_patch_work_package_changes_lead_and_refuses_an_outsider(
    client: TestClient, world: World, project: dict[str, Any]
) -> None:
    headers = login(client)
    url = f"/api/v1/work-packages/{project['work_packages'][0]['id']}"
    changed = client.patch(
        url,
        headers=headers,
        json={"title": "Fusion trials", "lead_organisation_id": str(world.gbr_lab)},
    )
    assert changed.status_code == 200
    assert changed.json()["lead_organisation"]["short_name"] == "UKSL"
    outsider = client.patch(url, headers=headers, json={"lead_organisation_id": str(world.fra_lab)})
    assert outsider.status_code == 422 and problem_fields(outsider) == {"lead_organisation_id"}
    stray = client.patch(url, headers=headers, json={"code": "WP9"})
    assert stray.status_code == 422


def test_unknown_ids_are_404_and_researchers_are_403(
    client: TestClient, project: dict[str, Any]
) -> None:
    headers = login(client)
    missing = client.patch(f"/api/v1/members/{uuid.uuid4()}", headers=headers, json={})
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    headers = login(client, "reader")
    refused = client.patch(
        f"/api/v1/work-packages/{project['work_packages'][0]['id']}",
        headers=headers,
        json={"title": "Mine now"},
    )
    assert refused.status_code == 403 and "project:plan:manage" in refused.json()["detail"]


# --- pages ----------------------------------------------------------------------------------


def test_researcher_gets_403_on_the_edit_page(client: TestClient, project: dict[str, Any]) -> None:
    web_login(client, "reader")
    refused = client.get(f"/projects/{project['id']}/edit")
    assert refused.status_code == 403
    assert 'name="title"' not in refused.text
    web_login(client, "admin")
    assert client.get(f"/projects/{project['id']}/edit").status_code == 200


def test_change_forms_show_only_to_those_who_may_use_them(
    client: TestClient, project: dict[str, Any]
) -> None:
    web_login(client, "reader")
    page = client.get(f"/projects/{project['id']}").text
    assert "Change UKSL" not in page and "Change WP1" not in page
    web_login(client, "admin")
    page = client.get(f"/projects/{project['id']}").text
    assert "Change UKSL" in page and "Change WP1" in page
    assert "Change Baker, Bob from 2024-02-01" in page


def test_member_form_saves_and_shows_a_bad_date_at_its_field(
    client: TestClient, project: dict[str, Any]
) -> None:
    web_login(client, "admin")
    token = form_token(client.get(f"/projects/{project['id']}").text)
    member = project["members"][0]["id"]
    url = f"/projects/{project['id']}/members/{member}"
    bad = client.post(url, data={"csrf_token": token, "role": "observer", "left_on": "2024-01-01"})
    assert bad.status_code == 422
    assert f'id="member-{member}-left_on-error"' in bad.text
    saved = client.post(
        url, data={"csrf_token": token, "role": "observer", "left_on": ""}, follow_redirects=True
    )
    assert saved.status_code == 200 and "Bob Baker: saved." in saved.text


def test_participant_and_work_package_forms_save(
    client: TestClient, world: World, project: dict[str, Any]
) -> None:
    web_login(client, "admin")
    token = form_token(client.get(f"/projects/{project['id']}").text)
    partner = project["participants"][1]["id"]
    promoted = client.post(
        f"/projects/{project['id']}/participants/{partner}",
        data={"csrf_token": token, "role": "lead"},
        follow_redirects=True,
    )
    assert "UKSL is now lead." in promoted.text
    wp = project["work_packages"][0]["id"]
    saved = client.post(
        f"/projects/{project['id']}/work-packages/{wp}",
        data={
            "csrf_token": token,
            "title": "Fusion trials",
            "lead_organisation_id": str(world.gbr_lab),
            "description": "",
        },
        follow_redirects=True,
    )
    assert "Work package WP1 saved." in saved.text and "Fusion trials" in saved.text


def test_readiness_levels_through_the_api_and_the_plan_page(
    client: TestClient, project: dict[str, Any]
) -> None:
    headers = login(client)
    url = f"/api/v1/projects/{project['id']}/trl"
    made = client.post(url, headers=headers, json={"level": 4, "assessed_on": "2025-03-01"})
    assert made.status_code == 201, made.text
    assert problem_fields(
        client.post(url, headers=headers, json={"level": 12, "assessed_on": "2025-03-02"})
    ) == {"level"}
    again = client.post(url, headers=headers, json={"level": 5, "assessed_on": "2025-03-01"})
    assert again.status_code == 409 and "already has a readiness level" in again.json()["detail"]
    assert [t["level"] for t in client.get(url).json()] == [4]
    web_login(client, "admin")
    page = client.get(f"/projects/{project['id']}")
    assert "TRL 4" in page.text
    saved = client.post(
        f"/projects/{project['id']}/trl",
        data={"csrf_token": form_token(page.text), "level": "5", "assessed_on": "2025-06-01"},
        follow_redirects=True,
    )
    assert "Readiness level 5 recorded for 2025-06-01." in saved.text
    bad = client.post(
        f"/projects/{project['id']}/trl",
        data={"csrf_token": form_token(page.text), "level": "5", "assessed_on": "2099-01-01"},
    )
    assert bad.status_code == 422 and "is in the future" in bad.text
