"""`coalition sso` against a fresh SQLite node: providers added, listed, updated,
disabled; subjects linked and unlinked. A refusal exits 1 naming the option, an unknown
provider or link exits 3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# `node` and `ready` are fixtures of test_cli, used here by name.
from tests.cli.test_cli import node, ok, ready, run  # noqa: F401

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def secret(ready: Path) -> Path:  # noqa: F811
    folder = ready / "var" / "sso"
    folder.mkdir(parents=True)
    (folder / "gbr.secret").write_text("s3cret-value")
    (folder / "gbr.secret").chmod(0o600)
    return folder / "gbr.secret"


ADD = [
    *("sso", "providers", "add", "--key", "gbr", "--nation-code", "GBR"),
    *("--display-name", "UK MOD Identity", "--issuer", "https://id.mod.example.gb"),
    *("--client-id", "coalition", "--client-secret-file", "gbr.secret"),
    *("--scope", "openid", "--scope", "coalition", "--may-assert", "clearance"),
]


def test_providers_from_the_command_line(secret: Path, capsys: Capsys) -> None:
    made = json.loads(ok(capsys, *ADD, "--json"))
    assert (made["key"], made["scopes"], made["may_assert"]) == (
        "gbr",
        ["openid", "coalition"],
        ["clearance"],
    )
    assert "s3cret-value" not in json.dumps(made)
    table = ok(capsys, "sso", "providers", "list")
    assert "gbr" in table and "UK MOD Identity" in table

    changed = json.loads(
        ok(
            capsys,
            *("sso", "providers", "update", "gbr", "--may-assert", "citizenship"),
            *("--may-assert", "clearance", "--display-name", "UK Defence ID", "--json"),
        )
    )
    assert changed["may_assert"] == ["citizenship", "clearance"]
    assert changed["display_name"] == "UK Defence ID"
    nothing = json.loads(
        ok(capsys, "sso", "providers", "update", "gbr", "--assert-nothing", "--json")
    )
    assert nothing["may_assert"] == []

    disabled = json.loads(ok(capsys, "sso", "providers", "disable", "gbr", "--json"))
    assert disabled["enabled"] is False
    enabled = json.loads(ok(capsys, "sso", "providers", "update", "gbr", "--enable", "--json"))
    assert enabled["enabled"] is True


def test_refusals_name_the_option(secret: Path, capsys: Capsys) -> None:
    code, _, err = run(capsys, *ADD[:-6], "--scope", "email")
    assert code == 1 and "error: scopes: must include 'openid'" in err
    secret.chmod(0o644)
    code, _, err = run(capsys, *ADD)
    assert code == 1 and "error: client_secret_file:" in err and "chmod 600" in err
    code, _, err = run(capsys, "sso", "providers", "disable", "nope")
    assert code == 3 and "no identity provider" in err


def _people(capsys: Capsys) -> None:
    """Bob, British, and Alice, American, each with an account."""
    for short, nation, given, citizenship in (
        ("UKSL", "GBR", "Bob", "GBR"),
        ("USAPL", "USA", "Alice", "USA"),
    ):
        ok(
            capsys,
            *("organisations", "create", "--name", f"{short} lab", "--short-name", short),
            *("--kind", "lab", "--nation", nation),
        )
        person = json.loads(
            ok(
                capsys,
                *("people", "create", "--given-name", given, "--family-name", "Baker"),
                *("--email", f"{given.lower()}@{short.lower()}.example", "--employer", short),
                *("--citizenship", citizenship, "--json"),
            )
        )
        ok(
            capsys,
            *("accounts", "create", "--username", given.lower(), "--password", "a-long-password"),
            *("--person", person["id"]),
        )


def test_links_from_the_command_line(secret: Path, capsys: Capsys) -> None:
    _people(capsys)
    ok(capsys, *ADD)
    made = json.loads(
        ok(capsys, "sso", "link", "gbr", "--subject", "uk|0001", "--account", "bob", "--json")
    )
    assert (made["provider"], made["subject"], made["account"]) == ("gbr", "uk|0001", "bob")
    listed = json.loads(ok(capsys, "sso", "links", "gbr", "--json"))
    assert [(k["subject"], k["account"]) for k in listed] == [("uk|0001", "bob")]
    assert "uk|0001" in ok(capsys, "sso", "links", "gbr")

    code, _, err = run(capsys, "sso", "link", "gbr", "--subject", "uk-2", "--account", "alice")
    assert code == 1 and "error: account: alice's person is not a GBR national on record" in err
    code, _, err = run(capsys, "sso", "link", "gbr", "--subject", "uk-2", "--account", "bob")
    assert code == 4 and "bob is linked to subject uk|0001 of gbr already" in err
    code, _, err = run(capsys, "sso", "link", "gbr", "--subject", " uk-2", "--account", "bob")
    assert code == 1 and "error: subject:" in err

    assert "unlinked" in ok(capsys, "sso", "unlink", "gbr", "--subject", "uk|0001")
    assert json.loads(ok(capsys, "sso", "links", "gbr", "--json")) == []
    code, _, err = run(capsys, "sso", "unlink", "gbr", "--subject", "uk|0001")
    assert code == 3 and "no link of subject uk|0001" in err
