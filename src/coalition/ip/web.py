"""The IP register's pages: the register with its filters, one asset (owners, protection,
licences, disclosures, transfers), the forms that record them, one disclosure and one
transfer notice with the steps that follow, and the reports with CSV and XLSX downloads."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, cast

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import JSONResponse, RedirectResponse, Response

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common import tables
from coalition.common.access import allowed_actions
from coalition.errors import CoalitionError, ValidationFailed
from coalition.ip import reports, services
from coalition.ip.models import (
    BackgroundStatus,
    FilingChoice,
    IpKind,
    LicenceKind,
    ObjectionOutcome,
    ProtectionKind,
    Royalty,
    TransferKind,
)
from coalition.ip.schemas import (
    ApprovalIn,
    CompletionIn,
    DiscloseIn,
    DisclosureIn,
    FilingDecisionIn,
    IpAssetIn,
    IpAssetUpdate,
    LicenceIn,
    ObjectionIn,
    ObjectionResolutionIn,
    ProtectionIn,
    TerminateIn,
    TransferNoticeIn,
)
from coalition.policy.facts import Purpose
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)


def _choices(values: Any) -> list[tuple[str, str]]:
    return [(v.value, v.value.replace("_", " ")) for v in values]


OPTIONS = {
    "kinds": _choices(IpKind),
    "background_statuses": _choices(BackgroundStatus),
    "protection_kinds": _choices(ProtectionKind),
    "licence_kinds": _choices(LicenceKind),
    "royalties": _choices(Royalty),
    "purposes": _choices(Purpose),
    "transfer_kinds": _choices(TransferKind),
    "filing_choices": _choices(FilingChoice),
    "outcomes": [o for o in _choices(ObjectionOutcome) if o[0] != "open"],
}


def _may_manage(actor: Principal) -> bool:
    return bool(allowed_actions(actor, Target.node(), (Permission.IP_RECORD_MANAGE,)))


def _context(request: Request, actor: Principal, **extra: Any) -> dict[str, Any]:
    choices = services.form_choices(request.app.state.uow_factory(), actor)
    return {
        "section": "ip",
        "may_manage": _may_manage(actor),
        "names": services.organisation_names(request.app.state.uow_factory(), actor),
        "choices": choices,
        "asset_refs": dict(choices["assets"]),
        "errors": {},
        "values": {},
        **OPTIONS,
        **extra,
    }


# --- the register -----------------------------------------------------------------------------


@router.get("/ip")
def ip_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    agreement_id: Annotated[uuid.UUID | None, AnyChoice] = None,
    project_id: Annotated[uuid.UUID | None, AnyChoice] = None,
    kind: Annotated[IpKind | None, AnyChoice] = None,
) -> Response:
    factory = request.app.state.uow_factory
    assets = services.list_assets(
        uow, actor, agreement_id=agreement_id, project_id=project_id, kind=kind
    )
    shown = {a.id for a in assets}
    filtered = agreement_id is not None or project_id is not None or kind is not None
    return render(
        request,
        "ip/register.html",
        actor,
        _context(
            request,
            actor,
            assets=assets,
            licences=[
                lc
                for lc in services.list_licences(factory(), actor)
                if not filtered or lc.asset_id in shown
            ],
            transfers=[
                t
                for t in services.list_transfers(factory(), actor)
                if not filtered or t.asset_id in shown
            ],
            disclosures=[
                d
                for d in services.list_disclosures(factory(), actor)
                if not filtered or d.asset_id in shown
            ],
            filters={"agreement_id": agreement_id, "project_id": project_id, "kind": kind},
        ),
    )


# --- assets -----------------------------------------------------------------------------------


def _owners(text: str, names: dict[uuid.UUID, str]) -> list[dict[str, Any]]:
    """'WHFL:60, SHL:40' -> owners by organisation short name."""
    by_name = {name.lower(): org_id for org_id, name in names.items()}
    owners = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, share = part.partition(":")
        org_id = by_name.get(name.strip().lower())
        if org_id is None:
            raise ValidationFailed.of("owners", f"no organisation '{name.strip()}'")
        owners.append({"organisation_id": org_id, "share_percent": share.strip() or 100})
    return owners


def _asset_command(request: Request, actor: Principal, values: dict[str, Any]) -> dict[str, Any]:
    command = dict(values)
    names = services.organisation_names(request.app.state.uow_factory(), actor)
    command["owners"] = _owners(values.get("owners", ""), names)
    codes = command.pop("work_packages", [])
    if codes:
        if not values.get("project_id"):
            raise ValidationFailed.of("work_packages", "name the project first")
        command["work_package_ids"] = services.work_package_ids_for(
            request.app.state.uow_factory(), actor, uuid.UUID(values["project_id"]), codes
        )
    return command


@router.get("/ip/assets/new")
def new_asset_page(request: Request, actor: WebPrincipal, kind: str = "result") -> Response:
    return render(
        request, "ip/asset_form.html", actor, _context(request, actor, values={"kind": kind})
    )


@router.post("/ip/assets/new")
def create_asset_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("artifact_references", "work_packages"))
    try:
        created = services.create_asset(
            uow, actor, parse(IpAssetIn, _asset_command(request, actor, values))
        )
    except CoalitionError as exc:
        return render(
            request,
            "ip/asset_form.html",
            actor,
            _context(request, actor, values=_typed(values), errors=form_errors(exc)),
            status_code=exc.status,
        )
    flash(request, f"{created.reference} recorded.")
    return RedirectResponse(f"/ip/assets/{created.id}", status_code=303)


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    """Posted lists back into their text boxes."""
    return {k: ", ".join(v) if isinstance(v, list) else v for k, v in values.items()}


@router.get("/ip/assets/{asset_id}")
def asset_page(asset_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _asset_detail(request, actor, asset_id)


def _asset_detail(
    request: Request,
    actor: Principal,
    asset_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    factory = request.app.state.uow_factory
    asset = services.get_asset(factory(), actor, asset_id)
    return render(
        request,
        "ip/asset.html",
        actor,
        _context(
            request,
            actor,
            a=asset,
            licences=services.list_licences(factory(), actor, asset_id),
            disclosures=services.list_disclosures(factory(), actor, asset_id),
            transfers=services.list_transfers(factory(), actor, asset_id),
            errors=errors or {},
            values=values or {},
        ),
        status_code=status_code,
    )


def _post(
    request: Request,
    actor: Principal,
    asset_id: uuid.UUID,
    values: dict[str, Any],
    action: Any,
    done: str,
    form_name: str,
) -> Response:
    try:
        action()
    except CoalitionError as exc:
        errors = {form_name: form_errors(exc)}
        return _asset_detail(
            request, actor, asset_id, errors, {form_name: _typed(values)}, exc.status
        )
    flash(request, done)
    return RedirectResponse(f"/ip/assets/{asset_id}", status_code=303)


@router.post("/ip/assets/{asset_id}/update")
def update_asset_page(
    asset_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("artifact_references",))
    return _post(
        request,
        actor,
        asset_id,
        values,
        lambda: services.update_asset(uow, actor, asset_id, parse(IpAssetUpdate, values)),
        "Asset updated.",
        "update",
    )


@router.post("/ip/assets/{asset_id}/protections")
def protection_page(
    asset_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    if "nation_code" in values:
        values["nation_code"] = values["nation_code"].upper()
    return _post(
        request,
        actor,
        asset_id,
        values,
        lambda: services.add_protection(uow, actor, asset_id, parse(ProtectionIn, values)),
        "Protection recorded.",
        "protect",
    )


@router.post("/ip/assets/{asset_id}/licences/{licence_id}/terminate")
def terminate_page(
    asset_id: uuid.UUID,
    licence_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    return _post(
        request,
        actor,
        asset_id,
        values,
        lambda: services.terminate_licence(uow, actor, licence_id, parse(TerminateIn, values)),
        "Licence terminated.",
        "terminate",
    )


# --- licences ---------------------------------------------------------------------------------


@router.get("/ip/licences/new")
def new_licence_page(
    request: Request, actor: WebPrincipal, asset_id: uuid.UUID | None = None
) -> Response:
    values = {"asset_id": str(asset_id)} if asset_id else {}
    return render(request, "ip/licence_form.html", actor, _context(request, actor, values=values))


@router.post("/ip/licences/new")
def create_licence_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("purposes", "territory"))
    values["territory"] = [t.upper() for t in values.get("territory", [])]
    try:
        created = services.create_licence(uow, actor, parse(LicenceIn, values))
    except CoalitionError as exc:
        return render(
            request,
            "ip/licence_form.html",
            actor,
            _context(
                request,
                actor,
                values={**_typed(values), "purposes": values.get("purposes", [])},
                errors=form_errors(exc),
            ),
            status_code=exc.status,
        )
    flash(request, f"Licence {created.reference} recorded.")
    return RedirectResponse(f"/ip/assets/{created.asset_id}", status_code=303)


@router.get("/ip/licences/{reference}.jsonld")
def licence_odrl(reference: str, actor: WebPrincipal, uow: UowDep) -> Response:
    return JSONResponse(
        services.licences_as_odrl(uow, actor, reference),
        media_type="application/ld+json",
        headers={"Content-Disposition": f'attachment; filename="{reference}.jsonld"'},
    )


# --- invention disclosures --------------------------------------------------------------------


@router.get("/ip/disclosures/new")
def new_disclosure_page(
    request: Request, actor: WebPrincipal, asset_id: uuid.UUID | None = None
) -> Response:
    values = {"asset_id": str(asset_id)} if asset_id else {}
    return render(
        request, "ip/disclosure_form.html", actor, _context(request, actor, values=values)
    )


@router.post("/ip/disclosures/new")
def create_disclosure_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("inventor_ids", "filing_nations"))
    try:
        created = services.create_disclosure(uow, actor, parse(DisclosureIn, values))
    except CoalitionError as exc:
        return render(
            request,
            "ip/disclosure_form.html",
            actor,
            _context(request, actor, values=_typed(values), errors=form_errors(exc)),
            status_code=exc.status,
        )
    flash(request, f"Disclosure {created.reference} recorded: due {created.due_on}.")
    return RedirectResponse(f"/ip/disclosures/{created.id}", status_code=303)


@router.get("/ip/disclosures/{disclosure_id}")
def disclosure_page(disclosure_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _disclosure_detail(request, actor, disclosure_id)


def _disclosure_detail(
    request: Request,
    actor: Principal,
    disclosure_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    d = services.get_disclosure(request.app.state.uow_factory(), actor, disclosure_id)
    return render(
        request,
        "ip/disclosure.html",
        actor,
        _context(request, actor, d=d, errors=errors or {}, values=values or {}),
        status_code=status_code,
    )


def _disclosure_step(
    request: Request,
    actor: Principal,
    disclosure_id: uuid.UUID,
    values: dict[str, Any],
    model: type[BaseModel],
    action: Any,
    form_name: str,
) -> Response:
    try:
        action(parse(model, values))
    except CoalitionError as exc:
        errors = {form_name: form_errors(exc)}
        return _disclosure_detail(
            request, actor, disclosure_id, errors, {form_name: values}, exc.status
        )
    flash(request, "Recorded.")
    return RedirectResponse(f"/ip/disclosures/{disclosure_id}", status_code=303)


@router.post("/ip/disclosures/{disclosure_id}/disclose")
def disclose_page(
    disclosure_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    return _disclosure_step(
        request,
        actor,
        disclosure_id,
        form_values(form),
        DiscloseIn,
        lambda data: services.disclose(uow, actor, disclosure_id, data),
        "disclose",
    )


@router.post("/ip/disclosures/{disclosure_id}/filing-decisions")
def filing_page(
    disclosure_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    if "nation_code" in values:
        values["nation_code"] = values["nation_code"].upper()
    return _disclosure_step(
        request,
        actor,
        disclosure_id,
        values,
        FilingDecisionIn,
        lambda data: services.decide_filing(uow, actor, disclosure_id, data),
        "filing",
    )


# --- transfer notices -------------------------------------------------------------------------


@router.get("/ip/transfers/new")
def new_transfer_page(
    request: Request, actor: WebPrincipal, asset_id: uuid.UUID | None = None
) -> Response:
    values = {"asset_id": str(asset_id)} if asset_id else {}
    return render(request, "ip/transfer_form.html", actor, _context(request, actor, values=values))


@router.post("/ip/transfers/new")
def create_transfer_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        created = services.notify_transfer(uow, actor, parse(TransferNoticeIn, values))
    except CoalitionError as exc:
        return render(
            request,
            "ip/transfer_form.html",
            actor,
            _context(request, actor, values=values, errors=form_errors(exc)),
            status_code=exc.status,
        )
    flash(
        request,
        f"Notice {created.reference} given: objections until {created.objection_until}.",
    )
    return RedirectResponse(f"/ip/transfers/{created.id}", status_code=303)


@router.get("/ip/transfers/{notice_id}")
def transfer_page(notice_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _transfer_detail(request, actor, notice_id)


def _transfer_detail(
    request: Request,
    actor: Principal,
    notice_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    t = services.get_transfer(request.app.state.uow_factory(), actor, notice_id)
    return render(
        request,
        "ip/transfer.html",
        actor,
        _context(request, actor, t=t, errors=errors or {}, values=values or {}),
        status_code=status_code,
    )


_TRANSFER_STEPS: dict[str, tuple[type[BaseModel] | None, Any, str]] = {
    "object": (ObjectionIn, services.object_to_transfer, "Objection lodged."),
    "resolve": (ObjectionResolutionIn, services.resolve_objection, "Objection resolved."),
    "approve": (ApprovalIn, services.approve_transfer, "Approval recorded."),
    "complete": (CompletionIn, services.complete_transfer, "Transfer completed."),
    "withdraw": (None, services.withdraw_transfer, "Notice withdrawn."),
}


@router.post("/ip/transfers/{notice_id}/{step}")
def transfer_step_page(
    notice_id: uuid.UUID,
    step: str,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    if step not in _TRANSFER_STEPS:
        return Response(status_code=404)
    model, action, done = _TRANSFER_STEPS[step]
    values = form_values(form)
    try:
        if model is None:
            action(uow, actor, notice_id)
        else:
            action(uow, actor, notice_id, parse(model, values))
    except CoalitionError as exc:
        errors = {step: form_errors(exc)}
        return _transfer_detail(request, actor, notice_id, errors, {step: values}, exc.status)
    flash(request, done)
    return RedirectResponse(f"/ip/transfers/{notice_id}", status_code=303)


# --- reports ----------------------------------------------------------------------------------


@router.get("/ip/reports")
def reports_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    within_days: int = 90,
) -> Response:
    factory = request.app.state.uow_factory
    return render(
        request,
        "ip/reports.html",
        actor,
        _context(
            request,
            actor,
            ownership=reports.ownership(uow, actor),
            deadlines=reports.deadlines(factory(), actor, within_days=within_days),
            within_days=within_days,
        ),
    )


@router.get("/ip/reports/{name}.{fmt}")
def report_download(
    name: str,
    fmt: str,
    actor: WebPrincipal,
    uow: UowDep,
    agreement_id: Annotated[uuid.UUID | None, AnyChoice] = None,
    project_id: Annotated[uuid.UUID | None, AnyChoice] = None,
    within_days: int = 90,
) -> Response:
    if name not in ("register", "ownership", "deadlines") or fmt not in ("csv", "xlsx"):
        return Response(status_code=404)
    table = reports.report(
        uow,
        actor,
        cast(reports.ReportName, name),
        agreement_id=agreement_id,
        project_id=project_id,
        within_days=within_days,
    )
    return Response(
        tables.render(table, cast(tables.Format, fmt)),
        media_type=tables.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="ip-{name}.{fmt}"'},
    )
