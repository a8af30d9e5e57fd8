"""Commands of technical data, the security officer's questions and what-if; of export
authorisations and exemptions; and of IP assets and licences."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from coalition.cli.context import build, emit, operator, parse_uuid, uow
from coalition.common.paging import PageRequest
from coalition.errors import ValidationFailed
from coalition.exportcontrol import services as export_services
from coalition.exportcontrol.models import AuthorisationKind, AuthorisationStatus
from coalition.exportcontrol.schemas import (
    AmendmentIn,
    AuthorisationIn,
    AuthorisationStatusIn,
    DrawdownIn,
    ExemptionIn,
)
from coalition.policy.facts import Action
from coalition.policy.labels import ExportRegime
from coalition.registry.cli import organisation_id
from coalition.registry.people import list_people
from coalition.techdata import services, whatif
from coalition.techdata.models import ArtifactKind
from coalition.techdata.schemas import ArtifactFilters, ArtifactIn, GrantIn, LabelIn, RelabelIn

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AsPerson = Annotated[
    str, typer.Option("--as", help="The person (id or e-mail) the list is decided for.")
]
COLUMNS = ["reference", "banner", "project_code", "owner_name", "title"]


def person_id(value: str, option: str = "person") -> uuid.UUID:
    """A person by id or by e-mail address."""
    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    page = list_people(uow(), operator(), PageRequest(limit=200), q=value)
    for found in page.items:
        if found.email.lower() == value.lower():
            return found.id
    raise ValidationFailed.of(option, f"no person with id or e-mail '{value}'")


def _label(
    scheme: str,
    originator: str,
    banner: str | None,
    classification: str | None,
    rel: list[str],
    noforn: bool,
    caveats: list[str],
    export: list[str],
    embargo: str | None,
    review: str | None,
) -> dict[str, Any]:
    markings = []
    for index, text in enumerate(export):
        parts = [p.strip() for p in text.split(":")]
        if len(parts) != 3:
            raise ValidationFailed.of(
                f"export.{index}", "write REGIME:CATEGORY:NATION, e.g. ITAR:USML XI(d):USA"
            )
        markings.append(
            {"regime": parts[0].upper(), "category": parts[1], "exporting_nation": parts[2].upper()}
        )
    label = {
        "scheme": scheme.upper(),
        "originator": originator.upper(),
        "banner": banner,
        "classification": classification,
        "releasable_to": [c.upper() for c in rel],
        "noforn": noforn,
        "caveats": [c.upper() for c in caveats],
        "export": markings,
        "embargo_until": embargo,
        "review_on": review,
    }
    return {k: v for k, v in label.items() if v not in (None, [], False)}


def register(app: typer.Typer) -> None:
    artifacts = typer.Typer(
        help="Technical data: artifacts and their labels.", no_args_is_help=True
    )
    app.add_typer(artifacts, name="artifacts")
    _register_artifacts(artifacts)
    _register_questions(artifacts, app)
    _register_export(app)


def _register_artifacts(artifacts: typer.Typer) -> None:
    @artifacts.command("list")
    def artifacts_list(
        as_person: AsPerson,
        q: Annotated[
            str | None, typer.Option(help="Words in title, description or reference.")
        ] = None,
        project: Annotated[str | None, typer.Option(help="Project id.")] = None,
        originator: Annotated[str | None, typer.Option(help="Originating nation.")] = None,
        max_level: Annotated[int | None, typer.Option(help="Highest common level, 0-4.")] = None,
        label: Annotated[str | None, typer.Option(help="Text in the banner, e.g. NOFORN.")] = None,
        action: Annotated[
            Action, typer.Option(help="view_metadata, read or download.")
        ] = Action.VIEW_METADATA,
        sort: Annotated[
            str, typer.Option(help="title, reference, created_at or level; '-' for descending.")
        ] = "title",
        limit: int = 50,
        offset: int = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """List the artifacts a person may see (decided by the release rules, in the database)."""
        filters = build(
            ArtifactFilters,
            q=q,
            project_id=project,
            originator=originator.upper() if originator else None,
            max_level=max_level,
            label=label,
            sort=sort,
        )
        page = build(PageRequest, limit=limit, offset=offset)
        emit(
            services.list_artifacts(
                uow(),
                operator(),
                page,
                filters,
                as_person=person_id(as_person, "as"),
                action=action,
            ),
            as_json,
            COLUMNS,
        )

    @artifacts.command("show")
    def artifacts_show(artifact: str, as_person: AsPerson, as_json: JsonOpt = False) -> None:
        """Show an artifact, if the person may know it exists, with their own decisions."""
        emit(
            services.get_artifact(
                uow(), operator(), parse_uuid(artifact, "artifact"), person_id(as_person, "as")
            ),
            as_json,
        )

    @artifacts.command("create")
    def artifacts_create(
        reference: Annotated[str, typer.Option()],
        title: Annotated[str, typer.Option()],
        owner: Annotated[str, typer.Option(help="Owner organisation id or short name.")],
        scheme: Annotated[
            str | None, typer.Option(help="Classification scheme, e.g. USA (not with --label-xml).")
        ] = None,
        originator: Annotated[
            str | None, typer.Option(help="Originating nation (not with --label-xml).")
        ] = None,
        kind: Annotated[ArtifactKind, typer.Option()] = ArtifactKind.REPORT,
        project: Annotated[str | None, typer.Option(help="Project id.")] = None,
        banner: Annotated[str | None, typer.Option(help="e.g. 'SECRET//REL TO USA, GBR'.")] = None,
        classification: Annotated[str | None, typer.Option()] = None,
        rel: Annotated[
            list[str] | None, typer.Option("--rel", help="Releasable to (repeat).")
        ] = None,
        noforn: Annotated[bool, typer.Option("--noforn")] = False,
        caveat: Annotated[list[str] | None, typer.Option(help="Caveat (repeat).")] = None,
        export: Annotated[
            list[str] | None, typer.Option(help="REGIME:CATEGORY:NATION (repeat).")
        ] = None,
        embargo_until: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        review_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        label_xml: Annotated[
            Path | None, typer.Option(help="A STANAG 4774 label document instead of the options.")
        ] = None,
        description: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record an artifact with its security label."""
        if label_xml is not None:
            try:
                document = label_xml.read_bytes()
            except OSError as exc:
                raise ValidationFailed.of("label-xml", f"cannot be read ({exc})") from exc
            label = services.label_from_xml(uow(), document)
        else:
            if scheme is None or originator is None:
                raise ValidationFailed.of(
                    "scheme" if scheme is None else "originator",
                    "is required unless the label comes from --label-xml",
                )
            label = _label(
                scheme,
                originator,
                banner,
                classification,
                rel or [],
                noforn,
                caveat or [],
                export or [],
                embargo_until,
                review_on,
            )
        data = build(
            ArtifactIn,
            reference=reference,
            title=title,
            kind=kind,
            project_id=project,
            owner_organisation_id=organisation_id(owner, "owner"),
            description=description,
            label=label,
        )
        emit(services.create_artifact(uow(), operator(), data), as_json)

    @artifacts.command("relabel")
    def artifacts_relabel(
        artifact: str,
        scheme: Annotated[str, typer.Option()],
        originator: Annotated[str, typer.Option()],
        reason: Annotated[str, typer.Option()],
        banner: Annotated[str | None, typer.Option()] = None,
        classification: Annotated[str | None, typer.Option()] = None,
        rel: Annotated[list[str] | None, typer.Option("--rel")] = None,
        noforn: Annotated[bool, typer.Option("--noforn")] = False,
        caveat: Annotated[list[str] | None, typer.Option()] = None,
        export: Annotated[list[str] | None, typer.Option()] = None,
        embargo_until: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        review_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Give an artifact a new security label (the reason is recorded)."""
        label = _label(
            scheme,
            originator,
            banner,
            classification,
            rel or [],
            noforn,
            caveat or [],
            export or [],
            embargo_until,
            review_on,
        )
        data = build(RelabelIn, label=label, reason=reason)
        emit(
            services.relabel_artifact(uow(), operator(), parse_uuid(artifact, "artifact"), data),
            as_json,
        )

    @artifacts.command("grant")
    def artifacts_grant(
        artifact: str,
        person: Annotated[str, typer.Option(help="Person id or e-mail.")],
        reason: Annotated[str, typer.Option()],
        expires_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Give one person an explicit need-to-know grant for the artifact."""
        data = build(GrantIn, person_id=person_id(person), reason=reason, expires_on=expires_on)
        emit(
            services.grant_need_to_know(uow(), operator(), parse_uuid(artifact, "artifact"), data),
            as_json,
        )

    @artifacts.command("grants")
    def artifacts_grants(artifact: str, as_json: JsonOpt = False) -> None:
        """List the need-to-know grants for an artifact."""
        emit(
            services.list_grants(uow(), operator(), parse_uuid(artifact, "artifact")),
            as_json,
            ["id", "person_name", "expires_on", "granted_by", "reason"],
        )

    @artifacts.command("revoke-grant")
    def artifacts_revoke_grant(artifact: str, grant: str) -> None:
        """Withdraw a need-to-know grant."""
        services.revoke_need_to_know(
            uow(), operator(), parse_uuid(artifact, "artifact"), parse_uuid(grant, "grant")
        )
        typer.echo("grant withdrawn")


def _register_questions(artifacts: typer.Typer, app: typer.Typer) -> None:
    @artifacts.command("why")
    def artifacts_why(
        artifact: str,
        person: Annotated[str, typer.Option(help="Person id or e-mail.")],
        action: Annotated[Action, typer.Option()] = Action.READ,
        on: Annotated[str | None, typer.Option(help="Decision date, YYYY-MM-DD.")] = None,
        purpose: Annotated[str | None, typer.Option()] = None,
        recipient: Annotated[
            str | None, typer.Option(help="For release_to: the receiving organisation.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Every rule's result, reason and remedy for one person and one artifact."""
        result = services.explain(
            uow(),
            operator(),
            parse_uuid(artifact, "artifact"),
            person_id(person),
            action,
            on=_day(on, "on"),
            purpose=purpose,
            recipient_id=organisation_id(recipient, "recipient") if recipient else None,
        )
        if as_json:
            emit(result, True)
            return
        verdict = "PERMIT" if result.permit else "DENY"
        typer.echo(f"{verdict}: {result.person_name} {result.action} {result.artifact_reference}")
        for rule in result.rules:
            mark = "pass" if rule.passed else "FAIL"
            remedy = f"  -> {rule.remedy}" if rule.remedy and not rule.passed else ""
            typer.echo(f"  {mark:4} {rule.id:14} {rule.reason}{remedy}")
        for obligation in result.obligations:
            typer.echo(f"  obligation: {obligation}")

    @artifacts.command("audience")
    def artifacts_audience(
        artifact: str,
        action: Annotated[Action, typer.Option()] = Action.READ,
        as_json: JsonOpt = False,
    ) -> None:
        """Who can see an artifact: counts by nation and organisation, and the list."""
        result = services.who_can_see(uow(), operator(), parse_uuid(artifact, "artifact"), action)
        if as_json:
            emit(result, True)
            return
        typer.echo(f"{result.total} of {result.considered} people may {result.action}")
        for row in result.by_nation:
            typer.echo(f"  {row.key}  {row.count}")
        emit(result.people, False, ["name", "organisation", "nation"])

    @artifacts.command("visible-to")
    def artifacts_visible_to(
        person: str,
        action: Annotated[Action, typer.Option()] = Action.READ,
        as_json: JsonOpt = False,
    ) -> None:
        """What a person can see, counted by project and by level."""
        result = services.what_can_see(uow(), operator(), person_id(person), action)
        if as_json:
            emit(result, True)
            return
        typer.echo(f"{result.person_name} may {result.action} {result.total} artifacts")
        emit(result.by_project, False, ["code", "count"])
        emit(result.by_level, False, ["name", "count"])

    @app.command("what-if")
    def what_if(
        change: Annotated[
            list[str] | None,
            typer.Option(help='A change as JSON, e.g. \'{"kind": "add_nation", ...}\' (repeat).'),
        ] = None,
        file: Annotated[
            Path | None, typer.Option(help="A JSON file with {\"changes\": [...]} ('-': stdin).")
        ] = None,
        action: Annotated[Action, typer.Option()] = Action.READ,
        as_json: JsonOpt = False,
    ) -> None:
        """Who would gain or lose access if the changes were made; nothing is changed."""
        body: dict[str, Any] = {"changes": [], "action": action.value}
        try:
            if file is not None:
                text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
                body.update(json.loads(text))
            body["changes"] += [json.loads(c) for c in change or []]
        except (OSError, json.JSONDecodeError) as exc:
            raise ValidationFailed.of("change", f"is not readable JSON ({exc})") from exc
        result = whatif.what_if(uow(), operator(), build(whatif.WhatIfIn, **body))
        if as_json:
            emit(result, True)
            return
        typer.echo("If " + "; ".join(result.changes) + ":")
        typer.echo(
            f"  {result.people_gaining} people gain access to {result.gained} artifact(s) in all; "
            f"{result.people_losing} lose access to {result.lost}"
        )
        emit(
            result.by_nation, False, ["nation", "people_gaining", "people_losing", "gained", "lost"]
        )
        emit(result.people, False, ["name", "organisation", "nation", "gained", "lost"])


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed.of(option, f"'{value}' is not a date (YYYY-MM-DD)") from exc


def _register_export(app: typer.Typer) -> None:
    export = typer.Typer(help="Export authorisations and exemptions.", no_args_is_help=True)
    app.add_typer(export, name="export")

    @export.command("authorisations")
    def authorisations(as_json: JsonOpt = False) -> None:
        """List export authorisations."""
        emit(
            export_services.list_authorisations(uow(), operator()),
            as_json,
            [
                "id",
                "reference",
                "issuing_nation",
                "regime",
                "categories",
                "recipient_nations",
                "valid_until",
                "status",
                "value_remaining",
                "quantity_remaining",
            ],
        )

    @export.command("authorise")
    def authorise(
        reference: Annotated[str, typer.Option()],
        issuing_nation: Annotated[str, typer.Option()],
        regime: Annotated[ExportRegime, typer.Option()],
        valid_from: Annotated[str, typer.Option(help="YYYY-MM-DD")],
        valid_until: Annotated[str, typer.Option(help="YYYY-MM-DD")],
        kind: Annotated[AuthorisationKind, typer.Option()] = AuthorisationKind.LICENCE,
        category: Annotated[list[str] | None, typer.Option(help="Repeat; none: any.")] = None,
        recipient: Annotated[list[str] | None, typer.Option(help="Nation (repeat).")] = None,
        end_user: Annotated[list[str] | None, typer.Option(help="Organisation (repeat).")] = None,
        project: Annotated[list[str] | None, typer.Option(help="Project id (repeat).")] = None,
        purpose: Annotated[list[str] | None, typer.Option(help="Purpose (repeat).")] = None,
        value_limit: Annotated[float | None, typer.Option()] = None,
        quantity_limit: Annotated[int | None, typer.Option()] = None,
        provisos: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record an export authorisation (licence, agreement or national licence)."""
        data = build(
            AuthorisationIn,
            reference=reference,
            kind=kind,
            issuing_nation=issuing_nation.upper(),
            regime=regime,
            categories=category or [],
            recipient_nations=[r.upper() for r in recipient or []],
            end_user_ids=[organisation_id(e, "end-user") for e in end_user or []],
            project_ids=project or [],
            purposes=purpose or [],
            value_limit=value_limit,
            quantity_limit=quantity_limit,
            provisos=provisos,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        emit(export_services.create_authorisation(uow(), operator(), data), as_json)

    @export.command("status")
    def authorisation_status(
        authorisation: str,
        status: Annotated[AuthorisationStatus, typer.Option()],
        reason: Annotated[str, typer.Option()],
        as_json: JsonOpt = False,
    ) -> None:
        """Suspend, revoke or re-activate an authorisation."""
        data = build(AuthorisationStatusIn, status=status, reason=reason)
        emit(
            export_services.change_authorisation_status(
                uow(), operator(), parse_uuid(authorisation, "authorisation"), data
            ),
            as_json,
        )

    @export.command("show")
    def show_authorisation(authorisation: str, as_json: JsonOpt = False) -> None:
        """An authorisation with what remains, its amendments and draw-downs."""
        emit(
            export_services.get_authorisation(
                uow(), operator(), parse_uuid(authorisation, "authorisation")
            ),
            as_json,
        )

    @export.command("amend")
    def amend(
        authorisation: str,
        reason: Annotated[str, typer.Option(help="Why (kept with the amendment).")],
        valid_until: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        category: Annotated[list[str] | None, typer.Option(help="Replaces (repeat).")] = None,
        recipient: Annotated[list[str] | None, typer.Option(help="Replaces (repeat).")] = None,
        end_user: Annotated[list[str] | None, typer.Option(help="Replaces (repeat).")] = None,
        value_limit: Annotated[float | None, typer.Option()] = None,
        quantity_limit: Annotated[int | None, typer.Option()] = None,
        provisos: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Amend an authorisation: the options given replace those fields; the old and new
        values are kept with the reason."""
        given: dict[str, object] = {"reason": reason}
        if valid_until is not None:
            given["valid_until"] = valid_until
        if category is not None:
            given["categories"] = category
        if recipient is not None:
            given["recipient_nations"] = [r.upper() for r in recipient]
        if end_user is not None:
            given["end_user_ids"] = [organisation_id(e, "end-user") for e in end_user]
        if value_limit is not None:
            given["value_limit"] = value_limit
        if quantity_limit is not None:
            given["quantity_limit"] = quantity_limit
        if provisos is not None:
            given["provisos"] = provisos
        data = build(AmendmentIn, **given)
        emit(
            export_services.amend_authorisation(
                uow(), operator(), parse_uuid(authorisation, "authorisation"), data
            ),
            as_json,
        )

    @export.command("draw-down")
    def draw_down(
        authorisation: str,
        reference: Annotated[str, typer.Option(help="What used it (a shipment, a release).")],
        value: Annotated[float, typer.Option(min=0)] = 0,
        quantity: Annotated[int, typer.Option(min=0)] = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """Record value or quantity used; refused (exit 4) when it would pass a limit."""
        data = build(DrawdownIn, value=value, quantity=quantity, reference=reference)
        emit(
            export_services.draw_down(
                uow(), operator(), parse_uuid(authorisation, "authorisation"), data
            ),
            as_json,
        )

    @export.command("import")
    def import_csv(file: Path, as_json: JsonOpt = False) -> None:
        """Record authorisations from a CSV file; all rows or none (docs/cli.md)."""
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationFailed.of("file", f"cannot be read as UTF-8 ({exc})") from exc
        emit(export_services.import_authorisations(uow(), operator(), text), as_json)

    @export.command("expiring")
    def expiring(as_json: JsonOpt = False) -> None:
        """Active authorisations lapsing within 90 days, with their warning band."""
        emit(
            export_services.expiring(uow(), operator()),
            as_json,
            ["reference", "kind", "issuing_nation", "valid_until", "expiry_warning"],
        )

    @export.command("exemptions")
    def exemptions(as_json: JsonOpt = False) -> None:
        """List export exemptions and their conditions."""
        emit(
            export_services.list_exemptions(uow(), operator()),
            as_json,
            ["id", "name", "citation", "regime", "exporting_nation", "conditions", "active"],
        )

    @export.command("exempt")
    def exempt(
        name: Annotated[str, typer.Option()],
        regime: Annotated[ExportRegime, typer.Option()],
        exporting_nation: Annotated[str, typer.Option()],
        conditions: Annotated[
            str, typer.Option(help='JSON, e.g. \'{"recipient_nations": ["CAN"]}\'.')
        ] = "{}",
        citation: Annotated[str | None, typer.Option()] = None,
        valid_from: Annotated[str | None, typer.Option()] = None,
        valid_until: Annotated[str | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record a named exemption whose conditions are data."""
        try:
            parsed = json.loads(conditions)
        except json.JSONDecodeError as exc:
            raise ValidationFailed.of("conditions", f"is not JSON ({exc})") from exc
        data = build(
            ExemptionIn,
            name=name,
            regime=regime,
            exporting_nation=exporting_nation.upper(),
            conditions=parsed,
            citation=citation,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        emit(export_services.create_exemption(uow(), operator(), data), as_json)


__all__ = ["LabelIn", "register"]
