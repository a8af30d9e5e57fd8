"""Facility pages: the catalogue with its filters, one facility with its closures, and the
forms that add and change entries. A facility the reader may not know of is not found."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Permission, Principal, holds_somewhere
from coalition.errors import CoalitionError, PermissionDenied
from coalition.facilities import bookings, feed_pages, occurrences, quotas, services, usage_pages
from coalition.facilities.models import FacilityKind, FacilityStatus, QuotaPeriod, RateUnit
from coalition.facilities.schemas import (
    WEEKDAYS,
    BookingCancelIn,
    BookingDecisionIn,
    BookingIn,
    ClosureIn,
    FacilityIn,
    FacilityOut,
    FacilityUpdate,
    NoShowIn,
    OccurrenceCancelIn,
    QuotaIn,
)
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)
router.include_router(usage_pages.router)
router.include_router(feed_pages.router)


def _choices(values: Any) -> list[tuple[str, str]]:
    return [(v.value, v.value.replace("_", " ")) for v in values]


OPTIONS = {
    "kinds": _choices(FacilityKind),
    "statuses": _choices(FacilityStatus),
    "rate_units": _choices(RateUnit),
    "periods": _choices(QuotaPeriod),
    "weekdays": WEEKDAYS,
}


def _context(request: Request, actor: Principal, **extra: Any) -> dict[str, Any]:
    organisations = services.organisation_choices(request.app.state.uow_factory(), actor)
    return {
        "section": "facilities",
        "organisations": [(o, o) for o in organisations],
        "errors": {},
        "values": {},
        **OPTIONS,
        **extra,
    }


def _command(values: dict[str, Any]) -> dict[str, Any]:
    """The form's fields shaped as the command expects them."""
    command = {k: v for k, v in values.items() if not k.startswith(("label_", "hours_"))}
    if "capabilities" in command:
        command["capabilities"] = [c for c in command["capabilities"] if c]
    if any(k.startswith("label_") for k in values):
        command["label"] = {
            "banner": values.get("label_banner", ""),
            "scheme": values.get("label_scheme", ""),
            "originator": values.get("label_originator", ""),
        }
    hours = {day: values[f"hours_{day}"] for day in WEEKDAYS if values.get(f"hours_{day}")}
    if hours or any(k.startswith("hours_") for k in values):
        command["opening_hours"] = hours
    if "tcp_applies" in command:
        command["tcp_applies"] = command["tcp_applies"] == "true"
    return command


@router.get("/facilities")
def catalogue_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    q: Annotated[str | None, AnyChoice] = None,
    kind: Annotated[FacilityKind | None, AnyChoice] = None,
    capability: Annotated[str | None, AnyChoice] = None,
    nation: Annotated[str | None, AnyChoice] = None,
) -> Response:
    facilities = services.list_facilities(
        uow, actor, q=q, kind=kind, capability=capability, nation=nation
    )
    return render(
        request,
        "facilities/catalogue.html",
        actor,
        _context(
            request,
            actor,
            facilities=facilities,
            filters={
                "q": q or "",
                "kind": kind,
                "capability": capability or "",
                "nation": nation or "",
            },
        ),
    )


@router.get("/facilities/new")
def new_facility_page(request: Request, actor: WebPrincipal) -> Response:
    if not holds_somewhere(actor, Permission.FACILITY_MANAGE):
        raise PermissionDenied(f"{Permission.FACILITY_MANAGE} is not granted to {actor.name}")
    return render(request, "facilities/facility_form.html", actor, _context(request, actor))


@router.post("/facilities/new")
def create_facility_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("capabilities",))
    try:
        created = services.create_facility(uow, actor, parse(FacilityIn, _command(values)))
    except CoalitionError as exc:
        return render(
            request,
            "facilities/facility_form.html",
            actor,
            _context(request, actor, values=_shown(values), errors=_errors(exc)),
            status_code=exc.status,
        )
    flash(request, f"Facility {created.code} added to the catalogue.")
    return RedirectResponse(f"/facilities/{created.id}", status_code=303)


def _errors(exc: CoalitionError) -> dict[str, str]:
    """Label and hours errors shown at their form fields."""
    errors = form_errors(exc)
    if "label" in errors:
        errors["label_banner"] = errors.pop("label")
    if "opening_hours" in errors:
        errors["hours"] = errors.pop("opening_hours")
    return errors


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "capabilities": ", ".join(values.get("capabilities", []))}


@router.get("/facilities/{facility_id}")
def facility_page(facility_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _detail(request, actor, facility_id)


def _detail(
    request: Request,
    actor: Principal,
    facility_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    factory = request.app.state.uow_factory
    f = services.get_facility(factory(), actor, facility_id)
    return render(
        request,
        "facilities/facility.html",
        actor,
        _context(
            request,
            actor,
            f=f,
            bookings=bookings.list_bookings(factory(), actor, facility_id),
            quotas=quotas.list_quotas(factory(), actor, facility_id),
            projects=[(p, p) for p in services.project_choices(factory(), actor)],
            errors=errors or {},
            values=values or {},
        ),
        status_code=status_code,
    )


def _edit_values(f: FacilityOut) -> dict[str, Any]:
    return {
        "name": f.name,
        "location": f.location,
        "time_zone": f.time_zone,
        "description": f.description or "",
        "capabilities": ", ".join(f.capabilities),
        "label_banner": f.label.banner,
        "label_scheme": f.label.scheme,
        "label_originator": f.label.originator,
        "tcp_applies": f.tcp_applies,
        "capacity": f.capacity,
        "status": f.status,
        **{f"hours_{day}": span for day, span in f.opening_hours.items()},
    }


@router.get("/facilities/{facility_id}/edit")
def edit_facility_page(facility_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    f = services.get_facility(request.app.state.uow_factory(), actor, facility_id)
    if str(Permission.FACILITY_MANAGE) not in f.allowed_actions:
        raise PermissionDenied(f"{Permission.FACILITY_MANAGE} is not granted to {actor.name} here")
    return render(
        request,
        "facilities/facility_form.html",
        actor,
        _context(request, actor, f=f, values=_edit_values(f)),
    )


@router.post("/facilities/{facility_id}/edit")
def update_facility_page(
    facility_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("capabilities",))
    for day in WEEKDAYS:
        values.setdefault(f"hours_{day}", "")
    values.setdefault("tcp_applies", "false")
    values.setdefault("description", None)  # an emptied description is cleared
    try:
        updated = services.update_facility(
            uow, actor, facility_id, parse(FacilityUpdate, _command(values))
        )
    except CoalitionError as exc:
        f = services.get_facility(request.app.state.uow_factory(), actor, facility_id)
        return render(
            request,
            "facilities/facility_form.html",
            actor,
            _context(request, actor, f=f, values=_shown(values), errors=_errors(exc)),
            status_code=exc.status,
        )
    flash(request, f"Facility {updated.code} updated.")
    return RedirectResponse(f"/facilities/{facility_id}", status_code=303)


@router.post("/facilities/{facility_id}/closures")
def closure_page(
    facility_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        services.add_closure(uow, actor, facility_id, parse(ClosureIn, values))
    except CoalitionError as exc:
        return _detail(request, actor, facility_id, form_errors(exc), values, exc.status)
    flash(request, f"Closed from {values.get('first_day')} to {values.get('last_day')}.")
    return RedirectResponse(f"/facilities/{facility_id}#closures-h", status_code=303)


# --- bookings ---------------------------------------------------------------------------------


@router.get("/facilities/{facility_id}/calendar.ics")
def calendar_feed(facility_id: uuid.UUID, actor: WebPrincipal, uow: UowDep) -> Response:
    return Response(
        bookings.calendar(uow, actor, facility_id),
        media_type="text/calendar",
        headers={"Content-Disposition": f'inline; filename="{facility_id}.ics"'},
    )


@router.post("/facilities/{facility_id}/bookings")
def request_booking_page(
    facility_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("participants",))
    factory = request.app.state.uow_factory
    try:
        f = services.get_facility(factory(), actor, facility_id)
        command = {k: v for k, v in values.items() if k != "participants"}
        command["facility"] = f.code
        command["participant_ids"] = services.people_by_email(
            factory(), actor, values.get("participants", [])
        )
        created = bookings.request_booking(uow, actor, parse(BookingIn, command))
    except CoalitionError as exc:
        errors = form_errors(exc)
        if "participant_ids" in errors:
            errors["participants"] = errors.pop("participant_ids")
        shown = {**values, "participants": ", ".join(values.get("participants", []))}
        return _detail(request, actor, facility_id, {"booking": errors}, shown, exc.status)
    flash(
        request, f"Booking {created.reference} requested: {len(created.occurrences)} occurrence(s)."
    )
    return RedirectResponse(f"/bookings/{created.id}", status_code=303)


@router.get("/bookings/{booking_id}")
def booking_page(booking_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _booking(request, actor, booking_id)


def _booking(
    request: Request,
    actor: Principal,
    booking_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    b = bookings.get_booking(request.app.state.uow_factory(), actor, booking_id)
    return render(
        request,
        "facilities/booking.html",
        actor,
        _context(request, actor, b=b, errors=errors or {}, now=datetime.now(UTC)),
        status_code=status_code,
    )


@router.post("/bookings/{booking_id}/decision")
def decide_booking_page(
    booking_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    try:
        decided = bookings.decide_booking(
            uow, actor, booking_id, parse(BookingDecisionIn, form_values(form))
        )
    except CoalitionError as exc:
        return _booking(request, actor, booking_id, {"decision": form_errors(exc)}, exc.status)
    flash(request, f"Booking {decided.reference} {decided.status}.")
    return RedirectResponse(f"/bookings/{booking_id}", status_code=303)


@router.post("/bookings/{booking_id}/cancel")
def cancel_booking_page(
    booking_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    try:
        cancelled = bookings.cancel_booking(
            uow, actor, booking_id, parse(BookingCancelIn, form_values(form))
        )
    except CoalitionError as exc:
        return _booking(request, actor, booking_id, {"cancel": form_errors(exc)}, exc.status)
    flash(request, f"Booking {cancelled.reference} cancelled.")
    return RedirectResponse(f"/bookings/{booking_id}", status_code=303)


@router.post("/bookings/{booking_id}/occurrences/cancel")
def cancel_occurrence_page(
    booking_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    try:
        done = occurrences.cancel_occurrence(
            uow, actor, booking_id, parse(OccurrenceCancelIn, form_values(form))
        )
    except CoalitionError as exc:
        return _booking(request, actor, booking_id, {"occurrence": form_errors(exc)}, exc.status)
    flash(request, f"Occurrence of {done.reference} cancelled.")
    return RedirectResponse(f"/bookings/{booking_id}#occurrences-h", status_code=303)


@router.post("/bookings/{booking_id}/occurrences/no-show")
def no_show_page(
    booking_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    try:
        done = occurrences.mark_no_show(uow, actor, booking_id, parse(NoShowIn, form_values(form)))
    except CoalitionError as exc:
        return _booking(request, actor, booking_id, {"occurrence": form_errors(exc)}, exc.status)
    flash(request, f"Occurrence of {done.reference} marked a no-show.")
    return RedirectResponse(f"/bookings/{booking_id}#occurrences-h", status_code=303)


# --- quotas -----------------------------------------------------------------------------------


@router.post("/facilities/{facility_id}/quotas")
def set_quota_page(
    facility_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    # The form's fields are prefixed: the booking form on the same page has a project too.
    values = form_values(form)
    command = {k.removeprefix("quota_"): v for k, v in values.items()}
    try:
        quota = quotas.set_quota(uow, actor, facility_id, parse(QuotaIn, command))
    except CoalitionError as exc:
        errors = {f"quota_{k}" if k != "_form" else k: v for k, v in form_errors(exc).items()}
        return _detail(request, actor, facility_id, {"quota": errors}, values, exc.status)
    flash(request, f"Quota set: {quota.project or quota.nation}, {quota.hours} h a {quota.period}.")
    return RedirectResponse(f"/facilities/{facility_id}#quotas-h", status_code=303)


@router.post("/facilities/{facility_id}/quotas/{quota_id}/remove")
def remove_quota_page(
    facility_id: uuid.UUID,
    quota_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    try:
        quotas.remove_quota(uow, actor, facility_id, quota_id)
    except CoalitionError as exc:
        return _detail(request, actor, facility_id, {"quota": form_errors(exc)}, {}, exc.status)
    flash(request, "Quota removed.")
    return RedirectResponse(f"/facilities/{facility_id}#quotas-h", status_code=303)
