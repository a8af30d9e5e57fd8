"""Commands of the registry: nations, groups, organisations, people, clearances."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import typer

from coalition.cli.context import build, emit, operator, parse_uuid, uow
from coalition.common.paging import PageRequest
from coalition.errors import ValidationFailed
from coalition.registry import people, services
from coalition.registry.models import BriefingKind, ClearanceStatus, OrganisationKind, PersonStatus
from coalition.registry.schemas import (
    BriefingIn,
    ClearanceIn,
    ClearanceUpdate,
    NationIn,
    NationUpdate,
    OrganisationIn,
    OrganisationUpdate,
    PersonIn,
    PersonUpdate,
    SecurityAgreementIn,
    SecurityAgreementUpdate,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Limit = Annotated[int, typer.Option(help="Rows per page (1-200).")]
Offset = Annotated[int, typer.Option(help="Rows to skip.")]

ORG_COLUMNS = ["id", "short_name", "name", "kind", "nation_code"]
PERSON_COLUMNS = [
    "id",
    "family_name",
    "given_name",
    "employer.short_name",
    "citizenships",
    "status",
]


def organisation_id(value: str, option: str = "organisation") -> uuid.UUID:
    """An organisation by id or by its short name."""
    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    page = services.list_organisations(uow(), operator(), PageRequest(limit=200), q=value)
    for found in page.items:
        if found.short_name.lower() == value.lower():
            return found.id
    raise ValidationFailed.of(option, f"no organisation with id or short name '{value}'")


def register(app: typer.Typer) -> None:
    nations = typer.Typer(help="Nations taking part on this node.", no_args_is_help=True)
    groups = typer.Typer(help="Groups of nations (NATO, FVEY...).", no_args_is_help=True)
    orgs = typer.Typer(help="Labs, agencies, companies, universities.", no_args_is_help=True)
    persons = typer.Typer(help="People and their citizenships.", no_args_is_help=True)
    clearances = typer.Typer(help="Personnel security clearances.", no_args_is_help=True)
    briefings = typer.Typer(help="Briefings and acknowledgements.", no_args_is_help=True)
    gsas = typer.Typer(help="Security agreements between nations.", no_args_is_help=True)
    for sub, name in (
        (nations, "nations"),
        (groups, "groups"),
        (orgs, "organisations"),
        (persons, "people"),
        (clearances, "clearances"),
        (briefings, "briefings"),
        (gsas, "security-agreements"),
    ):
        app.add_typer(sub, name=name)

    # --- nations and groups -----------------------------------------------------------------
    @nations.command("list")
    def nations_list(as_json: JsonOpt = False) -> None:
        """List nations."""
        emit(services.list_nations(uow(), operator()), as_json)

    @nations.command("show")
    def nations_show(code: str, as_json: JsonOpt = False) -> None:
        """Show one nation."""
        emit(services.get_nation(uow(), operator(), code), as_json)

    @nations.command("create")
    def nations_create(
        code: Annotated[str, typer.Option(help="ISO 3166-1 alpha-3, e.g. GBR.")],
        currency: Annotated[str, typer.Option(help="ISO 4217, e.g. GBP.")],
        name: Annotated[str | None, typer.Option(help="Defaults to the ISO name.")] = None,
        scheme: Annotated[str | None, typer.Option(help="Classification scheme code.")] = None,
        fy_month: Annotated[int, typer.Option(help="Month the fiscal year starts.")] = 1,
        fy_day: Annotated[int, typer.Option(help="Day the fiscal year starts.")] = 1,
        as_json: JsonOpt = False,
    ) -> None:
        """Add a nation."""
        data = build(
            NationIn,
            code=code,
            currency=currency,
            name=name,
            scheme_code=scheme,
            fiscal_year_start_month=fy_month,
            fiscal_year_start_day=fy_day,
        )
        emit(services.create_nation(uow(), operator(), data), as_json)

    @nations.command("update")
    def nations_update(
        code: str,
        currency: Annotated[str | None, typer.Option()] = None,
        name: Annotated[str | None, typer.Option()] = None,
        scheme: Annotated[str | None, typer.Option()] = None,
        fy_month: Annotated[int | None, typer.Option()] = None,
        fy_day: Annotated[int | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a nation."""
        data = build(
            NationUpdate,
            currency=currency,
            name=name,
            scheme_code=scheme,
            fiscal_year_start_month=fy_month,
            fiscal_year_start_day=fy_day,
        )
        emit(services.update_nation(uow(), operator(), code, data), as_json)

    @groups.command("list")
    def groups_list(as_json: JsonOpt = False) -> None:
        """List groups with their dated members."""
        found = services.list_groups(uow(), operator())
        if as_json:
            emit(found, True)
            return
        for group in found:
            members = ", ".join(
                m.nation_code + (f" (left {m.left_on})" if m.left_on else "")
                for m in group.memberships
            )
            typer.echo(f"{group.code}: {group.name}\n  {members}")

    @nations.command("schemes")
    def schemes_list(as_json: JsonOpt = False) -> None:
        """List classification schemes and their levels."""
        found = services.list_schemes(uow(), operator())
        if as_json:
            emit(found, True)
            return
        for scheme in found:
            levels = ", ".join(f"{lv.marking}={lv.level}" for lv in scheme.levels)
            typer.echo(f"{scheme.code}{' (verify)' if scheme.needs_verification else ''}: {levels}")

    # --- organisations ----------------------------------------------------------------------
    @orgs.command("list")
    def orgs_list(
        q: Annotated[str | None, typer.Option(help="Search names.")] = None,
        nation: Annotated[str | None, typer.Option()] = None,
        kind: Annotated[OrganisationKind | None, typer.Option()] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """List organisations."""
        page = build(PageRequest, limit=limit, offset=offset)
        emit(
            services.list_organisations(uow(), operator(), page, q=q, nation=nation, kind=kind),
            as_json,
            ORG_COLUMNS,
        )

    @orgs.command("show")
    def orgs_show(organisation: str, as_json: JsonOpt = False) -> None:
        """Show an organisation (by id or short name)."""
        emit(services.get_organisation(uow(), operator(), organisation_id(organisation)), as_json)

    @orgs.command("create")
    def orgs_create(
        name: Annotated[str, typer.Option()],
        short_name: Annotated[str, typer.Option()],
        kind: Annotated[OrganisationKind, typer.Option()],
        nation: Annotated[str, typer.Option(help="ISO alpha-3 of a nation on this node.")],
        parent: Annotated[str | None, typer.Option(help="Parent id or short name.")] = None,
        city: Annotated[str | None, typer.Option()] = None,
        website: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Add an organisation."""
        data = build(
            OrganisationIn,
            name=name,
            short_name=short_name,
            kind=kind,
            nation_code=nation,
            city=city,
            website=website,
            parent_id=organisation_id(parent, "parent") if parent else None,
        )
        emit(services.create_organisation(uow(), operator(), data), as_json)

    @orgs.command("update")
    def orgs_update(
        organisation: str,
        name: Annotated[str | None, typer.Option()] = None,
        short_name: Annotated[str | None, typer.Option()] = None,
        kind: Annotated[OrganisationKind | None, typer.Option()] = None,
        parent: Annotated[str | None, typer.Option()] = None,
        city: Annotated[str | None, typer.Option()] = None,
        website: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change an organisation."""
        target = organisation_id(organisation)
        data = build(
            OrganisationUpdate,
            name=name,
            short_name=short_name,
            kind=kind,
            city=city,
            website=website,
            parent_id=organisation_id(parent, "parent") if parent else None,
        )
        emit(services.update_organisation(uow(), operator(), target, data), as_json)

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

    # --- security agreements ----------------------------------------------------------------
    @gsas.command("list")
    def gsas_list(
        party: Annotated[str | None, typer.Option()] = None, as_json: JsonOpt = False
    ) -> None:
        """List security agreements."""
        emit(
            services.list_security_agreements(uow(), operator(), party=party),
            as_json,
            ["reference", "parties", "max_level", "in_force_from", "in_force_until"],
        )

    @gsas.command("show")
    def gsas_show(agreement: str, as_json: JsonOpt = False) -> None:
        """Show a security agreement."""
        emit(
            services.get_security_agreement(uow(), operator(), parse_uuid(agreement, "agreement")),
            as_json,
        )

    @gsas.command("create")
    def gsas_create(
        reference: Annotated[str, typer.Option()],
        title: Annotated[str, typer.Option()],
        party: Annotated[list[str], typer.Option(help="Repeat: nation alpha-3, NATO or EU.")],
        max_level: Annotated[int, typer.Option(help="Highest common level covered, 1-4.")],
        in_force_from: Annotated[str, typer.Option("--from")],
        in_force_until: Annotated[str | None, typer.Option("--until")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record a security agreement."""
        data = build(
            SecurityAgreementIn,
            reference=reference,
            title=title,
            parties=party,
            max_level=max_level,
            in_force_from=in_force_from,
            in_force_until=in_force_until,
        )
        emit(services.create_security_agreement(uow(), operator(), data), as_json)

    @gsas.command("update")
    def gsas_update(
        agreement: str,
        title: Annotated[str | None, typer.Option()] = None,
        max_level: Annotated[int | None, typer.Option()] = None,
        in_force_from: Annotated[str | None, typer.Option("--from")] = None,
        in_force_until: Annotated[str | None, typer.Option("--until")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a security agreement."""
        data = build(
            SecurityAgreementUpdate,
            title=title,
            max_level=max_level,
            in_force_from=in_force_from,
            in_force_until=in_force_until,
        )
        emit(
            services.update_security_agreement(
                uow(), operator(), parse_uuid(agreement, "agreement"), data
            ),
            as_json,
        )
