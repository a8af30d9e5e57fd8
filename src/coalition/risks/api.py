"""API routes of the risk register."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status

from coalition.risks import charts, services
from coalition.risks.models import RiskStatus
from coalition.risks.schemas import AssessmentIn, HeatMapOut, ReassignIn, RiskIn, RiskOut
from coalition.web.deps import ApiPrincipal, SettingsDep, UowDep

router = APIRouter(tags=["risks"])

Rating = Annotated[int | None, Query(ge=1, le=5)]
SVG = "image/svg+xml"


@router.get("/risks")
def list_risks(
    actor: ApiPrincipal,
    uow: UowDep,
    project: Annotated[str | None, Query(max_length=40, description="Project code.")] = None,
    work_package: Annotated[
        str | None, Query(max_length=20, description="Work package code.")
    ] = None,
    status: RiskStatus | None = None,
    live: Annotated[bool, Query(description="Leave closed risks out.")] = False,
    min_score: Annotated[int | None, Query(ge=1, le=25)] = None,
    owner_id: uuid.UUID | None = None,
    likelihood: Rating = None,
    impact: Rating = None,
) -> list[RiskOut]:
    """The risks the caller may read, highest score first; no other is counted."""
    return services.list_risks(
        uow,
        actor,
        project=project,
        work_package=work_package,
        status=status,
        live=live,
        min_score=min_score,
        owner_id=owner_id,
        likelihood=likelihood,
        impact=impact,
    )


@router.post("/risks", status_code=status.HTTP_201_CREATED)
def raise_risk(actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: RiskIn) -> RiskOut:
    """Raise a risk of a project (or one of its work packages); its owner is told."""
    return services.raise_risk(uow, actor, data, settings)


@router.get(
    "/risks/heat-map",
    response_model=HeatMapOut,
    responses={200: {"content": {SVG: {}}, "description": "JSON, or the SVG by `format`."}},
)
def heat_map(
    actor: ApiPrincipal,
    uow: UowDep,
    project: Annotated[str | None, Query(max_length=40, description="Project code.")] = None,
    work_package: Annotated[
        str | None, Query(max_length=20, description="Work package code.")
    ] = None,
    format: Literal["json", "svg"] = "json",
) -> Any:
    """How many live risks sit at each likelihood and impact, of one project or of all
    those the caller may read."""
    found = services.heat_map(uow, actor, project, work_package=work_package)
    if format == "svg":
        return Response(charts.heat_map_chart(found), media_type=SVG)
    return found


@router.get("/risks/{risk_id}")
def get_risk(risk_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> RiskOut:
    return services.get_risk(uow, actor, risk_id)


@router.get(
    "/risks/{risk_id}/trend.svg",
    response_class=Response,
    responses={200: {"content": {SVG: {}}, "description": "The score at each assessment."}},
)
def trend_chart(risk_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> Response:
    return Response(charts.trend_chart(services.get_risk(uow, actor, risk_id)), media_type=SVG)


@router.post("/risks/{risk_id}/assessments", status_code=status.HTTP_201_CREATED)
def assess_risk(
    risk_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: AssessmentIn,
) -> RiskOut:
    """Record an assessment (the owner may; others need `project:risk:manage`); the risk
    with its history is returned."""
    return services.assess_risk(uow, actor, risk_id, data, settings)


@router.post("/risks/{risk_id}/owner")
def reassign_risk(
    risk_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: ReassignIn,
) -> RiskOut:
    """Hand the risk to another owner, who is told."""
    return services.reassign_risk(uow, actor, risk_id, data, settings)
