"""The documentation keeps up with the code: every command, setting, permission and role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import typer
from typer.core import TyperGroup

from coalition.accounts.permissions import Permission, Role
from coalition.cli.main import app
from coalition.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def command_paths(command: object, prefix: str = "coalition") -> Iterator[str]:
    """Every command a user can run, as the words they type: 'coalition projects create'.

    Typer builds its own group class (recent Typer no longer derives it from click.Group),
    so groups are recognised as TyperGroup.
    """
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from command_paths(sub, f"{prefix} {name}")
    else:
        yield prefix


def read(relative: str) -> str:
    return (DOCS / relative).read_text(encoding="utf-8")


def test_the_cli_walk_finds_top_level_and_grouped_commands() -> None:
    paths = set(command_paths(typer.main.get_command(app)))
    assert "coalition serve" in paths
    assert "coalition organisations create" in paths
    assert all(path.startswith("coalition ") for path in paths)


def test_every_cli_command_is_documented() -> None:
    text = read("cli.md")
    missing = sorted(
        path for path in command_paths(typer.main.get_command(app)) if f"### `{path}`" not in text
    )
    assert not missing, f"docs/cli.md has no '### `...`' heading for: {', '.join(missing)}"


def test_cli_reference_documents_every_exit_code() -> None:
    from coalition.cli.main import EXIT_CODES

    text = read("cli.md")
    missing = sorted(code for code in {0, 2, *EXIT_CODES.values()} if f"| `{code}` |" not in text)
    assert not missing, f"docs/cli.md has no exit-code table row for: {missing}"


def test_every_setting_is_documented_as_its_environment_variable() -> None:
    text = read("operator-guide.md")
    missing = sorted(
        f"COALITION_{name.upper()}"
        for name in Settings.model_fields
        if f"COALITION_{name.upper()}" not in text
    )
    assert not missing, f"docs/operator-guide.md does not mention: {', '.join(missing)}"


def test_every_permission_is_in_the_permission_table() -> None:
    text = read("permissions.md")
    missing = sorted(p.value for p in Permission if f"`{p.value}`" not in text)
    assert not missing, f"docs/permissions.md does not list: {', '.join(missing)}"


def test_every_role_has_its_own_guide() -> None:
    missing = sorted(
        f"docs/roles/{role.value.replace('_', '-')}.md"
        for role in Role
        if not (DOCS / "roles" / f"{role.value.replace('_', '-')}.md").is_file()
    )
    assert not missing, f"no role guide at: {', '.join(missing)}"


def test_index_links_every_guide_and_role_guide() -> None:
    text = read("index.md")
    pages = [*DOCS.glob("*.md"), *(DOCS / "roles").glob("*.md")]
    missing = sorted(
        page
        for page in (p.relative_to(DOCS).as_posix() for p in pages)
        if page != "index.md" and f"({page})" not in text
    )
    assert not missing, f"docs/index.md does not link: {', '.join(missing)}"


def test_the_federation_protocols_openapi_document_is_current() -> None:
    import json

    from coalition.federation.openapi import protocol_openapi

    kept = json.loads(read("federation-openapi.json"))
    assert kept == json.loads(json.dumps(protocol_openapi())), (
        "docs/federation-openapi.json is out of date: "
        "coalition federation openapi > docs/federation-openapi.json"
    )
    signed = {
        path
        for path, operations in kept["paths"].items()
        if all("security" in op for op in operations.values())
    }
    assert signed == set(kept["paths"]) - {"/federation/v1/node"}
