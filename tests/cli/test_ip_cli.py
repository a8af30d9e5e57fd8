"""`coalition ip` against a fresh SQLite node: assets with owners named by short name and the
project by code, licences, transfer notices and their objection window, and the reports
written as XLSX or printed as CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from coalition.accounts.permissions import Principal
from coalition.cli import context
from coalition.projects.schemas import ParticipantIn, ProjectIn
from coalition.projects.services import add_participant, create_project
from coalition.techdata.services import today

# `node` and `world` are fixtures of test_cli and test_techdata_cli, used here by name.
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.cli.test_techdata_cli import world  # noqa: F401
from tests.factories import World

TODAY = today()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


@pytest.fixture
def sonar(world: World) -> World:  # noqa: F811
    """SONAR under the USA-GBR MoU: USAPL leads, UKSL takes part."""
    actor = Principal.operator("test")
    project = create_project(
        context.uow(),
        actor,
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
        context.uow(),
        actor,
        project,
        ParticipantIn(
            organisation_id=world.gbr_lab, role="partner", joined_on=TODAY - timedelta(days=300)
        ),
    )
    return world


def add_result(capsys: pytest.CaptureFixture[str], reference: str = "RES-1") -> dict[str, Any]:
    made: dict[str, Any] = json.loads(
        ok(
            capsys,
            *("ip", "add-asset", "--reference", reference, "--title", "Sonar beamformer"),
            *("--project", "sonar", "--owner", "USAPL:60", "--owner", "uksl:40"),
            *("--joint-terms", "USAPL files and pays", "--created-on", day(-30), "--json"),
        )
    )
    return made


def test_add_asset_names_owners_by_short_name_and_the_project_by_code(
    sonar: World, capsys: pytest.CaptureFixture[str]
) -> None:
    made = add_result(capsys)
    assert {o["organisation_id"]: o["share_percent"] for o in made["owners"]} == {
        str(sonar.usa_lab): 60,
        str(sonar.gbr_lab): 40,
    }
    assert made["kind"] == "result" and made["agreement_id"] == str(sonar.mou)
    assert made["joint_ownership_terms"] == "USAPL files and pays"
    background = json.loads(
        ok(
            capsys,
            *("ip", "add-asset", "--reference", "BG-1", "--title", "Array library"),
            *("--kind", "background", "--agreement", "MOU-USA-GBR", "--owner", "UKSL"),
            *("--background", "excluded", "--json"),
        )
    )
    assert background["background_status"] == "excluded"
    assert background["owners"] == [{"organisation_id": str(sonar.gbr_lab), "share_percent": 100}]
    listed = json.loads(ok(capsys, "ip", "assets", "--project", "SONAR", "--json"))
    assert [a["reference"] for a in listed] == ["RES-1"]
    shown = json.loads(ok(capsys, "ip", "asset", "RES-1", "--json"))
    assert shown["id"] == made["id"]
    assert "RES-1" in ok(capsys, "ip", "assets")
    code, _, err = run(capsys, "ip", "asset", "NOPE")
    assert code == 3 and "no IP asset 'NOPE'" in err


def test_shares_that_do_not_make_100_exit_1_naming_owners(
    sonar: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        *("ip", "add-asset", "--reference", "RES-1", "--title", "Sonar beamformer"),
        *("--project", "SONAR", "--owner", "USAPL:60", "--owner", "UKSL:30"),
    )
    assert code == 1 and out == ""
    assert "owners: the shares add up to 90%, not 100%" in err
    code, _, err = run(
        capsys,
        *("ip", "add-asset", "--reference", "RES-1", "--title", "Sonar beamformer"),
        *("--project", "SONAR", "--owner", "USAPL:60", "--owner", "LOPT:40"),
    )
    assert code == 1 and "owners[1].organisation_id" in err and "MOU-USA-GBR" in err
    code, _, err = run(
        capsys,
        *("ip", "add-asset", "--reference", "RES-1", "--title", "Sonar beamformer"),
        *("--project", "NOSUCH", "--owner", "USAPL"),
    )
    assert code == 1 and "project: no project with id or code 'NOSUCH'" in err
    assert json.loads(ok(capsys, "ip", "assets", "--json")) == []


def test_a_licence_is_recorded_refused_when_wider_and_terminated_once(
    sonar: World, capsys: pytest.CaptureFixture[str]
) -> None:
    add_result(capsys)
    ok(
        capsys,
        *("organisations", "create", "--name", "UK Defence Co", "--short-name", "UKDC"),
        *("--kind", "company", "--nation", "GBR"),
    )
    terms = (
        *("--purpose", "government_purposes", "--valid-from", day(0)),
        *("--valid-until", "2029-12-31", "--territory", "fra"),
    )
    made = json.loads(
        ok(
            capsys,
            *("ip", "license", "--reference", "LIC-1", "--asset", "RES-1"),
            *("--licensor", "USAPL", "--licensee", "LOPT", *terms, "--json"),
        )
    )
    assert (made["licensee_id"], made["territory"], made["status"]) == (
        str(sonar.fra_lab),
        ["FRA"],
        "active",
    )
    code, _, err = run(
        capsys,
        *("ip", "license", "--reference", "LIC-2", "--asset", "RES-1"),
        *("--licensor", "LOPT", "--licensee", "UKDC", *terms),
    )
    assert code == 1 and "wider than the licensor holds" in err
    code, _, err = run(
        capsys,
        *("ip", "license", "--reference", "LIC-2", "--asset", "RES-1"),
        *("--licensor", "USAPL", "--licensee", "LOPT", "--purpose", "spying"),
        *("--valid-from", day(0), "--valid-until", "2029-12-31"),
    )
    assert code == 1 and "purposes" in err
    listed = json.loads(ok(capsys, "ip", "licences", "--json"))
    assert [lc["reference"] for lc in listed] == ["LIC-1"]
    ended = json.loads(
        ok(capsys, "ip", "terminate", "LIC-1", "--reason", "project closed", "--json")
    )
    assert ended["status"] == "terminated"
    code, _, err = run(capsys, "ip", "terminate", "LIC-1", "--reason", "again")
    assert code == 4 and "already terminated" in err
    code, _, err = run(capsys, "ip", "terminate", "LIC-9", "--reason", "unknown")
    assert code == 3 and "no licence 'LIC-9'" in err


def test_a_transfer_cannot_complete_while_its_objection_window_is_open(
    sonar: World, capsys: pytest.CaptureFixture[str]
) -> None:
    add_result(capsys)
    noticed = json.loads(
        ok(
            capsys,
            *("ip", "notify-transfer", "--reference", "TN-1", "--asset", "RES-1"),
            *("--kind", "assignment", "--transferor", "USAPL", "--transferee", "UKSL"),
            *("--share", "20", "--notified-on", day(0), "--json"),
        )
    )
    until = day(45)
    assert noticed["objection_until"] == until
    assert noticed["blockers"] == [f"the objection window is open until {until}"]
    code, _, err = run(capsys, "ip", "complete-transfer", "TN-1", "--completed-on", day(0))
    assert code == 4 and f"the objection window is open until {until}" in err
    code, _, err = run(
        capsys,
        *("ip", "object", "TN-1", "--organisation", "LOPT", "--lodged-on", day(0)),
        *("--reason", "not ours to say"),
    )
    assert code == 1 and "organisation_id: takes no part in MOU-USA-GBR" in err
    assert "TN-1" in ok(capsys, "ip", "transfers")
    code, _, err = run(capsys, "ip", "complete-transfer", "TN-9", "--completed-on", day(0))
    assert code == 3 and "no transfer notice 'TN-9'" in err
    shown = json.loads(ok(capsys, "ip", "asset", "RES-1", "--json"))
    assert sorted(o["share_percent"] for o in shown["owners"]) == [40, 60]


def test_a_transfer_whose_window_closed_completes_and_moves_the_share(
    sonar: World, capsys: pytest.CaptureFixture[str]
) -> None:
    add_result(capsys)
    ok(
        capsys,
        *("ip", "notify-transfer", "--reference", "TN-1", "--asset", "RES-1"),
        *("--kind", "assignment", "--transferor", "USAPL", "--transferee", "UKSL"),
        *("--share", "20", "--notified-on", day(-60)),
    )
    done = json.loads(
        ok(capsys, "ip", "complete-transfer", "TN-1", "--completed-on", day(0), "--json")
    )
    assert done["status"] == "completed"
    shown = json.loads(ok(capsys, "ip", "asset", "RES-1", "--json"))
    assert {o["organisation_id"]: o["share_percent"] for o in shown["owners"]} == {
        str(sonar.usa_lab): 40,
        str(sonar.gbr_lab): 60,
    }


def test_a_report_is_written_as_xlsx_or_printed_as_csv(
    sonar: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    add_result(capsys)
    out = tmp_path / "register.xlsx"
    written = ok(capsys, "ip", "report", "register", "--project", "SONAR", "-o", str(out))
    assert f"1 row(s) written to {out}" in written
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    cells = list(sheet.values)
    assert cells[0][:3] == ("Reference", "Kind", "Title")
    assert cells[1][:3] == ("RES-1", "result", "Sonar beamformer")
    assert "USAPL 60%; UKSL 40%" in cells[1]

    printed = ok(capsys, "ip", "report", "register")
    rows = list(csv.reader(io.StringIO(printed)))
    assert rows[0][:2] == ["Reference", "Kind"] and [r[0] for r in rows[1:]] == ["RES-1"]
    as_csv = tmp_path / "owners.csv"
    ok(capsys, "ip", "report", "ownership", "-o", str(as_csv))
    assert as_csv.read_text().splitlines() == [
        "Organisation,Background,Results (sole),Results (joint),Results (by share)",
        "UKSL,0,0,1,0.4",
        "USAPL,0,0,1,0.6",
    ]

    code, _, err = run(capsys, "ip", "report", "colours")
    assert code == 1 and "name:" in err
    code, _, err = run(capsys, "ip", "report", "register", "-o", str(tmp_path / "r.pdf"))
    assert code == 1 and "output:" in err
