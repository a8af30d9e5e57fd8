"""`coalition projects update-member / update-participant / update-work-package` against a
fresh SQLite node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coalition.accounts.permissions import Principal
from coalition.cli import context

# `node` is a fixture of test_cli, used here by name.
from tests.cli.test_cli import node, ok, run  # noqa: F401
from tests.factories import World, make_world


@pytest.fixture
def world(node: Path, capsys: pytest.CaptureFixture[str]) -> World:  # noqa: F811
    ok(capsys, "db", "upgrade")
    ok(capsys, "reference", "load")
    return make_world(context.uow, Principal.operator("test"))


@pytest.fixture
def project(world: World, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """SENSE led by USAPL, UKSL a partner, Bob (UKSL) on the team, WP1 led by USAPL."""
    created = json.loads(
        ok(
            capsys,
            *("projects", "create", "--code", "SENSE", "--title", "Sensor fusion"),
            *("--agreement", str(world.mou), "--lead", "USAPL"),
            *("--start", "2024-01-01", "--end", "2028-01-01"),
            "--json",
        )
    )
    project_id = created["id"]
    ok(
        capsys,
        *("projects", "add-participant", project_id, "--organisation", "UKSL"),
        *("--role", "partner", "--joined", "2024-02-01"),
    )
    ok(
        capsys,
        *("projects", "add-member", project_id, "--person", str(world.bob)),
        *("--role", "researcher", "--joined", "2024-02-01"),
    )
    ok(
        capsys,
        *("projects", "add-work-package", project_id, "--code", "WP1", "--title", "Fusion"),
        *("--lead", "USAPL", "--description", "Trials"),
    )
    shown: dict[str, Any] = json.loads(ok(capsys, "projects", "show", project_id, "--json"))
    return shown


def test_update_member_changes_role_and_end_and_clears_the_end(
    project: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    member = project["members"][0]["id"]
    changed = json.loads(
        ok(
            capsys,
            *("projects", "update-member", member, "--role", "observer", "--left", "2025-01-01"),
            "--json",
        )
    )
    assert (changed["role"], changed["left_on"]) == ("observer", "2025-01-01")
    cleared = json.loads(ok(capsys, "projects", "update-member", member, "--clear-left", "--json"))
    assert cleared["left_on"] is None and cleared["role"] == "observer"


def test_update_member_refuses_bad_dates_and_mixed_options_with_exit_1(
    project: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    member = project["members"][0]["id"]
    code, _, err = run(capsys, "projects", "update-member", member, "--left", "2024-01-15")
    assert code == 1 and "left_on" in err and "before joined_on" in err
    code, _, err = run(
        capsys, "projects", "update-member", member, "--left", "2025-01-01", "--clear-left"
    )
    assert code == 1 and "clear-left" in err


def test_update_participant_keeps_a_lead(
    project: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    lead, partner = (p["id"] for p in project["participants"])
    code, _, err = run(capsys, "projects", "update-participant", lead, "--role", "partner")
    assert code == 1 and "appoint another lead first" in err
    promoted = json.loads(
        ok(capsys, "projects", "update-participant", partner, "--role", "lead", "--json")
    )
    assert promoted["role"] == "lead"
    ok(capsys, "projects", "update-participant", lead, "--role", "partner")


def test_update_work_package_changes_lead_and_clears_the_description(
    project: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    wp = project["work_packages"][0]["id"]
    changed = json.loads(
        ok(
            capsys,
            *("projects", "update-work-package", wp, "--lead", "UKSL", "--title", "Trials"),
            *("--clear-description", "--json"),
        )
    )
    assert changed["lead_organisation"]["short_name"] == "UKSL"
    assert (changed["title"], changed["description"]) == ("Trials", None)
    code, _, err = run(capsys, "projects", "update-work-package", wp, "--lead", "LOPT")
    assert code == 1 and "lead_organisation_id" in err
    events = json.loads(ok(capsys, "events", "list", "--tag", "projects:work_package", "--json"))
    assert events["items"][0]["tag"] == "projects:work_package:update"


def test_a_member_is_on_the_team_for_the_participation_of_their_employer(
    project: dict[str, Any],
) -> None:
    uksl = project["participants"][1]
    assert project["members"][0]["participant_id"] == uksl["id"]


def test_add_participant_after_the_project_ends_exits_1_naming_joined_on(
    project: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        *("projects", "add-participant", project["id"], "--organisation", "UKSL"),
        *("--role", "observer", "--joined", "2028-02-01"),
    )
    assert code == 1 and "joined_on" in err and "after the project ends (2028-01-01)" in err


def test_unknown_ids_exit_3(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    for command in ("update-member", "update-participant", "update-work-package"):
        code, _, err = run(capsys, "projects", command, missing, "--json")
        assert code == 3 and "no " in err, command
