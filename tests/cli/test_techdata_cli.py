"""`coalition artifacts / what-if / export` against a fresh SQLite node: artifacts and their
labels, listing for a person, the why view, what-if, and the errors that name an option."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from coalition.accounts.permissions import Principal
from coalition.cli import context
from coalition.exchange import keys, tdf
from coalition.projects.schemas import ParticipantIn, ProjectIn
from coalition.projects.services import add_participant, create_project
from coalition.techdata import services

# `node` is a fixture of test_cli, used here by name.
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.factories import World, make_world

TODAY = date.today()
ALICE = "alice@usapl.example"
BOB = "bob@uksl.example"
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


@pytest.fixture
def world(node: Path, capsys: pytest.CaptureFixture[str]) -> World:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_world(context.uow, Principal.operator("test"))


def create(capsys: pytest.CaptureFixture[str], reference: str, *options: str) -> dict[str, Any]:
    created: dict[str, Any] = json.loads(
        ok(
            capsys,
            *("artifacts", "create", "--reference", reference, "--title", f"Trial {reference}"),
            *options,
            "--json",
        )
    )
    return created


def listed(capsys: pytest.CaptureFixture[str], person: str) -> dict[str, Any]:
    page: dict[str, Any] = json.loads(ok(capsys, "artifacts", "list", "--as", person, "--json"))
    return page


REL = ("--owner", "USAPL", "--scheme", "USA", "--originator", "USA")


def test_create_then_list_for_a_person(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    created = create(capsys, "TD-1", *REL, "--banner", "secret//rel to gbr, usa")
    assert created["label"]["banner"] == "SECRET//REL TO USA, GBR"
    assert created["owner_organisation_id"] == str(world.usa_lab)
    alice = listed(capsys, ALICE)
    assert alice["total"] == 1 and [a["id"] for a in alice["items"]] == [created["id"]]
    # Bob's lab takes part in no project with USAPL: he may not know the artifact exists.
    assert listed(capsys, BOB)["total"] == 0
    table = ok(capsys, "artifacts", "list", "--as", str(world.alice))
    assert "TD-1" in table and "1-1 of 1" in table
    code, _, err = run(capsys, "artifacts", "show", created["id"], "--as", BOB)
    assert code == 3 and "no artifact with this id" in err


def test_why_prints_every_rule_with_pass_or_fail_and_remedies(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    created = create(capsys, "TD-2", *REL, "--banner", "SECRET//REL TO USA, GBR")
    out = ok(capsys, "artifacts", "why", created["id"], "--person", BOB)
    lines = out.splitlines()
    assert lines[0] == "DENY: Bob Baker read TD-2"
    rules = [line.split()[1] for line in lines[1:10]]
    assert rules == RULES
    agreement = next(line for line in lines if line.split()[1:2] == ["agreement"])
    assert agreement.split()[0] == "FAIL" and "->" in agreement
    permit = ok(
        capsys, "artifacts", "why", created["id"], "--person", ALICE, "--action", "view_metadata"
    )
    assert permit.splitlines()[0] == "PERMIT: Alice Archer view_metadata TD-2"
    assert "FAIL" not in permit
    explained = json.loads(
        ok(capsys, "artifacts", "why", created["id"], "--person", str(world.bob), "--json")
    )
    assert [r["id"] for r in explained["rules"]] == RULES and explained["permit"] is False


def test_an_unknown_person_or_date_exits_1_naming_the_option(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "artifacts", "list", "--as", "nobody@nowhere.example")
    assert code == 1 and out == ""
    assert "as:" in err and "nobody@nowhere.example" in err
    created = create(capsys, "TD-3", *REL, "--classification", "UNCLASSIFIED")
    code, _, err = run(
        capsys, "artifacts", "why", created["id"], "--person", ALICE, "--on", "2026-02-30"
    )
    assert code == 1 and "on:" in err and "2026-02-30" in err


def test_what_if_a_partner_joins_the_project(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    project = create_project(
        context.uow(),
        Principal.operator("test"),
        ProjectIn(
            code="SONAR",
            title="Sonar",
            agreement_id=world.mou,
            start_on=TODAY - timedelta(days=100),
            end_on=date(2029, 12, 31),
            lead_organisation_id=world.usa_lab,
            classification_ceiling=3,
        ),
    ).id
    create(
        capsys, "SONAR-1", *REL, "--project", str(project), "--banner", "SECRET//REL TO USA, NATO"
    )
    change = {
        "kind": "add_participant",
        "project_id": str(project),
        "organisation_id": str(world.gbr_lab),
        "staff_role": "researcher",
    }
    result = json.loads(
        ok(
            capsys,
            *("what-if", "--change", json.dumps(change), "--action", "view_metadata", "--json"),
        )
    )
    assert result["changes"] == ["UKSL joins SONAR"]
    assert (result["gained"], result["lost"], result["people_gaining"]) == (1, 0, 1)
    assert [p["name"] for p in result["people"]] == ["Bob Baker"]
    text = ok(capsys, "what-if", "--change", json.dumps(change), "--action", "view_metadata")
    assert text.startswith("If UKSL joins SONAR:")
    # Nothing was changed.
    assert listed(capsys, BOB)["total"] == 0
    code, _, err = run(capsys, "what-if", "--change", '{"kind": "annex", "nation": "FRA"}')
    assert code == 1 and "changes" in err
    code, _, err = run(capsys, "what-if", "--change", "{not json")
    assert code == 1 and "change:" in err


def test_export_authorise_refuses_a_bad_date_and_records_a_good_one(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    base = (
        *("export", "authorise", "--reference", "DSP-5 050-1", "--issuing-nation", "usa"),
        *("--regime", "ITAR", "--recipient", "gbr", "--category", "USML XI(d)"),
    )
    code, _, err = run(capsys, *base, "--valid-from", "2026-02-30", "--valid-until", "2027-01-01")
    assert code == 1 and "valid-from" in err
    assert json.loads(ok(capsys, "export", "authorisations", "--json")) == []
    code, _, err = run(capsys, *base, "--valid-from", "2026-01-01", "--valid-until", "2025-01-01")
    assert code == 1 and "valid-until: must be after valid_from" in err
    created = json.loads(
        ok(capsys, *base, "--valid-from", "2026-01-01", "--valid-until", "2027-01-01", "--json")
    )
    assert (created["issuing_nation"], created["recipient_nations"]) == ("USA", ["GBR"])
    listed_now = json.loads(ok(capsys, "export", "authorisations", "--json"))
    assert [a["reference"] for a in listed_now] == ["DSP-5 050-1"]


def test_a_label_document_round_trips_and_an_xml_bomb_is_refused(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    created = create(capsys, "TD-4", *REL, "--banner", "SECRET//REL TO USA, GBR")
    alice = Principal(name="alice", account_id=None, active=True, person_id=world.alice)
    document = services.label_xml(context.uow(), alice, uuid.UUID(created["id"]))
    good = tmp_path / "label.xml"
    good.write_bytes(document)
    copied = create(capsys, "TD-5", "--owner", "USAPL", "--label-xml", str(good))
    assert copied["label"]["banner"] == "SECRET//REL TO USA, GBR"

    # The same label with its classification spelt through nested internal entities.
    head, declaration_end, body = document.partition(b"?>")
    dtd = b'<!DOCTYPE label [<!ENTITY a "SEC"><!ENTITY b "RET"><!ENTITY s "&a;&b;">]>'
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(head + declaration_end + dtd + body.replace(b">SECRET<", b">&s;<", 1))
    code, _, err = run(
        capsys,
        *("artifacts", "create", "--reference", "TD-BOMB", "--title", "Bomb"),
        *("--owner", "USAPL", "--label-xml", str(bomb)),
    )
    assert code == 1 and "label.xml" in err and "DTD" in err
    code, _, err = run(
        capsys,
        *("artifacts", "create", "--reference", "TD-NONE", "--title", "Missing"),
        *("--owner", "USAPL", "--label-xml", str(tmp_path / "absent.xml")),
    )
    assert code == 1 and "label-xml" in err
    page = listed(capsys, ALICE)
    assert page["total"] == 2
    assert {a["reference"] for a in page["items"]} == {"TD-4", "TD-5"}


def test_the_export_register_amends_draws_down_imports_and_warns(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    today = date.today()
    created = json.loads(
        ok(
            capsys,
            *("export", "authorise", "--reference", "TAA 9-1", "--kind", "taa"),
            *("--issuing-nation", "USA", "--regime", "ITAR", "--recipient", "GBR"),
            *("--quantity-limit", "3", "--valid-from", str(today - timedelta(days=10))),
            *("--valid-until", str(today + timedelta(days=20)), "--json"),
        )
    )
    ident = created["id"]
    drawn = json.loads(
        ok(capsys, "export", "draw-down", ident, "--quantity", "2", "--reference", "s1", "--json")
    )
    assert drawn["quantity_remaining"] == 1
    code, _, err = run(capsys, "export", "draw-down", ident, "--quantity", "2", "--reference", "s2")
    assert code == 4 and "exceeds what remains (1)" in err
    amended = json.loads(
        ok(
            capsys,
            *("export", "amend", ident, "--quantity-limit", "5", "--reason", "amendment 1"),
            "--json",
        )
    )
    assert amended["amendments"][0]["changes"] == {"quantity_limit": [3, 5]}
    assert "TAA 9-1" in ok(capsys, "export", "expiring")

    csv_file = tmp_path / "licences.csv"
    csv_file.write_text(
        "reference,kind,issuing_nation,regime,recipient_nations,end_users,valid_from,valid_until\n"
        f"DSP-5 9-2,dsp_5,USA,ITAR,GBR,USAPL,{today},{today + timedelta(days=300)}\n"
        f"DSP-5 9-3,dsp_5,USA,ITAR,GBR,NOPE,{today},{today + timedelta(days=300)}\n"
    )
    code, _, err = run(capsys, "export", "import", str(csv_file))
    assert code == 1 and "row 3.end_users: unknown: NOPE" in err
    csv_file.write_text(csv_file.read_text().replace("NOPE", "UKSL"))
    imported = json.loads(ok(capsys, "export", "import", str(csv_file), "--json"))
    assert imported == {"created": 2, "references": ["DSP-5 9-2", "DSP-5 9-3"]}


def test_the_release_precheck_for_a_requester(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    create(capsys, "TD-R1", *REL, "--banner", "SECRET//REL TO USA, GBR")
    out = ok(
        capsys,
        *("releases", "precheck", "--for", str(world.alice), "--artifact", "TD-R1"),
        *("--recipient", "UKSL", "--recipient", "LOPT"),
    )
    assert "of 2 item-recipient pairs may be released" in out
    assert "TD-R1 to LOPT: releasability" in out
    assert "USA security officer (classified)" in out
    code, _, err = run(
        capsys,
        "releases",
        "precheck",
        "--for",
        str(world.alice),
        "--artifact",
        "NOPE",
        "--recipient",
        "UKSL",
    )
    assert code == 1 and "no artifact you may see: NOPE" in err


def test_a_release_request_is_submitted_approved_by_another_and_packaged(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = create_project(
        context.uow(),
        Principal.operator("test"),
        ProjectIn(
            code="SONAR",
            title="Sonar",
            agreement_id=world.mou,
            start_on=date.today() - timedelta(days=100),
            end_on=date(2029, 12, 31),
            lead_organisation_id=world.usa_lab,
            classification_ceiling=3,
        ),
    ).id
    add_participant(
        context.uow(),
        Principal.operator("test"),
        project,
        ParticipantIn(
            organisation_id=world.gbr_lab,
            role="partner",
            joined_on=date.today() - timedelta(days=50),
        ),
    )
    create(capsys, "TD-R2", *REL, "--banner", "SECRET//REL TO USA, GBR", "--project", str(project))
    ok(
        capsys,
        *("security-agreements", "create", "--reference", "GSA", "--title", "US-UK GSA"),
        *("--party", "USA", "--party", "GBR", "--max-level", "4", "--from", "2000-01-01"),
    )
    submitted = json.loads(
        ok(
            capsys,
            *("releases", "submit", "--for", str(world.alice), "--artifact", "TD-R2"),
            *("--recipient", "UKSL", "--justification", "trials", "--json"),
        )
    )
    assert submitted["status"] == "submitted"
    assert [a["key"] for a in submitted["approvals"]] == ["classified:USA"]
    ident = submitted["id"]
    code, _, err = run(
        capsys, "releases", "approve", ident, "--approval", "classified:USA", "--reason", "fine"
    )
    assert code == 5 and "own release" in err, err  # the operator made the request
    ok(
        capsys,
        *("releases", "approve", ident, "--approval", "classified:USA"),
        *("--reason", "within the GSA", "--as", "fdo.usa"),
    )
    shown = json.loads(ok(capsys, "releases", "show", ident, "--json"))
    assert shown["status"] == "approved" and shown["approvals"][0]["decided_by"] == "fdo.usa"
    assert "TD-R2" in ok(capsys, "releases", "list")

    # The package, for the partner node that serves UKSL.
    ok(capsys, "ledger", "keygen")
    ok(capsys, "package", "keygen")
    partner = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "uksl-wrapping.pem").write_text(keys.public_pem(partner.public_key()))
    (tmp_path / "uksl-signing.pem").write_text(
        keys.public_pem(Ed25519PrivateKey.generate().public_key())
    )
    ok(
        capsys,
        *("partners", "register", "--name", "coalition.uksl.example"),
        *("--url", "https://coalition.uksl.example", "--organisation", "UKSL"),
        *("--wrapping-key", str(tmp_path / "uksl-wrapping.pem")),
        *("--signing-key", str(tmp_path / "uksl-signing.pem")),
    )
    assert "coalition.uksl.example" in ok(capsys, "partners", "list", "--json")
    ok(
        capsys,
        *("clearances", "add", str(world.alice), "--issuer", "USA", "--level", "SECRET"),
        *("--from", "2020-01-01", "--until", "2035-01-01"),
    )
    (tmp_path / "trial.txt").write_text("trial data\n")
    ok(
        capsys,
        *("content", "upload", submitted["item_ids"][0], str(tmp_path / "trial.txt")),
        *("--for", str(world.alice)),
    )
    out = tmp_path / "release.tdf"
    written = ok(
        capsys,
        *("releases", "package", ident, "--artifact", submitted["item_ids"][0]),
        *("--recipient", "UKSL", "-o", str(out)),
    )
    assert "ledger entry" in written
    signing = load_pem_public_key(ok(capsys, "package", "public-key").encode())
    _, plain = tdf.open_package(out.read_bytes(), signing, partner)  # type: ignore[arg-type]
    assert plain == b"trial data\n"


def test_licences_are_printed_as_odrl(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    asset = json.loads(
        ok(
            capsys,
            *("ip", "add-asset", "--reference", "RES-1", "--title", "Beamformer"),
            *("--owner", "USAPL:60", "--owner", "UKSL:40", "--json"),
            *("--kind", "background", "--agreement", "MOU-USA-GBR"),
        )
    )
    assert asset["background_status"] == "included"
    ok(
        capsys,
        *("ip", "license", "--reference", "LIC-1", "--asset", "RES-1"),
        *("--licensor", "USAPL", "--licensee", "LOPT", "--purpose", "government_purposes"),
        *("--valid-from", "2026-01-01", "--valid-until", "2029-12-31", "--territory", "FRA"),
    )
    policy = json.loads(ok(capsys, "ip", "odrl", "--licence", "LIC-1"))
    assert policy["type"] == "Agreement"
    spatial = [c for c in policy["permission"][0]["constraint"] if c["leftOperand"] == "spatial"]
    assert spatial[0]["rightOperand"] == ["urn:iso:std:3166:FRA"]
    code, _, err = run(capsys, "ip", "odrl", "--licence", "NOPE")
    assert code == 3 and "no licence" in err
