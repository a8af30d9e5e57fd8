"""HTML pages of people, with their clearances and briefings."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Permission
from coalition.common.paging import PageRequest
from coalition.errors import CoalitionError
from coalition.registry import people, services
from coalition.registry.models import BriefingKind, ClearanceStatus, PersonStatus
from coalition.registry.rules import SUPRANATIONAL_ISSUERS
from coalition.registry.schemas import (
    BriefingIn,
    ClearanceIn,
    ClearanceNameOut,
    ClearanceUpdate,
    PersonIn,
    PersonOut,
    PersonUpdate,
)
from coalition.web.deps import CheckedForm, PageDep, UowDep, WebPrincipal
from coalition.web.forms import (
    AnyChoice,
    as_text,
    form_errors,
    form_values,
    parse,
    shown,
    uuid_or_none,
)
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)


# --- people -------------------------------------------------------------------------------

STATUSES = [(s.value, s.value.title()) for s in PersonStatus]
CLEARANCE_STATUSES = [(s.value, s.value.title()) for s in ClearanceStatus]
BRIEFING_KINDS = [(k.value, k.value.title()) for k in BriefingKind]


def _person_form_context(uow: UowDep, actor: WebPrincipal) -> dict[str, object]:
    organisations = services.list_organisations(uow, actor, PageRequest(limit=200)).items
    return {
        "section": "people",
        "statuses": STATUSES,
        "employers": [(o.id, f"{o.short_name} · {o.name}") for o in organisations],
    }


def _person_form(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    values: dict[str, Any],
    exc: CoalitionError | None = None,
    person: PersonOut | None = None,
) -> Response:
    context = {
        **_person_form_context(uow, actor),
        "person": person,
        "values": as_text(values, "citizenships"),
    }
    if exc is None:
        return render(request, "registry/person_form.html", actor, context)
    return render(
        request,
        "registry/person_form.html",
        actor,
        {**context, "errors": form_errors(exc)},
        status_code=exc.status,
    )


def _person_values(person: PersonOut) -> dict[str, Any]:
    return shown(
        {
            **person.model_dump(mode="json", exclude={"clearances", "briefings", "employer"}),
            "employer_id": str(person.employer.id),
        }
    )


def _person_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    person_id: uuid.UUID,
    failed: str | None = None,
    exc: CoalitionError | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    """The person's page; after a failed inline form, that form opens again with its errors."""
    person = people.get_person(uow, actor, person_id)
    issuers = [n.code for n in services.list_nations(uow, actor)]
    issuers += sorted(SUPRANATIONAL_ISSUERS)
    # Only the names of issuers one may pick: a clearance of an unknown nation cannot be added.
    names_by_issuer: dict[str, list[ClearanceNameOut]] = {issuer: [] for issuer in issuers}
    for name in services.list_clearance_names(uow, actor):
        if name.issuer in names_by_issuer:
            names_by_issuer[name.issuer].append(name)
    context: dict[str, object] = {
        "section": "people",
        "person": person,
        "issuers": [(i, i) for i in issuers],
        "names_by_issuer": names_by_issuer,
        "clearance_statuses": CLEARANCE_STATUSES,
        "briefing_kinds": BRIEFING_KINDS,
        "failed": failed,
    }
    if exc is None:
        return render(request, "registry/person.html", actor, context)
    return render(
        request,
        "registry/person.html",
        actor,
        {**context, "values": values or {}, "errors": form_errors(exc)},
        status_code=exc.status,
    )


@router.get("/people")
def people_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    page: PageDep,
    q: str | None = None,
    organisation: Annotated[uuid.UUID | None, AnyChoice] = None,
    citizenship: str | None = None,
    status: Annotated[PersonStatus | None, AnyChoice] = None,
) -> Response:
    result = people.list_people(
        uow, actor, page, q=q, organisation_id=organisation, citizenship=citizenship, status=status
    )
    nations = services.list_nations(uow, actor)
    return render(
        request,
        "registry/people.html",
        actor,
        {
            **_person_form_context(uow, actor),
            "page": result,
            "nations": [(n.code, n.code) for n in nations],
            "filters": {
                "q": q or "",
                "organisation": str(organisation or ""),
                "citizenship": citizenship or "",
                "status": status or "",
            },
        },
    )


@router.get("/people/new")
def new_person(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    organisation: Annotated[uuid.UUID | None, AnyChoice] = None,
) -> Response:
    return _person_form(request, actor, uow, shown({"employer_id": organisation}))


@router.post("/people/new")
def create_person(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("citizenships",))
    try:
        created = people.create_person(uow, actor, parse(PersonIn, values))
    except CoalitionError as exc:
        return _person_form(request, actor, uow, values, exc)
    flash(request, f"{created.given_name} {created.family_name} added.")
    return RedirectResponse(f"/people/{created.id}", status_code=303)


@router.get("/people/{person_id}")
def person_page(
    person_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    return _person_page(request, actor, uow, person_id)


@router.get("/people/{person_id}/edit")
def edit_person(
    person_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    found = people.get_person(uow, actor, person_id, for_permission=Permission.PERSON_UPDATE)
    return _person_form(request, actor, uow, _person_values(found), person=found)


@router.post("/people/{person_id}/edit")
def update_person(
    person_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form, lists=("citizenships",))
    values.setdefault("job_title", None)  # a blank job title in an edit form clears it
    try:
        updated = people.update_person(uow, actor, person_id, parse(PersonUpdate, values))
    except CoalitionError as exc:
        found = people.get_person(uow, actor, person_id)
        return _person_form(
            request, actor, uow, {**_person_values(found), **shown(values)}, exc, person=found
        )
    flash(request, f"{updated.given_name} {updated.family_name} saved.")
    return RedirectResponse(f"/people/{updated.id}", status_code=303)


@router.post("/people/{person_id}/clearances")
def add_clearance(
    person_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    try:
        added = people.add_clearance(uow, actor, person_id, parse(ClearanceIn, values))
    except CoalitionError as exc:
        return _person_page(request, actor, uow, person_id, "clearance-new", exc, values)
    flash(request, f"Clearance {added.issuer} {added.level_name} recorded.")
    return RedirectResponse(f"/people/{person_id}#clearances", status_code=303)


@router.post("/clearances/{clearance_id}")
def update_clearance(
    clearance_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    # The form names its person only so that a failed change can show that page again.
    person_id = uuid_or_none(values.pop("person_id", None))
    try:
        changed = people.update_clearance(uow, actor, clearance_id, parse(ClearanceUpdate, values))
    except CoalitionError as exc:
        if person_id is None:
            raise
        return _person_page(
            request, actor, uow, person_id, f"clearance-{clearance_id}", exc, values
        )
    flash(request, f"Clearance {changed.issuer} {changed.level_name} changed.")
    return RedirectResponse(f"/people/{changed.person_id}#clearances", status_code=303)


@router.post("/people/{person_id}/briefings")
def add_briefing(
    person_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    try:
        added = people.add_briefing(uow, actor, person_id, parse(BriefingIn, values))
    except CoalitionError as exc:
        return _person_page(request, actor, uow, person_id, "briefing-new", exc, values)
    flash(request, f"{added.kind.title()} '{added.name}' recorded.")
    return RedirectResponse(f"/people/{person_id}#briefings", status_code=303)
