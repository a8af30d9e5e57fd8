"""Commands of releases (docs/cli.md, "Releases")."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from coalition.accounts.permissions import Principal
from coalition.cli.context import build, emit, operator, uow
from coalition.policy.facts import Purpose
from coalition.registry.cli import organisation_id
from coalition.releases import services
from coalition.releases.schemas import PrecheckIn
from coalition.techdata.cli import person_id


def _as(for_person: str) -> Principal:
    """The operator acting as the requester: the items are those the requester may see."""
    return dataclasses.replace(operator(), person_id=person_id(for_person, "for"))


def register(app: typer.Typer) -> None:
    releases = typer.Typer(help="Releases of technical data to partners.", no_args_is_help=True)
    app.add_typer(releases, name="releases")

    @releases.command("precheck")
    def precheck(
        for_person: Annotated[
            str, typer.Option("--for", help="The requester (id or e-mail): items they may see.")
        ],
        artifact: Annotated[list[str], typer.Option(help="An artifact reference (repeat).")],
        recipient: Annotated[
            list[str], typer.Option(help="A recipient organisation, id or short name (repeat).")
        ],
        purpose: Annotated[Purpose, typer.Option()] = Purpose.CARRYING_OUT_THE_PROJECT,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Check items against recipients before a request: blockers with remedies, and
        who must approve. Exits 0 either way; a script reads `permitted` and `pairs`."""
        data = build(
            PrecheckIn,
            artifact_references=artifact,
            recipient_organisation_ids=[organisation_id(r, "recipient") for r in recipient],
            purpose=purpose,
        )
        result = services.precheck(uow(), _as(for_person), data)
        if as_json:
            emit(result, True)
            return
        typer.echo(
            f"{result.permitted} of {result.pairs} item-recipient pairs may be released "
            f"for {result.purpose.value.replace('_', ' ')}."
        )
        for blocker in result.blockers:
            remedy = f" Remedy: {blocker.remedy}" if blocker.remedy else ""
            typer.echo(
                f"- {blocker.artifact_reference} to {blocker.recipient_name}: "
                f"{blocker.rule}: {blocker.reason}.{remedy}"
            )
        if result.approvals:
            typer.echo("Approvals needed: " + "; ".join(result.approvals))
        if result.obligations:
            typer.echo("Obligations: " + "; ".join(result.obligations))
