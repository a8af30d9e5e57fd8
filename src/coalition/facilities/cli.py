"""`coalition facilities`: the facility catalogue from the command line. Facilities are named
by code, organisations by short name; a label by its banner and scheme."""

from __future__ import annotations

import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, cast

import typer

from coalition.cli.context import build, emit, operator, parse_uuid, uow
from coalition.common import tables
from coalition.errors import ValidationFailed
from coalition.facilities import charts, quotas, reports, services
from coalition.facilities.models import FacilityKind, FacilityStatus, QuotaPeriod, RateUnit
from coalition.facilities.schemas import ClosureIn, FacilityIn, FacilityUpdate, QuotaIn

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Text = Annotated[str | None, typer.Option()]
COLUMNS = ["code", "name", "kind", "organisation", "location", "capabilities", "status"]
Hours = Annotated[
    list[str] | None,
    typer.Option("--hours", help="Repeat: DAY=HH:MM-HH:MM, e.g. mon=08:00-18:00."),
]


def _hours(values: list[str] | None) -> dict[str, str] | None:
    if values is None:
        return None
    return {day.strip(): span.strip() for day, _, span in (v.partition("=") for v in values)}


def _label(banner: str | None, scheme: str | None, originator: str | None) -> dict[str, str] | None:
    if banner is None:
        return None
    return {"banner": banner, "scheme": scheme or "", "originator": originator or ""}


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed.of(option, f"'{value}' is not a date (YYYY-MM-DD)") from None


QUOTA_COLUMNS = ["holder_kind", "project", "nation", "period", "hours", "held_hours", "set_by"]
Project = Annotated[str | None, typer.Option(help="Project code.")]
NationOpt = Annotated[str | None, typer.Option("--nation", help="Nation (alpha-3).")]


def register(app: typer.Typer) -> None:
    facilities = typer.Typer(help="The catalogue of shared facilities.", no_args_is_help=True)
    app.add_typer(facilities, name="facilities")
    quota = typer.Typer(
        help="Booked hours a project or nation may hold per period.", no_args_is_help=True
    )
    facilities.add_typer(quota, name="quota")

    @quota.command("list")
    def quota_list(code: str, as_json: JsonOpt = False) -> None:
        """A facility's quotas, with the hours held in the current period."""
        found = services.facility_id_for(uow(), operator(), code)
        emit(quotas.list_quotas(uow(), operator(), found), as_json, QUOTA_COLUMNS)

    @quota.command("set")
    def quota_set(
        code: str,
        period: Annotated[QuotaPeriod, typer.Option()],
        hours: Annotated[str, typer.Option(help="Hours per period, e.g. 20 or 7.5.")],
        project: Project = None,
        nation: NationOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Set (or replace) the quota of a project or a nation for a period."""
        data = build(QuotaIn, project=project, nation=nation, period=period, hours=hours)
        found = services.facility_id_for(uow(), operator(), code)
        emit(quotas.set_quota(uow(), operator(), found, data), as_json)

    @quota.command("remove")
    def quota_remove(
        code: str,
        period: Annotated[QuotaPeriod, typer.Option()],
        project: Project = None,
        nation: NationOpt = None,
    ) -> None:
        """Remove the quota of a project or a nation for a period."""
        found = services.facility_id_for(uow(), operator(), code)
        quota_id = quotas.quota_id_for(
            uow(), operator(), found, project=project, nation=nation, period=period
        )
        quotas.remove_quota(uow(), operator(), found, quota_id)
        sys.stdout.write(f"Removed the {period} quota of {project or nation} at {code}.\n")

    @facilities.command("utilisation")
    def utilisation(
        code: str,
        first: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
        last: Annotated[str, typer.Option("--to", help="Last day, included.")],
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="Write .csv, .xlsx or .svg (timeline)."),
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Hours open, requested, approved, used, no-show and cancelled, and utilisation,
        per project and nation; as CSV on the terminal, or a file."""
        found = services.facility_id_for(uow(), operator(), code)
        report = reports.utilisation(
            uow(), operator(), found, _day(first, "from"), _day(last, "to")
        )
        if as_json:
            emit(report, True)
            return
        table = reports.utilisation_table(report)
        if output is None:
            sys.stdout.write(tables.as_csv(table).decode("utf-8"))
            return
        suffix = output.suffix.lower().lstrip(".")
        if suffix == "svg":
            output.write_text(charts.timeline_chart(report), encoding="utf-8")
            return
        if suffix not in ("csv", "xlsx"):
            raise ValidationFailed.of("output", "name a .csv, .xlsx or .svg file")
        output.write_bytes(tables.render(table, cast(tables.Format, suffix)))

    @facilities.command("list")
    def list_(
        q: Annotated[
            str | None, typer.Option(help="Search code, name, place, capabilities.")
        ] = None,
        kind: Annotated[FacilityKind | None, typer.Option()] = None,
        capability: Annotated[str | None, typer.Option(help="A code or branch, e.g. aero.")] = None,
        nation: Text = None,
        include_retired: bool = False,
        as_json: JsonOpt = False,
    ) -> None:
        """List the facilities of the catalogue."""
        emit(
            services.list_facilities(
                uow(),
                operator(),
                q=q,
                kind=kind,
                capability=capability,
                nation=nation,
                include_retired=include_retired,
            ),
            as_json,
            COLUMNS,
        )

    @facilities.command("show")
    def show(code: str, as_json: JsonOpt = False) -> None:
        """Show one facility."""
        facility = services.facility_id_for(uow(), operator(), code)
        emit(services.get_facility(uow(), operator(), facility), as_json)

    @facilities.command("add")
    def add(
        code: Annotated[str, typer.Option()],
        name: Annotated[str, typer.Option()],
        kind: Annotated[FacilityKind, typer.Option()],
        organisation: Annotated[str, typer.Option(help="Owner's short name.")],
        location: Annotated[str, typer.Option()],
        time_zone: Annotated[str, typer.Option(help="IANA zone, e.g. Europe/London.")],
        banner: Annotated[str, typer.Option(help="Label banner, e.g. 'SECRET//REL TO USA, GBR'.")],
        scheme: Annotated[str, typer.Option(help="Scheme of the banner, e.g. GBR.")],
        originator: Annotated[str, typer.Option(help="Nation that labels it.")],
        capability: Annotated[
            list[str] | None, typer.Option(help="Repeat: e.g. aero.hypersonic.")
        ] = None,
        description: Text = None,
        tcp: Annotated[bool, typer.Option(help="A technology control plan applies.")] = False,
        capacity: int = 1,
        rate: Text = None,
        rate_currency: Text = None,
        rate_unit: Annotated[RateUnit | None, typer.Option()] = None,
        hours: Hours = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Add a facility to the catalogue."""
        data = build(
            FacilityIn,
            code=code,
            name=name,
            kind=kind,
            organisation=organisation,
            location=location,
            time_zone=time_zone,
            label=_label(banner, scheme, originator),
            capabilities=capability,
            description=description,
            tcp_applies=tcp,
            capacity=capacity,
            rate=rate,
            rate_currency=rate_currency,
            rate_unit=rate_unit,
            opening_hours=_hours(hours),
        )
        emit(services.create_facility(uow(), operator(), data), as_json)

    @facilities.command("update")
    def update(
        code: str,
        name: Text = None,
        location: Text = None,
        time_zone: Text = None,
        description: Text = None,
        capability: Annotated[list[str] | None, typer.Option(help="Replaces all.")] = None,
        banner: Text = None,
        scheme: Text = None,
        originator: Text = None,
        tcp: Annotated[bool | None, typer.Option("--tcp/--no-tcp")] = None,
        capacity: Annotated[int | None, typer.Option()] = None,
        hours: Hours = None,
        status: Annotated[FacilityStatus | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a facility's entry; a new label needs --banner, --scheme and --originator."""
        data = build(
            FacilityUpdate,
            name=name,
            location=location,
            time_zone=time_zone,
            description=description,
            capabilities=capability,
            label=_label(banner, scheme, originator),
            tcp_applies=tcp,
            capacity=capacity,
            opening_hours=_hours(hours),
            status=status,
        )
        facility = services.facility_id_for(uow(), operator(), code)
        emit(services.update_facility(uow(), operator(), facility, data), as_json)

    @facilities.command("close")
    def close(
        code: str,
        first_day: Annotated[str, typer.Option()],
        last_day: Annotated[str, typer.Option()],
        reason: Annotated[str, typer.Option()],
        as_json: JsonOpt = False,
    ) -> None:
        """Record days the facility is closed."""
        data = build(ClosureIn, first_day=first_day, last_day=last_day, reason=reason)
        facility = services.facility_id_for(uow(), operator(), code)
        emit(services.add_closure(uow(), operator(), facility, data), as_json)


def register_bookings(app: typer.Typer) -> None:
    from coalition.facilities import bookings, occurrences
    from coalition.facilities.schemas import (
        BookingCancelIn,
        BookingDecisionIn,
        BookingIn,
        FeedIn,
        NoShowIn,
        OccurrenceCancelIn,
    )
    from coalition.techdata.cli import person_id

    booking = typer.Typer(help="Bookings of shared facilities.", no_args_is_help=True)
    app.add_typer(booking, name="bookings")
    columns = ["reference", "facility", "project", "starts_at", "ends_at", "status"]

    @booking.command("list")
    def list_(facility: str, include_ended: bool = False, as_json: JsonOpt = False) -> None:
        """A facility's bookings, soonest first."""
        found = services.facility_id_for(uow(), operator(), facility)
        emit(
            bookings.list_bookings(uow(), operator(), found, include_ended=include_ended),
            as_json,
            columns,
        )

    @booking.command("show")
    def show(reference: str, as_json: JsonOpt = False) -> None:
        """One booking with its occurrences and participants."""
        found = bookings.booking_id_for(uow(), operator(), reference)
        emit(bookings.get_booking(uow(), operator(), found), as_json)

    @booking.command("request")
    def request(
        reference: Annotated[str, typer.Option()],
        facility: Annotated[str, typer.Option(help="Facility code.")],
        project: Annotated[str, typer.Option(help="Project code.")],
        purpose: Annotated[str, typer.Option()],
        starts: Annotated[str, typer.Option(help="YYYY-MM-DDTHH:MM, facility local time.")],
        ends: Annotated[str, typer.Option()],
        participant: Annotated[list[str], typer.Option(help="Person id or e-mail (repeat).")],
        recurrence: Annotated[
            str | None, typer.Option(help="RRULE, e.g. FREQ=WEEKLY;COUNT=4.")
        ] = None,
        exception: Annotated[
            list[str] | None, typer.Option(help="Occurrence start left out (repeat).")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Request a facility for a project."""
        data = build(
            BookingIn,
            reference=reference,
            facility=facility,
            project=project,
            purpose=purpose,
            starts=starts,
            ends=ends,
            recurrence=recurrence,
            exceptions=exception,
            participant_ids=[person_id(p, "participant") for p in participant],
        )
        emit(bookings.request_booking(uow(), operator(), data), as_json)

    @booking.command("decide")
    def decide_(
        reference: str,
        outcome: Annotated[str, typer.Option(help="approved or rejected")],
        note: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Approve or reject a requested booking."""
        data = build(BookingDecisionIn, outcome=outcome, note=note)
        found = bookings.booking_id_for(uow(), operator(), reference)
        emit(bookings.decide_booking(uow(), operator(), found, data), as_json)

    @booking.command("cancel")
    def cancel(
        reference: str, reason: Annotated[str, typer.Option()], as_json: JsonOpt = False
    ) -> None:
        """Cancel a requested or approved booking."""
        data = build(BookingCancelIn, reason=reason)
        found = bookings.booking_id_for(uow(), operator(), reference)
        emit(bookings.cancel_booking(uow(), operator(), found, data), as_json)

    @booking.command("cancel-occurrence")
    def cancel_occurrence(
        reference: str,
        starts: Annotated[
            str, typer.Option(help="The occurrence's start, YYYY-MM-DDTHH:MM, local time.")
        ],
        reason: Annotated[str, typer.Option()],
        as_json: JsonOpt = False,
    ) -> None:
        """Cancel one occurrence of a booking before it starts."""
        data = build(OccurrenceCancelIn, starts=starts, reason=reason)
        found = bookings.booking_id_for(uow(), operator(), reference)
        emit(occurrences.cancel_occurrence(uow(), operator(), found, data), as_json)

    @booking.command("no-show")
    def no_show(
        reference: str,
        starts: Annotated[
            str, typer.Option(help="The occurrence's start, YYYY-MM-DDTHH:MM, local time.")
        ],
        note: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Mark an occurrence that has started a no-show (the facility manager)."""
        data = build(NoShowIn, starts=starts, note=note)
        found = bookings.booking_id_for(uow(), operator(), reference)
        emit(occurrences.mark_no_show(uow(), operator(), found, data), as_json)

    @booking.command("feed-create")
    def feed_create(
        account: Annotated[str, typer.Option(help="The account (username) it belongs to.")],
        name: Annotated[str, typer.Option(help="e.g. 'Outlook on my laptop'.")],
        facility: Annotated[str | None, typer.Option(help="A facility's code.")] = None,
        project: Annotated[str | None, typer.Option(help="A project's code.")] = None,
        person: Annotated[str | None, typer.Option(help="A person's id or e-mail.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """A secret calendar address for a calendar program, shown once."""
        from coalition.accounts.cli import _account_id
        from coalition.facilities import feeds

        given = [
            (k, v)
            for k, v in (("facility", facility), ("project", project), ("person", person))
            if v
        ]
        if len(given) != 1:
            typer.echo("error: give one of --facility, --project or --person", err=True)
            raise typer.Exit(1)
        kind, target = given[0]
        data = build(FeedIn, kind=kind, target=target, name=name)
        made = feeds.create_feed(uow(), operator(), data, uuid.UUID(_account_id(account)))
        emit(made, as_json)

    @booking.command("feed-list")
    def feed_list(
        account: Annotated[str, typer.Option(help="The account (username).")],
        as_json: JsonOpt = False,
    ) -> None:
        """An account's calendar feeds (their addresses are not shown again)."""
        from coalition.accounts.cli import _account_id
        from coalition.facilities import feeds

        found = feeds.list_feeds(uow(), operator(), uuid.UUID(_account_id(account)))
        emit(
            found, as_json, ["id", "name", "kind", "target", "prefix", "last_used_at", "revoked_at"]
        )

    @booking.command("feed-revoke")
    def feed_revoke(feed_id: str, as_json: JsonOpt = False) -> None:
        """Revoke a calendar feed: its address serves nothing more."""
        from coalition.facilities import feeds

        emit(feeds.revoke_feed(uow(), operator(), parse_uuid(feed_id, "feed_id")), as_json)

    @booking.command("calendar")
    def calendar(
        facility: Annotated[str | None, typer.Argument(help="Facility code.")] = None,
        project: Annotated[str | None, typer.Option(help="A project's bookings instead.")] = None,
        person: Annotated[
            str | None, typer.Option(help="Bookings a person (id or e-mail) takes part in.")
        ] = None,
        output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    ) -> None:
        """Bookings as an iCalendar (RFC 5545) file: of a facility, a project or a person."""
        if facility is not None:
            found = services.facility_id_for(uow(), operator(), facility)
            data = bookings.calendar(uow(), operator(), found)
        else:
            data = bookings.calendar_of(
                uow(),
                operator(),
                project=project,
                person_id=person_id(person, "person") if person else None,
            )
        if output is None:
            sys.stdout.write(data.decode("utf-8"))
        else:
            output.write_bytes(data)
