"""HTML pages of agreements: list, create and edit (parties and terms), status and amendments."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Permission
from coalition.agreements import services
from coalition.agreements.models import (
    AgreementKind,
    AgreementStatus,
    CostShareRule,
    DecisionRule,
    IpRegime,
)
from coalition.agreements.rules import ALLOWED_TRANSITIONS
from coalition.agreements.schemas import (
    AgreementIn,
    AgreementOut,
    AgreementUpdate,
    AmendmentIn,
    StatusChangeIn,
)
from coalition.common.paging import PageRequest
from coalition.errors import CoalitionError, ValidationFailed
from coalition.projects.services import list_projects
from coalition.registry.services import list_nations, list_organisations
from coalition.web.deps import CheckedForm, PageDep, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse, shown
from coalition.web.templating import LEVEL_NAMES, flash, render

router = APIRouter(include_in_schema=False)


def _choices(values: type[Any], **spelt: str) -> list[tuple[str, str]]:
    return [(v.value, spelt.get(v.value) or v.value.replace("_", " ").capitalize()) for v in values]


KINDS = _choices(AgreementKind, mou="MoU", nda="NDA")
STATUSES = _choices(AgreementStatus)
DECISION_RULES = _choices(DecisionRule)
IP_REGIMES = _choices(IpRegime)
COST_SHARE_RULES = _choices(CostShareRule)
CEILINGS = [(level, f"{level} · {name}") for level, name in LEVEL_NAMES.items()]
LIST_FIELDS = ("parties", "default_releasability")


def _form_context(uow: UowDep, actor: WebPrincipal) -> dict[str, object]:
    organisations = list_organisations(uow, actor, PageRequest(limit=200)).items
    agreements = services.list_agreements(uow, actor, PageRequest(limit=200)).items
    return {
        "section": "agreements",
        "kinds": KINDS,
        "kind_labels": dict(KINDS),
        "decision_rules": DECISION_RULES,
        "ip_regimes": IP_REGIMES,
        "cost_share_rules": COST_SHARE_RULES,
        "ceilings": CEILINGS,
        "organisations": [
            (o.id, f"{o.short_name} · {o.name} ({o.nation_code})") for o in organisations
        ],
        "parents": [(a.id, f"{a.reference} · {a.title}") for a in agreements],
    }


def _form_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    values: dict[str, Any],
    exc: CoalitionError | None = None,
    agreement: AgreementOut | None = None,
) -> Response:
    context = {**_form_context(uow, actor), "agreement": agreement, "values": values}
    if exc is None:
        return render(request, "agreements/agreement_form.html", actor, context)
    return render(
        request,
        "agreements/agreement_form.html",
        actor,
        {**context, "errors": form_errors(exc)},
        status_code=exc.status,
    )


def _pairs(text: str, name: str, example: str) -> dict[str, str]:
    """'USA=60, GBR=40' -> {'USA': '60', 'GBR': '40'}; the command checks the numbers."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, number = item.partition("=")
        if not sep:
            raise ValidationFailed.of(name, f"write each as {example}")
        pairs[key.strip().upper()] = number.strip()
    return pairs


def _cost_shares(text: str) -> dict[str, str]:
    return _pairs(text, "cost_shares", "NATION=PERCENT, e.g. USA=60, GBR=40")


def _wp_shares(text: str) -> dict[str, dict[str, str]]:
    """'CSAR-MAS/WP1: USA=60, GBR=40; CSAR-MAS/WP2: CAN=100' -> per work package."""
    out: dict[str, dict[str, str]] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        key, sep, shares = item.partition(":")
        if not sep:
            raise ValidationFailed.of(
                "work_package_shares", "write PROJECT/WP: NATION=PERCENT, ...; next work package"
            )
        out[key.strip()] = _pairs(shares, "work_package_shares", "NATION=PERCENT")
    return out


def _texts(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def _command(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values shaped as the command expects them."""
    command = dict(values)
    if "parties" in command:
        command["parties"] = [{"organisation_id": p} for p in command["parties"]]
    if "cost_shares" in command:
        command["cost_shares"] = _cost_shares(command["cost_shares"])
    if "fixed_contributions" in command:
        command["fixed_contributions"] = _pairs(
            command["fixed_contributions"], "fixed_contributions", "NATION=AMOUNT"
        )
    if "exchange_rates" in command:
        command["exchange_rates"] = _pairs(
            command["exchange_rates"], "exchange_rates", "CURRENCY=RATE, e.g. GBP=1.27"
        )
    if "work_package_shares" in command:
        command["work_package_shares"] = _wp_shares(command["work_package_shares"])
    amendment = {
        name.removeprefix("amendment_"): command.pop(name)
        for name in (
            "amendment_title",
            "amendment_signed_on",
            "amendment_effective_from",
            "amendment_summary",
        )
        if name in command
    }
    if amendment:
        command["amendment"] = amendment
    return command


def _agreement_values(agreement: AgreementOut) -> dict[str, Any]:
    dumped = agreement.model_dump(
        mode="json", exclude={"status_changes", "amendments", "children", "dispute_ladder"}
    )
    return shown(
        {
            **dumped,
            "parties": [str(p.organisation.id) for p in agreement.parties],
            "default_releasability": ", ".join(agreement.default_releasability),
            "cost_shares": _texts(agreement.cost_shares),
            "fixed_contributions": _texts(agreement.fixed_contributions),
            "exchange_rates": _texts(agreement.exchange_rates),
            "work_package_shares": "; ".join(
                f"{wp}: {_texts(shares)}" for wp, shares in agreement.work_package_shares.items()
            ),
        }
    )


def _as_typed(values: dict[str, Any]) -> dict[str, Any]:
    """Posted values back into their form fields (the releasability list as text again)."""
    releasability = values.get("default_releasability")
    if isinstance(releasability, list):
        return {**values, "default_releasability": ", ".join(releasability)}
    return values


def _detail_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    agreement_id: uuid.UUID,
    failed: str | None = None,
    exc: CoalitionError | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    """The agreement's page; after a failed inline form, that form opens again with its errors."""
    agreement = services.get_agreement(uow, actor, agreement_id)
    parent = None
    if agreement.parent_id is not None:
        parent = services.get_agreement(uow, actor, agreement.parent_id)
    projects = list_projects(uow, actor, PageRequest(limit=200), agreement_id=agreement_id)
    context: dict[str, object] = {
        "section": "agreements",
        "agreement": agreement,
        "parent": parent,
        "kind_labels": dict(KINDS),
        "projects": projects,
        "failed": failed,
        "next_statuses": [
            (s.value, s.value.replace("_", " ").capitalize())
            for s in sorted(ALLOWED_TRANSITIONS[agreement.status])
        ],
    }
    if exc is None:
        return render(request, "agreements/agreement.html", actor, context)
    return render(
        request,
        "agreements/agreement.html",
        actor,
        {**context, "values": values or {}, "errors": form_errors(exc)},
        status_code=exc.status,
    )


@router.get("/agreements")
def agreements_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    page: PageDep,
    q: str | None = None,
    kind: Annotated[AgreementKind | None, AnyChoice] = None,
    status: Annotated[AgreementStatus | None, AnyChoice] = None,
    nation: str | None = None,
) -> Response:
    result = services.list_agreements(
        uow, actor, page, q=q, kind=kind, status=status, nation=nation
    )
    nations = list_nations(uow, actor)
    return render(
        request,
        "agreements/agreements.html",
        actor,
        {
            "section": "agreements",
            "page": result,
            "kinds": KINDS,
            "kind_labels": dict(KINDS),
            "statuses": STATUSES,
            "nations": [(n.code, n.code) for n in nations],
            "filters": {
                "q": q or "",
                "kind": kind or "",
                "status": status or "",
                "nation": (nation or "").upper(),
            },
        },
    )


@router.get("/agreements/new")
def new_agreement(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    parent: Annotated[uuid.UUID | None, AnyChoice] = None,
) -> Response:
    return _form_page(request, actor, uow, shown({"parent_id": parent}))


def _posted(form: FormData) -> dict[str, Any]:
    return form_values(form, lists=LIST_FIELDS)


@router.post("/agreements/new")
def create_agreement(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = _posted(form)
    try:
        created = services.create_agreement(uow, actor, parse(AgreementIn, _command(values)))
    except CoalitionError as exc:
        return _form_page(request, actor, uow, _as_typed(values), exc)
    flash(request, f"Agreement {created.reference} created as a draft.")
    return RedirectResponse(f"/agreements/{created.id}", status_code=303)


@router.get("/agreements/{agreement_id}")
def agreement_page(
    agreement_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    return _detail_page(request, actor, uow, agreement_id)


@router.get("/agreements/{agreement_id}/edit")
def edit_agreement(
    agreement_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    found = services.get_agreement(
        uow, actor, agreement_id, for_permission=Permission.AGREEMENT_UPDATE
    )
    return _form_page(request, actor, uow, _agreement_values(found), agreement=found)


@router.post("/agreements/{agreement_id}/edit")
def update_agreement(
    agreement_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = _posted(form)
    for name in ("reference", "kind", "parent_id"):  # fixed once the agreement exists
        values.pop(name, None)
    # A blank field in an edit form means "clear it"; no party chosen means none, not "keep".
    for name in ("summary", "expires_on", "qualified_majority_percent"):
        values.setdefault(name, None)
    values.setdefault("cost_shares", "")
    values.setdefault("balance_band_low_percent", 95)
    values.setdefault("balance_band_high_percent", 105)
    values.setdefault("parties", [])
    try:
        updated = services.update_agreement(
            uow, actor, agreement_id, parse(AgreementUpdate, _command(values))
        )
    except CoalitionError as exc:
        found = services.get_agreement(uow, actor, agreement_id)
        return _form_page(
            request,
            actor,
            uow,
            {**_agreement_values(found), **shown(_as_typed(values))},
            exc,
            agreement=found,
        )
    flash(request, f"Agreement {updated.reference} saved.")
    return RedirectResponse(f"/agreements/{updated.id}", status_code=303)


@router.post("/agreements/{agreement_id}/status")
def change_status(
    agreement_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    try:
        changed = services.change_status(uow, actor, agreement_id, parse(StatusChangeIn, values))
    except CoalitionError as exc:
        return _detail_page(request, actor, uow, agreement_id, "status", exc, values)
    flash(request, f"Agreement {changed.reference} is now {changed.status.replace('_', ' ')}.")
    return RedirectResponse(f"/agreements/{agreement_id}#status", status_code=303)


@router.post("/agreements/{agreement_id}/amendments")
def add_amendment(
    agreement_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    try:
        added = services.add_amendment(uow, actor, agreement_id, parse(AmendmentIn, values))
    except CoalitionError as exc:
        return _detail_page(request, actor, uow, agreement_id, "amendment", exc, values)
    flash(request, f"Amendment {added.number} recorded.")
    return RedirectResponse(f"/agreements/{agreement_id}#amendments", status_code=303)
