"""API routes of disputes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from coalition.disputes import services
from coalition.disputes.models import DisputeStatus, DisputeSubject
from coalition.disputes.schemas import (
    DisputeIn,
    DisputeOut,
    EscalatedOut,
    EscalationIn,
    SettlementIn,
    WithdrawalIn,
)
from coalition.web.deps import ApiPrincipal, SettingsDep, UowDep

router = APIRouter(tags=["disputes"])


@router.get("/disputes")
def list_disputes(
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    agreement: Annotated[str | None, Query(max_length=80, description="Reference.")] = None,
    status: DisputeStatus | None = None,
    subject: DisputeSubject | None = None,
    overdue: Annotated[
        bool, Query(description="Only the open disputes whose level's time has run out.")
    ] = False,
) -> list[DisputeOut]:
    """The disputes the caller may see, the soonest due first; no other is counted."""
    return services.list_disputes(
        uow, actor, settings, agreement=agreement, status=status, subject=subject, overdue=overdue
    )


@router.post("/disputes", status_code=status.HTTP_201_CREATED)
def raise_dispute(
    actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: DisputeIn
) -> DisputeOut:
    """Raise a dispute for a party to an agreement against other parties; it starts at the
    first level of the agreement's dispute ladder."""
    return services.raise_dispute(uow, actor, data, settings)


@router.post("/disputes/escalations")
def escalate_due(actor: ApiPrincipal, uow: UowDep, settings: SettingsDep) -> list[EscalatedOut]:
    """The automatic escalation: take up every open dispute whose level's time has run
    out, level by level (``node:governance:tick``). Running it twice changes nothing."""
    return services.escalate_due(uow, actor, settings)


@router.get("/disputes/{dispute_id}")
def get_dispute(
    dispute_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, settings: SettingsDep
) -> DisputeOut:
    return services.get_dispute(uow, actor, dispute_id, settings)


@router.post("/disputes/{dispute_id}/escalation")
def escalate(
    dispute_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: EscalationIn,
) -> DisputeOut:
    """Take the dispute one level up by hand; a level may not be skipped."""
    return services.escalate(uow, actor, dispute_id, data, settings)


@router.post("/disputes/{dispute_id}/settlement")
def settle(
    dispute_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: SettlementIn,
) -> DisputeOut:
    """Record what the parties agreed: the dispute is resolved."""
    return services.settle(uow, actor, dispute_id, data, settings)


@router.post("/disputes/{dispute_id}/withdrawal")
def withdraw(
    dispute_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: WithdrawalIn,
) -> DisputeOut:
    """The raising side withdraws the dispute."""
    return services.withdraw(uow, actor, dispute_id, data, settings)
