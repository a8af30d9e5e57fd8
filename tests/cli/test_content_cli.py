"""`coalition content`: the operator uploads and hands out content for a named person,
and the engine decides for that person; the demo programme gives the people."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import node, ok, run  # noqa: F401 - fixtures used by name

PRIYA = "priya.raman@cnsl.example"


def test_the_operator_uploads_and_hands_out_content_for_a_permitted_person_only(
    node: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    ok(capsys, "db", "upgrade")
    ok(capsys, "demo", "load")
    listed = json.loads(
        ok(capsys, "artifacts", "list", "--as", PRIYA, "--action", "download", "--json")
    )
    artifact = listed["items"][0]["id"]
    banner = listed["items"][0]["banner"]
    source = node / "trial.txt"
    source.write_text("Trial data\nline 2\n")
    made = json.loads(
        ok(capsys, "content", "upload", artifact, str(source), "--for", PRIYA, "--json")
    )
    assert made["number"] == 1 and made["content_type"] == "text/plain"
    versions = json.loads(ok(capsys, "content", "versions", artifact, "--for", PRIYA, "--json"))
    assert [v["number"] for v in versions] == [1]

    out = node / "out.txt"
    ok(capsys, "content", "download", artifact, "--for", PRIYA, "--output", str(out))
    lines = out.read_text().split("\n")
    assert lines[0] == banner and lines[-2] == banner and "Trial data" in lines

    # Someone of another nation, outside the project: nothing is written.
    other = node / "other.txt"
    code, _, err = run(
        capsys,
        *("content", "download", artifact, "--for", "henrik.dahl@aual.example"),
        *("--output", str(other)),
    )
    assert code != 0 and err and not other.exists()
    code, _, err = run(
        capsys, "content", "upload", artifact, str(node / "missing.txt"), "--for", PRIYA
    )
    assert code == 1 and "file" in err
