"""API routes of reports, their schedules and the progress of projects."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from starlette.responses import RedirectResponse

from coalition.reports import schedules, services
from coalition.reports.schemas import (
    ProgressOut,
    ReportIn,
    ReportOut,
    RunDueOut,
    ScheduleIn,
    ScheduleOut,
)
from coalition.web.deps import ApiPrincipal, SettingsDep, UowDep

router = APIRouter(tags=["reports"])

ProjectCode = Annotated[str | None, Query(max_length=40, description="Project code.")]
AgreementReference = Annotated[str | None, Query(max_length=80, description="Agreement reference.")]


@router.get("/reports")
def list_reports(
    actor: ApiPrincipal,
    uow: UowDep,
    project: ProjectCode = None,
    agreement: AgreementReference = None,
) -> list[ReportOut]:
    """The reports the caller may know of (the engine decides on each report's artifact),
    the latest period first."""
    return services.list_reports(uow, actor, project=project, agreement=agreement)


@router.post("/reports", status_code=status.HTTP_201_CREATED)
def generate_report(
    actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: ReportIn
) -> ReportOut:
    """Generate the report of a project or an agreement for a period of days past within
    it: stored as an artifact of kind `report` under the highest label of what it
    includes. Needs `organisation:governance:manage` over the project or agreement."""
    return services.generate_report(uow, actor, data, settings)


@router.get("/reports/schedules")
def list_schedules(
    actor: ApiPrincipal,
    uow: UowDep,
    project: ProjectCode = None,
    agreement: AgreementReference = None,
) -> list[ScheduleOut]:
    return schedules.list_schedules(uow, actor, project=project, agreement=agreement)


@router.post("/reports/schedules", status_code=status.HTTP_201_CREATED)
def create_schedule(actor: ApiPrincipal, uow: UowDep, data: ScheduleIn) -> ScheduleOut:
    """Report on a project or agreement every month, quarter or year."""
    return schedules.create_schedule(uow, actor, data)


@router.post("/reports/schedules/{schedule_id}/stop")
def stop_schedule(schedule_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> ScheduleOut:
    return schedules.stop_schedule(uow, actor, schedule_id)


@router.post("/reports/run-due")
def run_due(actor: ApiPrincipal, request: Request, settings: SettingsDep) -> RunDueOut:
    """Generate every scheduled report whose period has ended (each period once). Needs
    `node:governance:tick`; the governance clock does the same."""
    return schedules.generate_due(request.app.state.uow_factory, actor, settings)


@router.get("/reports/{report_id}")
def get_report(report_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> ReportOut:
    return services.get_report(uow, actor, report_id)


@router.get(
    "/reports/{report_id}/pdf",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses={303: {"description": "The report's artifact content (version 1), to download."}},
)
def report_pdf(report_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> RedirectResponse:
    """Where the PDF is handed out: the artifact's content, decided by the engine (and
    recorded) for whoever follows the link."""
    found = services.get_report(uow, actor, report_id)
    return RedirectResponse(
        f"/api/v1/artifacts/{found.artifact_id}/content?version=1", status_code=303
    )


@router.get("/progress")
def progress(
    actor: ApiPrincipal,
    uow: UowDep,
    project: Annotated[str, Query(min_length=1, max_length=40, description="Project code.")],
    on: Annotated[date | None, Query(description="Default: today.")] = None,
) -> ProgressOut:
    """A project's milestones and deliverables against plan, readiness history and spend
    against plan, as at ``on``."""
    return services.project_progress(uow, actor, project, on)
