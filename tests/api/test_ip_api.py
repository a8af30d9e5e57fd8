"""The IP register over the API: background and results with their owners, protection,
invention disclosures and their clocks, licences that never give more than the licensor
holds, transfer notices with their objection windows and approvals, the events every change
records, and the reports as JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from coalition.accounts.permissions import Principal, Role
from coalition.agreements.schemas import AgreementIn, PartyIn
from coalition.agreements.services import create_agreement
from coalition.audit.models import Event
from coalition.ledger.log import integrate
from coalition.ledger.models import LedgerEntry
from coalition.projects.schemas import ParticipantIn, ProjectIn, WorkPackageIn
from coalition.projects.services import add_participant, add_work_package, create_project
from coalition.registry.people import create_person
from coalition.registry.schemas import OrganisationIn, PersonIn
from coalition.registry.services import create_organisation
from coalition.techdata.services import today
from tests.api.conftest import login
from tests.api.test_techdata_api import (  # noqa: F401 - fixtures used by name
    PROBLEM,
    account,
    cheap_password_hashes,
    problem_fields,
)
from tests.conftest import UowFactory
from tests.factories import World

TODAY = today()
EXPIRY = date(2030, 1, 1)  # the MoU's
JOINT_TERMS = "USAPL files and pays; either owner may license for government purposes."


@dataclass
class Register:
    """The world's USA-GBR MoU with project SONAR (USAPL lead, UKSL partner); UKDC, a GBR
    company that takes no part; Claire of LOPT (FRA, not a party). Accounts: `ipo` (IP
    officer) and the world's `reader` (researcher)."""

    world: World
    project: uuid.UUID
    ukdc: uuid.UUID
    claire: uuid.UUID


@pytest.fixture
def register(uow: UowFactory, operator: Principal, world: World) -> Register:
    account(uow, operator, "ipo", Role.IP_OFFICER)
    ukdc = create_organisation(
        uow(),
        operator,
        OrganisationIn(name="UK Defence Co", short_name="UKDC", kind="company", nation_code="GBR"),
    ).id
    claire = create_person(
        uow(),
        operator,
        PersonIn(
            given_name="Claire",
            family_name="Cordier",
            email="claire@lopt.example",
            employer_id=world.fra_lab,
            citizenships=["FRA"],
        ),
    ).id
    project = create_project(
        uow(),
        operator,
        ProjectIn(
            code="SONAR",
            title="Sonar",
            agreement_id=world.mou,
            start_on=TODAY - timedelta(days=400),
            end_on=date(2029, 12, 31),
            lead_organisation_id=world.usa_lab,
        ),
    ).id
    add_participant(
        uow(),
        operator,
        project,
        ParticipantIn(
            organisation_id=world.gbr_lab, role="partner", joined_on=TODAY - timedelta(days=300)
        ),
    )
    return Register(world, project, ukdc, claire)


def owners(*shares: tuple[uuid.UUID, int]) -> list[dict[str, Any]]:
    return [{"organisation_id": str(org), "share_percent": share} for org, share in shares]


def result(register: Register, reference: str = "RES-1", **changes: Any) -> dict[str, Any]:
    """A result of SONAR owned 60/40 by USAPL and UKSL."""
    world = register.world
    return {
        "reference": reference,
        "title": "Sonar beamformer",
        "kind": "result",
        "project_id": str(register.project),
        "created_on": (TODAY - timedelta(days=30)).isoformat(),
        "joint_ownership_terms": JOINT_TERMS,
        "owners": owners((world.usa_lab, 60), (world.gbr_lab, 40)),
        **changes,
    }


def created(client: TestClient, headers: dict[str, str], path: str, body: Any) -> Any:
    response = client.post(path, headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def errors(response: Any) -> dict[str, str]:
    """The fields named in a 422 problem and their messages."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM, response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def shares(asset: dict[str, Any]) -> dict[str, int]:
    return {o["organisation_id"]: o["share_percent"] for o in asset["owners"]}


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


# --- assets ----------------------------------------------------------------------------------


def test_background_is_brought_under_an_agreement_and_is_included_unless_excluded(
    client: TestClient, register: Register
) -> None:
    world = register.world
    headers = login(client, "ipo")
    background = {
        "reference": "BG-USAPL-1",
        "title": "Array processing library",
        "kind": "background",
        "agreement_id": str(world.mou),
        "created_on": "2021-03-01",
        "owners": [{"organisation_id": str(world.usa_lab)}],
    }
    included = created(client, headers, "/api/v1/ip-assets", background)
    assert (included["background_status"], included["agreement_id"]) == ("included", str(world.mou))
    assert included["project_id"] is None
    assert included["owners"] == [{"organisation_id": str(world.usa_lab), "share_percent": 100}]
    excluded = created(
        client,
        headers,
        "/api/v1/ip-assets",
        {
            **background,
            "reference": "BG-UKSL-1",
            "background_status": "excluded",
            "restrictions": "Export controlled: not made available under the MoU.",
            "owners": [{"organisation_id": str(world.gbr_lab)}],
        },
    )
    assert excluded["background_status"] == "excluded"

    listed = client.get(
        "/api/v1/ip-assets", params={"agreement_id": str(world.mou), "kind": "background"}
    )
    assert [a["reference"] for a in listed.json()] == ["BG-UKSL-1", "BG-USAPL-1"]
    assert client.get("/api/v1/ip-assets", params={"kind": "result"}).json() == []
    assert (
        client.get("/api/v1/ip-assets", params={"project_id": str(register.project)}).json() == []
    )
    shown = client.get(f"/api/v1/ip-assets/{included['id']}")
    assert shown.status_code == 200 and shown.json()["reference"] == "BG-USAPL-1"
    assert client.get(f"/api/v1/ip-assets/{uuid.uuid4()}").status_code == 404

    now_excluded = client.patch(
        f"/api/v1/ip-assets/{included['id']}",
        headers=headers,
        json={"background_status": "excluded", "restrictions": "Withdrawn by USAPL."},
    )
    assert now_excluded.status_code == 200, now_excluded.text
    assert now_excluded.json()["background_status"] == "excluded"
    assert now_excluded.json()["restrictions"] == "Withdrawn by USAPL."


def test_a_result_of_a_project_has_joint_owners_whose_shares_make_100(
    client: TestClient, register: Register
) -> None:
    world = register.world
    headers = login(client, "ipo")
    made = created(client, headers, "/api/v1/ip-assets", result(register))
    assert shares(made) == {str(world.usa_lab): 60, str(world.gbr_lab): 40}
    assert made["joint_ownership_terms"] == JOINT_TERMS
    assert (made["project_id"], made["agreement_id"]) == (str(register.project), str(world.mou))

    short = client.post(
        "/api/v1/ip-assets",
        headers=headers,
        json=result(register, "RES-2", owners=owners((world.usa_lab, 60), (world.gbr_lab, 30))),
    )
    assert errors(short) == {"owners": "the shares add up to 90%, not 100%"}

    outsider = client.post(
        "/api/v1/ip-assets",
        headers=headers,
        json=result(register, "RES-2", owners=owners((world.usa_lab, 60), (world.fra_lab, 40))),
    )
    assert list(errors(outsider)) == ["owners[1].organisation_id"]
    assert "is neither a party to MOU-USA-GBR" in outsider.json()["detail"]

    early = client.post(
        "/api/v1/ip-assets",
        headers=headers,
        json=result(register, "RES-2", created_on="2019-06-01"),
    )
    assert list(errors(early)) == ["created_on"]
    assert "2019-06-01 is outside agreement MOU-USA-GBR" in errors(early)["created_on"]

    no_project = result(register, "RES-2")
    del no_project["project_id"]
    orphan = client.post("/api/v1/ip-assets", headers=headers, json=no_project)
    assert errors(orphan) == {"project_id": "a result comes out of a project"}

    again = client.post("/api/v1/ip-assets", headers=headers, json=result(register))
    assert again.status_code == 409 and "RES-1" in again.json()["detail"]
    assert [a["reference"] for a in client.get("/api/v1/ip-assets").json()] == ["RES-1"]


def test_a_result_names_the_work_packages_it_came_out_of_each_once(
    client: TestClient, register: Register, uow: UowFactory, operator: Principal
) -> None:
    package = add_work_package(
        uow(),
        operator,
        register.project,
        WorkPackageIn(code="WP1", title="Beamforming", lead_organisation_id=register.world.usa_lab),
    ).id
    headers = login(client, "ipo")
    twice = client.post(
        "/api/v1/ip-assets",
        headers=headers,
        json=result(register, work_package_ids=[str(package), str(package)]),
    )
    assert errors(twice) == {"work_package_ids": "an id is listed twice"}
    stranger = client.post(
        "/api/v1/ip-assets",
        headers=headers,
        json=result(register, work_package_ids=[str(uuid.uuid4())]),
    )
    assert list(errors(stranger)) == ["work_package_ids[0]"]
    made = created(
        client, headers, "/api/v1/ip-assets", result(register, work_package_ids=[str(package)])
    )
    assert made["work_package_ids"] == [str(package)]
    again = client.patch(
        f"/api/v1/ip-assets/{made['id']}",
        headers=headers,
        json={"work_package_ids": [str(package), str(package)]},
    )
    assert errors(again) == {"work_package_ids": "an id is listed twice"}
    cleared = client.patch(
        f"/api/v1/ip-assets/{made['id']}", headers=headers, json={"work_package_ids": []}
    )
    assert cleared.status_code == 200 and cleared.json()["work_package_ids"] == []


def test_a_patent_application_is_filed_in_a_country_and_copyright_has_none(
    client: TestClient, register: Register
) -> None:
    headers = login(client, "ipo")
    asset = created(client, headers, "/api/v1/ip-assets", result(register))
    path = f"/api/v1/ip-assets/{asset['id']}/protections"
    patent = created(
        client,
        headers,
        path,
        {
            "kind": "patent_application",
            "nation_code": "GBR",
            "number": "GB2612345.6",
            "filed_on": day(-10),
        },
    )
    assert [(p["kind"], p["nation_code"], p["number"]) for p in patent["protections"]] == [
        ("patent_application", "GBR", "GB2612345.6")
    ]
    with_country = client.post(
        path, headers=headers, json={"kind": "copyright", "nation_code": "USA"}
    )
    assert errors(with_country) == {"nation_code": "copyright has no country"}
    nowhere = client.post(
        path, headers=headers, json={"kind": "patent_application", "filed_on": day(-1)}
    )
    assert list(errors(nowhere)) == ["nation_code"]
    unknown = client.post(
        path,
        headers=headers,
        json={"kind": "patent_application", "nation_code": "DEU", "filed_on": day(-1)},
    )
    assert list(errors(unknown)) == ["nation_code"]
    copyright_ = created(client, headers, path, {"kind": "copyright", "notes": "Source code"})
    assert sorted(p["kind"] for p in copyright_["protections"]) == [
        "copyright",
        "patent_application",
    ]
    missing = client.post(
        f"/api/v1/ip-assets/{uuid.uuid4()}/protections", headers=headers, json={"kind": "copyright"}
    )
    assert missing.status_code == 404


# --- invention disclosures -------------------------------------------------------------------


def test_a_disclosure_is_due_the_agreements_days_after_conception_and_filing_after_it(
    client: TestClient, register: Register
) -> None:
    world = register.world
    headers = login(client, "ipo")
    asset = created(client, headers, "/api/v1/ip-assets", result(register))
    conceived = TODAY - timedelta(days=20)
    body = {
        "reference": "INV-1",
        "asset_id": asset["id"],
        "title": "Adaptive beam steering",
        "conceived_on": conceived.isoformat(),
        "inventor_ids": [str(world.alice), str(world.bob)],
        "filing_nations": ["USA", "GBR"],
    }
    disclosure = created(client, headers, "/api/v1/ip-disclosures", body)
    due = conceived + timedelta(days=60)  # the MoU's default invention_disclosure_days
    assert disclosure["due_on"] == due.isoformat() and disclosure["disclosed_on"] is None
    assert {i["full_name"] for i in disclosure["inventors"]} == {"Alice Archer", "Bob Baker"}
    assert [
        (f["nation_code"], f["choice"], f["decide_by"]) for f in disclosure["filing_decisions"]
    ] == [
        ("USA", "pending", (due + timedelta(days=120)).isoformat()),
        ("GBR", "pending", (due + timedelta(days=120)).isoformat()),
    ]

    outsider = client.post(
        "/api/v1/ip-disclosures",
        headers=headers,
        json={
            **body,
            "reference": "INV-2",
            "inventor_ids": [str(world.alice), str(register.claire)],
        },
    )
    assert errors(outsider) == {
        "inventor_ids[1]": "Claire Cordier works for none of the asset's owners"
    }
    twice = {**body, "reference": "INV-2", "inventor_ids": [str(world.alice), str(world.alice)]}
    assert errors(client.post("/api/v1/ip-disclosures", headers=headers, json=twice)) == {
        "inventor_ids": "an id is listed twice"
    }
    ahead = {**body, "reference": "INV-2", "disclosed_on": day(1)}
    assert errors(client.post("/api/v1/ip-disclosures", headers=headers, json=ahead)) == {
        "disclosed_on": "cannot be in the future"
    }

    path = f"/api/v1/ip-disclosures/{disclosure['id']}"
    disclosed_on = TODAY - timedelta(days=5)
    disclosed = client.post(
        f"{path}/disclose", headers=headers, json={"disclosed_on": disclosed_on.isoformat()}
    )
    assert disclosed.status_code == 200, disclosed.text
    decide_by = (disclosed_on + timedelta(days=120)).isoformat()
    assert disclosed.json()["disclosed_on"] == disclosed_on.isoformat()
    assert {f["decide_by"] for f in disclosed.json()["filing_decisions"]} == {decide_by}
    assert (
        client.post(f"{path}/disclose", headers=headers, json={"disclosed_on": day(0)}).status_code
        == 409
    )

    decision = {
        "nation_code": "GBR",
        "choice": "file",
        "decided_on": day(0),
        "filing_organisation_id": str(world.gbr_lab),
    }
    decided = client.post(f"{path}/filing-decisions", headers=headers, json=decision)
    assert decided.status_code == 200, decided.text
    by_nation = {f["nation_code"]: f for f in decided.json()["filing_decisions"]}
    assert (by_nation["GBR"]["choice"], by_nation["GBR"]["filing_organisation_id"]) == (
        "file",
        str(world.gbr_lab),
    )
    assert (by_nation["USA"]["choice"], by_nation["USA"]["decide_by"]) == ("pending", decide_by)
    decided_twice = client.post(
        f"{path}/filing-decisions",
        headers=headers,
        json={"nation_code": "GBR", "choice": "do_not_file", "decided_on": day(0)},
    )
    assert decided_twice.status_code == 409 and decided_twice.headers["content-type"] == PROBLEM
    assert "GBR was decided" in decided_twice.json()["detail"]
    outsider_files = client.post(
        f"{path}/filing-decisions",
        headers=headers,
        json={**decision, "nation_code": "USA", "filing_organisation_id": str(world.fra_lab)},
    )
    assert list(errors(outsider_files)) == ["filing_organisation_id"]
    shown = client.get(path).json()
    assert [f["choice"] for f in shown["filing_decisions"]] == ["pending", "file"]


def test_the_disclosure_clock_is_the_agreements_own(
    client: TestClient, register: Register, uow: UowFactory, operator: Principal
) -> None:
    world = register.world
    quick = create_agreement(
        uow(),
        operator,
        AgreementIn(
            reference="PA-QUICK",
            title="Quick clocks",
            kind="project_arrangement",
            effective_from=date(2024, 1, 1),
            expires_on=EXPIRY,
            invention_disclosure_days=30,
            filing_decision_days=90,
            parties=[PartyIn(organisation_id=world.usa_lab)],
        ),
    ).id
    project = create_project(
        uow(),
        operator,
        ProjectIn(
            code="QUICK",
            title="Quick",
            agreement_id=quick,
            start_on=date(2024, 1, 1),
            end_on=date(2029, 12, 31),
            lead_organisation_id=world.usa_lab,
        ),
    ).id
    headers = login(client, "ipo")
    asset = created(
        client,
        headers,
        "/api/v1/ip-assets",
        {
            "reference": "RES-Q",
            "title": "Quick result",
            "kind": "result",
            "project_id": str(project),
            "owners": owners((world.usa_lab, 100)),
        },
    )
    conceived = TODAY - timedelta(days=3)
    disclosure = created(
        client,
        headers,
        "/api/v1/ip-disclosures",
        {
            "reference": "INV-Q",
            "asset_id": asset["id"],
            "title": "Quick idea",
            "conceived_on": conceived.isoformat(),
            "disclosed_on": conceived.isoformat(),
            "inventor_ids": [str(world.alice)],
            "filing_nations": ["USA"],
        },
    )
    assert disclosure["due_on"] == (conceived + timedelta(days=30)).isoformat()
    assert (
        disclosure["filing_decisions"][0]["decide_by"]
        == (conceived + timedelta(days=90)).isoformat()
    )


# --- licences --------------------------------------------------------------------------------


def licence(
    asset: dict[str, Any], licensor: uuid.UUID, licensee: uuid.UUID, reference: str, **changes: Any
) -> dict[str, Any]:
    return {
        "reference": reference,
        "asset_id": asset["id"],
        "licensor_id": str(licensor),
        "licensee_id": str(licensee),
        "purposes": ["government_purposes"],
        "valid_from": day(0),
        "valid_until": "2029-12-31",
        **changes,
    }


def test_a_licence_never_gives_more_than_the_licensor_holds(
    client: TestClient, register: Register
) -> None:
    world = register.world
    usapl, lopt, ukdc = world.usa_lab, world.fra_lab, register.ukdc
    headers = login(client, "ipo")
    asset = created(client, headers, "/api/v1/ip-assets", result(register))

    def grant(*args: Any, **changes: Any) -> Any:
        return client.post("/api/v1/ip-licences", headers=headers, json=licence(*args, **changes))

    government = grant(asset, usapl, lopt, "LIC-1", territory=["FRA"])
    assert government.status_code == 201, government.text
    assert (government.json()["status"], government.json()["purposes"]) == (
        "active",
        ["government_purposes"],
    )
    onward = grant(asset, lopt, ukdc, "LIC-X", territory=["FRA"])
    assert list(errors(onward)) == ["purposes"]
    assert "wider than the licensor holds" in onward.json()["detail"]
    assert "neither owns the asset nor may sublicense it" in onward.json()["detail"]

    # UKDC may sublicense government purposes in the UK until the end of 2028.
    held = grant(
        asset, usapl, ukdc, "LIC-2", territory=["GBR"], sublicensing=True, valid_until="2029-01-01"
    )
    assert held.status_code == 201, held.text
    within = {"territory": ["GBR"], "valid_until": "2028-06-01"}
    extra_purpose = grant(
        asset,
        ukdc,
        lopt,
        "LIC-X",
        **{**within, "purposes": ["government_purposes", "commercial_exploitation"]},
    )
    assert list(errors(extra_purpose)) == ["purposes"]
    assert "commercial_exploitation" in extra_purpose.json()["detail"]
    extra_territory = grant(asset, ukdc, lopt, "LIC-X", **{**within, "territory": ["GBR", "FRA"]})
    assert "wider than the licensor holds" in errors(extra_territory)["purposes"]
    longer = grant(asset, ukdc, lopt, "LIC-X", **{**within, "valid_until": "2029-06-01"})
    assert "wider than the licensor holds" in errors(longer)["purposes"]
    onward_again = grant(asset, ukdc, lopt, "LIC-X", **{**within, "sublicensing": True})
    assert "cannot itself be sublicensed" in errors(onward_again)["purposes"]
    sublicence = grant(asset, ukdc, lopt, "LIC-3", **within)
    assert sublicence.status_code == 201, sublicence.text

    past_expiry = grant(asset, usapl, lopt, "LIC-X", valid_until="2031-01-01")
    assert list(errors(past_expiry)) == ["valid_until"]
    assert f"runs past the agreement's expiry ({EXPIRY})" in past_expiry.json()["detail"]
    exclusive = grant(
        asset, usapl, lopt, "LIC-X", purposes=["commercial_exploitation"], exclusive=True
    )
    assert list(errors(exclusive)) == ["exclusive"]
    assert "needs a completed transfer notice" in errors(exclusive)["exclusive"]
    to_owner = grant(asset, usapl, world.gbr_lab, "LIC-X")
    assert list(errors(to_owner)) == ["licensee_id"]

    terminated = client.post(
        f"/api/v1/ip-licences/{held.json()['id']}/terminate",
        headers=headers,
        json={"reason": "UKDC left the programme"},
    )
    assert terminated.status_code == 200 and terminated.json()["status"] == "terminated"
    again = client.post(
        f"/api/v1/ip-licences/{held.json()['id']}/terminate",
        headers=headers,
        json={"reason": "twice"},
    )
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    # A terminated licence leaves nothing to sublicense.
    after = grant(asset, ukdc, lopt, "LIC-X", **within)
    assert "neither owns the asset nor may sublicense it" in errors(after)["purposes"]
    listed = client.get("/api/v1/ip-licences", params={"asset_id": asset["id"]}).json()
    assert [(lc["reference"], lc["status"]) for lc in listed] == [
        ("LIC-1", "active"),
        ("LIC-2", "terminated"),
        ("LIC-3", "active"),
    ]


# --- transfer notices ------------------------------------------------------------------------


def notice(
    asset: dict[str, Any],
    transferor: uuid.UUID,
    transferee: uuid.UUID,
    reference: str,
    notified_on: str,
    share: int | None = 20,
) -> dict[str, Any]:
    return {
        "reference": reference,
        "asset_id": asset["id"],
        "kind": "assignment" if share else "exclusive_licence",
        "transferor_id": str(transferor),
        "transferee_id": str(transferee),
        "share_percent": share,
        "notified_on": notified_on,
    }


def test_a_transfer_waits_for_its_objection_window_and_only_parties_may_object(
    client: TestClient, register: Register
) -> None:
    world = register.world
    headers = login(client, "ipo")
    asset = created(client, headers, "/api/v1/ip-assets", result(register))
    noticed = created(
        client,
        headers,
        "/api/v1/ip-transfers",
        notice(asset, world.usa_lab, register.ukdc, "TN-1", day(0)),
    )
    until = TODAY + timedelta(days=45)
    assert noticed["objection_until"] == until.isoformat()
    assert (noticed["status"], noticed["needs_approval"]) == ("pending", False)
    assert noticed["blockers"] == [f"the objection window is open until {until}"]
    path = f"/api/v1/ip-transfers/{noticed['id']}"

    early = client.post(f"{path}/complete", headers=headers, json={"completed_on": day(0)})
    assert early.status_code == 409 and early.headers["content-type"] == PROBLEM
    assert f"the objection window is open until {until}" in early.json()["detail"]

    def objection(org: uuid.UUID, lodged_on: str = day(0)) -> Any:
        return client.post(
            f"{path}/objections",
            headers=headers,
            json={"organisation_id": str(org), "lodged_on": lodged_on, "reason": "We object."},
        )

    assert "takes no part in MOU-USA-GBR" in errors(objection(world.fra_lab))["organisation_id"]
    for party in (world.usa_lab, register.ukdc):
        assert errors(objection(party)) == {
            "organisation_id": "a party to the transfer cannot object to it"
        }
    lodged = objection(world.gbr_lab)
    assert lodged.status_code == 200, lodged.text
    assert [(o["organisation_id"], o["outcome"]) for o in lodged.json()["objections"]] == [
        (str(world.gbr_lab), "open")
    ]
    assert objection(world.gbr_lab).status_code == 409

    second = client.post(
        "/api/v1/ip-transfers",
        headers=headers,
        json=notice(asset, world.usa_lab, register.ukdc, "TN-2", day(0)),
    )
    assert second.status_code == 409 and "TN-1" in second.json()["detail"]
    withdrawn = client.post(f"{path}/withdraw", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["blockers"] == []
    assert client.post(f"{path}/withdraw", headers=headers).status_code == 409
    assert shares(client.get(f"/api/v1/ip-assets/{asset['id']}").json()) == {
        str(world.usa_lab): 60,
        str(world.gbr_lab): 40,
    }


def test_an_assignment_whose_window_closed_without_objection_moves_the_share(
    client: TestClient, register: Register
) -> None:
    world = register.world
    headers = login(client, "ipo")
    asset = created(client, headers, "/api/v1/ip-assets", result(register))
    noticed = created(
        client,
        headers,
        "/api/v1/ip-transfers",
        notice(asset, world.usa_lab, register.ukdc, "TN-1", day(-60)),
    )
    assert noticed["objection_until"] == day(-15) and noticed["blockers"] == []
    path = f"/api/v1/ip-transfers/{noticed['id']}"
    late = client.post(
        f"{path}/objections",
        headers=headers,
        json={"organisation_id": str(world.gbr_lab), "lodged_on": day(0), "reason": "Too late."},
    )
    assert errors(late) == {"lodged_on": f"the objection window closed on {day(-15)}"}
    not_needed = client.post(
        f"{path}/approve",
        headers=headers,
        json={"approved_on": day(0), "approval_reference": "Minutes 7"},
    )
    assert not_needed.status_code == 409 and "no approval is needed" in not_needed.text

    completed = client.post(f"{path}/complete", headers=headers, json={"completed_on": day(0)})
    assert completed.status_code == 200, completed.text
    assert (completed.json()["status"], completed.json()["completed_on"]) == ("completed", day(0))
    after = client.get(f"/api/v1/ip-assets/{asset['id']}").json()
    assert shares(after) == {str(world.usa_lab): 40, str(world.gbr_lab): 40, str(register.ukdc): 20}
    assert sum(shares(after).values()) == 100
    again = client.post(f"{path}/complete", headers=headers, json={"completed_on": day(0)})
    assert again.status_code == 409


def test_an_open_objection_blocks_completion_until_it_is_resolved(
    client: TestClient, register: Register
) -> None:
    world = register.world
    headers = login(client, "ipo")
    asset = created(client, headers, "/api/v1/ip-assets", result(register))
    noticed = created(
        client,
        headers,
        "/api/v1/ip-transfers",
        notice(asset, world.gbr_lab, register.ukdc, "TN-1", day(-60), share=10),
    )
    path = f"/api/v1/ip-transfers/{noticed['id']}"
    objected = client.post(
        f"{path}/objections",
        headers=headers,
        json={
            "organisation_id": str(register.world.usa_lab),
            "lodged_on": day(-30),
            "reason": "The price is not agreed.",
        },
    )
    assert objected.status_code == 200, objected.text
    assert objected.json()["blockers"] == ["1 objection(s) not yet resolved"]
    blocked = client.post(f"{path}/complete", headers=headers, json={"completed_on": day(0)})
    assert blocked.status_code == 409 and "not yet resolved" in blocked.json()["detail"]

    resolution = {
        "organisation_id": str(world.usa_lab),
        "outcome": "dismissed",
        "resolved_on": day(-1),
        "resolution": "Price agreed at the steering committee.",
    }
    unknown = client.post(
        f"{path}/objections/resolve",
        headers=headers,
        json={**resolution, "organisation_id": str(world.fra_lab)},
    )
    assert list(errors(unknown)) == ["organisation_id"]
    ahead = client.post(
        f"{path}/objections/resolve", headers=headers, json={**resolution, "resolved_on": day(1)}
    )
    assert errors(ahead) == {"resolved_on": "cannot be in the future"}
    resolved = client.post(f"{path}/objections/resolve", headers=headers, json=resolution)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["objections"][0]["outcome"] == "dismissed"
    assert resolved.json()["blockers"] == []
    twice = client.post(f"{path}/objections/resolve", headers=headers, json=resolution)
    assert twice.status_code == 409

    completed = client.post(f"{path}/complete", headers=headers, json={"completed_on": day(0)})
    assert completed.status_code == 200, completed.text
    after = client.get(f"/api/v1/ip-assets/{asset['id']}").json()
    assert shares(after) == {
        str(world.usa_lab): 60,
        str(world.gbr_lab): 30,
        str(register.ukdc): 10,
    }


def test_a_transferee_of_a_nation_not_a_party_needs_the_parties_approval(
    client: TestClient, register: Register
) -> None:
    world = register.world
    headers = login(client, "ipo")
    asset = created(client, headers, "/api/v1/ip-assets", result(register))
    noticed = created(
        client,
        headers,
        "/api/v1/ip-transfers",
        notice(asset, world.usa_lab, world.fra_lab, "TN-FRA", day(-60)),
    )
    assert noticed["needs_approval"] is True and noticed["approved_on"] is None
    assert noticed["blockers"] == [
        "the transferee's nation is not a party: the parties must approve"
    ]
    path = f"/api/v1/ip-transfers/{noticed['id']}"
    refused = client.post(f"{path}/complete", headers=headers, json={"completed_on": day(0)})
    assert refused.status_code == 409 and "the parties must approve" in refused.json()["detail"]
    approval = {"approved_on": day(-1), "approval_reference": "Steering committee minutes 12"}
    ahead = client.post(
        f"{path}/approve", headers=headers, json={**approval, "approved_on": day(1)}
    )
    assert errors(ahead) == {"approved_on": "cannot be in the future"}
    approved = client.post(f"{path}/approve", headers=headers, json=approval)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["approved_on"], approved.json()["blockers"]) == (day(-1), [])
    assert client.post(f"{path}/approve", headers=headers, json=approval).status_code == 409
    before = client.post(f"{path}/complete", headers=headers, json={"completed_on": day(-2)})
    assert errors(before) == {"completed_on": f"is before the transfer was cleared ({day(-1)})"}
    completed = client.post(f"{path}/complete", headers=headers, json={"completed_on": day(0)})
    assert completed.status_code == 200, completed.text
    after = client.get(f"/api/v1/ip-assets/{asset['id']}").json()
    assert shares(after) == {str(world.usa_lab): 40, str(world.gbr_lab): 40, str(world.fra_lab): 20}


def test_an_exclusive_licence_of_a_result_follows_a_completed_transfer_notice(
    client: TestClient, register: Register
) -> None:
    world = register.world
    headers = login(client, "ipo")
    asset = created(client, headers, "/api/v1/ip-assets", result(register))
    noticed = created(
        client,
        headers,
        "/api/v1/ip-transfers",
        notice(asset, world.usa_lab, register.ukdc, "TN-EX", day(-50), share=None),
    )
    assert noticed["kind"] == "exclusive_licence" and noticed["share_percent"] is None
    done = client.post(
        f"/api/v1/ip-transfers/{noticed['id']}/complete",
        headers=headers,
        json={"completed_on": day(0)},
    )
    assert done.status_code == 200, done.text
    exclusive = licence(
        asset,
        world.usa_lab,
        register.ukdc,
        "LIC-EX",
        purposes=["commercial_exploitation"],
        exclusive=True,
        sublicensing=True,
    )
    made = created(client, headers, "/api/v1/ip-licences", exclusive)
    assert made["exclusive"] is True
    # The shares did not move, and nobody else may now be given the same use.
    assert shares(client.get(f"/api/v1/ip-assets/{asset['id']}").json()) == {
        str(world.usa_lab): 60,
        str(world.gbr_lab): 40,
    }
    clash = client.post(
        "/api/v1/ip-licences",
        headers=headers,
        json={
            **exclusive,
            "reference": "LIC-Y",
            "exclusive": False,
            "licensee_id": str(world.fra_lab),
        },
    )
    assert "LIC-EX already grants commercial_exploitation exclusively" in errors(clash)["purposes"]
    # The exclusive licensee itself may pass its right on, as its licence allows.
    sublicence = {**exclusive, "reference": "LIC-SUB", "exclusive": False, "sublicensing": False}
    sublicence |= {"licensor_id": str(register.ukdc), "licensee_id": str(world.fra_lab)}
    assert created(client, headers, "/api/v1/ip-licences", sublicence)["reference"] == "LIC-SUB"


def test_an_open_ended_licence_ends_with_its_agreement(
    client: TestClient, register: Register
) -> None:
    world = register.world
    headers = login(client, "ipo")
    asset = created(client, headers, "/api/v1/ip-assets", result(register))
    body = licence(asset, world.usa_lab, world.fra_lab, "LIC-OPEN")
    del body["valid_until"]
    made = created(client, headers, "/api/v1/ip-licences", body)
    assert made["valid_until"] == EXPIRY.isoformat()


# --- events ----------------------------------------------------------------------------------


def test_every_change_to_the_register_is_a_recorded_event_in_the_ledger(
    client: TestClient, register: Register, uow: UowFactory
) -> None:
    world = register.world
    headers = login(client, "ipo")
    asset = created(client, headers, "/api/v1/ip-assets", result(register))
    created(
        client,
        headers,
        f"/api/v1/ip-assets/{asset['id']}/protections",
        {"kind": "copyright"},
    )
    disclosure = created(
        client,
        headers,
        "/api/v1/ip-disclosures",
        {
            "reference": "INV-1",
            "asset_id": asset["id"],
            "title": "Idea",
            "conceived_on": day(-10),
            "inventor_ids": [str(world.alice)],
            "filing_nations": ["USA"],
        },
    )
    changes = [
        (f"/api/v1/ip-disclosures/{disclosure['id']}/disclose", {"disclosed_on": day(-1)}),
        (
            f"/api/v1/ip-disclosures/{disclosure['id']}/filing-decisions",
            {"nation_code": "USA", "choice": "do_not_file", "decided_on": day(0)},
        ),
    ]
    for path, body in changes:
        assert client.post(path, headers=headers, json=body).status_code == 200
    lic = created(
        client, headers, "/api/v1/ip-licences", licence(asset, world.usa_lab, world.fra_lab, "L-1")
    )
    client.post(
        f"/api/v1/ip-licences/{lic['id']}/terminate", headers=headers, json={"reason": "end"}
    )
    tn = created(
        client,
        headers,
        "/api/v1/ip-transfers",
        notice(asset, world.gbr_lab, register.ukdc, "TN-1", day(-60)),
    )
    for action, body in (
        (
            "objections",
            {"organisation_id": str(world.usa_lab), "lodged_on": day(-40), "reason": "No."},
        ),
        (
            "objections/resolve",
            {
                "organisation_id": str(world.usa_lab),
                "outcome": "withdrawn",
                "resolved_on": day(-20),
                "resolution": "Withdrawn.",
            },
        ),
        ("complete", {"completed_on": day(0)}),
    ):
        response = client.post(
            f"/api/v1/ip-transfers/{tn['id']}/{action}", headers=headers, json=body
        )
        assert response.status_code == 200, response.text
    # A refused change records nothing.
    assert (
        client.post(
            "/api/v1/ip-assets", headers=headers, json=result(register, "R-2", owners=[])
        ).status_code
        == 422
    )

    with uow() as unit:  # PostgreSQL: the integrator's part
        unit.for_writing()
        integrate(unit.session)
        unit.commit()
    with uow() as unit:
        rows = unit.session.execute(
            select(Event.tag, Event.actor, Event.object_id, Event.details, LedgerEntry.index)
            .outerjoin(LedgerEntry, LedgerEntry.event_id == Event.id)
            .where(Event.tag.startswith("ip:"))
            .order_by(Event.id)
        ).all()
    assert [row.tag for row in rows] == [
        "ip:asset:create",
        "ip:protection:create",
        "ip:disclosure:create",
        "ip:disclosure:disclose",
        "ip:disclosure:filing_decision",
        "ip:licence:create",
        "ip:licence:terminate",
        "ip:transfer:notify",
        "ip:transfer:object",
        "ip:transfer:resolve_objection",
        "ip:transfer:complete",
    ]
    assert all(row.actor == "ipo" and row.index is not None for row in rows)
    create, complete = rows[0], rows[-1]
    assert create.object_id == asset["id"] and create.details["reference"] == "RES-1"
    assert complete.object_id == tn["id"]
    assert complete.details["owners"] == {
        str(world.usa_lab): 60,
        str(world.gbr_lab): 20,
        str(register.ukdc): 20,
    }


# --- reports ---------------------------------------------------------------------------------


def test_the_register_report_as_json_csv_and_xlsx(client: TestClient, register: Register) -> None:
    world = register.world
    headers = login(client, "ipo")
    created(
        client,
        headers,
        "/api/v1/ip-assets",
        {
            "reference": "BG-1",
            "title": '=HYPERLINK("http://evil.example", "click")',
            "kind": "background",
            "agreement_id": str(world.mou),
            "owners": owners((world.gbr_lab, 100)),
        },
    )
    asset = created(client, headers, "/api/v1/ip-assets", result(register))
    created(
        client,
        headers,
        f"/api/v1/ip-assets/{asset['id']}/protections",
        {"kind": "patent_application", "nation_code": "GBR", "number": "GB1", "filed_on": day(-1)},
    )
    created(
        client, headers, "/api/v1/ip-licences", licence(asset, world.usa_lab, world.fra_lab, "L-1")
    )

    whole = client.get("/api/v1/ip-reports/register")
    assert whole.status_code == 200, whole.text
    table = whole.json()
    assert table["title"] == "IP register" and table["columns"][:3] == [
        "Reference",
        "Kind",
        "Title",
    ]
    by_reference = {row[0]: dict(zip(table["columns"], row, strict=True)) for row in table["rows"]}
    assert list(by_reference) == ["BG-1", "RES-1"]
    assert by_reference["BG-1"]["Background"] == "included"
    res = by_reference["RES-1"]
    assert (res["Agreement"], res["Project"], res["Owners"]) == (
        "MOU-USA-GBR",
        "SONAR",
        "USAPL 60%; UKSL 40%",
    )
    assert res["Protection"] == "patent application GBR GB1"
    assert res["Licences and access rights"] == "L-1 (LOPT: government purposes)"
    project_only = client.get(
        "/api/v1/ip-reports/register", params={"project_id": str(register.project)}
    ).json()
    assert [row[0] for row in project_only["rows"]] == ["RES-1"]

    as_csv = client.get("/api/v1/ip-reports/register", params={"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert 'filename="ip-register.csv"' in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == table["columns"]
    assert [row[0] for row in rows[1:]] == ["BG-1", "RES-1"]
    # CSV injection: a cell that a spreadsheet would read as a formula is quoted.
    assert rows[1][2] == '\'=HYPERLINK("http://evil.example", "click")'
    assert rows[2][5] == "USAPL 60%; UKSL 40%"

    as_xlsx = client.get("/api/v1/ip-reports/register", params={"format": "xlsx"})
    assert as_xlsx.status_code == 200
    assert as_xlsx.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    cells = list(sheet.values)
    assert list(cells[0]) == table["columns"]
    assert [row[0] for row in cells[1:]] == ["BG-1", "RES-1"]
    assert str(cells[1][2]).startswith("'=")
    assert cells[2][5] == "USAPL 60%; UKSL 40%"

    assert client.get("/api/v1/ip-reports/nonsense").status_code == 422
    assert client.get("/api/v1/ip-reports/register", params={"format": "pdf"}).status_code == 422


def test_the_deadlines_report_lists_a_pending_disclosure_and_an_open_objection_window(
    client: TestClient, register: Register
) -> None:
    world = register.world
    headers = login(client, "ipo")
    asset = created(client, headers, "/api/v1/ip-assets", result(register))
    created(
        client,
        headers,
        "/api/v1/ip-disclosures",
        {
            "reference": "INV-1",
            "asset_id": asset["id"],
            "title": "Adaptive beam steering",
            "conceived_on": day(-20),
            "inventor_ids": [str(world.bob)],
        },
    )
    created(
        client,
        headers,
        "/api/v1/ip-transfers",
        notice(asset, world.usa_lab, register.ukdc, "TN-1", day(-10)),
    )
    report = client.get("/api/v1/ip-reports/deadlines")
    assert report.status_code == 200, report.text
    table = report.json()
    assert table["columns"] == ["Due", "What", "Reference", "Detail", "Days left", "Overdue"]
    assert table["rows"] == [
        [day(35), "objection window closes", "TN-1", "RES-1: USAPL to UKDC (assignment)", 35, ""],
        [day(40), "invention disclosure", "INV-1", "Adaptive beam steering", 40, ""],
    ]
    soon = client.get("/api/v1/ip-reports/deadlines", params={"within_days": 30}).json()
    assert soon["rows"] == []
    as_csv = client.get("/api/v1/ip-reports/deadlines", params={"format": "csv"})
    assert "INV-1" in as_csv.text and "TN-1" in as_csv.text
    ownership = client.get("/api/v1/ip-reports/ownership").json()
    assert ownership["rows"] == [["UKSL", 0, 0, 1, 0.4], ["USAPL", 0, 0, 1, 0.6]]


# --- permissions -----------------------------------------------------------------------------


def test_a_researcher_reads_the_register_but_may_not_change_it(
    client: TestClient, register: Register
) -> None:
    headers = login(client, "reader")
    refused = client.post("/api/v1/ip-assets", headers=headers, json=result(register))
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    assert "ip_record" in refused.json()["detail"]
    assert client.get("/api/v1/ip-assets").status_code == 200
    assert client.get("/api/v1/ip-reports/register").status_code == 200
    login(client, "ipo")
    assert client.get("/api/v1/ip-assets").json() == []
