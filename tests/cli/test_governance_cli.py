"""`coalition governance` against a fresh SQLite node: a body set up with its members, a
meeting scheduled with its invitation, a vote in the meeting recorded by the secretary and
closed, minutes, an action item done, the clock; refusals exit 1 (invalid), 3 (not found),
4 (conflict) or 5 (not allowed) naming the field on stderr."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from coalition.accounts.permissions import Principal
from coalition.cli import context
from coalition.governance import services
from coalition.governance.schemas import MeetingIn

# `node` is a fixture of test_cli, used here by name.
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.governance_world import GovernanceWorld, make_governance_world

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def gw(node: Path, capsys: Capsys) -> GovernanceWorld:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_governance_world(context.uow, Principal.operator("test"), rule="majority")


def test_a_body_run_from_the_command_line(
    gw: GovernanceWorld, capsys: Capsys, tmp_path: Path
) -> None:
    made = json.loads(
        ok(
            capsys,
            "governance",
            "bodies",
            "create",
            "--code",
            "pmb-tri",
            "--name",
            "Management board",
            "--kind",
            "programme_management_board",
            "--agreement",
            "MOU-TRI",
            "--quorum",
            "50",
            "--json",
        )
    )
    assert (made["code"], made["rule"], made["quorum_percent"]) == (
        "PMB-TRI",
        "simple majority of votes cast",
        50,
    )
    for email in ("alice@usapl.example", "bob@uksl.example"):
        ok(capsys, "governance", "bodies", "add-member", "PMB-TRI", "--person", email)
    code, _, err = run(
        capsys, "governance", "bodies", "add-member", "PMB-TRI", "--person", "oscar@example.org"
    )
    assert code == 1 and "works for no party" in err
    code, _, err = run(capsys, "governance", "bodies", "show", "NOPE")
    assert code == 3
    start = datetime.now(UTC) + timedelta(hours=1)
    ok(
        capsys,
        "governance",
        "meetings",
        "schedule",
        "--reference",
        "PMB/M1",
        "--body",
        "PMB-TRI",
        "--title",
        "Board meeting",
        "--starts-at",
        start.isoformat(),
        "--ends-at",
        (start + timedelta(hours=2)).isoformat(),
        "--agenda",
        "Budget",
    )
    invitation = Calendar.from_ical(ok(capsys, "governance", "meetings", "invitation", "PMB/M1"))
    assert str(invitation.walk("VEVENT")[0]["summary"]) == "PMB-TRI: Board meeting"
    ok(
        capsys,
        "governance",
        "motions",
        "open",
        "--reference",
        "PMB/M1/1",
        "--body",
        "PMB-TRI",
        "--title",
        "Approve the budget",
        "--text",
        "The board approves the 2027 budget.",
        "--procedure",
        "meeting",
        "--meeting",
        "PMB/M1",
    )
    code, _, err = run(
        capsys, "governance", "motions", "vote", "PMB/M1/1",
        "--member", "alice@usapl.example", "--choice", "for",
    )  # fmt: skip
    assert code == 4 and "its votes are recorded and closed there" in err
    # A meeting under way: scheduled yesterday, started an hour ago.
    services.schedule_meeting(
        context.uow(),
        Principal.operator("test"),
        MeetingIn(
            reference="PMB/M0",
            body="PMB-TRI",
            title="Extraordinary board meeting",
            starts_at=start - timedelta(hours=2),
            ends_at=start + timedelta(hours=1),
        ),
        context.settings(),
        start - timedelta(days=1),
    )
    ok(
        capsys, "governance", "motions", "open", "--reference", "PMB/M0/1", "--body", "PMB-TRI",
        "--title", "Approve the budget", "--text", "The board approves the 2027 budget.",
        "--procedure", "meeting", "--meeting", "PMB/M0",
    )  # fmt: skip
    ok(
        capsys,
        "governance",
        "motions",
        "vote",
        "PMB/M0/1",
        "--member",
        "alice@usapl.example",
        "--choice",
        "for",
    )
    code, _, err = run(
        capsys,
        "governance",
        "motions",
        "vote",
        "PMB/M0/1",
        "--member",
        "alice@usapl.example",
        "--choice",
        "for",
    )
    assert code == 4 and "already voted" in err
    code, _, err = run(
        capsys,
        "governance",
        "motions",
        "vote",
        "PMB/M0/1",
        "--member",
        "dan@example.org",
        "--choice",
        "for",
    )
    assert code == 5 and "holds no seat" in err
    closed = json.loads(ok(capsys, "governance", "motions", "close", "PMB/M0/1", "--json"))
    assert closed["status"] == "carried"
    assert (
        closed["explanation"]
        == "carried by simple majority of votes cast: for 1 of 2 voting weight, 1 not voting"
    )
    listed = ok(capsys, "governance", "motions", "list", "--body", "PMB-TRI")
    assert "PMB/M0/1" in listed and "carried" in listed
    minutes = tmp_path / "minutes.txt"
    minutes.write_text("Budget approved.", encoding="utf-8")
    code, _, err = run(
        capsys, "governance", "meetings", "minutes", "PMB/M1", "--file", str(minutes)
    )
    assert code == 4 and "has not started" in err
    ok(
        capsys,
        "governance",
        "actions",
        "assign",
        "--reference",
        "PMB/A1",
        "--body",
        "PMB-TRI",
        "--title",
        "Send the budget",
        "--owner",
        "bob@uksl.example",
        "--due-on",
        (start + timedelta(days=3)).date().isoformat(),
    )
    done = json.loads(ok(capsys, "governance", "actions", "done", "PMB/A1", "--json"))
    assert done["status"] == "done"
    ticked = json.loads(ok(capsys, "governance", "tick", "--json"))
    assert ticked["motions_closed"] == []
    code, _, err = run(capsys, "governance", "tick", "--now", "yesterday")
    assert code == 1 and "not an ISO 8601 moment" in err
