"""Commands for people, their clearances and briefings."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from coalition.cli.context import build, emit, operator, parse_uuid, uow
from coalition.common.paging import PageRequest
from coalition.registry import people
from coalition.registry.cli import JsonOpt, Limit, Offset, organisation_id
from coalition.registry.models import BriefingKind, ClearanceStatus, PersonStatus
from coalition.registry.schemas import (
    BriefingIn,
    ClearanceIn,
    ClearanceUpdate,
    DualNationalExemptionIn,
    PersonIn,
    PersonUpdate,
)

PERSON_COLUMNS = [
    "id",
    "family_name",
    "given_name",
    "employer.short_name",
    "citizenships",
    "status",
]


def register(app: typer.Typer) -> None:
    persons = typer.Typer(help="People and their citizenships.", no_args_is_help=True)
    clearances = typer.Typer(help="Personnel security clearances.", no_args_is_help=True)
    briefings = typer.Typer(help="Briefings and acknowledgements.", no_args_is_help=True)
    app.add_typer(persons, name="people")
    app.add_typer(clearances, name="clearances")
    app.add_typer(briefings, name="briefings")

    # --- people -----------------------------------------------------------------------------
    @persons.command("list")
    def people_list(
        q: Annotated[str | None, typer.Option(help="Search names and e-mail.")] = None,
        organisation: Annotated[str | None, typer.Option(help="Employer id or short name.")] = None,
        citizenship: Annotated[str | None, typer.Option()] = None,
        status: Annotated[PersonStatus | None, typer.Option()] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """List people."""
        page = build(PageRequest, limit=limit, offset=offset)
        org = organisation_id(organisation) if organisation else None
        emit(
            people.list_people(
                uow(),
                operator(),
                page,
                q=q,
                organisation_id=org,
                citizenship=citizenship,
                status=status,
            ),
            as_json,
            PERSON_COLUMNS,
        )

    @persons.command("show")
    def people_show(person: str, as_json: JsonOpt = False) -> None:
        """Show a person with clearances and briefings."""
        emit(people.get_person(uow(), operator(), parse_uuid(person, "person")), as_json)

    @persons.command("create")
    def people_create(
        given_name: Annotated[str, typer.Option()],
        family_name: Annotated[str, typer.Option()],
        email: Annotated[str, typer.Option()],
        employer: Annotated[str, typer.Option(help="Organisation id or short name.")],
        citizenship: Annotated[list[str], typer.Option(help="Repeat for dual nationals.")],
        job_title: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Add a person."""
        data = build(
            PersonIn,
            given_name=given_name,
            family_name=family_name,
            email=email,
            employer_id=organisation_id(employer, "employer"),
            citizenships=citizenship,
            job_title=job_title,
        )
        emit(people.create_person(uow(), operator(), data), as_json)

    @persons.command("update")
    def people_update(
        person: str,
        given_name: Annotated[str | None, typer.Option()] = None,
        family_name: Annotated[str | None, typer.Option()] = None,
        email: Annotated[str | None, typer.Option()] = None,
        employer: Annotated[str | None, typer.Option()] = None,
        citizenship: Annotated[list[str] | None, typer.Option()] = None,
        job_title: Annotated[str | None, typer.Option()] = None,
        status: Annotated[PersonStatus | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a person."""
        data = build(
            PersonUpdate,
            given_name=given_name,
            family_name=family_name,
            email=email,
            employer_id=organisation_id(employer, "employer") if employer else None,
            citizenships=citizenship,
            job_title=job_title,
            status=status,
        )
        emit(people.update_person(uow(), operator(), parse_uuid(person, "person"), data), as_json)

    # --- clearances and briefings -----------------------------------------------------------
    @clearances.command("add")
    def clearances_add(
        person: str,
        issuer: Annotated[str, typer.Option(help="Nation alpha-3, NATO or EU.")],
        level: Annotated[str, typer.Option(help="The issuer's name, e.g. SC.")],
        valid_from: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
        valid_until: Annotated[str, typer.Option("--until", help="YYYY-MM-DD")],
        reference: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record a clearance."""
        data = build(
            ClearanceIn,
            issuer=issuer,
            level_name=level,
            valid_from=valid_from,
            valid_until=valid_until,
            reference=reference,
        )
        emit(people.add_clearance(uow(), operator(), parse_uuid(person, "person"), data), as_json)

    @clearances.command("update")
    def clearances_update(
        clearance: str,
        reason: Annotated[str, typer.Option(help="Why; kept in the history.")],
        status: Annotated[ClearanceStatus | None, typer.Option()] = None,
        level: Annotated[str | None, typer.Option()] = None,
        valid_from: Annotated[str | None, typer.Option("--from")] = None,
        valid_until: Annotated[str | None, typer.Option("--until")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change, suspend or revoke a clearance."""
        data = build(
            ClearanceUpdate,
            reason=reason,
            status=status,
            level_name=level,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        emit(
            people.update_clearance(uow(), operator(), parse_uuid(clearance, "clearance"), data),
            as_json,
        )

    @clearances.command("expiring")
    def clearances_expiring(
        days: Annotated[int, typer.Option(help="Horizon in days.")] = 90,
        on: Annotated[str | None, typer.Option(help="As of this date (YYYY-MM-DD).")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Clearances that end within the horizon."""
        today = date.fromisoformat(on) if on else None
        emit(
            people.expiring_clearances(uow(), operator(), days, today),
            as_json,
            [
                "clearance.valid_until",
                "days_left",
                "person.family_name",
                "person.given_name",
                "clearance.issuer",
                "clearance.level_name",
            ],
        )

    @persons.command("exempt-dual-national")
    def people_exempt_dual_national(
        person: str,
        granted_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
        reason: Annotated[str, typer.Option()],
        expires_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record that one permitted citizenship suffices for this dual national."""
        data = build(
            DualNationalExemptionIn, granted_on=granted_on, expires_on=expires_on, reason=reason
        )
        emit(
            people.record_dual_national_exemption(
                uow(), operator(), parse_uuid(person, "person"), data
            ),
            as_json,
        )

    @persons.command("withdraw-dual-national")
    def people_withdraw_dual_national(person: str, reason: Annotated[str, typer.Option()]) -> None:
        """Withdraw a person's dual-national exemption."""
        people.withdraw_dual_national_exemption(
            uow(), operator(), parse_uuid(person, "person"), reason
        )
        typer.echo("exemption withdrawn")

    @briefings.command("add")
    def briefings_add(
        person: str,
        kind: Annotated[BriefingKind, typer.Option()],
        name: Annotated[str, typer.Option(help="e.g. EXPORT-CONTROL-NOTICE")],
        given_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
        expires_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        note: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record a briefing or an acknowledgement."""
        data = build(
            BriefingIn, kind=kind, name=name, given_on=given_on, expires_on=expires_on, note=note
        )
        emit(people.add_briefing(uow(), operator(), parse_uuid(person, "person"), data), as_json)
