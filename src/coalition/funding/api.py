"""API routes of funding and workshare."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, UploadFile, status
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from coalition.common import tables
from coalition.common.validation import CurrencyCode, NationCode
from coalition.funding import charts, imports, reports, services
from coalition.funding.models import ContributionStatus
from coalition.funding.schemas import (
    BalanceReport,
    BudgetLineIn,
    BudgetLineOut,
    BudgetReport,
    ContributionDecisionIn,
    ContributionIn,
    ContributionOut,
    ExpenditureIn,
    ExpenditureOut,
    ImportResult,
    WithdrawalIn,
    WorkshareAwardIn,
    WorkshareAwardOut,
)
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["funding"])
CREATED = status.HTTP_201_CREATED
Code = Annotated[str, Query(min_length=1, max_length=80)]

_DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            "image/svg+xml": {},
        },
        "description": "The report as JSON, or as CSV, XLSX or an SVG chart by `format`.",
    }
}


@router.get("/funding/budget-lines")
def list_budget_lines(
    actor: ApiPrincipal, uow: UowDep, project: Code | None = None
) -> list[BudgetLineOut]:
    return services.list_budget_lines(uow, actor, project_code=project)


@router.put("/funding/budget-lines")
def set_budget_line(actor: ApiPrincipal, uow: UowDep, data: BudgetLineIn) -> BudgetLineOut:
    """Set the budget or forecast of a work package, cost category and fiscal year of the
    funding nation; setting the same cell again replaces its amount."""
    return services.set_budget_line(uow, actor, data)


@router.get("/funding/expenditures")
def list_expenditures(
    actor: ApiPrincipal,
    uow: UowDep,
    project: Code | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[ExpenditureOut]:
    return services.list_expenditures(uow, actor, project_code=project, limit=limit)


@router.post("/funding/expenditures", status_code=CREATED)
def record_expenditure(actor: ApiPrincipal, uow: UowDep, data: ExpenditureIn) -> ExpenditureOut:
    """Book a commitment or an actual cost; a correction is a negative amount."""
    return services.record_expenditure(uow, actor, data)


@router.get("/funding/contributions")
def list_contributions(
    actor: ApiPrincipal,
    uow: UowDep,
    agreement: Code | None = None,
    status: ContributionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[ContributionOut]:
    """The latest contributions, newest first."""
    return services.list_contributions(
        uow, actor, agreement_reference=agreement, status=status, limit=limit
    )


@router.post("/funding/contributions", status_code=CREATED)
def record_contribution(actor: ApiPrincipal, uow: UowDep, data: ContributionIn) -> ContributionOut:
    """Record a contribution in cash or in kind; refused in a currency the agreement fixes
    no rate for, or on a day outside it. In kind counts once its valuation is accepted."""
    return services.record_contribution(uow, actor, data)


@router.get("/funding/contributions/{contribution_id}")
def get_contribution(
    contribution_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep
) -> ContributionOut:
    return services.get_contribution(uow, actor, contribution_id)


@router.post("/funding/contributions/{contribution_id}/decision")
def decide_contribution(
    contribution_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: ContributionDecisionIn
) -> ContributionOut:
    """The oversight body's acceptance or rejection of an in-kind valuation, recorded by
    another party's finance officer."""
    return services.decide_contribution(uow, actor, contribution_id, data)


@router.post("/funding/contributions/{contribution_id}/withdraw")
def withdraw_contribution(
    contribution_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: WithdrawalIn
) -> ContributionOut:
    """Withdraw a contribution recorded in error: it stays, with the reason, and counts
    nowhere."""
    return services.withdraw_contribution(uow, actor, contribution_id, data)


@router.get("/funding/workshare")
def list_awards(
    actor: ApiPrincipal,
    uow: UowDep,
    agreement: Code | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[WorkshareAwardOut]:
    """The latest awards, newest first."""
    return services.list_awards(uow, actor, agreement_reference=agreement, limit=limit)


@router.post("/funding/workshare", status_code=CREATED)
def award_workshare(actor: ApiPrincipal, uow: UowDep, data: WorkshareAwardIn) -> WorkshareAwardOut:
    """Record a contract or task awarded to an organisation of a party nation."""
    return services.award_workshare(uow, actor, data)


@router.get("/funding/imports/{kind}/template", response_class=Response, responses=_DOWNLOADS)
def import_template(
    kind: Literal["budget", "contributions"],
    actor: ApiPrincipal,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """The columns an import file of ``kind`` may have, with one example row."""
    return _download(imports.template(kind), format, f"{kind}-template")


@router.get("/funding/workshare/{award_id}")
def get_award(award_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> WorkshareAwardOut:
    return services.get_award(uow, actor, award_id)


@router.post("/funding/workshare/{award_id}/withdraw")
def withdraw_award(
    award_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: WithdrawalIn
) -> WorkshareAwardOut:
    """Withdraw an award recorded in error: it stays, with the reason, and no longer counts
    as workshare."""
    return services.withdraw_award(uow, actor, award_id, data)


@router.post("/funding/imports/{kind}")
async def import_file(
    kind: Literal["budget", "contributions"],
    file: UploadFile,
    actor: ApiPrincipal,
    uow: UowDep,
    partial: bool = False,
) -> ImportResult:
    """Import budget lines or contributions from CSV or XLSX (header row names the fields
    of the single command). All or nothing by default: a bad row changes nothing and the
    422 lists every bad row as ``rows[N].field``; with ``partial=true`` the good rows are
    kept and the bad ones returned as skipped."""
    content = await file.read(imports.MAX_BYTES + 1)
    rows = await run_in_threadpool(imports.read_rows, content, file.filename or "")
    return await run_in_threadpool(services.import_rows, uow, actor, kind, rows, partial=partial)


@router.get("/funding/reports/balance", response_model=BalanceReport, responses=_DOWNLOADS)
def balance_report(
    actor: ApiPrincipal,
    uow: UowDep,
    agreement: Code,
    currency: CurrencyCode | None = None,
    fiscal_nation: NationCode | None = None,
    format: Literal["json", "csv", "xlsx", "svg"] = "json",
) -> Any:
    """Contributions, workshare and the balance coefficient per nation, with the trend and
    contributions against agreed shares per fiscal year of ``fiscal_nation`` (calendar
    years by default), in any currency the agreement fixes a rate for."""
    report = reports.balance(uow, actor, agreement, currency=currency, fiscal_nation=fiscal_nation)
    if format == "json":
        return report
    if format == "svg":
        return Response(charts.balance_chart(report), media_type="image/svg+xml")
    return _download(reports.balance_table(report), format, f"balance-{agreement}")


@router.get("/funding/reports/budget", response_model=BudgetReport, responses=_DOWNLOADS)
def budget_report(
    actor: ApiPrincipal,
    uow: UowDep,
    project: Code,
    currency: CurrencyCode | None = None,
    format: Literal["json", "csv", "xlsx", "svg"] = "json",
) -> Any:
    """Budget, forecast, commitments and actuals per work package and cost category, and
    per funding nation in its own fiscal years."""
    report = reports.budget(uow, actor, project, currency=currency)
    if format == "json":
        return report
    if format == "svg":
        return Response(charts.budget_chart(report), media_type="image/svg+xml")
    return _download(reports.budget_table(report), format, f"budget-{project}")


def _download(table: tables.Table, fmt: Literal["csv", "xlsx"], name: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return Response(
        tables.render(table, fmt),
        media_type=tables.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'},
    )
