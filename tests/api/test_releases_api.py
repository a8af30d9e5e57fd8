"""The release pre-check over the API and on its page: every item against every recipient,
blockers with remedies, and who must approve; nothing is recorded."""

# The technical-data tests' fixtures are imported and used by name as parameters.
# ruff: noqa: F811

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from coalition.audit.models import Event
from tests.api.conftest import login
from tests.api.test_techdata_api import (  # noqa: F401 - fixtures used by name
    PROBLEM,
    Sonar,
    cheap_password_hashes,
    people,
    problem_fields,
    sonar,
)
from tests.conftest import UowFactory


def _events(uow: UowFactory) -> int:
    with uow() as unit:
        return unit.session.scalar(select(func.count()).select_from(Event)) or 0


def test_the_precheck_names_every_blocker_and_every_approval_and_records_nothing(
    client: TestClient, sonar: Sonar, uow: UowFactory
) -> None:
    world = sonar.people.world
    headers = login(client, "alice")
    before = _events(uow)
    answer = client.post(
        "/api/v1/releases/precheck",
        headers=headers,
        json={
            "artifact_references": ["SONAR-REL", "SONAR-NOFORN"],
            "recipient_organisation_ids": [str(world.gbr_lab), str(world.fra_lab)],
            "purpose": "carrying_out_the_project",
        },
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["pairs"] == 4
    blocked = {
        (b["artifact_reference"], b["recipient_name"], b["rule"]) for b in result["blockers"]
    }
    # NOFORN goes to no foreign organisation; REL TO USA, GBR not to France.
    assert ("SONAR-NOFORN", "UKSL", "releasability") in blocked
    assert ("SONAR-REL", "LOPT", "releasability") in blocked
    assert all(b["reason"] for b in result["blockers"])
    assert "USA security officer (classified)" in result["approvals"]
    items = {i["artifact_reference"]: i for i in result["items"]}
    assert "LOPT" not in items["SONAR-REL"]["permitted_to"]
    assert items["SONAR-NOFORN"]["permitted_to"] == []
    assert _events(uow) == before  # the log-in was recorded before; nothing since


def test_items_one_may_not_see_are_reported_as_unknown_and_bad_input_is_named(
    client: TestClient, sonar: Sonar
) -> None:
    world = sonar.people.world
    headers = login(client, "bob")  # may not know SONAR-NOFORN exists
    hidden = client.post(
        "/api/v1/releases/precheck",
        headers=headers,
        json={
            "artifact_references": ["SONAR-NOFORN", "NO-SUCH-THING"],
            "recipient_organisation_ids": [str(world.fra_lab)],
            "purpose": "carrying_out_the_project",
        },
    )
    assert hidden.status_code == 422 and hidden.headers["content-type"] == PROBLEM
    assert "no artifact you may see: SONAR-NOFORN, NO-SUCH-THING" in hidden.text
    empty = client.post(
        "/api/v1/releases/precheck",
        headers=headers,
        json={"artifact_references": [], "recipient_organisation_ids": [], "purpose": "x"},
    )
    assert empty.status_code == 422
    assert problem_fields(empty) == {
        "artifact_references",
        "recipient_organisation_ids",
        "purpose",
    }


def test_the_release_page_shows_blockers_and_approvals(client: TestClient, sonar: Sonar) -> None:
    world = sonar.people.world
    token = login(client, "alice")["X-CSRF-Token"]
    page = client.post(
        "/releases/new",
        data={
            "csrf_token": token,
            "artifact_references": "SONAR-REL\nSONAR-NOFORN",
            "recipient_organisation_ids": [str(world.gbr_lab)],
            "purpose": "carrying_out_the_project",
        },
    )
    assert page.status_code == 200, page.text
    assert "recipient pairs may be released" in page.text
    assert "What stands in the way" in page.text and "releasability" in page.text
    assert "USA security officer (classified)" in page.text
