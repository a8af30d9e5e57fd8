"""`coalition risks` against a fresh SQLite node: raise (the owner by e-mail), list with its
filters, show, assess, reassign and the heat map (a table, JSON or an SVG file); refusals
exit 1 (invalid), 3 (not found) or 4 (conflict) with the field named on stderr.

The world is tests/integration/test_risks.py's; the CLI acts as the node's operator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coalition.accounts.permissions import Principal
from coalition.cli import context

# `node` is a fixture of test_cli, used here by name.
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.integration.test_risks import PROJECT, WP, RiskWorld, make_risk_world

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def rw(node: Path, capsys: Capsys) -> RiskWorld:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_risk_world(context.uow, Principal.operator("test"))


def raise_args(reference: str = "RSK-1", **changes: Any) -> list[str]:
    options: dict[str, Any] = {
        "reference": reference,
        "project": PROJECT,
        "work-package": WP,
        "title": "Fusion library licence may lapse",
        "category": "technical",
        "likelihood": 3,
        "impact": 4,
        "owner": "alice@usapl.example",
    } | changes
    args = ["risks", "raise"]
    for name, value in options.items():
        args += [f"--{name}", str(value)]
    return args


def test_a_risk_from_raising_to_closing(rw: RiskWorld, capsys: Capsys, tmp_path: Path) -> None:
    made = json.loads(ok(capsys, *raise_args(), "--json"))
    assert (made["score"], made["band"], made["owner"]) == (12, "high", "Alice Archer")
    ok(capsys, *raise_args("RSK-2", likelihood=1, impact=2, **{"work-package": "WP1"}))
    listed = json.loads(ok(capsys, "risks", "list", "--project", PROJECT, "--json"))
    assert [(r["reference"], r["score"]) for r in listed] == [("RSK-1", 12), ("RSK-2", 2)]
    table = ok(capsys, "risks", "list", "--min-score", "10")
    assert "RSK-1" in table and "RSK-2" not in table
    assessed = json.loads(
        ok(
            capsys,
            *("risks", "assess", "RSK-1", "--likelihood", "2", "--impact", "4"),
            *("--status", "mitigating", "--note", "supplier answered", "--json"),
        )
    )
    assert (assessed["score"], assessed["trend"], len(assessed["history"])) == (8, "falling", 2)
    handed = json.loads(
        ok(capsys, "risks", "reassign", "RSK-1", "--owner", "bob@uksl.example", "--json")
    )
    assert handed["owner"] == "Bob Baker"
    mine = json.loads(ok(capsys, "risks", "list", "--owner", "bob@uksl.example", "--json"))
    assert [r["reference"] for r in mine] == ["RSK-1"]
    shown = json.loads(ok(capsys, "risks", "show", "RSK-1", "--json"))
    assert [a["by"].split(":")[0] for a in shown["history"]] == ["operator", "operator"]
    assert "RSK-1" in ok(capsys, "risks", "show", "RSK-1")
    svg = tmp_path / "heat.svg"
    heat = json.loads(
        ok(capsys, "risks", "heat-map", "--project", PROJECT, "--svg", str(svg), "--json")
    )
    assert (heat["total"], heat["counts"][1][3], heat["counts"][0][1]) == (2, 1, 1)
    assert "<svg" in svg.read_text(encoding="utf-8")
    text = ok(capsys, "risks", "heat-map")
    assert "Risk heat map of all projects: 2 live risk(s)" in " ".join(text.split())
    ok(
        capsys,
        "risks",
        "assess",
        "RSK-1",
        "--likelihood",
        "1",
        "--impact",
        "1",
        "--status",
        "closed",
    )
    live = json.loads(ok(capsys, "risks", "list", "--live", "--json"))
    assert [r["reference"] for r in live] == ["RSK-2"]


def test_refusals_exit_with_their_code_and_name_the_field(rw: RiskWorld, capsys: Capsys) -> None:
    code, _, err = run(capsys, *raise_args(**{"work-package": "WP9"}))
    assert code == 1 and "work_package" in err and "SENSE has no work package 'WP9'" in err
    code, _, err = run(capsys, *raise_args(owner="fred@lopt.example"))
    assert code == 1 and "owner_id" in err and "does not take part in SENSE" in err
    code, _, err = run(capsys, *raise_args(owner="nobody@nowhere.example"))
    assert code == 1 and "owner" in err
    ok(capsys, *raise_args())
    code, _, err = run(capsys, *raise_args())
    assert code == 4 and "a risk 'RSK-1' already exists" in err
    code, _, err = run(capsys, "risks", "show", "RSK-9")
    assert code == 3 and "no risk 'RSK-9'" in err
    args = ("risks", "assess", "RSK-1", "--likelihood", "1", "--impact", "1", "--status")
    code, _, err = run(capsys, *args, "closed")
    assert code == 4 and "an open risk is closed once its mitigation" in err
    code, _, err = run(capsys, "risks", "heat-map", "--project", "NOPE")
    assert code == 3 and "no project 'NOPE'" in err
    assert json.loads(ok(capsys, "risks", "list", "--json"))[0]["status"] == "open"
