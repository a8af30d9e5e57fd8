"""The facility catalogue over the API and its pages: facilities added and changed by those
who may, refused with problem+json naming the field; a facility one may not know of is
absent from every list, search and page, and "not found" with the same body as an id
never used; closures; every change an event."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.audit.models import Event
from coalition.facilities.models import Facility, FacilityClosure
from coalition.registry.people import create_person
from coalition.registry.schemas import PersonIn
from tests.api.conftest import login
from tests.api.test_techdata_api import (  # noqa: F401 - fixture used by name
    PROBLEM,
    account,
    cheap_password_hashes,
)
from tests.api.test_web_pages import form_token, web_login
from tests.conftest import UowFactory
from tests.factories import World, make_account
from tests.integration.test_facilities import (
    CODE,
    REL_USA_GBR,
    FacilityWorld,
    make_facility_world,
)

URL = "/api/v1/facilities"


@pytest.fixture
def fw(uow: UowFactory, operator: Principal) -> FacilityWorld:
    """The facility world with accounts: `admin` (node admin) and `reader` (researcher),
    neither a person; `gwen` (GBR) and `fabien` (FRA), researchers who are people;
    `fm-usapl`, facility manager of USAPL (no person); `fm-uksl`, facility manager of UKSL
    who is Harry (GBR)."""
    fw = make_facility_world(uow, operator)
    make_account(uow, operator, "admin", Role.NODE_ADMIN)
    make_account(uow, operator, "reader", Role.RESEARCHER)
    account(uow, operator, "gwen", Role.RESEARCHER, fw.gwen)
    account(uow, operator, "fabien", Role.RESEARCHER, fw.fabien)
    make_account(
        uow, operator, "fm-usapl", Role.FACILITY_MANAGER, ScopeKind.ORGANISATION, fw.usa_lab
    )
    harry = create_person(
        uow(),
        operator,
        PersonIn(
            given_name="Harry",
            family_name="Hughes",
            email="harry@uksl.example",
            employer_id=fw.gbr_lab,
            citizenships=["GBR"],
        ),
    ).id
    account(
        uow, operator, "fm-uksl", Role.FACILITY_MANAGER, harry, ScopeKind.ORGANISATION, fw.gbr_lab
    )
    return fw


@pytest.fixture
def world(fw: FacilityWorld) -> World:
    """Replaces the API conftest's world: the client is built on the facility world."""
    return fw.world


def body(**changes: Any) -> dict[str, Any]:
    """USAPL's wind tunnel, releasable to USA and GBR, with every field."""
    return {
        "code": CODE,
        "name": "USAPL Hypersonic Wind Tunnel",
        "kind": "wind_tunnel",
        "organisation": "USAPL",
        "location": "Laurel, Maryland",
        "time_zone": "America/New_York",
        "description": "Mach 5 to 8 blow-down tunnel.",
        "capabilities": ["aero.hypersonic", "aero.thermal"],
        "label": REL_USA_GBR,
        "tcp_applies": True,
        "capacity": 2,
        "rate": "1250.50",
        "rate_currency": "USD",
        "rate_unit": "hour",
        "opening_hours": {"mon": "08:00-18:00", "tue": "08:00-18:00"},
    } | changes


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def errors(response: Any, status: int = 422) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return [(e["field"], e["message"]) for e in response.json()["errors"]]


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    found: dict[str, Any] = response.json()
    return found


def without_instance(found: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k != "instance"}


def count(uow: UowFactory, table: type) -> int:
    with uow() as unit:
        return unit.session.scalar(select(func.count()).select_from(table)) or 0


def tags(uow: UowFactory) -> list[str]:
    with uow() as unit:
        return list(
            unit.session.scalars(
                select(Event.tag).where(Event.tag.like("facilities:%")).order_by(Event.id)
            )
        )


def listed(client: TestClient, **params: Any) -> list[str]:
    return [f["code"] for f in ok(client.get(URL, params=params))]


def add(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(client.post(URL, headers=headers, json=body(**changes)), 201)
    return created


# --- create -----------------------------------------------------------------------------------


def test_an_administrator_adds_a_facility_with_every_field(
    client: TestClient, uow: UowFactory, fw: FacilityWorld
) -> None:
    headers = login(client)
    created = add(client, headers)
    assert created["code"] == CODE and created["organisation"] == "USAPL"
    assert (created["nation"], created["status"], created["kind"]) == (
        "USA",
        "active",
        "wind_tunnel",
    )
    assert created["label"]["banner"] == "SECRET//REL TO USA, GBR"
    assert (created["rate"], created["rate_currency"], created["rate_unit"]) == (
        "1250.50",
        "USD",
        "hour",
    )
    assert created["opening_hours"] == {"mon": "08:00-18:00", "tue": "08:00-18:00"}
    assert created["capabilities"] == ["aero.hypersonic", "aero.thermal"]
    assert (created["tcp_applies"], created["capacity"], created["closures"]) == (True, 2, [])
    assert created["allowed_actions"] == ["organisation:facility:manage"]
    assert ok(client.get(f"{URL}/{created['id']}")) == created
    assert listed(client) == [CODE]
    assert tags(uow) == ["facilities:facility:create"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param({"organisation": "NOPE"}, "organisation", "no organisation 'NOPE'", id="org"),
        pytest.param(
            {"time_zone": "Europe/Londres"},
            "time_zone",
            "'Europe/Londres' is not an IANA time zone such as Europe/London",
            id="time_zone",
        ),
        pytest.param(
            {"capabilities": ["aero.hypersonic", "Aero/Thermal"]},
            "capabilities[1]",
            "'Aero/Thermal' is not a capability code such as aero.hypersonic",
            id="capability",
        ),
        pytest.param(
            {"opening_hours": {"mon": "18:00-08:00"}},
            "opening_hours",
            "mon: 18:00-08:00 is not a time span within a day",
            id="hours_backwards",
        ),
        pytest.param(
            {"opening_hours": {"xyz": "08:00-18:00"}},
            "opening_hours",
            "'xyz' is not a weekday (mon ... sun)",
            id="hours_day",
        ),
        pytest.param(
            {"rate_currency": None, "rate_unit": None},
            "rate",
            "give the rate, its currency and its unit together",
            id="rate_alone",
        ),
        pytest.param(
            {"rate": "99.999"}, "rate", "USD has 2 decimal places; 99.999 has more", id="cents"
        ),
        pytest.param(
            {"label": {**REL_USA_GBR, "scheme": "XYZ"}}, "label.scheme", None, id="scheme"
        ),
        pytest.param(
            {"label": {"scheme": "GBR", "originator": "GBR", "classification": "CONFIDENTIAL"}},
            "label.classification",
            None,
            id="classification",
        ),
        pytest.param({"capacity": 0}, "capacity", None, id="capacity"),
        pytest.param({"kind": "submarine"}, "kind", None, id="kind"),
    ],
)
def test_a_bad_facility_is_a_problem_naming_the_field(
    client: TestClient,
    uow: UowFactory,
    fw: FacilityWorld,
    changes: dict[str, Any],
    field: str,
    message: str | None,
) -> None:
    headers = login(client)
    before = (count(uow, Facility), count(uow, Event))
    problems = errors(client.post(URL, headers=headers, json=body(**changes)))
    assert field in [f for f, _ in problems], problems
    if message is not None:
        assert (field, message) in problems
    assert (count(uow, Facility), count(uow, Event)) == before
    assert listed(client, include_retired=True) == []


def test_a_code_already_taken_is_a_409_problem(
    client: TestClient, uow: UowFactory, fw: FacilityWorld
) -> None:
    headers = login(client)
    add(client, headers)
    found = problem(client.post(URL, headers=headers, json=body(organisation="UKSL")), 409)
    assert found["detail"] == f"code: a facility '{CODE}' already exists"
    assert count(uow, Facility) == 1


# --- who may add and change -------------------------------------------------------------------


def test_a_researcher_is_forbidden_to_add_a_facility(
    client: TestClient, uow: UowFactory, fw: FacilityWorld
) -> None:
    headers = login(client, "gwen")
    problem(client.post(URL, headers=headers, json=body(organisation="UKSL")), 403)
    assert count(uow, Facility) == 0


def test_facility_managers_act_under_their_own_organisation_only(
    client: TestClient, uow: UowFactory, fw: FacilityWorld
) -> None:
    headers = login(client, "fm-usapl")
    own = add(client, headers)
    under = add(client, headers, code="USHYP-ARC", organisation="USHYP", name="Arc heater")
    problem(client.post(URL, headers=headers, json=body(code="UKSL-X", organisation="UKSL")), 403)
    for created in (own, under):
        assert created["allowed_actions"] == ["organisation:facility:manage"]
        changed = ok(client.patch(f"{URL}/{created['id']}", headers=headers, json={"capacity": 4}))
        assert changed["capacity"] == 4
    assert count(uow, Facility) == 2
    # UKSL's manager (Harry, GBR) knows of USAPL's tunnel but may not change or close it.
    headers = login(client, "fm-uksl")
    shown = ok(client.get(f"{URL}/{own['id']}"))
    assert shown["allowed_actions"] == []
    problem(client.patch(f"{URL}/{own['id']}", headers=headers, json={"capacity": 9}), 403)
    problem(
        client.post(
            f"{URL}/{own['id']}/closures",
            headers=headers,
            json={"first_day": "2026-09-01", "last_day": "2026-09-02", "reason": "not mine"},
        ),
        403,
    )
    assert ok(client.get(f"{URL}/{own['id']}"))["capacity"] == 4
    theirs = add(client, headers, code="UKSL-RCS", organisation="UKSL", name="Radar range")
    assert theirs["organisation"] == "UKSL"
    # The administrator changes anyone's.
    headers = login(client)
    for created in (own, theirs):
        ok(client.patch(f"{URL}/{created['id']}", headers=headers, json={"location": "Moved"}))


# --- who may know of a facility ---------------------------------------------------------------


def test_a_facility_one_may_not_know_of_is_absent_everywhere(
    client: TestClient, uow: UowFactory, fw: FacilityWorld
) -> None:
    headers = login(client)
    hidden = add(client, headers)
    shared = add(
        client,
        headers,
        code="UKSL-RCS",
        name="Radar cross-section range",
        kind="range",
        organisation="UKSL",
        location="Portsmouth",
        time_zone="Europe/London",
        capabilities=["aero.rcs"],
        label={"scheme": "GBR", "originator": "GBR", "banner": "OFFICIAL//REL TO GBR, USA, FRA"},
    )
    searches: list[dict[str, Any]] = [
        {},
        {"q": "HWT"},
        {"q": "tunnel"},
        {"kind": "wind_tunnel"},
        {"capability": "aero"},
        {"capability": "aero.hypersonic"},
        {"nation": "USA"},
        {"include_retired": "true"},
    ]
    login(client, "gwen")
    assert listed(client) == ["UKSL-RCS", CODE]
    assert ok(client.get(f"{URL}/{hidden['id']}"))["code"] == CODE
    for params in searches[1:7]:
        assert CODE in listed(client, **params), params

    headers = login(client, "fabien")
    assert listed(client) == ["UKSL-RCS"]
    for params in searches:
        assert CODE not in listed(client, **params), params
    assert listed(client, capability="aero") == ["UKSL-RCS"]
    assert listed(client, nation="USA") == []
    unseen = problem(client.get(f"{URL}/{hidden['id']}"), 404)
    missing = problem(client.get(f"{URL}/{uuid.uuid4()}"), 404)
    assert without_instance(unseen) == without_instance(missing)
    assert unseen["detail"] == "no facility with this id"
    # Changing or closing it is "not found" too, never "forbidden".
    assert without_instance(
        problem(client.patch(f"{URL}/{hidden['id']}", headers=headers, json={"capacity": 3}), 404)
    ) == without_instance(missing)
    closure = {"first_day": "2026-09-01", "last_day": "2026-09-02", "reason": "peek"}
    assert without_instance(
        problem(client.post(f"{URL}/{hidden['id']}/closures", headers=headers, json=closure), 404)
    ) == without_instance(missing)
    assert ok(client.get(f"{URL}/{shared['id']}"))["code"] == "UKSL-RCS"

    # An account that is no person and manages nothing knows of nothing.
    login(client, "reader")
    assert listed(client) == []
    problem(client.get(f"{URL}/{shared['id']}"), 404)


def test_the_catalogue_pages_never_show_a_facility_one_may_not_know_of(
    client: TestClient, uow: UowFactory, fw: FacilityWorld
) -> None:
    headers = login(client)
    hidden = add(client, headers)
    add(
        client,
        headers,
        code="UKSL-RCS",
        name="Radar cross-section range",
        kind="range",
        organisation="UKSL",
        location="Portsmouth",
        time_zone="Europe/London",
        capabilities=["aero.rcs"],
        label={"scheme": "GBR", "originator": "GBR", "banner": "OFFICIAL//REL TO GBR, USA, FRA"},
    )
    client.cookies.clear()
    web_login(client, "gwen")
    page = client.get("/facilities", params={"capability": "aero"})
    assert page.status_code == 200
    assert CODE in page.text and "USAPL Hypersonic Wind Tunnel" in page.text
    assert client.get(f"/facilities/{hidden['id']}").status_code == 200

    client.cookies.clear()
    web_login(client, "fabien")
    for params in (
        {},
        {"q": "HWT"},
        {"q": "hypersonic"},
        {"kind": "wind_tunnel"},
        {"capability": "aero"},
        {"nation": "USA"},
    ):
        page = client.get("/facilities", params=params)
        assert page.status_code == 200, params
        for trace in (CODE, "USAPL Hypersonic Wind Tunnel", "Laurel", hidden["id"]):
            assert trace not in page.text, (params, trace)
    assert "UKSL-RCS" in client.get("/facilities", params={"capability": "aero"}).text
    assert "No facility matches." in client.get("/facilities", params={"nation": "USA"}).text
    unseen = client.get(f"/facilities/{hidden['id']}")
    missing = client.get(f"/facilities/{uuid.uuid4()}")
    assert unseen.status_code == missing.status_code == 404
    assert CODE not in unseen.text and "Laurel" not in unseen.text
    assert client.get(f"/facilities/{hidden['id']}/edit").status_code == 404
    # A researcher is not offered the form that adds facilities.
    assert 'href="/facilities/new"' not in client.get("/facilities").text


# --- changes and closures ---------------------------------------------------------------------


def test_changes_retirement_and_closures_over_the_api(
    client: TestClient, uow: UowFactory, fw: FacilityWorld
) -> None:
    headers = login(client, "fm-usapl")
    created = add(client, headers)
    url = f"{URL}/{created['id']}"
    relabelled = ok(
        client.patch(
            url,
            headers=headers,
            json={
                "label": {**REL_USA_GBR, "banner": "SECRET//REL TO USA, FRA, GBR"},
                "opening_hours": {"wed": "07:30-19:00"},
                "capabilities": ["propulsion.scramjet"],
            },
        )
    )
    assert relabelled["label"]["banner"] == "SECRET//REL TO USA, FRA, GBR"
    assert relabelled["opening_hours"] == {"wed": "07:30-19:00"}
    assert relabelled["capabilities"] == ["propulsion.scramjet"]
    assert relabelled["description"] == "Mach 5 to 8 blow-down tunnel."
    cleared = ok(client.patch(url, headers=headers, json={"description": None}))
    assert cleared["description"] is None
    assert errors(client.patch(url, headers=headers, json={})) == [("body", "changes nothing")]
    assert errors(client.patch(url, headers=headers, json={"capacity": 2})) == [
        ("body", "changes nothing")
    ]
    assert [f for f, _ in errors(client.patch(url, headers=headers, json={"name": None}))] == [
        "name"
    ]
    assert [
        f for f, _ in errors(client.patch(url, headers=headers, json={"time_zone": "Nowhere"}))
    ] == ["time_zone"]

    closed = ok(
        client.post(
            f"{url}/closures",
            headers=headers,
            json={"first_day": "2026-12-21", "last_day": "2027-01-01", "reason": "winter break"},
        ),
        201,
    )
    assert closed["closures"] == [
        {"first_day": "2026-12-21", "last_day": "2027-01-01", "reason": "winter break"}
    ]
    overlapping = errors(
        client.post(
            f"{url}/closures",
            headers=headers,
            json={"first_day": "2026-12-31", "last_day": "2027-01-03", "reason": "new year"},
        )
    )
    assert overlapping == [
        ("first_day", "overlaps the closure 2026-12-21 to 2027-01-01 (winter break)")
    ]
    backwards = errors(
        client.post(
            f"{url}/closures",
            headers=headers,
            json={"first_day": "2027-02-10", "last_day": "2027-02-09", "reason": "backwards"},
        )
    )
    assert backwards == [("last_day", "is before first_day")]
    assert count(uow, FacilityClosure) == 1

    retired = ok(client.patch(url, headers=headers, json={"status": "retired"}))
    assert retired["status"] == "retired"
    assert listed(client) == []
    assert listed(client, include_retired="true") == [CODE]
    assert ok(client.get(url))["status"] == "retired"
    assert tags(uow) == [
        "facilities:facility:create",
        "facilities:facility:update",
        "facilities:facility:update",
        "facilities:closure:create",
        "facilities:facility:update",
    ]


def test_unknown_ids_and_bad_queries(client: TestClient, fw: FacilityWorld) -> None:
    headers = login(client)
    problem(client.patch(f"{URL}/{uuid.uuid4()}", headers=headers, json={"capacity": 2}), 404)
    problem(client.get(f"{URL}/not-an-id"), 422)
    problem(client.get(URL, params={"kind": "submarine"}), 422)
    problem(client.get(URL, params={"nation": "US"}), 422)


def test_changing_a_facility_needs_the_csrf_header(client: TestClient, fw: FacilityWorld) -> None:
    headers = login(client)
    created = add(client, headers)
    assert client.patch(f"{URL}/{created['id']}", json={"capacity": 3}).status_code == 403
    assert client.post(URL, json=body(code="OTHER-1")).status_code == 403


# --- the pages' forms -------------------------------------------------------------------------


def test_the_add_form_shows_errors_at_their_fields_and_then_adds(
    client: TestClient, uow: UowFactory, fw: FacilityWorld
) -> None:
    web_login(client, "fm-usapl")
    catalogue = client.get("/facilities")
    assert 'href="/facilities/new"' in catalogue.text
    form = {
        "csrf_token": form_token(client.get("/facilities/new").text),
        "code": "USAPL-ARC",
        "kind": "test_bed",
        "organisation": "USAPL",
        "name": "Arc jet",
        "location": "Laurel, Maryland",
        "time_zone": "Mars/Base",
        "capacity": "1",
        "capabilities": "aero.thermal, materials.ablation",
        "label_banner": "SECRET//REL TO USA, GBR",
        "label_scheme": "USA",
        "label_originator": "USA",
        "hours_mon": "18:00-08:00",
        "rate": "10.001",
        "rate_currency": "USD",
        "rate_unit": "hour",
    }
    refused = client.post("/facilities/new", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert re.search(r'id="e-time_zone">[^<]*is not an IANA time zone', refused.text)
    assert re.search(r'id="e-hours"[^>]*>[^<]*18:00-08:00 is not a time span', refused.text)
    assert count(uow, Facility) == 0
    # Time zone and hours mended, the use case then checks the rate against its currency.
    form |= {"time_zone": "America/New_York", "hours_mon": "08:00-18:00"}
    form["csrf_token"] = form_token(refused.text)
    refused = client.post("/facilities/new", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert 'id="e-rate">USD has 2 decimal places; 10.001 has more' in refused.text
    assert 'value="America/New_York"' in refused.text
    assert count(uow, Facility) == 0
    form |= {"rate": "10.50", "csrf_token": form_token(refused.text)}
    added = client.post("/facilities/new", data=form, follow_redirects=False)
    assert added.status_code == 303, added.text
    facility_page = client.get(added.headers["location"])
    assert "Arc jet" in facility_page.text and "10.50 USD per hour" in facility_page.text
    assert "Mon 08:00-18:00" in facility_page.text


def test_emptying_the_description_on_the_edit_page_clears_it(
    client: TestClient, fw: FacilityWorld
) -> None:
    created = add(client, login(client))
    web_login(client)
    edit = client.get(f"/facilities/{created['id']}/edit")
    assert "Mach 5 to 8 blow-down tunnel." in edit.text
    form = {
        "csrf_token": form_token(edit.text),
        "status": "active",
        "name": created["name"],
        "location": created["location"],
        "time_zone": created["time_zone"],
        "capacity": "2",
        "capabilities": "aero.hypersonic, aero.thermal",
        "label_banner": "SECRET//REL TO USA, GBR",
        "label_scheme": "USA",
        "label_originator": "USA",
        "tcp_applies": "true",
        "hours_mon": "08:00-18:00",
        "hours_tue": "08:00-18:00",
        "description": "",
    }
    saved = client.post(f"/facilities/{created['id']}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert ok(client.get(f"{URL}/{created['id']}"))["description"] is None
