"""API routes of the IP register."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, Response

from coalition.common import tables
from coalition.ip import reports, services
from coalition.ip.models import IpKind
from coalition.ip.schemas import (
    ApprovalIn,
    CompletionIn,
    DiscloseIn,
    DisclosureIn,
    DisclosureOut,
    FilingDecisionIn,
    IpAssetIn,
    IpAssetOut,
    IpAssetUpdate,
    LicenceIn,
    LicenceOut,
    ObjectionIn,
    ObjectionResolutionIn,
    ProtectionIn,
    TerminateIn,
    TransferNoticeIn,
    TransferNoticeOut,
)
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["intellectual property"])
CREATED = status.HTTP_201_CREATED


@router.get("/ip-assets")
def list_assets(
    actor: ApiPrincipal,
    uow: UowDep,
    agreement_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    kind: IpKind | None = None,
) -> list[IpAssetOut]:
    return services.list_assets(
        uow, actor, agreement_id=agreement_id, project_id=project_id, kind=kind
    )


@router.post("/ip-assets", status_code=CREATED)
def create_asset(actor: ApiPrincipal, uow: UowDep, data: IpAssetIn) -> IpAssetOut:
    """Record background (under an agreement) or a result (of a project) with its owners;
    the shares must add up to 100%."""
    return services.create_asset(uow, actor, data)


@router.get("/ip-assets/{asset_id}")
def get_asset(asset_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> IpAssetOut:
    return services.get_asset(uow, actor, asset_id)


@router.patch("/ip-assets/{asset_id}")
def update_asset(
    asset_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: IpAssetUpdate
) -> IpAssetOut:
    """Describe an asset, change its standing, link artifacts and work packages.
    Ownership changes only by a completed transfer notice."""
    return services.update_asset(uow, actor, asset_id, data)


@router.post("/ip-assets/{asset_id}/protections", status_code=CREATED)
def add_protection(
    asset_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: ProtectionIn
) -> IpAssetOut:
    return services.add_protection(uow, actor, asset_id, data)


@router.get("/ip-disclosures")
def list_disclosures(
    actor: ApiPrincipal, uow: UowDep, asset_id: uuid.UUID | None = None
) -> list[DisclosureOut]:
    return services.list_disclosures(uow, actor, asset_id)


@router.post("/ip-disclosures", status_code=CREATED)
def create_disclosure(actor: ApiPrincipal, uow: UowDep, data: DisclosureIn) -> DisclosureOut:
    """Record an invention; it is due for disclosure the agreement's number of days after
    conception, and each country's filing decision after that."""
    return services.create_disclosure(uow, actor, data)


@router.get("/ip-disclosures/{disclosure_id}")
def get_disclosure(disclosure_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> DisclosureOut:
    return services.get_disclosure(uow, actor, disclosure_id)


@router.post("/ip-disclosures/{disclosure_id}/disclose")
def disclose(
    disclosure_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: DiscloseIn
) -> DisclosureOut:
    return services.disclose(uow, actor, disclosure_id, data)


@router.post("/ip-disclosures/{disclosure_id}/filing-decisions")
def decide_filing(
    disclosure_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: FilingDecisionIn
) -> DisclosureOut:
    return services.decide_filing(uow, actor, disclosure_id, data)


@router.get("/ip-licences")
def list_licences(
    actor: ApiPrincipal, uow: UowDep, asset_id: uuid.UUID | None = None
) -> list[LicenceOut]:
    return services.list_licences(uow, actor, asset_id)


@router.post("/ip-licences", status_code=CREATED)
def create_licence(actor: ApiPrincipal, uow: UowDep, data: LicenceIn) -> LicenceOut:
    """Record a licence or access right; refused when it is wider than what the licensor
    holds, or runs outside the agreement."""
    return services.create_licence(uow, actor, data)


@router.post("/ip-licences/{licence_id}/terminate")
def terminate_licence(
    licence_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: TerminateIn
) -> LicenceOut:
    return services.terminate_licence(uow, actor, licence_id, data)


@router.get("/ip-licences.odrl")
def licences_odrl(
    actor: ApiPrincipal,
    uow: UowDep,
    reference: Annotated[str | None, Query(max_length=80, description="One licence.")] = None,
) -> JSONResponse:
    """Licences and access rights as ODRL 2.2 policies (JSON-LD, docs/odrl-profile.md):
    one Agreement for ``reference``, otherwise every licence in a graph."""
    return JSONResponse(
        services.licences_as_odrl(uow, actor, reference), media_type="application/ld+json"
    )


@router.get("/ip-transfers")
def list_transfers(
    actor: ApiPrincipal, uow: UowDep, asset_id: uuid.UUID | None = None
) -> list[TransferNoticeOut]:
    return services.list_transfers(uow, actor, asset_id)


@router.post("/ip-transfers", status_code=CREATED)
def notify_transfer(actor: ApiPrincipal, uow: UowDep, data: TransferNoticeIn) -> TransferNoticeOut:
    """Give notice of an assignment or exclusive licence of a result; the objection window
    opens on the notice day."""
    return services.notify_transfer(uow, actor, data)


@router.get("/ip-transfers/{notice_id}")
def get_transfer(notice_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> TransferNoticeOut:
    return services.get_transfer(uow, actor, notice_id)


@router.post("/ip-transfers/{notice_id}/objections")
def object_to_transfer(
    notice_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: ObjectionIn
) -> TransferNoticeOut:
    return services.object_to_transfer(uow, actor, notice_id, data)


@router.post("/ip-transfers/{notice_id}/objections/resolve")
def resolve_objection(
    notice_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: ObjectionResolutionIn
) -> TransferNoticeOut:
    return services.resolve_objection(uow, actor, notice_id, data)


@router.post("/ip-transfers/{notice_id}/approve")
def approve_transfer(
    notice_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: ApprovalIn
) -> TransferNoticeOut:
    return services.approve_transfer(uow, actor, notice_id, data)


@router.post("/ip-transfers/{notice_id}/complete")
def complete_transfer(
    notice_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: CompletionIn
) -> TransferNoticeOut:
    """Carry the transfer out; refused (409, with the reasons) while the objection window is
    open, an objection is open or upheld, or a needed approval is missing."""
    return services.complete_transfer(uow, actor, notice_id, data)


@router.post("/ip-transfers/{notice_id}/withdraw")
def withdraw_transfer(notice_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> TransferNoticeOut:
    return services.withdraw_transfer(uow, actor, notice_id)


@router.get("/ip-reports/{name}", response_model=None)
def report(
    name: reports.ReportName,
    actor: ApiPrincipal,
    uow: UowDep,
    format: Literal["json", "csv", "xlsx"] = "json",
    agreement_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    within_days: Annotated[int, Query(ge=1, le=3650)] = 90,
) -> Response | dict[str, Any]:
    """The IP register (per agreement or project), the ownership summary, or the deadlines
    coming up, as JSON, CSV or XLSX."""
    table = reports.report(
        uow,
        actor,
        name,
        agreement_id=agreement_id,
        project_id=project_id,
        within_days=within_days,
    )
    if format == "json":
        return {
            "title": table.title,
            "columns": list(table.columns),
            "rows": [
                [str(v) if not isinstance(v, int | float | str) else v for v in row]
                for row in table.rows
            ],
        }
    return Response(
        tables.render(table, format),
        media_type=tables.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="ip-{name}.{format}"'},
    )
