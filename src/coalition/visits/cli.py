"""`coalition visits`: requests for visit from the command line. Visits are named by
reference, people by id or e-mail, facilities by code. `coalition visits remind` is meant
for a daily scheduler (cron, a systemd timer)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import typer

from coalition.cli.context import build, emit, operator, settings, uow
from coalition.visits import services
from coalition.visits.models import VisitStatus
from coalition.visits.schemas import (
    ClearanceConfirmationIn,
    VisitCancelIn,
    VisitDecisionIn,
    VisitIn,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Text = Annotated[str | None, typer.Option()]
COLUMNS = [
    "reference",
    "visitor",
    "facility",
    "first_day",
    "last_day",
    "status",
    "waiting_for",
    "due",
    "standing",
]


def register(app: typer.Typer) -> None:
    from coalition.techdata.cli import person_id

    visits = typer.Typer(help="Requests for visit to partner facilities.", no_args_is_help=True)
    app.add_typer(visits, name="visits")

    def _found(reference: str) -> uuid.UUID:
        return services.visit_id_for(uow(), operator(), reference)

    @visits.command("list")
    def list_(
        status: Annotated[VisitStatus | None, typer.Option()] = None,
        facility: Annotated[str | None, typer.Option(help="Host facility code.")] = None,
        visitor: Annotated[str | None, typer.Option(help="Person id or e-mail.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Requests for visit, soonest first, with the step each waits for and when it is due."""
        emit(
            services.list_visits(
                uow(),
                operator(),
                settings(),
                status=status,
                facility=facility,
                visitor_id=person_id(visitor, "visitor") if visitor else None,
            ),
            as_json,
            COLUMNS,
        )

    @visits.command("show")
    def show(reference: str, as_json: JsonOpt = False) -> None:
        """One request for visit."""
        emit(services.get_visit(uow(), operator(), _found(reference), settings()), as_json)

    @visits.command("request")
    def request(
        reference: Annotated[str, typer.Option()],
        visitor: Annotated[str, typer.Option(help="Person id or e-mail.")],
        facility: Annotated[str, typer.Option(help="Host facility code.")],
        first_day: Annotated[str, typer.Option(help="YYYY-MM-DD, the facility's local day.")],
        last_day: Annotated[str, typer.Option()],
        purpose: Annotated[str, typer.Option()],
        project: Annotated[str | None, typer.Option(help="Project code.")] = None,
        booking: Annotated[str | None, typer.Option(help="Booking reference.")] = None,
        classified_access: Annotated[
            bool, typer.Option(help="Access to the facility's classified information.")
        ] = False,
        late_justification: Annotated[
            str | None, typer.Option(help="Why the host's lead time cannot be met.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Request a visit to a facility."""
        data = build(
            VisitIn,
            reference=reference,
            visitor_id=person_id(visitor, "visitor"),
            facility=facility,
            project=project,
            booking=booking,
            first_day=first_day,
            last_day=last_day,
            purpose=purpose,
            classified_access=classified_access,
            late_justification=late_justification,
        )
        emit(services.request_visit(uow(), operator(), data, settings()), as_json)

    @visits.command("confirm-clearance")
    def confirm(
        reference: str,
        outcome: Annotated[str, typer.Option(help="confirmed or refused")] = "confirmed",
        note: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The visitor's home security office confirms (or refuses) the clearance."""
        data = build(ClearanceConfirmationIn, outcome=outcome, note=note)
        emit(
            services.confirm_clearance(uow(), operator(), _found(reference), data, settings()),
            as_json,
        )

    @visits.command("decide")
    def decide(
        reference: str,
        outcome: Annotated[str, typer.Option(help="approved or rejected")],
        escort: Annotated[str | None, typer.Option(help="Escort: person id or e-mail.")] = None,
        note: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The host nation's security office approves or rejects the visit."""
        data = build(
            VisitDecisionIn,
            outcome=outcome,
            escort_id=person_id(escort, "escort") if escort else None,
            note=note,
        )
        emit(services.decide_visit(uow(), operator(), _found(reference), data, settings()), as_json)

    @visits.command("cancel")
    def cancel(
        reference: str, reason: Annotated[str, typer.Option()], as_json: JsonOpt = False
    ) -> None:
        """Cancel a requested or approved visit."""
        data = build(VisitCancelIn, reason=reason)
        emit(services.cancel_visit(uow(), operator(), _found(reference), data, settings()), as_json)

    @visits.command("remind")
    def remind(as_json: JsonOpt = False) -> None:
        """Record a reminder for every pending step due soon or overdue (once a day each)."""
        emit(
            services.send_reminders(uow(), operator(), settings()),
            as_json,
            ["reference", "waiting_for", "office", "due", "standing"],
        )

    @visits.command("lead-time")
    def lead_time(
        host: Annotated[str, typer.Option(help="Host nation, e.g. USA.")],
        requested_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today.")] = None,
    ) -> None:
        """The earliest first day of a visit to a host nation requested on a day."""
        from coalition.visits import rules

        nation = host.strip().upper()
        try:
            day = date.fromisoformat(requested_on) if requested_on else date.today()
        except ValueError:
            typer.echo(f"requested-on: '{requested_on}' is not a date (YYYY-MM-DD)", err=True)
            raise typer.Exit(1) from None
        days = services.lead_days(settings(), nation)
        earliest = rules.earliest_first_day(day, days, nation)
        typer.echo(f"{nation} needs {days} working days' notice: earliest first day {earliest}")
        for holiday, name in rules.holidays_between(day, earliest, nation):
            typer.echo(f"  not counted: {holiday} {name}")
