"""API routes of agreements."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from coalition.agreements import services
from coalition.agreements.models import AgreementKind, AgreementStatus
from coalition.agreements.schemas import (
    AgreementIn,
    AgreementOut,
    AgreementSummary,
    AgreementUpdate,
    AmendmentIn,
    AmendmentOut,
    StatusChangeIn,
)
from coalition.common.paging import Page
from coalition.web.deps import ApiPrincipal, PageDep, UowDep

router = APIRouter(tags=["agreements"])


@router.get("/agreements")
def list_agreements(
    actor: ApiPrincipal,
    uow: UowDep,
    page: PageDep,
    q: str | None = None,
    kind: AgreementKind | None = None,
    status: AgreementStatus | None = None,
    organisation_id: uuid.UUID | None = None,
    nation: str | None = None,
) -> Page[AgreementSummary]:
    return services.list_agreements(
        uow,
        actor,
        page,
        q=q,
        kind=kind,
        status=status,
        organisation_id=organisation_id,
        nation=nation,
    )


@router.post("/agreements", status_code=status.HTTP_201_CREATED)
def create_agreement(data: AgreementIn, actor: ApiPrincipal, uow: UowDep) -> AgreementOut:
    return services.create_agreement(uow, actor, data)


@router.get("/agreements/{agreement_id}")
def get_agreement(agreement_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> AgreementOut:
    return services.get_agreement(uow, actor, agreement_id)


@router.patch("/agreements/{agreement_id}")
def update_agreement(
    agreement_id: uuid.UUID, data: AgreementUpdate, actor: ApiPrincipal, uow: UowDep
) -> AgreementOut:
    return services.update_agreement(uow, actor, agreement_id, data)


@router.post("/agreements/{agreement_id}/status")
def change_status(
    agreement_id: uuid.UUID, data: StatusChangeIn, actor: ApiPrincipal, uow: UowDep
) -> AgreementOut:
    return services.change_status(uow, actor, agreement_id, data)


@router.post("/agreements/{agreement_id}/amendments", status_code=status.HTTP_201_CREATED)
def add_amendment(
    agreement_id: uuid.UUID, data: AmendmentIn, actor: ApiPrincipal, uow: UowDep
) -> AmendmentOut:
    return services.add_amendment(uow, actor, agreement_id, data)
