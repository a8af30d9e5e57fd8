"""`coalition disputes`: disputes between the parties to an agreement, from the command
line. Disputes are named by reference, agreements by reference, organisations by short name
or id. `coalition disputes escalate-due` is meant for a scheduler (cron, a systemd timer)."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from coalition.cli.context import build, emit, operator, settings, uow
from coalition.disputes import services
from coalition.disputes.models import DisputeStatus, DisputeSubject
from coalition.disputes.schemas import DisputeIn, EscalationIn, SettlementIn, WithdrawalIn

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
COLUMNS = ["reference", "agreement", "status", "level_name", "level_due", "overdue"]


def register(app: typer.Typer) -> None:
    disputes = typer.Typer(
        help="Disputes between the parties to an agreement, up its escalation ladder.",
        no_args_is_help=True,
    )
    app.add_typer(disputes, name="disputes")

    def _found(reference: str) -> uuid.UUID:
        return services.dispute_id_for(uow(), operator(), reference)

    @disputes.command("list")
    def list_(
        agreement: Annotated[str | None, typer.Option(help="Agreement reference.")] = None,
        status: Annotated[DisputeStatus | None, typer.Option()] = None,
        subject: Annotated[DisputeSubject | None, typer.Option()] = None,
        overdue: Annotated[
            bool, typer.Option("--overdue", help="Only those whose level's time has run out.")
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Disputes, the soonest due first, with their level and the time left there."""
        emit(
            services.list_disputes(
                uow(),
                operator(),
                settings(),
                agreement=agreement,
                status=status,
                subject=subject,
                overdue=overdue,
            ),
            as_json,
            COLUMNS,
        )

    @disputes.command("show")
    def show(reference: str, as_json: JsonOpt = False) -> None:
        """One dispute, with its ladder and its history."""
        emit(services.get_dispute(uow(), operator(), _found(reference), settings()), as_json)

    @disputes.command("raise")
    def raise_(
        reference: Annotated[str, typer.Option()],
        agreement: Annotated[str, typer.Option(help="Agreement reference.")],
        subject: Annotated[DisputeSubject, typer.Option()],
        title: Annotated[str, typer.Option()],
        description: Annotated[str, typer.Option()],
        raised_by: Annotated[str, typer.Option(help="Raising organisation: short name or id.")],
        party: Annotated[list[str], typer.Option(help="Repeat: another party, short name or id.")],
        project: Annotated[str | None, typer.Option(help="Project code.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Raise a dispute under an agreement's dispute ladder."""
        data = build(
            DisputeIn,
            reference=reference,
            agreement=agreement,
            project=project,
            subject=subject,
            title=title,
            description=description,
            raised_by=raised_by,
            parties=party,
        )
        emit(services.raise_dispute(uow(), operator(), data, settings()), as_json)

    @disputes.command("escalate")
    def escalate(
        reference: str,
        reason: Annotated[str, typer.Option()],
        to_level: Annotated[
            int | None, typer.Option(help="The level to go to (from 1); default the next.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Take a dispute one level up by hand."""
        data = build(EscalationIn, to_level=to_level, reason=reason)
        emit(services.escalate(uow(), operator(), _found(reference), data, settings()), as_json)

    @disputes.command("settle")
    def settle(
        reference: str,
        outcome: Annotated[str, typer.Option(help="What the parties agreed.")],
        as_json: JsonOpt = False,
    ) -> None:
        """Record the settlement of a dispute."""
        data = build(SettlementIn, outcome=outcome)
        emit(services.settle(uow(), operator(), _found(reference), data, settings()), as_json)

    @disputes.command("withdraw")
    def withdraw(
        reference: str, reason: Annotated[str, typer.Option()], as_json: JsonOpt = False
    ) -> None:
        """Withdraw a dispute (the raising side)."""
        data = build(WithdrawalIn, reason=reason)
        emit(services.withdraw(uow(), operator(), _found(reference), data, settings()), as_json)

    @disputes.command("escalate-due")
    def escalate_due(as_json: JsonOpt = False) -> None:
        """Escalate every open dispute whose level's time has run out, level by level."""
        emit(
            services.escalate_due(uow(), operator(), settings()),
            as_json,
            ["reference", "agreement", "from_level", "to_level", "level_name", "exhausted"],
        )
