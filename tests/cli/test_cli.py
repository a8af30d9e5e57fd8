"""The `coalition` command line: real commands against a fresh SQLite node."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from coalition.cli import context
from coalition.cli.main import main
from coalition.store.migrate import head_revision


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("COALITION_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("COALITION_DATABASE_URL", raising=False)
    context.settings.cache_clear()
    context._factory.cache_clear()
    yield tmp_path
    context.settings.cache_clear()
    context._factory.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    return out


@pytest.fixture
def ready(node: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    ok(
        capsys,
        "nations",
        "create",
        "--code",
        "GBR",
        "--currency",
        "GBP",
        "--scheme",
        "GBR",
        "--fy-month",
        "4",
    )
    ok(capsys, "nations", "create", "--code", "USA", "--currency", "USD", "--scheme", "USA")
    return node


def test_db_upgrade_creates_the_sqlite_file(node: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(capsys, "db", "upgrade")
    assert f"revision {head_revision()}" in out
    assert (node / "var" / "coalition.db").exists()


def test_create_and_list_organisations_as_json(
    ready: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    created = json.loads(
        ok(
            capsys,
            "organisations",
            "create",
            "--name",
            "UK Sensors Lab",
            "--short-name",
            "UKSL",
            "--kind",
            "lab",
            "--nation",
            "GBR",
            "--json",
        )
    )
    listed = json.loads(ok(capsys, "organisations", "list", "--json"))
    assert listed["total"] == 1 and listed["items"][0]["id"] == created["id"]
    shown = json.loads(ok(capsys, "organisations", "show", "uksl", "--json"))
    assert shown["name"] == "UK Sensors Lab"


def test_bad_country_code_names_the_option_and_exits_1(
    ready: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        "organisations",
        "create",
        "--name",
        "X",
        "--short-name",
        "X",
        "--kind",
        "lab",
        "--nation",
        "XX",
    )
    assert code == 1
    assert "nation-code" in err and "not an ISO 3166-1 alpha-3" in err


def test_duplicate_exits_4_and_unknown_exits_3(
    ready: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = (
        "organisations",
        "create",
        "--name",
        "A",
        "--short-name",
        "A",
        "--kind",
        "lab",
        "--nation",
        "GBR",
    )
    ok(capsys, *args)
    assert run(capsys, *args)[0] == 4
    code, _, err = run(capsys, "people", "show", "00000000-0000-0000-0000-000000000000")
    assert code == 3 and "no person" in err


def test_person_clearance_agreement_and_project_from_the_shell(
    ready: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, nation in (("UKSL", "GBR"), ("USAPL", "USA")):
        ok(
            capsys,
            "organisations",
            "create",
            "--name",
            f"{name} lab",
            "--short-name",
            name,
            "--kind",
            "lab",
            "--nation",
            nation,
        )
    person = json.loads(
        ok(
            capsys,
            "people",
            "create",
            "--given-name",
            "Bob",
            "--family-name",
            "Baker",
            "--email",
            "bob@uksl.example",
            "--employer",
            "UKSL",
            "--citizenship",
            "GBR",
            "--citizenship",
            "CAN",
            "--json",
        )
    )
    clearance = json.loads(
        ok(
            capsys,
            "clearances",
            "add",
            person["id"],
            "--issuer",
            "GBR",
            "--level",
            "SC",
            "--from",
            "2024-01-01",
            "--until",
            "2029-01-01",
            "--json",
        )
    )
    assert clearance["level"] == 3
    code, _, err = run(
        capsys, "clearances", "update", clearance["id"], "--status", "revoked", "--reason", "x"
    )
    assert code == 1 and "reason" in err  # too short: a reason must say something
    mou = json.loads(
        ok(
            capsys,
            "agreements",
            "create",
            "--reference",
            "MOU-1",
            "--title",
            "MoU",
            "--kind",
            "mou",
            "--party",
            "UKSL",
            "--party",
            "USAPL",
            "--from",
            "2020-01-01",
            "--ceiling",
            "3",
            "--releasable",
            "FVEY",
            "--json",
        )
    )
    ok(capsys, "agreements", "status", mou["id"], "--to", "in_force", "--reason", "signed")
    code, _, err = run(
        capsys, "agreements", "status", mou["id"], "--to", "draft", "--reason", "undo it"
    )
    assert code == 1 and "cannot go from in_force to draft" in err
    project = json.loads(
        ok(
            capsys,
            "projects",
            "create",
            "--code",
            "P1",
            "--title",
            "Fusion",
            "--agreement",
            mou["id"],
            "--lead",
            "USAPL",
            "--start",
            "2024-01-01",
            "--json",
        )
    )
    ok(
        capsys,
        "projects",
        "add-participant",
        project["id"],
        "--organisation",
        "UKSL",
        "--role",
        "partner",
        "--joined",
        "2024-02-01",
    )
    ok(
        capsys,
        "projects",
        "add-member",
        project["id"],
        "--person",
        person["id"],
        "--role",
        "researcher",
        "--joined",
        "2024-02-01",
    )
    ok(
        capsys,
        "projects",
        "add-milestone",
        project["id"],
        "--code",
        "M1",
        "--title",
        "Kick-off",
        "--due",
        "2024-03-01",
    )
    shown = json.loads(ok(capsys, "projects", "show", project["id"], "--json"))
    assert [m["person"]["family_name"] for m in shown["members"]] == ["Baker"]
    events = json.loads(ok(capsys, "events", "list", "--tag", "projects:", "--json"))
    assert {e["tag"] for e in events["items"]} >= {
        "projects:project:create",
        "projects:member:create",
    }


def test_admin_create_takes_the_password_from_the_environment(
    ready: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COALITION_NEW_PASSWORD", "short")
    code, _, err = run(capsys, "admin", "create", "--username", "root")
    assert code == 1 and "password" in err and "12 characters" in err
    monkeypatch.setenv("COALITION_NEW_PASSWORD", "a-long-enough-password")
    account = json.loads(ok(capsys, "admin", "create", "--username", "root", "--json"))
    assert account["roles"][0]["role"] == "node_admin"


def test_usage_errors_exit_2(ready: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "organisations", "create", "--name", "X")
    assert code == 2 and "Missing option" in err


def test_agreement_in_force_is_changed_with_its_amendment(
    ready: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(
        capsys,
        "organisations",
        "create",
        "--name",
        "L",
        "--short-name",
        "UKSL",
        "--kind",
        "lab",
        "--nation",
        "GBR",
    )
    mou = json.loads(
        ok(
            capsys,
            "agreements",
            "create",
            "--reference",
            "MOU-9",
            "--title",
            "MoU",
            "--kind",
            "mou",
            "--party",
            "UKSL",
            "--from",
            "2020-01-01",
            "--json",
        )
    )
    ok(capsys, "agreements", "status", mou["id"], "--to", "in_force", "--reason", "signed")
    code, _, err = run(capsys, "agreements", "update", mou["id"], "--until", "2031-01-01")
    assert code == 1 and "amendment" in err
    changed = json.loads(
        ok(
            capsys,
            "agreements",
            "update",
            mou["id"],
            "--until",
            "2031-01-01",
            "--amendment-title",
            "Extension",
            "--amendment-signed-on",
            "2026-01-01",
            "--amendment-from",
            "2026-02-01",
            "--json",
        )
    )
    assert changed["amendments"][0]["changed_fields"] == ["expires_on"]


def test_serve_refuses_a_database_behind_the_code(
    node: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "serve", "--port", "8799")
    assert code == 1 and "run `coalition db upgrade` first" in err


def test_policy_eval_answers_every_line_and_fails_on_a_bad_one(
    node: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "examples"
    out = ok(
        capsys,
        "policy",
        "eval",
        "--world",
        str(docs / "policy-world.json"),
        "--queries",
        str(docs / "policy-queries.jsonl"),
    )
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["permit"] for a in answers] == [True, False, False]
    bad = node / "bad.jsonl"
    bad.write_text('{"id": "broken"}\n')
    code, out, err = run(
        capsys, "policy", "eval", "--world", str(docs / "policy-world.json"), "--queries", str(bad)
    )
    assert code == 1 and "could not be answered" in err and '"error"' in out


def test_a_command_on_a_data_folder_never_set_up_says_what_to_run(
    node: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "organisations", "list")
    assert code == 1 and "run `coalition db upgrade`" in err
