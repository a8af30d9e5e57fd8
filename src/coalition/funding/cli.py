"""`coalition funding`: budgets, expenditure, contributions, workshare, imports and the
balance and budget reports. Projects are named by code, work packages by code,
organisations by short name and agreements by reference, as in the import files."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, cast

import typer

from coalition.cli.context import build, emit, operator, uow
from coalition.common import tables
from coalition.errors import ValidationFailed
from coalition.funding import charts, imports, reports, services
from coalition.funding.models import (
    AwardKind,
    ContributionKind,
    ContributionStatus,
    CostCategory,
    InKindType,
    PlanKind,
    SpendKind,
)
from coalition.funding.schemas import (
    BalanceReport,
    BudgetLineIn,
    BudgetReport,
    ContributionDecisionIn,
    ContributionIn,
    ExpenditureIn,
    WithdrawalIn,
    WorkshareAwardIn,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Text = Annotated[str | None, typer.Option()]
Required = Annotated[str, typer.Option()]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write .csv, .xlsx or .svg (chart).")
]
BUDGET_COLUMNS = [
    "project",
    "work_package",
    "category",
    "nation",
    "fiscal_year",
    "kind",
    "amount",
    "currency",
]
SPEND_COLUMNS = [
    "incurred_on",
    "project",
    "work_package",
    "category",
    "organisation",
    "kind",
    "amount",
    "currency",
]
CONTRIBUTION_COLUMNS = [
    "reference",
    "made_on",
    "organisation",
    "nation",
    "kind",
    "amount",
    "currency",
    "status",
]
AWARD_COLUMNS = [
    "reference",
    "awarded_on",
    "organisation",
    "nation",
    "kind",
    "value",
    "currency",
    "title",
    "withdrawn_on",
]


def register(app: typer.Typer) -> None:
    funding = typer.Typer(
        help="Funding and workshare: budgets, costs, contributions, awards and the balance.",
        no_args_is_help=True,
    )
    app.add_typer(funding, name="funding")

    @funding.command("budget")
    def budget_lines(project: Text = None, as_json: JsonOpt = False) -> None:
        """List budget and forecast lines."""
        emit(
            services.list_budget_lines(uow(), operator(), project_code=project),
            as_json,
            BUDGET_COLUMNS,
        )

    @funding.command("set-budget")
    def set_budget(
        project: Required,
        work_package: Required,
        category: Annotated[CostCategory, typer.Option()],
        nation: Annotated[str, typer.Option(help="Funding nation (its fiscal years apply).")],
        fiscal_year: Annotated[int, typer.Option(help="Named by the year it ends in.")],
        amount: Required,
        currency: Required,
        kind: Annotated[PlanKind, typer.Option()] = PlanKind.BUDGET,
        note: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Set the budget (or forecast) of a work package, cost category and fiscal year."""
        data = build(
            BudgetLineIn,
            project=project,
            work_package=work_package,
            category=category,
            nation=nation,
            fiscal_year=fiscal_year,
            kind=kind,
            amount=amount,
            currency=currency,
            note=note,
        )
        emit(services.set_budget_line(uow(), operator(), data), as_json)

    @funding.command("costs")
    def costs(project: Text = None, limit: int = 500, as_json: JsonOpt = False) -> None:
        """List commitments and actual costs, latest first."""
        emit(
            services.list_expenditures(uow(), operator(), project_code=project, limit=limit),
            as_json,
            SPEND_COLUMNS,
        )

    @funding.command("book-cost")
    def book_cost(
        project: Required,
        work_package: Required,
        category: Annotated[CostCategory, typer.Option()],
        organisation: Required,
        incurred_on: Required,
        amount: Annotated[str, typer.Option(help="Negative for a correction.")],
        currency: Required,
        kind: Annotated[SpendKind, typer.Option()] = SpendKind.ACTUAL,
        reference: Text = None,
        description: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Book a commitment or an actual cost against a work package."""
        data = build(
            ExpenditureIn,
            project=project,
            work_package=work_package,
            category=category,
            organisation=organisation,
            kind=kind,
            incurred_on=incurred_on,
            amount=amount,
            currency=currency,
            reference=reference,
            description=description,
        )
        emit(services.record_expenditure(uow(), operator(), data), as_json)

    @funding.command("contributions")
    def contributions(
        agreement: Text = None,
        status: Annotated[ContributionStatus | None, typer.Option()] = None,
        limit: int = 500,
        as_json: JsonOpt = False,
    ) -> None:
        """List contributions, latest first."""
        emit(
            services.list_contributions(
                uow(), operator(), agreement_reference=agreement, status=status, limit=limit
            ),
            as_json,
            CONTRIBUTION_COLUMNS,
        )

    @funding.command("contribute")
    def contribute(
        reference: Required,
        agreement: Required,
        organisation: Required,
        made_on: Required,
        amount: Required,
        currency: Required,
        kind: Annotated[ContributionKind, typer.Option()] = ContributionKind.CASH,
        in_kind_type: Annotated[InKindType | None, typer.Option()] = None,
        project: Text = None,
        work_package: Text = None,
        description: Text = None,
        valuation_method: Annotated[
            str | None, typer.Option(help="In kind: how it was valued.")
        ] = None,
        evidence: Annotated[str | None, typer.Option(help="In kind: the evidence.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record a contribution in cash or in kind."""
        data = build(
            ContributionIn,
            reference=reference,
            agreement=agreement,
            organisation=organisation,
            made_on=made_on,
            amount=amount,
            currency=currency,
            kind=kind,
            in_kind_type=in_kind_type,
            project=project,
            work_package=work_package,
            description=description,
            valuation_method=valuation_method,
            evidence=evidence,
        )
        emit(services.record_contribution(uow(), operator(), data), as_json)

    @funding.command("decide-contribution")
    def decide(
        reference: str,
        outcome: Annotated[str, typer.Option(help="accepted or rejected")],
        decided_on: Required,
        decided_by: Annotated[str, typer.Option(help="The oversight body.")],
        decision_reference: Text = None,
        note: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record the oversight body's decision on an in-kind valuation."""
        data = build(
            ContributionDecisionIn,
            outcome=outcome,
            decided_on=decided_on,
            decided_by=decided_by,
            decision_reference=decision_reference,
            note=note,
        )
        contribution = services.contribution_id_for(uow(), operator(), reference)
        emit(services.decide_contribution(uow(), operator(), contribution, data), as_json)

    @funding.command("withdraw-contribution")
    def withdraw_contribution(
        reference: str,
        reason: Annotated[str, typer.Option(help="Why it was recorded in error.")],
        withdrawn_on: Annotated[str | None, typer.Option(help="Default: today.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Withdraw a contribution recorded in error (it stays, counted nowhere)."""
        data = build(WithdrawalIn, reason=reason, withdrawn_on=withdrawn_on or str(date.today()))
        contribution = services.contribution_id_for(uow(), operator(), reference)
        emit(services.withdraw_contribution(uow(), operator(), contribution, data), as_json)

    @funding.command("workshare")
    def workshare(agreement: Text = None, limit: int = 500, as_json: JsonOpt = False) -> None:
        """List the work awarded, latest first."""
        emit(
            services.list_awards(uow(), operator(), agreement_reference=agreement, limit=limit),
            as_json,
            AWARD_COLUMNS,
        )

    @funding.command("award")
    def award(
        reference: Required,
        project: Required,
        organisation: Required,
        title: Required,
        awarded_on: Required,
        value: Required,
        currency: Required,
        kind: Annotated[AwardKind, typer.Option()] = AwardKind.CONTRACT,
        work_package: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record a contract or task awarded to an organisation."""
        data = build(
            WorkshareAwardIn,
            reference=reference,
            project=project,
            organisation=organisation,
            title=title,
            awarded_on=awarded_on,
            value=value,
            currency=currency,
            kind=kind,
            work_package=work_package,
        )
        emit(services.award_workshare(uow(), operator(), data), as_json)

    @funding.command("withdraw-award")
    def withdraw_award(
        reference: str,
        reason: Annotated[str, typer.Option(help="Why it was recorded in error.")],
        withdrawn_on: Annotated[str | None, typer.Option(help="Default: today.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Withdraw an award recorded in error (it stays, no longer counted as workshare)."""
        data = build(WithdrawalIn, reason=reason, withdrawn_on=withdrawn_on or str(date.today()))
        award = services.award_id_for(uow(), operator(), reference)
        emit(services.withdraw_award(uow(), operator(), award, data), as_json)

    @funding.command("import")
    def import_file(
        kind: Annotated[str, typer.Argument(help="budget or contributions")],
        path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        partial: Annotated[
            bool, typer.Option(help="Keep the good rows and report the bad ones as skipped.")
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Import budget lines or contributions from CSV or XLSX; all or nothing by default."""
        if kind not in ("budget", "contributions"):
            raise ValidationFailed.of("kind", "is budget or contributions")
        rows = imports.read_rows(path.read_bytes(), path.name)
        result = services.import_rows(uow(), operator(), kind, rows, partial=partial)
        if as_json:
            emit(result, True)
            return
        sys.stdout.write(f"imported {result.imported} rows\n")
        for skipped in result.skipped:
            sys.stdout.write(f"skipped row {skipped.row}: {skipped.field}: {skipped.message}\n")

    @funding.command("import-template")
    def import_template(
        kind: Annotated[str, typer.Argument(help="budget or contributions")],
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write .csv or .xlsx.")
        ] = None,
    ) -> None:
        """The columns an import file may have, with one example row."""
        if kind not in imports.EXAMPLES:
            raise ValidationFailed.of("kind", "is budget or contributions")
        table = imports.template(kind)
        if output is None:
            sys.stdout.write(tables.as_csv(table).decode("utf-8"))
            return
        suffix = output.suffix.lower().lstrip(".")
        if suffix not in ("csv", "xlsx"):
            raise ValidationFailed.of("output", "name a .csv or .xlsx file")
        output.write_bytes(tables.render(table, cast(tables.Format, suffix)))

    @funding.command("balance")
    def balance(
        agreement: str,
        currency: Text = None,
        fiscal_nation: Annotated[
            str | None, typer.Option(help="Periods in its fiscal years.")
        ] = None,
        output: Output = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The workshare balance per nation, with the alerts of nations outside the band."""
        report = reports.balance(
            uow(),
            operator(),
            agreement,
            currency=_upper(currency),
            fiscal_nation=_upper(fiscal_nation),
        )
        _report(report, reports.balance_table(report), output, as_json)
        if not as_json and output is None:
            for alert in report.alerts:
                sys.stdout.write(f"ALERT: {alert}\n")

    @funding.command("budget-report")
    def budget_report(
        project: str,
        currency: Text = None,
        output: Output = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Budget, forecast, commitments and actuals per work package and cost category."""
        report = reports.budget(uow(), operator(), project, currency=_upper(currency))
        _report(report, reports.budget_table(report), output, as_json)


def _upper(value: str | None) -> str | None:
    return value.strip().upper() if value else None


def _report(
    report: BalanceReport | BudgetReport, table: tables.Table, output: Path | None, as_json: bool
) -> None:
    if as_json:
        emit(report, True)
        return
    if output is None:
        sys.stdout.write(tables.as_csv(table).decode("utf-8"))
        return
    suffix = output.suffix.lower().lstrip(".")
    if suffix == "svg":
        chart = (
            charts.balance_chart(report)
            if isinstance(report, BalanceReport)
            else charts.budget_chart(report)
        )
        output.write_text(chart, encoding="utf-8")
        return
    if suffix not in ("csv", "xlsx"):
        raise ValidationFailed.of("output", "name a .csv, .xlsx or .svg file")
    output.write_bytes(tables.render(table, cast(tables.Format, suffix)))
