"""Expertise over HTTP: the REST API (ranked search with its total, problem+json naming the
field, 403 and 404 as the use cases decide) and the pages (search with filters and paging,
the profile form with its errors, one's own profile, the partner finder)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coalition.accounts.permissions import Principal
from tests.api.conftest import login
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.facility_world import FacilityWorld, make_facility_world
from tests.factories import World

PROBLEM = "application/problem+json"
OPEN = {"scheme": "USA", "originator": "USA", "banner": "UNCLASSIFIED//REL TO USA, GBR, FRA"}
SECRET = {"scheme": "USA", "originator": "USA", "banner": "SECRET//REL TO USA, GBR"}


@pytest.fixture
def fw(uow: UowFactory, operator: Principal, world: World) -> FacilityWorld:
    return make_facility_world(uow, operator, world)


def body(**changes: Any) -> dict[str, Any]:
    return {
        "organisation": "USAPL",
        "headline": "Hypersonic inlet testing",
        "summary": "Shock-tunnel campaigns on scramjet inlets.",
        "capabilities": ["aero.hypersonic"],
        "keywords": ["inlets"],
        "trl": 6,
        "publications": [{"title": "Inlet starting at Mach 8", "year": 2024}],
        "label": OPEN,
    } | changes


def made(client: TestClient, who: str = "alice", **changes: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/expertise/profiles", json=body(**changes), headers=login(client, who)
    )
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def test_search_over_the_api_counts_only_what_the_caller_may_see(
    client: TestClient, fw: FacilityWorld
) -> None:
    shown = made(client)
    made(client, headline="Hypersonic materials", label=SECRET)
    assert shown["allowed_actions"] == ["organisation:expertise:manage"]
    assert shown["publications"] == [
        {"title": "Inlet starting at Mach 8", "year": 2024, "reference": None}
    ]
    login(client, "alice")
    both = client.get("/api/v1/expertise/profiles", params={"q": "hypersonic"}).json()
    assert both["total"] == 2 and len(both["items"]) == 2
    login(client, "fabien")
    only = client.get("/api/v1/expertise/profiles", params={"q": "hypersonic"}).json()
    assert (only["total"], [h["id"] for h in only["items"]]) == (1, [shown["id"]])
    meaning = client.get(
        "/api/v1/expertise/profiles", params={"q": "fast air-breathing engines", "mode": "semantic"}
    ).json()
    assert meaning["mode"] == "semantic" and [h["id"] for h in meaning["items"]] == [shown["id"]]
    hidden = (
        both["items"][0]["id"] if both["items"][0]["id"] != shown["id"] else both["items"][1]["id"]
    )
    missing = client.get(f"/api/v1/expertise/profiles/{hidden}")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert missing.json()["detail"] == "no profile with this id"
    paged = client.get("/api/v1/expertise/profiles", params={"limit": 1, "offset": 1}).json()
    assert paged["total"] == 1 and paged["items"] == []


def test_bad_input_names_the_field(client: TestClient, fw: FacilityWorld) -> None:
    headers = login(client, "alice")

    def post(**c: Any) -> Any:
        return client.post("/api/v1/expertise/profiles", json=body(**c), headers=headers)

    for changes, field in (
        ({"trl": 0}, "trl"),
        ({"capabilities": ["Bad Code"]}, "capabilities[0]"),
        ({"publications": [{"title": "x"}]}, "publications[0].title"),
        ({"organisation": "NOPE"}, "organisation"),
    ):
        response = post(**changes)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert field in {e["field"] for e in response.json()["errors"]}, response.text
    assert post(organisation="UKSL").status_code == 403
    bad = client.get("/api/v1/expertise/profiles", params={"trl_min": 10})
    assert bad.status_code == 422
    mode = client.get("/api/v1/expertise/profiles", params={"q": "x", "mode": "vector"})
    assert mode.status_code == 422 and mode.json()["errors"][0]["field"] == "mode"
    words = client.get("/api/v1/expertise/profiles", params={"mode": "semantic"})
    assert words.status_code == 422 and words.json()["errors"][0]["field"] == "q"
    level = client.get(
        "/api/v1/expertise/partners", params={"capability": "aero", "level": "COSMIC"}
    )
    assert level.status_code == 422 and level.json()["errors"][0]["field"] == "level"


def test_the_partner_finder_over_the_api(client: TestClient, fw: FacilityWorld) -> None:
    made(client)
    login(client, "carol")
    found = client.get(
        "/api/v1/expertise/partners",
        params={"capability": "aero", "agreement": "MOU-USA-GBR", "level": "SECRET"},
    ).json()
    assert [(p["organisation"], p["best_trl"]) for p in found] == [("USAPL", 6)]
    assert [f["code"] for f in found[0]["facilities"]] == ["USAPL-RNG", "USAPL-WT"]


def test_the_pages_search_add_edit_and_find_partners(client: TestClient, fw: FacilityWorld) -> None:
    made(client, headline="Transonic buffet")
    web_login(client, "carol")
    page = client.get("/expertise", params={"q": "buffet"}).text
    assert "1 profile, most relevant first" in page and "Transonic buffet" in page
    assert "Add your profile" in page and "Add a profile" not in page
    form = client.get("/expertise/new?mine=1").text
    token = form_token(form)
    person = re.search(r'name="person_id" value="([^"]+)"', form)
    assert person
    values = {
        "csrf_token": token,
        "organisation": "UKSL",
        "person_id": person.group(1),
        "headline": "Sonar arrays",
        "capabilities": "acoustics.underwater, Not A Code",
        "keywords": "beamforming",
        "trl": "4",
        "publications": "Towed arrays in ice | 2023 | DOI 10.1000/x",
        "label_banner": "OFFICIAL//REL TO GBR, USA",
        "label_scheme": "GBR",
        "label_originator": "GBR",
    }
    bad = client.post("/expertise/new", data=values)
    assert bad.status_code == 422
    assert re.search(r'id="e-capabilities">[^<]*not a capability code', bad.text)
    assert 'value="Sonar arrays"' in bad.text
    created = client.post(
        "/expertise/new",
        data=values | {"capabilities": "acoustics.underwater"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    shown = client.get(location).text
    assert "Sonar arrays" in shown and "Towed arrays in ice (2023)" in shown and "TRL 4" in shown
    edit = client.get(f"{location}/edit").text
    assert "Towed arrays in ice | 2023 | DOI 10.1000/x" in edit
    changed = client.post(
        f"{location}/edit",
        data={
            "csrf_token": form_token(edit),
            "status": "active",
            "headline": "Sonar beamforming",
            "capabilities": "acoustics.underwater",
            "keywords": "",
            "trl": "",
            "publications": "",
            "label_banner": "OFFICIAL//REL TO GBR, USA",
            "label_scheme": "GBR",
            "label_originator": "GBR",
        },
        follow_redirects=True,
    )
    assert changed.status_code == 200 and "Profile updated." in changed.text
    assert "TRL" not in changed.text.split("Technology readiness")[1].split("</dd>")[0]
    assert "Sonar beamforming" in client.get("/expertise", params={"q": "beamforming"}).text
    partners = client.get(
        "/expertise/partners", params={"capability": "aero", "level": "SECRET"}
    ).text
    assert "US Applied Physics Lab (USAPL, USA)" in partners and "USAPL-WT" in partners
    wrong = client.get("/expertise/partners", params={"capability": "aero", "level": "x"})
    assert wrong.status_code == 422 and "is not a level" in wrong.text
