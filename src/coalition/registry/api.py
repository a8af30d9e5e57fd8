"""API routes of the registry."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Query, status

from coalition.common.paging import Page
from coalition.registry import people, services
from coalition.registry.models import OrganisationKind, PersonStatus
from coalition.registry.schemas import (
    BriefingIn,
    BriefingOut,
    ClearanceIn,
    ClearanceNameOut,
    ClearanceOut,
    ClearanceUpdate,
    DualNationalExemptionIn,
    DualNationalExemptionOut,
    ExpiringClearance,
    GroupOut,
    NationIn,
    NationOut,
    NationUpdate,
    OrganisationIn,
    OrganisationOut,
    OrganisationUpdate,
    PersonIn,
    PersonOut,
    PersonSummary,
    PersonUpdate,
    SchemeOut,
    SecurityAgreementIn,
    SecurityAgreementOut,
    SecurityAgreementUpdate,
    WithdrawalIn,
)
from coalition.web.deps import ApiPrincipal, PageDep, UowDep

router = APIRouter()
CREATED = status.HTTP_201_CREATED


@router.get("/nations", tags=["nations"])
def list_nations(actor: ApiPrincipal, uow: UowDep) -> list[NationOut]:
    return services.list_nations(uow, actor)


@router.post("/nations", tags=["nations"], status_code=CREATED)
def create_nation(data: NationIn, actor: ApiPrincipal, uow: UowDep) -> NationOut:
    return services.create_nation(uow, actor, data)


@router.get("/nations/{code}", tags=["nations"])
def get_nation(code: str, actor: ApiPrincipal, uow: UowDep) -> NationOut:
    return services.get_nation(uow, actor, code)


@router.patch("/nations/{code}", tags=["nations"])
def update_nation(code: str, data: NationUpdate, actor: ApiPrincipal, uow: UowDep) -> NationOut:
    return services.update_nation(uow, actor, code, data)


@router.get("/groups", tags=["nations"])
def list_groups(actor: ApiPrincipal, uow: UowDep) -> list[GroupOut]:
    return services.list_groups(uow, actor)


@router.get("/classification-schemes", tags=["nations"])
def list_schemes(actor: ApiPrincipal, uow: UowDep) -> list[SchemeOut]:
    return services.list_schemes(uow, actor)


@router.get("/clearance-names", tags=["nations"])
def list_clearance_names(actor: ApiPrincipal, uow: UowDep) -> list[ClearanceNameOut]:
    return services.list_clearance_names(uow, actor)


@router.get("/organisations", tags=["organisations"])
def list_organisations(
    actor: ApiPrincipal,
    uow: UowDep,
    page: PageDep,
    q: str | None = None,
    nation: str | None = None,
    kind: OrganisationKind | None = None,
) -> Page[OrganisationOut]:
    return services.list_organisations(uow, actor, page, q=q, nation=nation, kind=kind)


@router.post("/organisations", tags=["organisations"], status_code=CREATED)
def create_organisation(data: OrganisationIn, actor: ApiPrincipal, uow: UowDep) -> OrganisationOut:
    return services.create_organisation(uow, actor, data)


@router.get("/organisations/{organisation_id}", tags=["organisations"])
def get_organisation(
    organisation_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep
) -> OrganisationOut:
    return services.get_organisation(uow, actor, organisation_id)


@router.patch("/organisations/{organisation_id}", tags=["organisations"])
def update_organisation(
    organisation_id: uuid.UUID, data: OrganisationUpdate, actor: ApiPrincipal, uow: UowDep
) -> OrganisationOut:
    return services.update_organisation(uow, actor, organisation_id, data)


@router.get("/people", tags=["people"])
def list_people(
    actor: ApiPrincipal,
    uow: UowDep,
    page: PageDep,
    q: str | None = None,
    organisation_id: uuid.UUID | None = None,
    citizenship: str | None = None,
    status: PersonStatus | None = None,
) -> Page[PersonSummary]:
    return people.list_people(
        uow,
        actor,
        page,
        q=q,
        organisation_id=organisation_id,
        citizenship=citizenship,
        status=status,
    )


@router.post("/people", tags=["people"], status_code=CREATED)
def create_person(data: PersonIn, actor: ApiPrincipal, uow: UowDep) -> PersonOut:
    return people.create_person(uow, actor, data)


@router.get("/people/{person_id}", tags=["people"])
def get_person(person_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> PersonOut:
    return people.get_person(uow, actor, person_id)


@router.patch("/people/{person_id}", tags=["people"])
def update_person(
    person_id: uuid.UUID, data: PersonUpdate, actor: ApiPrincipal, uow: UowDep
) -> PersonOut:
    return people.update_person(uow, actor, person_id, data)


@router.post("/people/{person_id}/clearances", tags=["clearances"], status_code=CREATED)
def add_clearance(
    person_id: uuid.UUID, data: ClearanceIn, actor: ApiPrincipal, uow: UowDep
) -> ClearanceOut:
    return people.add_clearance(uow, actor, person_id, data)


@router.patch("/clearances/{clearance_id}", tags=["clearances"])
def update_clearance(
    clearance_id: uuid.UUID, data: ClearanceUpdate, actor: ApiPrincipal, uow: UowDep
) -> ClearanceOut:
    return people.update_clearance(uow, actor, clearance_id, data)


@router.get("/clearances/expiring", tags=["clearances"])
def expiring_clearances(
    actor: ApiPrincipal,
    uow: UowDep,
    within_days: int = Query(default=90, ge=1, le=3650),
    on: date | None = None,
) -> list[ExpiringClearance]:
    return people.expiring_clearances(uow, actor, within_days, on)


@router.post("/people/{person_id}/briefings", tags=["clearances"], status_code=CREATED)
def add_briefing(
    person_id: uuid.UUID, data: BriefingIn, actor: ApiPrincipal, uow: UowDep
) -> BriefingOut:
    return people.add_briefing(uow, actor, person_id, data)


@router.get("/security-agreements", tags=["security agreements"])
def list_security_agreements(
    actor: ApiPrincipal, uow: UowDep, party: str | None = None
) -> list[SecurityAgreementOut]:
    return services.list_security_agreements(uow, actor, party=party)


@router.post("/security-agreements", tags=["security agreements"], status_code=CREATED)
def create_security_agreement(
    data: SecurityAgreementIn, actor: ApiPrincipal, uow: UowDep
) -> SecurityAgreementOut:
    return services.create_security_agreement(uow, actor, data)


@router.get("/security-agreements/{agreement_id}", tags=["security agreements"])
def get_security_agreement(
    agreement_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep
) -> SecurityAgreementOut:
    return services.get_security_agreement(uow, actor, agreement_id)


@router.patch("/security-agreements/{agreement_id}", tags=["security agreements"])
def update_security_agreement(
    agreement_id: uuid.UUID, data: SecurityAgreementUpdate, actor: ApiPrincipal, uow: UowDep
) -> SecurityAgreementOut:
    return services.update_security_agreement(uow, actor, agreement_id, data)


@router.get("/people/{person_id}/dual-national-exemption", tags=["clearances"])
def get_dual_national_exemption(
    person_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep
) -> DualNationalExemptionOut | None:
    return people.get_dual_national_exemption(uow, actor, person_id)


@router.put("/people/{person_id}/dual-national-exemption", tags=["clearances"], status_code=CREATED)
def record_dual_national_exemption(
    person_id: uuid.UUID, data: DualNationalExemptionIn, actor: ApiPrincipal, uow: UowDep
) -> DualNationalExemptionOut:
    return people.record_dual_national_exemption(uow, actor, person_id, data)


@router.delete(
    "/people/{person_id}/dual-national-exemption",
    tags=["clearances"],
    status_code=status.HTTP_204_NO_CONTENT,
)
def withdraw_dual_national_exemption(
    person_id: uuid.UUID, data: WithdrawalIn, actor: ApiPrincipal, uow: UowDep
) -> None:
    people.withdraw_dual_national_exemption(uow, actor, person_id, data.reason)
