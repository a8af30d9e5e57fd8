"""Funding pages: the balance of an agreement (per nation, with its charts, contributions
and workshare), the budget of a project against actuals, the forms that record them, one
contribution with the oversight body's decision, and the import of budget and
contribution files."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Principal
from coalition.common import tables
from coalition.errors import CoalitionError, ValidationFailed
from coalition.funding import charts, imports, reports, services
from coalition.funding.models import (
    AwardKind,
    ContributionKind,
    CostCategory,
    InKindType,
    PlanKind,
    SpendKind,
)
from coalition.funding.schemas import (
    BudgetLineIn,
    ContributionDecisionIn,
    ContributionIn,
    ExpenditureIn,
    WithdrawalIn,
    WorkshareAwardIn,
)
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)
#: Contributions and awards listed on the page; the downloads and the API give more.
LISTED = 100


def _choices(values: Any) -> list[tuple[str, str]]:
    return [(v.value, v.value.replace("_", " ")) for v in values]


OPTIONS = {
    "categories": _choices(CostCategory),
    "plan_kinds": _choices(PlanKind),
    "spend_kinds": _choices(SpendKind),
    "contribution_kinds": _choices(ContributionKind),
    "in_kind_types": _choices(InKindType),
    "award_kinds": _choices(AwardKind),
}


def _context(request: Request, actor: Principal, **extra: Any) -> dict[str, Any]:
    choices = services.form_choices(request.app.state.uow_factory(), actor)
    return {
        "section": "funding",
        "choices": {name: [(c, c) for c in codes] for name, codes in choices.items()},
        "errors": {},
        "values": {},
        **OPTIONS,
        **extra,
    }


# --- balance ----------------------------------------------------------------------------------


@router.get("/funding")
def funding_page(
    request: Request,
    actor: WebPrincipal,
    agreement: Annotated[str | None, AnyChoice] = None,
    currency: Annotated[str | None, AnyChoice] = None,
    fiscal_nation: Annotated[str | None, AnyChoice] = None,
) -> Response:
    factory = request.app.state.uow_factory
    context = _context(request, actor)
    agreements = [a for a, _ in context["choices"]["agreements"]]
    chosen = agreement or _first_with_money(factory, actor, agreements)
    report = error = None
    if chosen:
        try:
            report = reports.balance(
                factory(),
                actor,
                chosen,
                currency=currency.upper() if currency else None,
                fiscal_nation=fiscal_nation.upper() if fiscal_nation else None,
            )
        except ValidationFailed as exc:
            error = exc.detail
    return render(
        request,
        "funding/balance.html",
        actor,
        {
            **context,
            "agreement": chosen,
            "currency": currency or "",
            "fiscal_nation": fiscal_nation or "",
            "report": report,
            "error": error,
            "contributions": services.list_contributions(
                factory(), actor, agreement_reference=chosen, limit=LISTED
            )
            if chosen
            else [],
            "awards": services.list_awards(
                factory(), actor, agreement_reference=chosen, limit=LISTED
            )
            if chosen
            else [],
        },
    )


BalanceChart = Literal["balance", "trend", "contributions"]
_BALANCE_CHARTS = {
    "balance": charts.balance_chart,
    "trend": charts.trend_chart,
    "contributions": charts.contributions_chart,
}


@router.get("/funding/charts/{name}.svg")
def balance_chart(
    name: BalanceChart,
    actor: WebPrincipal,
    uow: UowDep,
    agreement: str,
    currency: Annotated[str | None, AnyChoice] = None,
    fiscal_nation: Annotated[str | None, AnyChoice] = None,
) -> Response:
    """A chart as its own image, so that each page's charts keep their styles and ids
    apart; the page gives each one a text alternative with its figures."""
    report = reports.balance(
        uow,
        actor,
        agreement,
        currency=currency.upper() if currency else None,
        fiscal_nation=fiscal_nation.upper() if fiscal_nation else None,
    )
    return Response(_BALANCE_CHARTS[name](report), media_type="image/svg+xml")


@router.get("/funding/budget/chart.svg")
def budget_chart(
    actor: WebPrincipal,
    uow: UowDep,
    project: str,
    currency: Annotated[str | None, AnyChoice] = None,
) -> Response:
    report = reports.budget(uow, actor, project, currency=currency.upper() if currency else None)
    return Response(charts.budget_chart(report), media_type="image/svg+xml")


def _first_with_money(factory: Any, actor: Principal, agreements: list[str]) -> str | None:
    """The page opens on the first agreement that keeps cost-share accounts."""
    for contribution in services.list_contributions(factory(), actor):
        return contribution.agreement
    return agreements[0] if agreements else None


@router.get("/funding/balance.{fmt}")
def balance_download(
    fmt: Literal["csv", "xlsx"],
    actor: WebPrincipal,
    uow: UowDep,
    agreement: str,
    currency: Annotated[str | None, AnyChoice] = None,
    fiscal_nation: Annotated[str | None, AnyChoice] = None,
) -> Response:
    report = reports.balance(
        uow,
        actor,
        agreement,
        currency=currency.upper() if currency else None,
        fiscal_nation=fiscal_nation.upper() if fiscal_nation else None,
    )
    return _download(reports.balance_table(report), fmt, f"balance-{agreement}")


def _download(table: tables.Table, fmt: Literal["csv", "xlsx"], name: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return Response(
        tables.render(table, fmt),
        media_type=tables.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'},
    )


# --- contributions ----------------------------------------------------------------------------


@router.get("/funding/contributions/new")
def new_contribution_page(
    request: Request, actor: WebPrincipal, agreement: str | None = None
) -> Response:
    values = {"agreement": agreement} if agreement else {}
    return render(
        request, "funding/contribution_form.html", actor, _context(request, actor, values=values)
    )


@router.post("/funding/contributions/new")
def create_contribution_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        created = services.record_contribution(uow, actor, parse(ContributionIn, values))
    except CoalitionError as exc:
        return render(
            request,
            "funding/contribution_form.html",
            actor,
            _context(request, actor, values=values, errors=form_errors(exc)),
            status_code=exc.status,
        )
    counted = "counted" if created.status == "accepted" else "awaiting the oversight body"
    flash(request, f"Contribution {created.reference} recorded ({counted}).")
    return RedirectResponse(f"/funding?agreement={created.agreement}", status_code=303)


@router.get("/funding/contributions/{contribution_id}")
def contribution_page(
    contribution_id: uuid.UUID, request: Request, actor: WebPrincipal
) -> Response:
    return _contribution(request, actor, contribution_id)


def _contribution(
    request: Request,
    actor: Principal,
    contribution_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    c = services.get_contribution(request.app.state.uow_factory(), actor, contribution_id)
    return render(
        request,
        "funding/contribution.html",
        actor,
        _context(request, actor, c=c, errors=errors or {}, values=values or {}),
        status_code=status_code,
    )


@router.post("/funding/contributions/{contribution_id}/decision")
def decide_page(
    contribution_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    try:
        decided = services.decide_contribution(
            uow, actor, contribution_id, parse(ContributionDecisionIn, values)
        )
    except CoalitionError as exc:
        return _contribution(
            request, actor, contribution_id, form_errors(exc), values, status_code=exc.status
        )
    flash(request, f"Contribution {decided.reference} {decided.status}.")
    return RedirectResponse(f"/funding/contributions/{contribution_id}", status_code=303)


@router.post("/funding/contributions/{contribution_id}/withdraw")
def withdraw_contribution_page(
    contribution_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    try:
        withdrawn = services.withdraw_contribution(
            uow, actor, contribution_id, parse(WithdrawalIn, values)
        )
    except CoalitionError as exc:
        return _contribution(
            request,
            actor,
            contribution_id,
            {"withdraw": form_errors(exc)},
            values,
            status_code=exc.status,
        )
    flash(request, f"Contribution {withdrawn.reference} withdrawn.")
    return RedirectResponse(f"/funding/contributions/{contribution_id}", status_code=303)


# --- workshare --------------------------------------------------------------------------------


@router.get("/funding/workshare/new")
def new_award_page(request: Request, actor: WebPrincipal, project: str | None = None) -> Response:
    values = {"project": project} if project else {}
    return render(
        request, "funding/award_form.html", actor, _context(request, actor, values=values)
    )


@router.post("/funding/workshare/new")
def create_award_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        created = services.award_workshare(uow, actor, parse(WorkshareAwardIn, values))
    except CoalitionError as exc:
        return render(
            request,
            "funding/award_form.html",
            actor,
            _context(request, actor, values=values, errors=form_errors(exc)),
            status_code=exc.status,
        )
    flash(request, f"Award {created.reference} recorded for {created.organisation}.")
    return RedirectResponse(f"/funding?agreement={created.agreement}", status_code=303)


@router.get("/funding/workshare/{award_id}")
def award_page(award_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _award(request, actor, award_id)


def _award(
    request: Request,
    actor: Principal,
    award_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    a = services.get_award(request.app.state.uow_factory(), actor, award_id)
    return render(
        request,
        "funding/award.html",
        actor,
        _context(request, actor, a=a, errors=errors or {}, values=values or {}),
        status_code=status_code,
    )


@router.post("/funding/workshare/{award_id}/withdraw")
def withdraw_award_page(
    award_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        withdrawn = services.withdraw_award(uow, actor, award_id, parse(WithdrawalIn, values))
    except CoalitionError as exc:
        return _award(request, actor, award_id, form_errors(exc), values, status_code=exc.status)
    flash(request, f"Award {withdrawn.reference} withdrawn.")
    return RedirectResponse(f"/funding/workshare/{award_id}", status_code=303)


# --- budget -----------------------------------------------------------------------------------


@router.get("/funding/budget")
def budget_page(
    request: Request,
    actor: WebPrincipal,
    project: Annotated[str | None, AnyChoice] = None,
    currency: Annotated[str | None, AnyChoice] = None,
) -> Response:
    return _budget(request, actor, project, currency)


def _budget(
    request: Request,
    actor: Principal,
    project: str | None,
    currency: str | None,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    factory = request.app.state.uow_factory
    context = _context(request, actor, errors=errors or {}, values=values or {})
    chosen = project or next(
        (line.project for line in services.list_budget_lines(factory(), actor)), None
    )
    report = error = None
    if chosen:
        try:
            report = reports.budget(
                factory(), actor, chosen, currency=currency.upper() if currency else None
            )
        except ValidationFailed as exc:
            error = exc.detail
    return render(
        request,
        "funding/budget.html",
        actor,
        {
            **context,
            "costs": services.list_expenditures(factory(), actor, project_code=chosen, limit=LISTED)
            if chosen
            else [],
            "project": chosen,
            "currency": currency or "",
            "report": report,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/funding/budget.{fmt}")
def budget_download(
    fmt: Literal["csv", "xlsx"],
    actor: WebPrincipal,
    uow: UowDep,
    project: str,
    currency: Annotated[str | None, AnyChoice] = None,
) -> Response:
    report = reports.budget(uow, actor, project, currency=currency.upper() if currency else None)
    return _download(reports.budget_table(report), fmt, f"budget-{project}")


@router.post("/funding/budget/lines")
def set_budget_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        line = services.set_budget_line(uow, actor, parse(BudgetLineIn, values))
    except CoalitionError as exc:
        return _budget(
            request,
            actor,
            values.get("project"),
            None,
            {"budget": form_errors(exc)},
            values,
            exc.status,
        )
    flash(
        request,
        f"{line.kind.capitalize()} of {line.work_package} {line.category} "
        f"FY{line.fiscal_year} set.",
    )
    return RedirectResponse(f"/funding/budget?project={line.project}", status_code=303)


@router.post("/funding/budget/costs")
def book_cost_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        cost = services.record_expenditure(uow, actor, parse(ExpenditureIn, values))
    except CoalitionError as exc:
        return _budget(
            request,
            actor,
            values.get("project"),
            None,
            {"cost": form_errors(exc)},
            values,
            exc.status,
        )
    flash(request, f"{cost.kind.capitalize()} of {cost.amount} {cost.currency} booked.")
    return RedirectResponse(f"/funding/budget?project={cost.project}", status_code=303)


# --- import -----------------------------------------------------------------------------------


@router.get("/funding/import")
def import_page(request: Request, actor: WebPrincipal) -> Response:
    return render(request, "funding/import.html", actor, _context(request, actor))


@router.get("/funding/import/{kind}-template.{fmt}")
def import_template(
    kind: Literal["budget", "contributions"], fmt: Literal["csv", "xlsx"], actor: WebPrincipal
) -> Response:
    return _download(imports.template(kind), fmt, f"{kind}-template")


@router.post("/funding/import")
async def import_post(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    kind = str(form.get("kind") or "")
    partial = form.get("partial") == "true"
    upload = form.get("file")
    problems: list[tuple[str, str]] = []
    result = None
    try:
        if kind not in ("budget", "contributions"):
            raise ValidationFailed.of("kind", "choose budget or contributions")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed.of("file", "choose a .csv or .xlsx file")
        content = await upload.read(imports.MAX_BYTES + 1)
        rows = await run_in_threadpool(imports.read_rows, content, upload.filename)
        result = await run_in_threadpool(
            services.import_rows, uow, actor, kind, rows, partial=partial
        )
    except ValidationFailed as exc:
        problems = [(p.field, p.message) for p in exc.problems]
    except CoalitionError as exc:
        problems = [("", exc.detail)]
    context = await run_in_threadpool(
        _context,
        request,
        actor,
        result=result,
        problems=problems,
        values={"kind": kind, "partial": partial},
    )
    return render(
        request, "funding/import.html", actor, context, status_code=422 if problems else 200
    )
