"""`coalition expertise`: capability profiles, their search and the partner finder from the
command line. Organisations are named by short name, people by id or e-mail."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from coalition.cli.context import build, emit, operator, uow
from coalition.expertise import semantic, services
from coalition.expertise.models import ProfileKind, ProfileStatus
from coalition.expertise.schemas import ProfileIn, ProfileUpdate

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Many = Annotated[list[str] | None, typer.Option()]


def _label(banner: str | None, scheme: str | None, originator: str | None) -> dict[str, str] | None:
    if banner is None:
        return None
    return {"banner": banner, "scheme": scheme or "", "originator": originator or ""}


def _publications(values: list[str] | None) -> list[dict[str, str]] | None:
    """TITLE or TITLE|YEAR or TITLE|YEAR|REFERENCE."""
    if values is None:
        return None
    out = []
    for value in values:
        title, year, reference = ([*value.split("|"), "", ""])[:3]
        item = {"title": title.strip()}
        if year.strip():
            item["year"] = year.strip()
        if reference.strip():
            item["reference"] = reference.strip()
        out.append(item)
    return out


def register(app: typer.Typer) -> None:
    from coalition.techdata.cli import person_id

    expertise = typer.Typer(help="Expertise profiles and the partner finder.", no_args_is_help=True)
    app.add_typer(expertise, name="expertise")

    def _profile(reference: str) -> uuid.UUID:
        """A profile by id, by a person's e-mail, or by an organisation's short name."""
        try:
            return uuid.UUID(reference)
        except ValueError:
            pass
        if "@" in reference:
            return services.profile_id_of(
                uow(), operator(), person_id=person_id(reference, "profile")
            )
        return services.profile_id_of(uow(), operator(), organisation=reference)

    @expertise.command("search")
    def search(
        q: Annotated[str | None, typer.Argument(help="Words, all required.")] = None,
        capability: Annotated[str | None, typer.Option(help="A code or a branch.")] = None,
        nation: Annotated[str | None, typer.Option()] = None,
        kind: Annotated[ProfileKind | None, typer.Option()] = None,
        trl_min: Annotated[int | None, typer.Option(min=1, max=9)] = None,
        limit: Annotated[int, typer.Option(min=1, max=services.MAX_PAGE)] = 20,
        offset: Annotated[int, typer.Option(min=0, max=services.MAX_OFFSET)] = 0,
        by_meaning: Annotated[
            bool, typer.Option("--semantic", help="By meaning (the semantic extra).")
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Search the profiles, most relevant first."""
        found = services.search(
            uow(),
            operator(),
            q=q,
            capability=capability,
            nation=nation,
            kind=kind,
            trl_min=trl_min,
            limit=limit,
            offset=offset,
            mode="semantic" if by_meaning else "text",
        )
        if as_json:
            emit(found, True)
            return
        typer.echo(
            f"more than {found.total} profiles"
            if found.total_capped
            else f"{found.total} profile(s)"
        )
        emit(found.items, False, ["organisation", "person", "headline", "trl", "score"])

    @expertise.command("show")
    def show(profile: str, as_json: JsonOpt = False) -> None:
        """One profile: by id, a person's e-mail or an organisation's short name."""
        emit(services.get_profile(uow(), operator(), _profile(profile)), as_json)

    @expertise.command("add")
    def add(
        organisation: Annotated[str, typer.Option(help="Short name.")],
        headline: Annotated[str, typer.Option()],
        banner: Annotated[str, typer.Option(help="Label banner, e.g. 'UNCLASSIFIED'.")],
        scheme: Annotated[str, typer.Option()],
        originator: Annotated[str, typer.Option()],
        person: Annotated[str | None, typer.Option(help="For a person: id or e-mail.")] = None,
        summary: Annotated[str, typer.Option()] = "",
        capability: Many = None,
        keyword: Many = None,
        trl: Annotated[int | None, typer.Option()] = None,
        publication: Annotated[
            list[str] | None, typer.Option(help="TITLE|YEAR|REFERENCE (repeat).")
        ] = None,
        artifact: Annotated[list[str] | None, typer.Option(help="Artifact id (repeat).")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Add the profile of an organisation or of one of its people."""
        data = build(
            ProfileIn,
            organisation=organisation,
            person_id=person_id(person, "person") if person else None,
            headline=headline,
            summary=summary,
            capabilities=capability or [],
            keywords=keyword or [],
            trl=trl,
            publications=_publications(publication) or [],
            artifact_ids=artifact or [],
            label=_label(banner, scheme, originator),
        )
        emit(services.create_profile(uow(), operator(), data), as_json)

    @expertise.command("update")
    def update(
        profile: str,
        headline: Annotated[str | None, typer.Option()] = None,
        summary: Annotated[str | None, typer.Option()] = None,
        capability: Many = None,
        keyword: Many = None,
        trl: Annotated[int | None, typer.Option()] = None,
        publication: Annotated[list[str] | None, typer.Option()] = None,
        banner: Annotated[str | None, typer.Option()] = None,
        scheme: Annotated[str | None, typer.Option()] = None,
        originator: Annotated[str | None, typer.Option()] = None,
        status: Annotated[ProfileStatus | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change a profile (the options given replace what is stored)."""
        values = {
            "headline": headline,
            "summary": summary,
            "capabilities": capability,
            "keywords": keyword,
            "trl": trl,
            "publications": _publications(publication),
            "label": _label(banner, scheme, originator),
            "status": status,
        }
        data = build(ProfileUpdate, **{k: v for k, v in values.items() if v is not None})
        emit(services.update_profile(uow(), operator(), _profile(profile), data), as_json)

    @expertise.command("reindex")
    def reindex() -> None:
        """Rebuild the search index (and, with the semantic extra, the embeddings) of every
        profile."""
        count = services.reindex_all(uow(), operator())
        typer.echo(
            f"{count} profile(s) indexed" + (" with embeddings" if semantic.available() else "")
        )

    @expertise.command("partners")
    def partners(
        capability: Annotated[str, typer.Option(help="A code or a branch.")],
        agreement: Annotated[str | None, typer.Option(help="Agreement reference.")] = None,
        level: Annotated[
            str | None, typer.Option(help="Facility cleared to: SECRET, or 0 to 4.")
        ] = None,
        trl_min: Annotated[int | None, typer.Option(min=1, max=9)] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Find partner organisations for a new proposal."""
        emit(
            services.find_partners(
                uow(),
                operator(),
                capability=capability,
                agreement=agreement,
                level=level,
                trl_min=trl_min,
            ),
            as_json,
            ["organisation", "nation", "best_trl", "profiles", "facilities"],
        )
