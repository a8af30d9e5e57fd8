"""The utilisation page of a facility: its figures over days of its calendar (this month
unless chosen), the timeline chart as an image whose text alternative holds the figures,
and the CSV and XLSX downloads."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from coalition.common import tables
from coalition.errors import CoalitionError, Problems
from coalition.facilities import charts, reports, services
from coalition.web.deps import UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors
from coalition.web.templating import render

router = APIRouter(include_in_schema=False)
Day = Annotated[str | None, AnyChoice, Query()]


def _days(zone: str, first: str | None, last: str | None) -> tuple[date, date]:
    """The days asked for; this month of the facility's calendar by default."""
    today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    month = today.replace(day=1)
    end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    problems = Problems()
    out: list[date] = []
    for name, value, default in (("from", first, month), ("to", last, end)):
        try:
            out.append(date.fromisoformat(value) if value else default)
        except ValueError:
            problems.add(name, f"'{value}' is not a date (YYYY-MM-DD)")
            out.append(default)
    problems.raise_if_any()
    return out[0], out[1]


@router.get("/facilities/{facility_id}/utilisation")
def utilisation_page(
    facility_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    first: Annotated[Day, Query(alias="from")] = None,
    last: Annotated[Day, Query(alias="to")] = None,
) -> Response:
    factory = request.app.state.uow_factory
    f = services.get_facility(factory(), actor, facility_id)
    report, errors = None, {}
    values = {"from": first or "", "to": last or ""}
    try:
        days = _days(f.time_zone, first, last)
        values = {"from": days[0].isoformat(), "to": days[1].isoformat()}
        report = reports.utilisation(factory(), actor, facility_id, *days)
    except CoalitionError as exc:
        errors = form_errors(exc)
    return render(
        request,
        "facilities/utilisation.html",
        actor,
        {
            "section": "facilities",
            "f": f,
            "report": report,
            "errors": errors,
            "values": values,
        },
        status_code=422 if errors else 200,
    )


@router.get("/facilities/{facility_id}/utilisation.{fmt}")
def utilisation_download(
    facility_id: uuid.UUID,
    fmt: Literal["csv", "xlsx", "svg"],
    actor: WebPrincipal,
    uow: UowDep,
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
) -> Response:
    """The table as CSV or XLSX, or the timeline chart as its own image."""
    report = reports.utilisation(uow, actor, facility_id, first, last)
    if fmt == "svg":
        return Response(charts.timeline_chart(report), media_type="image/svg+xml")
    safe = f"utilisation-{report.facility}-{first}-{last}"
    return Response(
        tables.render(reports.utilisation_table(report), fmt),
        media_type=tables.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'},
    )
