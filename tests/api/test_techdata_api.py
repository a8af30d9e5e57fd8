"""Technical data over the API: artifacts and their labels, authorised listing, the security
officer's questions (why, who can see, what can this person see), what-if, STANAG 4774
labels, and the export and IP records the release rules read."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from coalition.accounts import login as passwords
from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.audit.models import Event
from coalition.ledger.entries import decode_entry
from coalition.ledger.log import integrate
from coalition.ledger.models import LedgerEntry
from coalition.policy.stanag4774 import NS
from coalition.projects.schemas import MemberIn, ParticipantIn, ProjectIn
from coalition.projects.services import add_member, add_participant, create_project
from coalition.registry.people import add_clearance, create_person
from coalition.registry.schemas import ClearanceIn, PersonIn
from coalition.techdata import services
from coalition.techdata.schemas import ArtifactIn, LabelIn
from tests.api.conftest import login
from tests.conftest import UowFactory
from tests.factories import PASSWORD, World

PROBLEM = "application/problem+json"
TODAY = date.today()
RULES = [
    "account",
    "agreement",
    "need_to_know",
    "clearance",
    "releasability",
    "caveats",
    "export",
    "ip_use",
    "embargo",
]


def with_entities(document: bytes) -> bytes:
    """The same label with its classification spelt through nested internal entities: a
    valid label to any parser that expands entities (the start of a "billion laughs")."""
    head, declaration_end, body = document.partition(b"?>")
    dtd = b'<!DOCTYPE label [<!ENTITY a "SEC"><!ENTITY b "RET"><!ENTITY s "&a;&b;">]>'
    return head + declaration_end + b"\n" + dtd + body.replace(b">SECRET<", b">&s;<", 1)


@dataclass
class People:
    world: World
    claire: uuid.UUID  # LOPT (FRA), FRA citizen, on no project


@dataclass
class Sonar:
    """SONAR, led by USAPL, UKSL a partner; Alice (cleared USA SECRET) its project manager,
    Bob (GBR + CAN, no clearance) a researcher. Four USAPL artifacts in it."""

    people: People
    project: uuid.UUID
    artifacts: dict[str, uuid.UUID]


def account(
    uow: UowFactory,
    operator: Principal,
    username: str,
    role: Role,
    person: uuid.UUID | None = None,
    scope: ScopeKind = ScopeKind.NODE,
    scope_id: uuid.UUID | None = None,
) -> None:
    create_account(
        uow(),
        operator,
        AccountIn(
            username=username,
            display_name=username.title(),
            password=PASSWORD,
            person_id=person,
            grants=[GrantIn(role=role, scope_kind=scope, scope_id=scope_id)],
        ),
    )


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Log-in is not under test here: cheap argon2 parameters keep the many accounts and
    log-ins of these tests fast (verification reads the parameters from each hash)."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
    )


@pytest.fixture
def people(uow: UowFactory, operator: Principal, world: World) -> People:
    """Accounts: `alice` (researcher in USAPL) and `bob` (researcher on the node), linked to
    the people; `officer` (security officer on the node, no person); the world's `admin`
    (node admin) and `reader` (researcher, no person)."""
    account(
        uow, operator, "alice", Role.RESEARCHER, world.alice, ScopeKind.ORGANISATION, world.usa_lab
    )
    account(uow, operator, "bob", Role.RESEARCHER, world.bob)
    account(uow, operator, "officer", Role.SECURITY_OFFICER)
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
    return People(world, claire)


@pytest.fixture
def sonar(uow: UowFactory, operator: Principal, people: People) -> Sonar:
    world = people.world
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
            classification_ceiling=3,
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
    for person, role in ((world.alice, "project_manager"), (world.bob, "researcher")):
        add_member(
            uow(),
            operator,
            project,
            MemberIn(person_id=person, role=role, joined_on=TODAY - timedelta(days=200)),
        )
    add_clearance(
        uow(),
        operator,
        world.alice,
        ClearanceIn(
            issuer="USA",
            level_name="SECRET",
            valid_from=TODAY - timedelta(days=100),
            valid_until=TODAY + timedelta(days=1000),
        ),
    )
    banners = {
        "REL": "SECRET//REL TO USA, GBR",
        "NOFORN": "SECRET//NOFORN",
        "NATO": "CONFIDENTIAL//REL TO USA, NATO",
        "FVEY": "CONFIDENTIAL//REL TO USA, FVEY",
    }
    artifacts = {
        key: services.create_artifact(
            uow(),
            operator,
            ArtifactIn(
                reference=f"SONAR-{key}",
                title=f"Sonar trial {key.lower()}",
                kind="report",
                project_id=project,
                owner_organisation_id=world.usa_lab,
                label=LabelIn(scheme="USA", originator="USA", banner=banner),
            ),
        ).id
        for key, banner in banners.items()
    }
    return Sonar(people, project, artifacts)


def problem_fields(response: Any) -> set[str]:
    assert response.headers["content-type"] == PROBLEM, response.text
    return {e["field"] for e in response.json()["errors"]}


def listed(client: TestClient, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/artifacts", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def new_artifact(world: World, reference: str, label: dict[str, Any]) -> dict[str, Any]:
    return {
        "reference": reference,
        "title": f"Trial {reference}",
        "kind": "report",
        "owner_organisation_id": str(world.usa_lab),
        "label": label,
    }


# --- creating and listing -------------------------------------------------------------------


def test_a_researcher_creates_an_artifact_from_a_banner_and_lists_it(
    client: TestClient, people: People
) -> None:
    headers = login(client, "alice")
    label = {"scheme": "USA", "originator": "USA", "banner": "secret//rel to gbr, usa"}
    created = client.post(
        "/api/v1/artifacts", headers=headers, json=new_artifact(people.world, "TD-1", label)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["label"]["banner"] == "SECRET//REL TO USA, GBR"
    assert body["label"]["releasable_to"] == ["USA", "GBR"]
    assert (body["created_by"], body["originating_nation"]) == ("alice", "USA")
    page = listed(client)
    assert page["total"] == 1
    assert [a["id"] for a in page["items"]] == [body["id"]]
    assert page["items"][0]["banner"] == "SECRET//REL TO USA, GBR"
    shown = client.get(f"/api/v1/artifacts/{body['id']}")
    assert shown.status_code == 200 and shown.json()["reference"] == "TD-1"


def test_a_researcher_creates_only_for_their_own_organisation(
    client: TestClient, people: People
) -> None:
    label = {"scheme": "GBR", "originator": "GBR", "classification": "OFFICIAL"}
    data = new_artifact(people.world, "TD-2", label)
    data["owner_organisation_id"] = str(people.world.gbr_lab)
    headers = login(client, "alice")  # a researcher in USAPL only: not allowed in UKSL
    refused = client.post("/api/v1/artifacts", headers=headers, json=data)
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    headers = login(client, "bob")  # a researcher on the node, employed by UKSL
    label = {"scheme": "USA", "originator": "USA", "classification": "UNCLASSIFIED"}
    foreign = client.post(
        "/api/v1/artifacts", headers=headers, json=new_artifact(people.world, "TD-2", label)
    )
    assert foreign.status_code == 422 and problem_fields(foreign) == {"owner_organisation_id"}
    own = client.post("/api/v1/artifacts", headers=headers, json=data)
    assert own.status_code == 201, own.text
    login(client, "officer")
    assert listed(client, as_person=str(people.world.alice))["total"] == 0


BAD_LABELS: list[tuple[dict[str, Any], str]] = [
    ({"scheme": "XXX", "originator": "USA", "classification": "SECRET"}, "label.scheme"),
    (
        {
            "scheme": "USA",
            "originator": "USA",
            "classification": "SECRET",
            "releasable_to": ["USA", "XYZ"],
        },
        "label.releasable_to",
    ),
    (
        {
            "scheme": "USA",
            "originator": "USA",
            "classification": "SECRET",
            "releasable_to": ["GBR"],  # without the originator
        },
        "label.releasable_to",
    ),
    ({"scheme": "USA", "originator": "USA", "banner": "SECRET///REL TO GBR"}, "label.banner"),
]


def test_a_bad_label_is_422_naming_the_field_and_nothing_is_stored(
    client: TestClient, people: People
) -> None:
    headers = login(client, "alice")
    for label, field in BAD_LABELS:
        refused = client.post(
            "/api/v1/artifacts", headers=headers, json=new_artifact(people.world, "BAD-1", label)
        )
        assert refused.status_code == 422, (label, refused.text)
        assert problem_fields(refused) == {field}, label
        assert listed(client)["total"] == 0, label
    # The reference is still free: nothing half-written stands in the way.
    good = {"scheme": "USA", "originator": "USA", "banner": "SECRET//REL TO USA, GBR"}
    again = client.post(
        "/api/v1/artifacts", headers=headers, json=new_artifact(people.world, "BAD-1", good)
    )
    assert again.status_code == 201, again.text
    assert listed(client)["total"] == 1


def test_an_artifact_one_may_not_see_is_not_found_like_a_missing_one(
    client: TestClient, people: People
) -> None:
    headers = login(client, "alice")
    label = {"scheme": "USA", "originator": "USA", "banner": "SECRET//REL TO USA, GBR"}
    created = client.post(
        "/api/v1/artifacts", headers=headers, json=new_artifact(people.world, "TD-3", label)
    ).json()
    login(client, "bob")  # UKSL, on no project: USAPL's artifact is shared with nobody
    unseen = client.get(f"/api/v1/artifacts/{created['id']}")
    missing = client.get(f"/api/v1/artifacts/{uuid.uuid4()}")
    assert unseen.status_code == missing.status_code == 404
    assert unseen.headers["content-type"] == missing.headers["content-type"] == PROBLEM

    def without_instance(body: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != "instance"}

    assert without_instance(unseen.json()) == without_instance(missing.json())
    assert client.get(f"/api/v1/artifacts/{created['id']}/label.xml").status_code == 404
    page = listed(client)
    assert page["total"] == 0 and page["items"] == []


def test_noforn_is_hidden_from_a_foreign_team_member_who_sees_the_rest(
    client: TestClient, sonar: Sonar
) -> None:
    login(client, "bob")
    page = listed(client, limit="50")
    # Bob (GBR + CAN) sees the NATO and FVEY artifacts; REL TO USA, GBR leaves out his
    # Canadian citizenship and NOFORN leaves out everyone foreign.
    assert {a["reference"] for a in page["items"]} == {"SONAR-NATO", "SONAR-FVEY"}
    assert page["total"] == 2
    noforn = client.get(f"/api/v1/artifacts/{sonar.artifacts['NOFORN']}")
    missing = client.get(f"/api/v1/artifacts/{uuid.uuid4()}")
    assert noforn.status_code == 404
    assert noforn.json()["detail"] == missing.json()["detail"]
    nato = client.get(f"/api/v1/artifacts/{sonar.artifacts['NATO']}")
    assert nato.status_code == 200
    read = next(a for a in nato.json()["access"] if a["action"] == "read")
    assert read["permit"] is False and read["failed"] == ["clearance"] and read["remedies"]
    # Listing for someone else is the security officer's question, not a researcher's.
    other = client.get("/api/v1/artifacts", params={"as_person": str(sonar.people.world.alice)})
    assert other.status_code == 403
    login(client, "reader")  # an account with no person must name one
    nobody = client.get("/api/v1/artifacts")
    assert nobody.status_code == 422 and problem_fields(nobody) == {"as_person"}


def test_a_dual_national_exemption_opens_what_one_citizenship_may_see(
    client: TestClient, sonar: Sonar
) -> None:
    bob = sonar.people.world.bob
    headers = login(client, "officer")
    assert listed(client, as_person=str(bob))["total"] == 2
    recorded = client.put(
        f"/api/v1/people/{bob}/dual-national-exemption",
        headers=headers,
        json={"granted_on": str(TODAY - timedelta(days=1)), "reason": "vetted as a UK national"},
    )
    assert recorded.status_code == 201, recorded.text
    page = listed(client, as_person=str(bob))
    assert page["total"] == 3
    assert "SONAR-REL" in {a["reference"] for a in page["items"]}


# --- the security officer's questions -------------------------------------------------------


def test_why_gives_every_rule_with_remedies_to_a_security_officer_only(
    client: TestClient, sonar: Sonar
) -> None:
    world = sonar.people.world
    login(client, "officer")
    url = f"/api/v1/artifacts/{sonar.artifacts['NOFORN']}/why"
    denied = client.get(url, params={"person_id": str(world.bob)})
    assert denied.status_code == 200, denied.text
    body = denied.json()
    assert [r["id"] for r in body["rules"]] == RULES
    assert body["permit"] is False and body["action"] == "read"
    assert body["person_name"] == "Bob Baker" and body["artifact_reference"] == "SONAR-NOFORN"
    failed = {r["id"]: r for r in body["rules"] if not r["passed"]}
    assert set(failed) == {"clearance", "releasability"}
    assert all(r["remedy"] for r in failed.values())
    assert "NOFORN" in failed["releasability"]["reason"]
    permitted = client.get(url, params={"person_id": str(world.alice)}).json()
    assert permitted["permit"] is True
    assert [r["id"] for r in permitted["rules"]] == RULES
    assert all(r["passed"] for r in permitted["rules"])
    login(client, "alice")  # may see the artifact, may not explain decisions
    forbidden = client.get(url, params={"person_id": str(world.bob)})
    assert forbidden.status_code == 403 and forbidden.headers["content-type"] == PROBLEM
    login(client, "bob")  # may not even know the artifact exists
    hidden = client.get(url, params={"person_id": str(world.bob)})
    assert hidden.status_code == 404


def test_audience_and_visibility_answer_with_counts(client: TestClient, sonar: Sonar) -> None:
    world = sonar.people.world
    login(client, "officer")
    nato = sonar.artifacts["NATO"]
    metadata = client.get(f"/api/v1/artifacts/{nato}/audience", params={"action": "view_metadata"})
    assert metadata.status_code == 200, metadata.text
    seen = metadata.json()
    assert (seen["total"], seen["considered"]) == (2, 3)
    assert {(r["key"], r["count"]) for r in seen["by_nation"]} == {("USA", 1), ("GBR", 1)}
    assert {p["name"] for p in seen["people"]} == {"Alice Archer", "Bob Baker"}
    read = client.get(f"/api/v1/artifacts/{nato}/audience").json()
    assert read["total"] == 1 and [r["key"] for r in read["by_nation"]] == ["USA"]

    alice = client.get(f"/api/v1/people/{world.alice}/visibility")
    assert alice.status_code == 200, alice.text
    counts = alice.json()
    assert counts["total"] == 4
    assert [(p["code"], p["count"]) for p in counts["by_project"]] == [("SONAR", 4)]
    assert [(lv["name"], lv["count"]) for lv in counts["by_level"]] == [
        ("CONFIDENTIAL", 2),
        ("SECRET", 2),
    ]
    bob = client.get(
        f"/api/v1/people/{world.bob}/visibility", params={"action": "view_metadata"}
    ).json()
    assert bob["total"] == 2
    bob_reads = client.get(f"/api/v1/people/{world.bob}/visibility").json()
    assert bob_reads["total"] == 0  # no clearance
    login(client, "bob")
    assert client.get(f"/api/v1/people/{world.alice}/visibility").status_code == 403


def test_what_if_counts_who_would_gain_and_changes_nothing(
    client: TestClient, sonar: Sonar
) -> None:
    people = sonar.people
    headers = login(client, "officer")
    join = {
        "kind": "add_participant",
        "project_id": str(sonar.project),
        "organisation_id": str(people.world.fra_lab),
        "staff_role": "researcher",
    }
    fvey = {"kind": "add_group_member", "group": "FVEY", "nation": "FRA"}

    def ask(*changes: dict[str, Any]) -> dict[str, Any]:
        response = client.post(
            "/api/v1/what-if",
            headers=headers,
            json={"changes": list(changes), "action": "view_metadata"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    alone = ask(fvey)
    assert alone["changes"] == ["FRA joins FVEY"]
    assert (alone["gained"], alone["lost"]) == (0, 0)  # no French person is on the project
    joined = ask(join)
    # Claire's lab joins SONAR: she may know of the REL TO NATO artifact.
    assert (joined["gained"], joined["lost"], joined["people_gaining"]) == (1, 0, 1)
    assert [(n["nation"], n["gained"]) for n in joined["by_nation"]] == [("FRA", 1)]
    assert [p["person_id"] for p in joined["people"]] == [str(people.claire)]
    both = ask(join, fvey)
    assert (both["gained"], both["lost"]) == (2, 0)
    # Nothing was changed.
    assert listed(client, as_person=str(people.claire))["total"] == 0


def test_what_if_refuses_an_unknown_change_and_a_researcher(
    client: TestClient, sonar: Sonar
) -> None:
    headers = login(client, "officer")
    unknown = client.post(
        "/api/v1/what-if",
        headers=headers,
        json={"changes": [{"kind": "annex_nation", "nation": "FRA"}]},
    )
    assert unknown.status_code == 422
    assert problem_fields(unknown) == {"changes[0]"}
    no_group = client.post(
        "/api/v1/what-if",
        headers=headers,
        json={"changes": [{"kind": "add_group_member", "group": "ZZZZ", "nation": "FRA"}]},
    )
    assert no_group.status_code == 422 and problem_fields(no_group) == {"changes[0].group"}
    headers = login(client, "alice")
    refused = client.post(
        "/api/v1/what-if",
        headers=headers,
        json={"changes": [{"kind": "add_group_member", "group": "FVEY", "nation": "FRA"}]},
    )
    assert refused.status_code == 403


# --- STANAG 4774 labels ---------------------------------------------------------------------


def test_a_label_goes_out_as_stanag_4774_and_comes_back_only_without_a_dtd(
    client: TestClient, sonar: Sonar
) -> None:
    headers = login(client, "alice")
    exported = client.get(f"/api/v1/artifacts/{sonar.artifacts['REL']}/label.xml")
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("application/xml")
    assert NS in exported.text
    parsed = client.post(
        "/api/v1/labels/stanag4774",
        headers={**headers, "Content-Type": "application/xml"},
        content=exported.content,
    )
    assert parsed.status_code == 200, parsed.text
    fields = parsed.json()
    assert (fields["scheme"], fields["originator"], fields["classification"]) == (
        "USA",
        "USA",
        "SECRET",
    )
    assert sorted(fields["releasable_to"]) == ["GBR", "USA"] and fields["noforn"] is False
    # The fields make a label command as they are: the round trip gives the same banner.
    created = client.post(
        "/api/v1/artifacts",
        headers=headers,
        json=new_artifact(sonar.people.world, "TD-XML", fields),
    )
    assert created.status_code == 201, created.text
    assert created.json()["label"]["banner"] == "SECRET//REL TO USA, GBR"

    # The same document with a DTD and entities is refused before anything is expanded.
    entities = with_entities(exported.content)
    # Our own document: a parser that expands entities reads a SECRET classification.
    expanded = ET.fromstring(entities).find(f".//{{{NS}}}Classification")  # noqa: S314
    assert expanded is not None and expanded.text == "SECRET"
    refused = client.post(
        "/api/v1/labels/stanag4774",
        headers={**headers, "Content-Type": "application/xml"},
        content=entities,
    )
    assert refused.status_code == 422, refused.text
    assert problem_fields(refused) == {"label.xml"} and "DTD" in refused.json()["detail"]
    garbage = client.post("/api/v1/labels/stanag4774", headers=headers, content=b"<not-closed")
    assert garbage.status_code == 422 and problem_fields(garbage) == {"label.xml"}


# --- export and IP records ------------------------------------------------------------------


def test_export_authorisations_are_recorded_by_whoever_manages_export_records(
    client: TestClient, people: People
) -> None:
    body = {
        "reference": "DSP-5 050-123456",
        "kind": "licence",
        "issuing_nation": "USA",
        "regime": "ITAR",
        "categories": ["USML XI(d)"],
        "recipient_nations": ["GBR"],
        "valid_from": TODAY.isoformat(),
        "valid_until": (TODAY + timedelta(days=365)).isoformat(),
    }
    headers = login(client, "alice")
    assert (
        client.post("/api/v1/export-authorisations", headers=headers, json=body).status_code == 403
    )
    headers = login(client, "admin")
    unknown = client.post(
        "/api/v1/export-authorisations",
        headers=headers,
        json={**body, "recipient_nations": ["GBR", "ZZZ"]},
    )
    assert unknown.status_code == 422 and problem_fields(unknown) == {"recipient_nations"}
    assert "ZZZ" in unknown.json()["detail"]
    assert client.get("/api/v1/export-authorisations").json() == []
    created = client.post("/api/v1/export-authorisations", headers=headers, json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["status"], created.json()["recipient_nations"]) == ("active", ["GBR"])
    listed_now = client.get("/api/v1/export-authorisations").json()
    assert [a["reference"] for a in listed_now] == ["DSP-5 050-123456"]
    again = client.post("/api/v1/export-authorisations", headers=headers, json=body)
    assert again.status_code == 409


def test_ip_asset_owner_shares_must_add_up_to_100(client: TestClient, sonar: Sonar) -> None:
    world = sonar.people.world
    headers = login(client, "admin")

    def asset(*shares: tuple[uuid.UUID, int]) -> dict[str, Any]:
        return {
            "reference": "IP-SONAR-1",
            "title": "Sonar beamformer",
            "kind": "result",
            "project_id": str(sonar.project),
            "owners": [{"organisation_id": str(o), "share_percent": s} for o, s in shares],
        }

    short = client.post(
        "/api/v1/ip-assets", headers=headers, json=asset((world.usa_lab, 60), (world.gbr_lab, 30))
    )
    assert short.status_code == 422 and short.headers["content-type"] == PROBLEM
    assert "the shares add up to 90%, not 100%" in short.json()["detail"]
    assert problem_fields(short) == {"owners"}
    assert client.get("/api/v1/ip-assets").json() == []
    made = client.post(
        "/api/v1/ip-assets", headers=headers, json=asset((world.usa_lab, 60), (world.gbr_lab, 40))
    )
    assert made.status_code == 201, made.text
    assert sorted(o["share_percent"] for o in made.json()["owners"]) == [40, 60]

    # Licensed for government purposes, and handed to partners' tools as ODRL.
    licence = client.post(
        "/api/v1/ip-licences",
        headers=headers,
        json={
            "reference": "LIC-SONAR-1",
            "asset_id": made.json()["id"],
            "licensor_id": str(world.usa_lab),
            "licensee_id": str(world.fra_lab),
            "purposes": ["government_purposes"],
            "valid_from": TODAY.isoformat(),
            "valid_until": "2029-12-31",
        },
    )
    assert licence.status_code == 201, licence.text
    policy = client.get("/api/v1/ip-licences.odrl", params={"reference": "LIC-SONAR-1"})
    assert policy.status_code == 200
    assert policy.headers["content-type"].startswith("application/ld+json")
    body = policy.json()
    assert body["type"] == "Agreement" and body["uid"] == "urn:coalition:licence:LIC-SONAR-1"
    assert body["permission"][0]["assignee"] == "urn:coalition:organisation:LOPT"
    graph = client.get("/api/v1/ip-licences.odrl").json()
    assert [p["uid"] for p in graph["@graph"]] == ["urn:coalition:licence:LIC-SONAR-1"]
    assert client.get("/api/v1/ip-licences.odrl", params={"reference": "NOPE"}).status_code == 404
    page = client.get("/ip")
    assert "LIC-SONAR-1" in page.text and "USAPL 60%" in page.text and "LOPT" in page.text
    download = client.get("/ip/licences/LIC-SONAR-1.jsonld")
    assert download.status_code == 200 and download.json()["type"] == "Agreement"


def test_every_own_view_of_an_artifact_is_a_recorded_decision_permit_or_deny(
    client: TestClient, people: People, uow: UowFactory
) -> None:
    headers = login(client, "alice")
    label = {"scheme": "USA", "originator": "USA", "banner": "SECRET//REL TO USA, GBR"}
    created = client.post(
        "/api/v1/artifacts", headers=headers, json=new_artifact(people.world, "TD-9", label)
    ).json()
    assert client.get(f"/api/v1/artifacts/{created['id']}").status_code == 200
    login(client, "bob")
    missing = str(uuid.uuid4())
    assert client.get(f"/api/v1/artifacts/{created['id']}").status_code == 404
    assert client.get(f"/api/v1/artifacts/{missing}").status_code == 404

    with uow() as unit:  # PostgreSQL: the integrator's part
        unit.for_writing()
        integrate(unit.session)
        unit.commit()
    with uow() as unit:
        rows = unit.session.execute(
            select(Event.actor, Event.object_id, Event.details, LedgerEntry.entry)
            .join(LedgerEntry, LedgerEntry.event_id == Event.id)
            .where(Event.tag == "techdata:decision:view_metadata")
            .order_by(Event.id)
        ).all()
    seen = [(actor, object_id, details["outcome"]) for actor, object_id, details, _ in rows]
    assert seen == [
        ("alice", created["id"], "permit"),
        ("bob", created["id"], "deny"),
        ("bob", missing, "deny"),
    ]
    refused = rows[1][2]
    assert set(refused["rules"]) == set(RULES)
    assert refused["reasons"] and not all(refused["rules"].values())
    # In the ledger the outcome is in clear; the rules and reasons only as salted hashes.
    fields = decode_entry(bytes(rows[1][3]))["fields"]
    assert fields["outcome"] == "deny"
    assert fields["rules"].startswith("sha256:") and fields["reasons"].startswith("sha256:")
