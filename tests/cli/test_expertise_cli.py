"""`coalition expertise` against a fresh SQLite node: add, show (by id, e-mail or short
name), update, search with its filters and the partner finder; refusals exit 1 (invalid)
or 3 (not found) with the field named on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coalition.accounts.permissions import Principal
from coalition.cli import context

# `node` is a fixture of test_cli, used here by name.
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.facility_world import EMAILS, FacilityWorld, make_facility_world

Capsys = pytest.CaptureFixture[str]
LABEL = ["--banner", "UNCLASSIFIED//REL TO USA, GBR", "--scheme", "USA", "--originator", "USA"]


@pytest.fixture
def fw(node: Path, capsys: Capsys) -> FacilityWorld:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_facility_world(context.uow, Principal.operator("test"))


def test_profiles_from_the_command_line(fw: FacilityWorld, capsys: Capsys) -> None:
    made = json.loads(
        ok(
            capsys,
            "expertise",
            "add",
            "--organisation",
            "USAPL",
            "--headline",
            "Hypersonic inlet testing",
            "--capability",
            "aero.hypersonic",
            "--keyword",
            "inlets",
            "--trl",
            "6",
            "--publication",
            "Inlet starting at Mach 8|2024|DOI 10.1000/y",
            *LABEL,
            "--json",
        )
    )
    assert made["publications"][0] == {
        "title": "Inlet starting at Mach 8",
        "year": 2024,
        "reference": "DOI 10.1000/y",
    }
    ok(
        capsys,
        "expertise",
        "add",
        "--organisation",
        "USAPL",
        "--person",
        EMAILS["alice"],
        "--headline",
        "Inlet aerodynamics",
        *LABEL,
    )
    assert json.loads(ok(capsys, "expertise", "show", "USAPL", "--json"))["id"] == made["id"]
    mine = json.loads(ok(capsys, "expertise", "show", EMAILS["alice"], "--json"))
    assert mine["person"] == "Alice Archer"
    found = json.loads(ok(capsys, "expertise", "search", "inlet", "--json"))
    assert found["total"] == 2
    assert found["items"][0]["headline"] == "Hypersonic inlet testing"
    people = json.loads(ok(capsys, "expertise", "search", "--kind", "person", "--json"))
    assert [h["headline"] for h in people["items"]] == ["Inlet aerodynamics"]
    assert "2 profile(s)" in ok(capsys, "expertise", "search", "inlet")
    ok(capsys, "expertise", "update", made["id"], "--headline", "Scramjet inlet testing")
    assert json.loads(ok(capsys, "expertise", "search", "scramjet", "--json"))["total"] == 1
    meaning = json.loads(
        ok(capsys, "expertise", "search", "supersonic combustion ramjet", "--semantic", "--json")
    )
    assert meaning["mode"] == "semantic" and meaning["items"][0]["id"] == made["id"]
    assert "2 profile(s) indexed with embeddings" in ok(capsys, "expertise", "reindex")
    partners = json.loads(
        ok(capsys, "expertise", "partners", "--capability", "aero", "--level", "SECRET", "--json")
    )
    assert [p["organisation"] for p in partners] == ["USAPL"]


def test_refusals_exit_non_zero_naming_the_field(fw: FacilityWorld, capsys: Capsys) -> None:
    code, _, err = run(
        capsys,
        "expertise",
        "add",
        "--organisation",
        "USAPL",
        "--headline",
        "Fine",
        "--trl",
        "12",
        *LABEL,
    )
    assert code == 1 and "trl" in err
    code, _, err = run(
        capsys, "expertise", "add", "--organisation", "NOPE", "--headline", "Fine", *LABEL
    )
    assert code == 1 and "organisation: no organisation 'NOPE'" in err
    code, _, err = run(capsys, "expertise", "show", "UKSL")
    assert code == 3
    code, _, err = run(capsys, "expertise", "partners", "--capability", "aero", "--level", "X")
    assert code == 1 and "level" in err
