"""Commands of the registry: nations, groups, organisations, security agreements.

People, clearances and briefings are in :mod:`coalition.registry.people_cli`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from coalition.cli.context import build, emit, operator, parse_uuid, uow
from coalition.common.paging import PageRequest
from coalition.errors import ValidationFailed
from coalition.registry import services
from coalition.registry.models import OrganisationKind
from coalition.registry.schemas import (
    NationIn,
    NationUpdate,
    OrganisationIn,
    OrganisationUpdate,
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
    gsas = typer.Typer(help="Security agreements between nations.", no_args_is_help=True)
    for sub, name in (
        (nations, "nations"),
        (groups, "groups"),
        (orgs, "organisations"),
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
        listed: Annotated[
            bool, typer.Option("--listed", help="List it in the directory partner nodes see.")
        ] = False,
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
            directory_listed=listed,
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
        listed: Annotated[
            bool | None,
            typer.Option(
                "--listed/--not-listed", help="List it in the directory partner nodes see, or not."
            ),
        ] = None,
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
            directory_listed=listed,
        )
        emit(services.update_organisation(uow(), operator(), target, data), as_json)

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
