"""Commands of releases (docs/cli.md, "Releases")."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from coalition.accounts.permissions import Principal
from coalition.cli.context import build, emit, operator, parse_uuid, settings, uow, uow_maker
from coalition.errors import ValidationFailed
from coalition.policy.facts import Purpose
from coalition.registry.cli import organisation_id
from coalition.releases import services
from coalition.releases.schemas import DecisionIn, PrecheckIn, RequestIn, WithdrawIn
from coalition.techdata.cli import person_id


def _as(for_person: str) -> Principal:
    """The operator acting as the requester: the items are those the requester may see."""
    return dataclasses.replace(operator(), person_id=person_id(for_person, "for"))


def _as_account(name: str | None) -> Principal:
    """The operator, or (``--as``) the operator acting under an account's name: approvals
    are never given by the requester, and requests are known by who made them."""
    principal = operator()
    return dataclasses.replace(principal, name=name) if name else principal


COLUMNS = ["reference", "status", "requested_by", "purpose", "items", "recipients"]


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

    @releases.command("submit")
    def submit(
        for_person: Annotated[str, typer.Option("--for", help="The requester (id or e-mail).")],
        artifact: Annotated[list[str], typer.Option(help="An artifact reference (repeat).")],
        recipient: Annotated[
            list[str], typer.Option(help="A recipient organisation, id or short name (repeat).")
        ],
        justification: Annotated[str, typer.Option(help="Why the partner needs it.")],
        purpose: Annotated[Purpose, typer.Option()] = Purpose.CARRYING_OUT_THE_PROJECT,
        value: Annotated[
            float | None, typer.Option(help="What the release is worth (value limits).")
        ] = None,
        quantity: Annotated[
            int | None, typer.Option(help="How many it counts as (quantity limits).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Submit a release request; refused with every blocker unless all may go."""
        data = build(
            RequestIn,
            artifact_references=artifact,
            recipient_organisation_ids=[organisation_id(r, "recipient") for r in recipient],
            purpose=purpose,
            justification=justification,
            value=value,
            quantity=quantity,
        )
        emit(services.submit(uow(), _as(for_person), data, settings()), as_json)

    @releases.command("list")
    def list_command(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Every release request on the node, newest first."""
        emit(services.list_requests(uow(), operator()), as_json, COLUMNS)

    @releases.command("show")
    def show(
        request: str, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
    ) -> None:
        """A request with its items, recipients and approvals (due dates, overdue)."""
        emit(services.get_request(uow(), operator(), parse_uuid(request, "request")), as_json)

    def _decide(request: str, key: str, approve: bool, reason: str, name: str | None) -> None:
        data = build(DecisionIn, approve=approve, reason=reason)
        emit(
            services.decide_approval(
                uow(), _as_account(name), parse_uuid(request, "request"), key, data
            ),
            False,
        )

    @releases.command("approve")
    def approve(
        request: str,
        approval: Annotated[str, typer.Option(help="The approval's key, e.g. classified:USA.")],
        reason: Annotated[str, typer.Option()],
        as_name: Annotated[
            str | None, typer.Option("--as", help="Record under this officer's account name.")
        ] = None,
    ) -> None:
        """Give one of a request's approvals."""
        _decide(request, approval, True, reason, as_name)

    @releases.command("reject")
    def reject(
        request: str,
        approval: Annotated[str, typer.Option(help="The approval's key, e.g. export:USA:ITAR.")],
        reason: Annotated[str, typer.Option()],
        as_name: Annotated[
            str | None, typer.Option("--as", help="Record under this officer's account name.")
        ] = None,
    ) -> None:
        """Refuse one of a request's approvals: the request is rejected."""
        _decide(request, approval, False, reason, as_name)

    @releases.command("withdraw")
    def withdraw(request: str, reason: Annotated[str, typer.Option()]) -> None:
        """Withdraw an open request."""
        data = build(WithdrawIn, reason=reason)
        emit(services.withdraw(uow(), operator(), parse_uuid(request, "request"), data), False)

    @releases.command("package")
    def package_command(
        request: str,
        recipient: Annotated[str, typer.Option(help="The recipient, id or short name.")],
        output: Annotated[
            Path, typer.Option("--output", "-o", help="The .tdf (or, for all items, .zip).")
        ],
        artifact: Annotated[
            str | None, typer.Option(help="One item's artifact id; default: every item.")
        ] = None,
    ) -> None:
        """Write an approved request's package for one recipient: one item's .tdf, or a
        zip of every item's. Each release is decided again, recorded, and carries its
        ledger receipt."""
        if output.exists():
            raise ValidationFailed.of("output", f"{output} exists; choose another name")
        if artifact is None:
            made = services.bundle(
                uow_maker(),
                operator(),
                parse_uuid(request, "request"),
                organisation_id(recipient, "recipient"),
                settings(),
            )
        else:
            made = services.package(
                uow_maker(),
                operator(),
                parse_uuid(request, "request"),
                parse_uuid(artifact, "artifact"),
                organisation_id(recipient, "recipient"),
                settings(),
            )
        output.write_bytes(made.data)
        typer.echo(f"{output}: {len(made.data)} bytes, ledger entry {made.ledger_index}")
