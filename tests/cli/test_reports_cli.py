"""`coalition report` against a fresh SQLite node: generate a quarter's report (and write its
PDF), list and show it (what it says, for a person the engine lets read it), schedule
reports and run those due, and a project's progress; refusals exit 1 (invalid) or 3 (not
found) with the field named on stderr.

The world is tests/integration/test_reports.py's; the CLI acts as the node's operator."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from coalition.accounts.permissions import Principal
from coalition.cli import context
from coalition.reports import rules
from coalition.reports.models import Frequency

# `node` is a fixture of test_cli, used here by name.
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.integration.test_reports import (
    BANNER,
    PROJECT,
    SECRET_TITLE,
    ReportWorld,
    make_report_world,
)

Capsys = pytest.CaptureFixture[str]
QUARTER = ("--project", PROJECT, "--from", "2026-01-01", "--to", "2026-03-31")


@pytest.fixture
def rw(node: Path, capsys: Capsys) -> ReportWorld:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_report_world(context.uow, Principal.operator("test"))


def test_a_report_from_generating_to_reading(
    rw: ReportWorld, capsys: Capsys, tmp_path: Path
) -> None:
    written = tmp_path / "q1.pdf"
    made = json.loads(
        ok(capsys, "report", "generate", *QUARTER, "--output", str(written), "--json")
    )
    assert (made["reference"], made["banner"]) == ("RPT-RADAR-2026-Q1", BANNER)
    reader = PdfReader(io.BytesIO(written.read_bytes()))
    text = "".join(p.extract_text() for p in reader.pages)
    assert text.count(BANNER) >= 2 * len(reader.pages)
    assert "1. Progress against plan" in text and SECRET_TITLE not in text
    code, _, err = run(capsys, "report", "generate", *QUARTER, "--output", str(written))
    assert code == 1 and "output" in err  # an existing file is never overwritten
    assert "RPT-RADAR-2026-Q1-2" in ok(capsys, "report", "generate", *QUARTER)  # a second one
    listed = json.loads(ok(capsys, "report", "list", "--project", PROJECT, "--json"))
    assert [r["reference"] for r in listed] == ["RPT-RADAR-2026-Q1-2", "RPT-RADAR-2026-Q1"]
    assert "2026-Q1" in ok(capsys, "report", "list")
    shown = json.loads(ok(capsys, "report", "show", "RPT-RADAR-2026-Q1", "--json"))
    assert shown["id"] == made["id"]
    read = json.loads(
        ok(capsys, "report", "show", made["id"], "--for", "paula@usapl.example", "--json")
    )
    assert read["content"]["releases"]["counts"] == [
        {"nation": "GBR", "level": "CONFIDENTIAL", "items": 1}
    ]
    assert "1 item(s) released" in ok(
        capsys, "report", "show", made["id"], "--for", "paula@usapl.example"
    )
    code, _, err = run(capsys, "report", "show", made["id"], "--for", "bob@uksl.example")
    assert code == 3 and "no report with this id" in err
    code, _, err = run(capsys, "report", "show", "RPT-NOPE")
    assert code == 3


def test_refusals_name_the_option(rw: ReportWorld, capsys: Capsys) -> None:
    code, _, err = run(
        capsys,
        "report",
        "generate",
        "--project",
        PROJECT,
        "--from",
        "2024-10-01",
        "--to",
        "2024-12-31",
    )
    assert code == 1 and "period_start" in err and "2025-01-01" in err
    code, _, err = run(capsys, "report", "generate", "--from", "2026-01-01", "--to", "2026-03-31")
    assert code == 1 and "--project or --agreement" in err
    code, _, err = run(
        capsys, "report", "generate", *QUARTER[:2], "--from", "spring", "--to", "2026-03-31"
    )
    assert code == 1 and "period-start" in err


def test_schedules_and_the_run_of_those_due(rw: ReportWorld, capsys: Capsys) -> None:
    made = json.loads(
        ok(
            capsys,
            "report",
            "schedule",
            "--project",
            PROJECT,
            "--every",
            "quarterly",
            "--from",
            "2026-01-01",
            "--json",
        )
    )
    assert made["next_period_start"] == "2026-01-01"
    owed = [
        p.label()
        for p in rules.ended_periods(
            date(2026, 1, 1), Frequency.QUARTERLY, datetime.now(UTC).date()
        )
    ]
    done = json.loads(ok(capsys, "report", "run-due", "--json"))
    assert [r["period"] for r in done["generated"]] == owed
    assert "nothing due" in ok(capsys, "report", "run-due")
    listed = json.loads(ok(capsys, "report", "schedules", "--json"))
    assert [s["reports"] for s in listed] == [len(owed)]
    assert "RADAR" in ok(capsys, "report", "schedules")
    stopped = json.loads(ok(capsys, "report", "unschedule", made["id"], "--json"))
    assert stopped["active"] is False


def test_progress(rw: ReportWorld, capsys: Capsys) -> None:
    found = json.loads(ok(capsys, "report", "progress", PROJECT, "--on", "2026-04-01", "--json"))
    assert [m["state"] for m in found["milestones"]] == ["achieved", "late", "planned"]
    text = ok(capsys, "report", "progress", PROJECT, "--on", "2026-04-01")
    assert "Waveform library" in text and "No technology readiness level" in text
    code, _, err = run(capsys, "report", "progress", "NOPE")
    assert code == 3
    code, _, err = run(capsys, "report", "progress", PROJECT, "--on", "soon")
    assert code == 1 and "on" in err
