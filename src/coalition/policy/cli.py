"""Commands of the decision engine: stateless evaluation for scripts and audits."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml

from coalition.cli.context import settings
from coalition.errors import ValidationFailed
from coalition.policy.schemes import LabelError, SchemeCatalogue, catalogue_from_mapping
from coalition.policy.worldfile import dumps, evaluate_lines, load_world, schemas
from coalition.registry.reference import SCHEMES_FILE


def shipped_catalogue() -> SchemeCatalogue:
    path = settings().effective_reference_dir / SCHEMES_FILE
    return catalogue_from_mapping(yaml.safe_load(path.read_text(encoding="utf-8")))


def register(app: typer.Typer) -> None:
    policy = typer.Typer(help="The release decision engine.", no_args_is_help=True)
    app.add_typer(policy, name="policy")

    @policy.command("eval")
    def policy_eval(
        world: Annotated[Path, typer.Option(help="World file (JSON), see docs/policy-eval.md.")],
        queries: Annotated[Path, typer.Option(help="Queries, one JSON object per line.")],
        output: Annotated[
            Path | None, typer.Option(help="Write answers here instead of to stdout.")
        ] = None,
    ) -> None:
        """Decide every query against a world file, one JSON line per answer.

        Uses the same engine as the service; no database is read or written.
        """
        try:
            data = json.loads(world.read_text(encoding="utf-8"))
            lines = queries.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ValidationFailed.of("file", str(exc)) from exc
        except json.JSONDecodeError as exc:
            raise ValidationFailed.of("world", f"is not valid JSON ({exc})") from exc
        try:
            loaded = load_world(data, shipped_catalogue())
        except LabelError as exc:
            raise ValidationFailed.of(exc.field, exc.message) from exc
        errors = 0
        sink = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            for answer in evaluate_lines(loaded, lines):
                errors += "error" in answer
                sink.write(dumps(answer) + "\n")
        finally:
            if output:
                sink.close()
        if errors:
            typer.echo(f"error: {errors} query line(s) could not be answered", err=True)
            raise typer.Exit(1)

    @policy.command("schema")
    def policy_schema(
        which: Annotated[str, typer.Argument(help="world or query")],
    ) -> None:
        """Print the JSON Schema of the world file or of a query line."""
        name = f"{which}.schema.json"
        if name not in schemas():
            raise ValidationFailed.of("which", "must be world or query")
        typer.echo(json.dumps(schemas()[name], indent=2))
