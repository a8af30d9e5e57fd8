"""Dispute pages: the disputes the reader may see (overdue ones flagged), the form to raise
one, and one dispute with its ladder, its history and the forms its reader may use."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Principal
from coalition.disputes import services
from coalition.disputes.models import DisputeStatus, DisputeSubject
from coalition.disputes.schemas import DisputeIn, EscalationIn, SettlementIn, WithdrawalIn
from coalition.errors import CoalitionError
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, as_text, form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)
STATUSES = [(s.value, s.value) for s in DisputeStatus]
SUBJECTS = [(s.value, s.value) for s in DisputeSubject]


@router.get("/disputes")
def disputes_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    agreement: Annotated[str | None, AnyChoice] = None,
    status: Annotated[DisputeStatus | None, AnyChoice] = None,
    subject: Annotated[DisputeSubject | None, AnyChoice] = None,
    overdue: Annotated[str | None, AnyChoice] = None,
) -> Response:
    shown = services.list_disputes(
        uow,
        actor,
        request.app.state.settings,
        agreement=agreement,
        status=status,
        subject=subject,
        overdue=overdue == "1",
    )
    return render(
        request,
        "disputes/list.html",
        actor,
        {
            "section": "disputes",
            "disputes": shown,
            "statuses": STATUSES,
            "subjects": SUBJECTS,
            "filters": {
                "agreement": agreement or "",
                "status": status,
                "subject": subject,
                "overdue": overdue == "1",
            },
        },
    )


def _form(
    request: Request,
    actor: Principal,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    agreements = services.ladder_agreements(request.app.state.uow_factory(), actor)
    return render(
        request,
        "disputes/dispute_form.html",
        actor,
        {
            "section": "disputes",
            "agreements": agreements,
            "agreement_choices": [(a.reference, f"{a.reference} — {a.title}") for a in agreements],
            "subjects": SUBJECTS,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/disputes/new")
def new_dispute_page(
    request: Request, actor: WebPrincipal, agreement: Annotated[str | None, AnyChoice] = None
) -> Response:
    return _form(request, actor, values={"agreement": agreement or ""})


@router.post("/disputes/new")
def raise_dispute_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("parties",))
    try:
        made = services.raise_dispute(
            uow, actor, parse(DisputeIn, values), request.app.state.settings
        )
    except CoalitionError as exc:
        return _form(request, actor, form_errors(exc), as_text(values, "parties"), exc.status)
    flash(
        request,
        f"Dispute {made.reference} raised; it is for {made.level_name} until "
        f"{made.level_due:%Y-%m-%d %H:%M} UTC.",
    )
    return RedirectResponse(f"/disputes/{made.id}", status_code=303)


def _detail(
    request: Request,
    actor: Principal,
    dispute_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    d = services.get_dispute(
        request.app.state.uow_factory(), actor, dispute_id, request.app.state.settings
    )
    return render(
        request,
        "disputes/dispute.html",
        actor,
        {"section": "disputes", "d": d, "errors": errors or {}, "values": values or {}},
        status_code=status_code,
    )


@router.get("/disputes/{dispute_id}")
def dispute_page(dispute_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _detail(request, actor, dispute_id)


@router.post("/disputes/{dispute_id}/escalation")
def escalate_page(
    dispute_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        done = services.escalate(
            uow, actor, dispute_id, parse(EscalationIn, values), request.app.state.settings
        )
    except CoalitionError as exc:
        errors = {"escalate": form_errors(exc)}
        return _detail(request, actor, dispute_id, errors, {"escalate": values}, exc.status)
    flash(request, f"Dispute {done.reference} escalated to level {done.level}, {done.level_name}.")
    return RedirectResponse(f"/disputes/{dispute_id}", status_code=303)


@router.post("/disputes/{dispute_id}/settlement")
def settle_page(
    dispute_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        done = services.settle(
            uow, actor, dispute_id, parse(SettlementIn, values), request.app.state.settings
        )
    except CoalitionError as exc:
        errors = {"settle": form_errors(exc)}
        return _detail(request, actor, dispute_id, errors, {"settle": values}, exc.status)
    flash(request, f"Dispute {done.reference} settled.")
    return RedirectResponse(f"/disputes/{dispute_id}", status_code=303)


@router.post("/disputes/{dispute_id}/withdrawal")
def withdraw_page(
    dispute_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        done = services.withdraw(
            uow, actor, dispute_id, parse(WithdrawalIn, values), request.app.state.settings
        )
    except CoalitionError as exc:
        errors = {"withdraw": form_errors(exc)}
        return _detail(request, actor, dispute_id, errors, {"withdraw": values}, exc.status)
    flash(request, f"Dispute {done.reference} withdrawn.")
    return RedirectResponse(f"/disputes/{dispute_id}", status_code=303)
