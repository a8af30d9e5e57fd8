"""`coalition visits` against a fresh SQLite node: request (the visitor and escort by e-mail),
list, show, the home office's confirmation, the host's decision, cancel, reminders and the
lead-time calculator; refusals exit 1 (invalid), 3 (not found) or 4 (conflict) with the
field named on stderr."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from coalition.accounts.permissions import Principal
from coalition.cli import context

# `node` is a fixture of test_cli, used here by name.
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.facility_world import EMAILS, PROJECT, TUNNEL, FacilityWorld, make_facility_world

FIRST = date.today() + timedelta(days=70)
LAST = FIRST + timedelta(days=1)
Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def fw(node: Path, capsys: Capsys) -> FacilityWorld:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_facility_world(context.uow, Principal.operator("test"))


def request_args(reference: str = "RFV-1", **changes: Any) -> list[str]:
    options: dict[str, Any] = {
        "reference": reference,
        "visitor": EMAILS["carol"],
        "facility": TUNNEL,
        "project": PROJECT,
        "first-day": FIRST.isoformat(),
        "last-day": LAST.isoformat(),
        "purpose": "Witness the inlet calibration runs",
    } | changes
    args = ["visits", "request", "--classified-access"]
    for name, value in options.items():
        args += [f"--{name}", str(value)]
    return args


def test_a_visit_from_request_to_approval(fw: FacilityWorld, capsys: Capsys) -> None:
    made = json.loads(ok(capsys, *request_args(), "--json"))
    assert (made["status"], made["waiting_for"], made["classified_access"]) == (
        "requested",
        "clearance",
        True,
    )
    listed = json.loads(ok(capsys, "visits", "list", "--json"))
    assert [(v["reference"], v["waiting_for"]) for v in listed] == [("RFV-1", "clearance")]
    code, _, err = run(capsys, "visits", "decide", "RFV-1", "--outcome", "approved")
    assert code == 4 and "clearance has not been confirmed" in err
    confirmed = json.loads(ok(capsys, "visits", "confirm-clearance", "RFV-1", "--json"))
    assert confirmed["waiting_for"] == "host" and confirmed["clearance"].startswith("GBR SC")
    code, _, err = run(capsys, "visits", "decide", "RFV-1", "--outcome", "approved")
    assert code == 1 and "escort_id" in err and "an escort is required" in err
    approved = json.loads(
        ok(
            capsys,
            "visits",
            "decide",
            "RFV-1",
            "--outcome",
            "approved",
            "--escort",
            EMAILS["grace"],
            "--json",
        )
    )
    assert (approved["status"], approved["escort"]) == ("approved", "Grace Gould")
    shown = json.loads(ok(capsys, "visits", "show", "RFV-1", "--json"))
    assert shown["decided_by"].startswith("operator:")
    cancelled = json.loads(
        ok(capsys, "visits", "cancel", "RFV-1", "--reason", "trials moved", "--json")
    )
    assert cancelled["status"] == "cancelled"
    assert json.loads(ok(capsys, "visits", "remind", "--json")) == []


def test_refusals_exit_non_zero_naming_the_field(fw: FacilityWorld, capsys: Capsys) -> None:
    soon = date.today() + timedelta(days=2)
    code, _, err = run(
        capsys, *request_args(**{"first-day": soon.isoformat(), "last-day": soon.isoformat()})
    )
    assert code == 1 and "first_day" in err and "working days' notice" in err
    code, _, err = run(capsys, *request_args(visitor="nobody@nowhere.example"))
    assert code != 0 and "nobody@nowhere.example" in err
    code, _, err = run(capsys, *request_args(**{"last-day": "tomorrow"}))
    assert code == 1 and "last-day" in err
    code, _, err = run(capsys, "visits", "show", "RFV-NONE")
    assert code == 3 and "no visit 'RFV-NONE'" in err
    code, _, err = run(capsys, "visits", "confirm-clearance", "RFV-NONE")
    assert code == 3
    code, _, err = run(capsys, "visits", "lead-time", "--host", "USA", "--requested-on", "x")
    assert code == 1 and "requested-on" in err


def test_the_lead_time_calculator_names_the_holidays(fw: FacilityWorld, capsys: Capsys) -> None:
    out = ok(capsys, "visits", "lead-time", "--host", "gbr", "--requested-on", "2026-12-14")
    assert "GBR needs 20 working days' notice: earliest first day 2027-01-14" in out
    assert "not counted: 2026-12-25 Christmas Day" in out
