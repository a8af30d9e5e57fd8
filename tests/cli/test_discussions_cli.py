"""`coalition discussions` against a fresh SQLite node: the operator starts a thread and
posts for named people (`--as`), each decided as that person; list, show and export see
every message; refusals exit 1 (invalid, naming the field) or 3 (not found)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.cli import context

# `node` is a fixture of test_cli, used here by name.
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.integration.test_discussions import EMAILS, Talk, make_talk

Capsys = pytest.CaptureFixture[str]
OPEN = ["--scheme", "USA", "--originator", "USA", "--banner", "UNCLASSIFIED//REL TO USA, GBR"]
SECRET = ["--scheme", "USA", "--originator", "USA", "--banner", "SECRET//REL TO USA, GBR"]


@pytest.fixture
def talk(node: Path, capsys: Capsys) -> Talk:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_talk(context.uow, Principal.operator("test"))


def test_a_thread_from_start_to_export(talk: Talk, capsys: Capsys, tmp_path: Path) -> None:
    started = json.loads(
        ok(
            capsys,
            "discussions",
            "start",
            "--as",
            EMAILS["alice"],
            "--subject-kind",
            "project",
            "--project",
            "SONAR",
            "--title",
            "Array calibration",
            *OPEN,
            "--body",
            "Which frequency?",
            "--json",
        )
    )
    thread, top = started["id"], started["messages"][0]["id"]
    assert started["messages"][0]["author"] == "Alice Archer"
    reply = json.loads(
        ok(
            capsys,
            "discussions",
            "post",
            thread,
            "--as",
            EMAILS["erin"],
            "--body",
            "3 kHz",
            "--reply-to",
            top,
            *SECRET,
            "--mention",
            EMAILS["alice"],
            "--json",
        )
    )
    assert (reply["depth"], reply["label"]["banner"]) == (1, "SECRET//REL TO USA, GBR")

    listed = json.loads(ok(capsys, "discussions", "list", "--project", "SONAR", "--json"))
    assert [(t["title"], t["message_count"]) for t in listed["items"]] == [("Array calibration", 2)]
    shown = ok(capsys, "discussions", "show", thread)
    assert shown.index("SECRET//REL TO USA, GBR") < shown.index("3 kHz")
    text = ok(capsys, "discussions", "export", thread)
    assert text.startswith("SECRET//REL TO USA, GBR\n") and "3 kHz" in text
    target = tmp_path / "thread.json"
    said = ok(capsys, "discussions", "export", thread, "--format", "json", "--output", str(target))
    assert "2 message(s) at SECRET//REL TO USA, GBR" in said
    assert json.loads(target.read_text())["highest_banner"] == "SECRET//REL TO USA, GBR"
    with context.uow() as unit:
        details = unit.session.scalar(
            select(Event.details)
            .where(Event.tag == "discussions:message:post")
            .order_by(Event.id.desc())
        )
    assert details is not None and details["for_person"] == str(talk.people["erin"])


def test_refusals_exit_with_their_code_and_name_the_field(talk: Talk, capsys: Capsys) -> None:
    started = json.loads(
        ok(
            capsys,
            "discussions",
            "start",
            "--as",
            EMAILS["alice"],
            "--subject-kind",
            "project",
            "--project",
            "SONAR",
            "--title",
            "Array calibration",
            *OPEN,
            "--json",
        )
    )
    code, _, err = run(
        capsys, "discussions", "post", started["id"], "--as", EMAILS["dave"], "--body", "x", *SECRET
    )
    assert code == 1 and "error: label: you may post only at a label you may read" in err
    code, _, err = run(
        capsys, "discussions", "post", started["id"], "--as", "nobody@x.example", "--body", "x"
    )
    assert code == 1 and "error: as:" in err
    code, _, err = run(
        capsys,
        "discussions",
        "start",
        "--as",
        EMAILS["frank"],
        "--subject-kind",
        "project",
        "--project",
        "SONAR",
        "--title",
        "Outsider",
        *OPEN,
    )
    assert code == 1 and "do not take part in project SONAR" in err
    code, _, err = run(capsys, "discussions", "show", "00000000-0000-0000-0000-000000000001")
    assert code == 3 and "no discussion" in err
    code, _, err = run(capsys, "discussions", "export", started["id"], "--format", "pdf")
    assert code == 1 and "format" in err
