"""`coalition ip`: the IP register from the command line. Organisations are named by short
name, agreements by reference, projects by code, people by e-mail, and IP records by their
references."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Annotated, cast

import typer

from coalition.agreements import services as agreement_services
from coalition.cli.context import build, emit, operator, uow
from coalition.common import tables
from coalition.common.paging import PageRequest
from coalition.errors import NotFound, ValidationFailed
from coalition.ip import reports, services
from coalition.ip.models import (
    BackgroundStatus,
    FilingChoice,
    IpKind,
    LicenceKind,
    ObjectionOutcome,
    ProtectionKind,
    Royalty,
    TransferKind,
)
from coalition.ip.schemas import (
    ApprovalIn,
    CompletionIn,
    DiscloseIn,
    DisclosureIn,
    FilingDecisionIn,
    IpAssetIn,
    IpAssetUpdate,
    LicenceIn,
    ObjectionIn,
    ObjectionResolutionIn,
    ProtectionIn,
    TerminateIn,
    TransferNoticeIn,
)
from coalition.projects import services as project_services
from coalition.registry.cli import organisation_id
from coalition.techdata.cli import person_id

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Text = Annotated[str | None, typer.Option()]
ASSET_COLUMNS = ["reference", "kind", "title", "background_status", "created_on"]
LICENCE_COLUMNS = [
    "reference",
    "kind",
    "purposes",
    "territory",
    "royalty",
    "exclusive",
    "valid_until",
    "status",
]
TRANSFER_COLUMNS = [
    "reference",
    "kind",
    "share_percent",
    "notified_on",
    "objection_until",
    "status",
]
DISCLOSURE_COLUMNS = ["reference", "title", "conceived_on", "due_on", "disclosed_on"]


def agreement_id(value: str) -> uuid.UUID:
    """An agreement by id or reference."""
    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    page = agreement_services.list_agreements(uow(), operator(), PageRequest(limit=200), q=value)
    for found in page.items:
        if found.reference.lower() == value.lower():
            return found.id
    raise ValidationFailed.of("agreement", f"no agreement with id or reference '{value}'")


def project_id(value: str) -> uuid.UUID:
    """A project by id or code."""
    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    page = project_services.list_projects(uow(), operator(), PageRequest(limit=200), q=value)
    for found in page.items:
        if found.code.lower() == value.lower():
            return found.id
    raise ValidationFailed.of("project", f"no project with id or code '{value}'")


def _asset(reference: str) -> uuid.UUID:
    return services.asset_id_for(uow(), operator(), reference)


def _disclosure(reference: str) -> uuid.UUID:
    for found in services.list_disclosures(uow(), operator()):
        if found.reference == reference:
            return found.id
    raise NotFound(f"no invention disclosure '{reference}'")


def _notice(reference: str) -> uuid.UUID:
    return services.transfer_id_for(uow(), operator(), reference)


def _owners(owner: list[str]) -> list[dict[str, object]]:
    owners: list[dict[str, object]] = []
    for text in owner:
        org, _, share = text.partition(":")
        owners.append(
            {"organisation_id": organisation_id(org, "owner"), "share_percent": share or 100}
        )
    return owners


def register(app: typer.Typer) -> None:
    ip = typer.Typer(
        help="The IP register: background, results, disclosures, licences, transfers.",
        no_args_is_help=True,
    )
    app.add_typer(ip, name="ip")

    @ip.command("assets")
    def assets(
        agreement: Text = None,
        project: Text = None,
        kind: Annotated[IpKind | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List IP assets (background and results) with their owners."""
        emit(
            services.list_assets(
                uow(),
                operator(),
                agreement_id=agreement_id(agreement) if agreement else None,
                project_id=project_id(project) if project else None,
                kind=kind,
            ),
            as_json,
            ASSET_COLUMNS,
        )

    @ip.command("asset")
    def asset(reference: str, as_json: JsonOpt = False) -> None:
        """Show one asset: owners and shares, protection, work packages."""
        emit(services.get_asset(uow(), operator(), _asset(reference)), as_json)

    @ip.command("add-asset")
    def add_asset(
        reference: Annotated[str, typer.Option()],
        title: Annotated[str, typer.Option()],
        owner: Annotated[list[str], typer.Option(help="ORG or ORG:SHARE (repeat).")],
        kind: Annotated[IpKind, typer.Option()] = IpKind.RESULT,
        agreement: Annotated[str | None, typer.Option(help="Background: agreement.")] = None,
        project: Annotated[str | None, typer.Option(help="Result: project code.")] = None,
        description: Text = None,
        background: Annotated[
            BackgroundStatus | None, typer.Option(help="Background: included or excluded.")
        ] = None,
        restrictions: Text = None,
        joint_terms: Annotated[str | None, typer.Option(help="Joint owners' terms.")] = None,
        created_on: Annotated[str | None, typer.Option(help="Conceived or brought in.")] = None,
        work_package: Annotated[
            list[str] | None, typer.Option(help="Work package id (repeat).")
        ] = None,
        artifact: Annotated[
            list[str] | None, typer.Option(help="Artifact reference (repeat).")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record background or a result and its owners (shares add up to 100)."""
        data = build(
            IpAssetIn,
            reference=reference,
            title=title,
            kind=kind,
            agreement_id=agreement_id(agreement) if agreement else None,
            project_id=project_id(project) if project else None,
            description=description,
            background_status=background,
            restrictions=restrictions,
            joint_ownership_terms=joint_terms,
            created_on=created_on,
            owners=_owners(owner),
            work_package_ids=work_package,
            artifact_references=artifact,
        )
        emit(services.create_asset(uow(), operator(), data), as_json)

    @ip.command("update-asset")
    def update_asset(
        reference: str,
        title: Text = None,
        description: Text = None,
        background: Annotated[BackgroundStatus | None, typer.Option()] = None,
        restrictions: Text = None,
        joint_terms: Text = None,
        artifact: Annotated[
            list[str] | None, typer.Option(help="Artifact reference to link (repeat).")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Describe an asset, change its standing or link artifacts to it."""
        data = build(
            IpAssetUpdate,
            title=title,
            description=description,
            background_status=background,
            restrictions=restrictions,
            joint_ownership_terms=joint_terms,
            artifact_references=artifact,
        )
        emit(services.update_asset(uow(), operator(), _asset(reference), data), as_json)

    @ip.command("protect")
    def protect(
        reference: str,
        kind: Annotated[ProtectionKind, typer.Option()],
        nation: Text = None,
        number: Text = None,
        filed_on: Text = None,
        granted_on: Text = None,
        expires_on: Text = None,
        notes: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record a patent application or grant (per country), copyright or trade secret."""
        data = build(
            ProtectionIn,
            kind=kind,
            nation_code=nation.upper() if nation else None,
            number=number,
            filed_on=filed_on,
            granted_on=granted_on,
            expires_on=expires_on,
            notes=notes,
        )
        emit(services.add_protection(uow(), operator(), _asset(reference), data), as_json)

    @ip.command("disclosures")
    def disclosures(as_json: JsonOpt = False) -> None:
        """List invention disclosures with their due dates."""
        emit(services.list_disclosures(uow(), operator()), as_json, DISCLOSURE_COLUMNS)

    @ip.command("add-disclosure")
    def add_disclosure(
        reference: Annotated[str, typer.Option()],
        asset: Annotated[str, typer.Option(help="The result's reference.")],
        title: Annotated[str, typer.Option()],
        conceived_on: Annotated[str, typer.Option()],
        inventor: Annotated[list[str], typer.Option(help="Person id or e-mail (repeat).")],
        disclosed_on: Text = None,
        nation: Annotated[
            list[str] | None, typer.Option(help="Country to decide filing in (repeat).")
        ] = None,
        summary: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record an invention: due for disclosure within the agreement's days of conception."""
        data = build(
            DisclosureIn,
            reference=reference,
            asset_id=_asset(asset),
            title=title,
            conceived_on=conceived_on,
            disclosed_on=disclosed_on,
            inventor_ids=[person_id(p, "inventor") for p in inventor],
            filing_nations=nation,
            summary=summary,
        )
        emit(services.create_disclosure(uow(), operator(), data), as_json)

    @ip.command("disclose")
    def disclose_(
        reference: str, on: Annotated[str, typer.Option()], as_json: JsonOpt = False
    ) -> None:
        """Record the day an invention was disclosed to the other parties."""
        data = build(DiscloseIn, disclosed_on=on)
        emit(services.disclose(uow(), operator(), _disclosure(reference), data), as_json)

    @ip.command("decide-filing")
    def decide_filing(
        reference: str,
        nation: Annotated[str, typer.Option()],
        choice: Annotated[FilingChoice, typer.Option()],
        decided_on: Text = None,
        filer: Annotated[str | None, typer.Option(help="The owner that files.")] = None,
        note: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record whether to file in a country (and who files)."""
        data = build(
            FilingDecisionIn,
            nation_code=nation.upper(),
            choice=choice,
            decided_on=decided_on,
            filing_organisation_id=organisation_id(filer, "filer") if filer else None,
            note=note,
        )
        emit(services.decide_filing(uow(), operator(), _disclosure(reference), data), as_json)

    @ip.command("licences")
    def licences(as_json: JsonOpt = False) -> None:
        """List licences and access rights."""
        emit(services.list_licences(uow(), operator()), as_json, LICENCE_COLUMNS)

    @ip.command("license")
    def license_(
        reference: Annotated[str, typer.Option()],
        asset: Annotated[str, typer.Option(help="The asset's reference.")],
        licensor: Annotated[str, typer.Option()],
        licensee: Annotated[str, typer.Option()],
        purpose: Annotated[list[str], typer.Option(help="Purpose (repeat).")],
        valid_from: Annotated[str, typer.Option()],
        valid_until: Text = None,
        territory: Annotated[list[str] | None, typer.Option(help="Nation (repeat).")] = None,
        kind: Annotated[LicenceKind, typer.Option()] = LicenceKind.LICENCE,
        field_of_use: Text = None,
        royalty: Annotated[Royalty, typer.Option()] = Royalty.ROYALTY_FREE,
        royalty_terms: Text = None,
        sublicensing: Annotated[bool, typer.Option("--sublicensing")] = False,
        exclusive: Annotated[bool, typer.Option("--exclusive")] = False,
        terms: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record a licence or access right; refused if wider than the licensor holds."""
        data = build(
            LicenceIn,
            reference=reference,
            kind=kind,
            asset_id=_asset(asset),
            licensor_id=organisation_id(licensor, "licensor"),
            licensee_id=organisation_id(licensee, "licensee"),
            purposes=purpose,
            territory=[t.upper() for t in territory or []],
            field_of_use=field_of_use,
            royalty=royalty,
            royalty_terms=royalty_terms,
            sublicensing=sublicensing,
            exclusive=exclusive,
            valid_from=valid_from,
            valid_until=valid_until,
            terms=terms,
        )
        emit(services.create_licence(uow(), operator(), data), as_json)

    @ip.command("terminate")
    def terminate(
        reference: str, reason: Annotated[str, typer.Option()], as_json: JsonOpt = False
    ) -> None:
        """Terminate a licence: it no longer gives any use."""
        licence = services.licence_id_for(uow(), operator(), reference)
        data = build(TerminateIn, reason=reason)
        emit(services.terminate_licence(uow(), operator(), licence, data), as_json)

    @ip.command("odrl")
    def odrl(
        licence: Annotated[
            str | None, typer.Option(help="One licence's reference; default: every licence.")
        ] = None,
    ) -> None:
        """Print licences and access rights as ODRL 2.2 JSON-LD (docs/odrl-profile.md)."""
        policies = services.licences_as_odrl(uow(), operator(), licence)
        sys.stdout.write(json.dumps(policies, indent=2, ensure_ascii=False) + "\n")

    @ip.command("transfers")
    def transfers(as_json: JsonOpt = False) -> None:
        """List transfer notices with their objection windows."""
        emit(services.list_transfers(uow(), operator()), as_json, TRANSFER_COLUMNS)

    @ip.command("notify-transfer")
    def notify_transfer(
        reference: Annotated[str, typer.Option()],
        asset: Annotated[str, typer.Option(help="The result's reference.")],
        kind: Annotated[TransferKind, typer.Option()],
        transferor: Annotated[str, typer.Option()],
        transferee: Annotated[str, typer.Option()],
        notified_on: Annotated[str, typer.Option()],
        share: Annotated[int | None, typer.Option(help="Assignment: percent assigned.")] = None,
        summary: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Give notice of an assignment or exclusive licence; the objection window opens."""
        data = build(
            TransferNoticeIn,
            reference=reference,
            asset_id=_asset(asset),
            kind=kind,
            transferor_id=organisation_id(transferor, "transferor"),
            transferee_id=organisation_id(transferee, "transferee"),
            share_percent=share,
            notified_on=notified_on,
            summary=summary,
        )
        emit(services.notify_transfer(uow(), operator(), data), as_json)

    @ip.command("object")
    def object_(
        reference: str,
        organisation: Annotated[str, typer.Option()],
        lodged_on: Annotated[str, typer.Option()],
        reason: Annotated[str, typer.Option()],
        as_json: JsonOpt = False,
    ) -> None:
        """Lodge a party's objection to a transfer notice, within its window."""
        data = build(
            ObjectionIn,
            organisation_id=organisation_id(organisation),
            lodged_on=lodged_on,
            reason=reason,
        )
        emit(services.object_to_transfer(uow(), operator(), _notice(reference), data), as_json)

    @ip.command("resolve-objection")
    def resolve(
        reference: str,
        organisation: Annotated[str, typer.Option()],
        outcome: Annotated[ObjectionOutcome, typer.Option()],
        resolved_on: Annotated[str, typer.Option()],
        resolution: Annotated[str, typer.Option()],
        as_json: JsonOpt = False,
    ) -> None:
        """Record how an objection ended: upheld, dismissed or withdrawn."""
        data = build(
            ObjectionResolutionIn,
            organisation_id=organisation_id(organisation),
            outcome=outcome,
            resolved_on=resolved_on,
            resolution=resolution,
        )
        emit(services.resolve_objection(uow(), operator(), _notice(reference), data), as_json)

    @ip.command("approve-transfer")
    def approve(
        reference: str,
        approved_on: Annotated[str, typer.Option()],
        decision: Annotated[str, typer.Option(help="The parties' decision (minutes, letter).")],
        as_json: JsonOpt = False,
    ) -> None:
        """Record the parties' approval of a transfer to a non-participant nation."""
        data = build(ApprovalIn, approved_on=approved_on, approval_reference=decision)
        emit(services.approve_transfer(uow(), operator(), _notice(reference), data), as_json)

    @ip.command("complete-transfer")
    def complete(
        reference: str, completed_on: Annotated[str, typer.Option()], as_json: JsonOpt = False
    ) -> None:
        """Carry out a transfer; refused while its objection window is open."""
        data = build(CompletionIn, completed_on=completed_on)
        emit(services.complete_transfer(uow(), operator(), _notice(reference), data), as_json)

    @ip.command("withdraw-transfer")
    def withdraw(reference: str, as_json: JsonOpt = False) -> None:
        """Withdraw a pending transfer notice."""
        emit(services.withdraw_transfer(uow(), operator(), _notice(reference)), as_json)

    @ip.command("report")
    def report(
        name: Annotated[str, typer.Argument(help="register, ownership or deadlines")],
        agreement: Text = None,
        project: Text = None,
        within_days: Annotated[int, typer.Option()] = 90,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write CSV or XLSX (by suffix).")
        ] = None,
    ) -> None:
        """Print an IP report as CSV, or write it to a .csv or .xlsx file."""
        if name not in ("register", "ownership", "deadlines"):
            raise ValidationFailed.of("name", "is one of register, ownership, deadlines")
        if name != "register" and (agreement or project):
            raise ValidationFailed.of("agreement", "only the register is filtered by agreement")
        table = reports.report(
            uow(),
            operator(),
            cast(reports.ReportName, name),
            agreement_id=agreement_id(agreement) if agreement else None,
            project_id=project_id(project) if project else None,
            within_days=within_days,
        )
        if output is None:
            sys.stdout.write(tables.as_csv(table).decode("utf-8"))
            return
        suffix = output.suffix.lower().lstrip(".")
        if suffix not in ("csv", "xlsx"):
            raise ValidationFailed.of("output", "name a .csv or .xlsx file")
        output.write_bytes(tables.render(table, cast(tables.Format, suffix)))
        typer.echo(f"{len(table.rows)} row(s) written to {output}")
