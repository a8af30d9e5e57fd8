"""Report pages: the reports one may know of with the forms to generate one and to schedule
them, one report drawn from its own PDF's figures (after the engine's ``read`` decision),
and the progress of a project."""

from __future__ import annotations

import base64
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Principal
from coalition.errors import CoalitionError
from coalition.reports import charts, schedules, services
from coalition.reports.models import Frequency, ReportScope
from coalition.reports.schemas import ReportIn, ScheduleIn
from coalition.risks import charts as risk_charts
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)
SCOPES = [(s.value, s.value) for s in ReportScope]
FREQUENCIES = [(f.value, f.value) for f in Frequency]


def image(svg: str) -> str:
    """An SVG chart as a data: address: the page's content security policy refuses the
    inline styles of an SVG written into the page itself."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _list(
    request: Request,
    actor: Principal,
    project: str | None = None,
    agreement: str | None = None,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    factory = request.app.state.uow_factory
    return render(
        request,
        "reports/list.html",
        actor,
        {
            "section": "reports",
            "reports": services.list_reports(
                factory(), actor, project=project, agreement=agreement
            ),
            "schedules": schedules.list_schedules(
                factory(), actor, project=project, agreement=agreement
            ),
            "filters": {"project": project, "agreement": agreement},
            "scopes": SCOPES,
            "frequencies": FREQUENCIES,
            "errors": errors or {},
            "values": {"generate": {"scope": "project", "project": project}, "schedule": {}}
            | (values or {}),
        },
        status_code=status_code,
    )


@router.get("/reports")
def reports_page(
    request: Request,
    actor: WebPrincipal,
    project: Annotated[str | None, AnyChoice] = None,
    agreement: Annotated[str | None, AnyChoice] = None,
) -> Response:
    return _list(request, actor, project, agreement)


def _scoped(values: dict[str, Any]) -> dict[str, Any]:
    """The form offers both subject fields; only the scope's one is sent on."""
    scope = values.get("scope", ReportScope.PROJECT.value)
    other = "agreement" if scope == ReportScope.PROJECT.value else "project"
    return {k: v for k, v in values.items() if k != other}


@router.post("/reports")
def generate_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        made = services.generate_report(
            uow, actor, parse(ReportIn, _scoped(values)), request.app.state.settings
        )
    except CoalitionError as exc:
        errors = {"generate": form_errors(exc)}
        return _list(
            request, actor, errors=errors, values={"generate": values}, status_code=exc.status
        )
    flash(request, f"Report {made.reference} generated, marked {made.banner}.")
    return RedirectResponse(f"/reports/{made.id}", status_code=303)


@router.post("/reports/schedules")
def schedule_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        made = schedules.create_schedule(uow, actor, parse(ScheduleIn, _scoped(values)))
    except CoalitionError as exc:
        errors = {"schedule": form_errors(exc)}
        return _list(
            request, actor, errors=errors, values={"schedule": values}, status_code=exc.status
        )
    flash(
        request,
        f"{made.frequency.value.capitalize()} reports of {made.project or made.agreement} "
        f"scheduled from {made.next_period_start}.",
    )
    return RedirectResponse("/reports", status_code=303)


@router.get("/reports/{report_id}")
def report_page(report_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    view = services.read_report(
        request.app.state.uow_factory(), actor, report_id, request.app.state.settings
    )
    content = view.content
    drawn = [
        {"key": c.key, "src": image(charts.as_svg(c)), "title": c.title, "text": c.text}
        for c in charts.charts_of(content)
    ]
    heat = content.risks.heat
    return render(
        request,
        "reports/report.html",
        actor,
        {
            "section": "reports",
            "r": view.report,
            "c": content,
            "charts": {c["key"]: c for c in drawn},
            "heat": {
                "src": image(risk_charts.heat_map_chart(heat)),
                "key": "heat",
                "title": "Risk heat map at the end of the period",
                "text": risk_charts.heat_map_text(heat),
            },
        },
    )


@router.get("/progress")
def progress_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    project: Annotated[str | None, AnyChoice] = None,
    on: Annotated[date | None, AnyChoice] = None,
) -> Response:
    found = services.project_progress(uow, actor, project, on) if project else None
    chart = charts.progress_chart(found.summary, "due to date") if found else None
    spend = found.spend if found else None
    spent = charts.spend_chart(spend) if spend and spend.by_month else None
    return render(
        request,
        "reports/progress.html",
        actor,
        {
            "section": "reports",
            "p": found,
            "values": {"project": project, "on": on},
            "chart": {"src": image(charts.as_svg(chart)), "text": chart.text} if chart else None,
            "spend_chart": {"src": image(charts.as_svg(spent)), "text": spent.text}
            if spent
            else None,
        },
    )
