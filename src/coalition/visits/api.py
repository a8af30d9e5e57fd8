"""API routes of requests for visit."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from coalition.visits import services
from coalition.visits.models import VisitStatus
from coalition.visits.schemas import (
    ClearanceConfirmationIn,
    ReminderOut,
    VisitCancelIn,
    VisitDecisionIn,
    VisitIn,
    VisitOut,
)
from coalition.web.deps import ApiPrincipal, SettingsDep, UowDep

router = APIRouter(tags=["visits"])


@router.get("/visits")
def list_visits(
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    status: VisitStatus | None = None,
    facility: Annotated[str | None, Query(max_length=40)] = None,
    visitor_id: uuid.UUID | None = None,
    waiting: Annotated[
        bool, Query(description="Only the visits whose pending step the caller may take.")
    ] = False,
) -> list[VisitOut]:
    """The requests for visit the caller may see, soonest first; no other is counted."""
    return services.list_visits(
        uow,
        actor,
        settings,
        status=status,
        facility=facility,
        visitor_id=visitor_id,
        waiting=waiting,
    )


@router.post("/visits", status_code=status.HTTP_201_CREATED)
def request_visit(
    actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: VisitIn
) -> VisitOut:
    """Request a visit: refused in the past, at short notice without a justification, or
    for a visitor the engine would never let see the facility's label."""
    return services.request_visit(uow, actor, data, settings)


@router.post("/visits/reminders")
def send_reminders(actor: ApiPrincipal, uow: UowDep, settings: SettingsDep) -> list[ReminderOut]:
    """Record reminders of pending steps due soon or overdue (once a day per visit)."""
    return services.send_reminders(uow, actor, settings)


@router.get("/visits/{visit_id}")
def get_visit(
    visit_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, settings: SettingsDep
) -> VisitOut:
    return services.get_visit(uow, actor, visit_id, settings)


@router.post("/visits/{visit_id}/clearance")
def confirm_clearance(
    visit_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: ClearanceConfirmationIn,
) -> VisitOut:
    """The visitor's home security office confirms or refuses the clearance."""
    return services.confirm_clearance(uow, actor, visit_id, data, settings)


@router.post("/visits/{visit_id}/decision")
def decide_visit(
    visit_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: VisitDecisionIn,
) -> VisitOut:
    """The host nation's security office approves (naming an escort where required) or
    rejects."""
    return services.decide_visit(uow, actor, visit_id, data, settings)


@router.post("/visits/{visit_id}/cancel")
def cancel_visit(
    visit_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: VisitCancelIn,
) -> VisitOut:
    return services.cancel_visit(uow, actor, visit_id, data, settings)
