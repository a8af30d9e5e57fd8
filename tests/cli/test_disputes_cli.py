"""`coalition disputes` against a fresh SQLite node: raise (organisations by short name),
list, show, escalate (a skipped level refused naming `to_level`), settle, withdraw and the
automatic run; refusals exit 1 (invalid), 3 (not found) or 4 (conflict) with the field
named on stderr."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coalition.accounts.permissions import Principal
from coalition.cli import context
from coalition.disputes import services

# `node` is a fixture of test_cli, used here by name.
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.integration.test_disputes import (
    AGREEMENT,
    PROJECT,
    DisputeWorld,
    actor_of,
    command,
    make_dispute_world,
)

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def dw(node: Path, capsys: Capsys) -> DisputeWorld:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_dispute_world(context.uow, Principal.operator("test"))


def raise_args(reference: str = "DSP-1", *parties: str) -> list[str]:
    args = [
        "disputes",
        "raise",
        "--reference",
        reference,
        "--agreement",
        AGREEMENT,
        "--project",
        PROJECT,
        "--subject",
        "funding",
        "--title",
        "Share of the trials' cost",
        "--description",
        "UKSL has not paid its share.",
        "--raised-by",
        "USAPL",
    ]
    for party in parties or ("UKSL",):
        args += ["--party", party]
    return args


def test_a_dispute_from_raising_to_settlement(dw: DisputeWorld, capsys: Capsys) -> None:
    made = json.loads(ok(capsys, *raise_args(), "--json"))
    assert (made["level"], made["level_name"], made["status"]) == (1, "Project officers", "open")
    listed = json.loads(ok(capsys, "disputes", "list", "--agreement", AGREEMENT, "--json"))
    assert [(d["reference"], d["level"]) for d in listed] == [("DSP-1", 1)]
    assert "DSP-1" in ok(capsys, "disputes", "list")
    code, _, err = run(
        capsys, "disputes", "escalate", "DSP-1", "--to-level", "3", "--reason", "x y"
    )
    assert code == 1 and "to_level" in err and "may not skip a level" in err
    up = json.loads(ok(capsys, "disputes", "escalate", "DSP-1", "--reason", "no answer", "--json"))
    assert (up["level"], up["level_name"]) == (2, "Steering committee")
    shown = json.loads(ok(capsys, "disputes", "show", "DSP-1", "--json"))
    assert [s["kind"] for s in shown["steps"]] == ["raised", "escalated"]
    assert shown["steps"][-1]["by"].startswith("operator:")
    settled = json.loads(
        ok(capsys, "disputes", "settle", "DSP-1", "--outcome", "UKSL pays in March", "--json")
    )
    assert (settled["status"], settled["outcome"]) == ("resolved", "UKSL pays in March")
    code, _, err = run(capsys, "disputes", "withdraw", "DSP-1", "--reason", "moot")
    assert code == 4 and "the dispute is resolved" in err
    made = json.loads(ok(capsys, *raise_args("DSP-2", "UKSL", "LOPT"), "--json"))
    assert [p["short_name"] for p in made["parties"]] == ["USAPL", "LOPT", "UKSL"]
    gone = json.loads(ok(capsys, "disputes", "withdraw", "DSP-2", "--reason", "paid", "--json"))
    assert gone["status"] == "withdrawn"


def test_refusals_exit_non_zero_naming_the_field(dw: DisputeWorld, capsys: Capsys) -> None:
    code, _, err = run(capsys, *raise_args("DSP-1", "USNL"))
    assert code == 1 and "parties" in err and "USNL is not party to PA-SENSORS" in err
    code, _, err = run(capsys, *raise_args("D"))
    assert code == 1 and "reference" in err
    code, _, err = run(capsys, *[a if a != "funding" else "weather" for a in raise_args()])
    assert code == 2 and "weather" in err  # not one of the subjects: Typer's own usage error
    code, _, err = run(capsys, "disputes", "show", "DSP-NONE")
    assert code == 3 and "no dispute 'DSP-NONE'" in err
    code, _, err = run(capsys, "disputes", "escalate", "DSP-NONE", "--reason", "why not")
    assert code == 3


def test_the_automatic_run_for_a_scheduler(dw: DisputeWorld, capsys: Capsys) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=100)
    services.raise_dispute(
        context.uow(),
        actor_of(context.uow, dw, "alice"),
        command("DSP-OLD"),
        context.settings(),
        now=long_ago,
    )
    ok(capsys, *raise_args("DSP-NEW"))
    overdue = json.loads(ok(capsys, "disputes", "list", "--overdue", "--json"))
    assert [d["reference"] for d in overdue] == ["DSP-OLD"]
    done = json.loads(ok(capsys, "disputes", "escalate-due", "--json"))
    assert [(d["reference"], d["from_level"], d["to_level"]) for d in done] == [("DSP-OLD", 1, 3)]
    assert json.loads(ok(capsys, "disputes", "escalate-due", "--json")) == []
    assert "reference" in ok(capsys, "disputes", "escalate-due")
    assert json.loads(ok(capsys, "disputes", "list", "--overdue", "--json")) == []
