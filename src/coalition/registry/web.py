"""HTML pages of the registry: organisations, nations and security agreements.

People, with their clearances and briefings, are in :mod:`coalition.registry.people_web`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Permission
from coalition.common.paging import PageRequest
from coalition.errors import CoalitionError
from coalition.registry import people, services
from coalition.registry.models import OrganisationKind
from coalition.registry.schemas import (
    NationIn,
    OrganisationIn,
    OrganisationUpdate,
    SecurityAgreementIn,
    SecurityAgreementUpdate,
)
from coalition.web.deps import CheckedForm, PageDep, UowDep, WebPrincipal
from coalition.web.forms import (
    AnyChoice,
    form_errors,
    form_values,
    parse,
)
from coalition.web.templating import LEVEL_NAMES, flash, render

router = APIRouter(include_in_schema=False)

KINDS = [(k.value, k.value.title()) for k in OrganisationKind]


def _organisation_form_context(uow: UowDep, actor: WebPrincipal) -> dict[str, object]:
    nations = services.list_nations(uow, actor)
    organisations = services.list_organisations(uow, actor, PageRequest(limit=200)).items
    return {
        "section": "organisations",
        "kinds": KINDS,
        "nations": [(n.code, f"{n.code} · {n.name}") for n in nations],
        "parents": [(o.id, f"{o.short_name} · {o.name}") for o in organisations],
    }


@router.get("/organisations")
def organisations(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    page: PageDep,
    q: str | None = None,
    nation: str | None = None,
    kind: Annotated[OrganisationKind | None, AnyChoice] = None,
) -> Response:
    result = services.list_organisations(uow, actor, page, q=q, nation=nation, kind=kind)
    nations = services.list_nations(uow, actor)
    return render(
        request,
        "registry/organisations.html",
        actor,
        {
            "section": "organisations",
            "page": result,
            "kinds": KINDS,
            "nations": [(n.code, n.code) for n in nations],
            "filters": {"q": q or "", "nation": nation or "", "kind": kind or ""},
        },
    )


@router.get("/organisations/new")
def new_organisation(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    return render(
        request, "registry/organisation_form.html", actor, _organisation_form_context(uow, actor)
    )


@router.post("/organisations/new")
def create_organisation(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    values["directory_listed"] = values.get("directory_listed") == "yes"
    try:
        created = services.create_organisation(uow, actor, parse(OrganisationIn, values))
    except CoalitionError as exc:
        return render(
            request,
            "registry/organisation_form.html",
            actor,
            {
                **_organisation_form_context(uow, actor),
                "values": values,
                "errors": form_errors(exc),
            },
            status_code=exc.status,
        )
    flash(request, f"Organisation {created.short_name} created.")
    return RedirectResponse(f"/organisations/{created.id}", status_code=303)


@router.get("/organisations/{organisation_id}")
def organisation(
    organisation_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    found = services.get_organisation(uow, actor, organisation_id)
    staff = people.list_people(uow, actor, PageRequest(limit=200), organisation_id=organisation_id)
    parent = services.get_organisation(uow, actor, found.parent_id) if found.parent_id else None
    return render(
        request,
        "registry/organisation.html",
        actor,
        {
            "section": "organisations",
            "organisation": found,
            "parent": parent,
            "staff": staff,
        },
    )


@router.get("/organisations/{organisation_id}/edit")
def edit_organisation(
    organisation_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    found = services.get_organisation(
        uow, actor, organisation_id, for_permission=Permission.ORGANISATION_UPDATE
    )
    return render(
        request,
        "registry/organisation_form.html",
        actor,
        {
            **_organisation_form_context(uow, actor),
            "organisation": found,
            "values": found.model_dump(mode="json"),
        },
    )


@router.post("/organisations/{organisation_id}/edit")
def update_organisation(
    organisation_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    values.pop("nation_code", None)  # the nation of an organisation does not change
    # A blank optional field in an edit form means "clear it".
    for name in ("parent_id", "city", "website"):
        values.setdefault(name, None)
    values["directory_listed"] = values.get("directory_listed") == "yes"
    try:
        updated = services.update_organisation(
            uow, actor, organisation_id, parse(OrganisationUpdate, values)
        )
    except CoalitionError as exc:
        found = services.get_organisation(uow, actor, organisation_id)
        return render(
            request,
            "registry/organisation_form.html",
            actor,
            {
                **_organisation_form_context(uow, actor),
                "organisation": found,
                "values": {**found.model_dump(mode="json"), **values},
                "errors": form_errors(exc),
            },
            status_code=exc.status,
        )
    flash(request, f"Organisation {updated.short_name} saved.")
    return RedirectResponse(f"/organisations/{updated.id}", status_code=303)


def _reference_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    failed: str | None = None,
    exc: CoalitionError | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    """Nations, groups, classification schemes, clearance names and security agreements:
    the facts every clearance and releasability check stands on."""
    schemes = services.list_schemes(uow, actor)
    context: dict[str, object] = {
        "section": "reference",
        "nations": services.list_nations(uow, actor),
        "groups": services.list_groups(uow, actor),
        "schemes": schemes,
        "scheme_choices": [(s.code, s.code) for s in schemes],
        "clearance_names": services.list_clearance_names(uow, actor),
        "security_agreements": services.list_security_agreements(uow, actor),
        "levels": [(level, f"{level} · {LEVEL_NAMES[level]}") for level in range(1, 5)],
        "failed": failed,
        "values": values or {},
        "errors": form_errors(exc) if exc else {},
    }
    status_code = exc.status if exc else 200
    return render(request, "registry/reference.html", actor, context, status_code=status_code)


@router.get("/reference")
def reference(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    return _reference_page(request, actor, uow)


@router.post("/reference/nations")
def create_nation(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        created = services.create_nation(uow, actor, parse(NationIn, values))
    except CoalitionError as exc:
        return _reference_page(request, actor, uow, "nation", exc, values)
    flash(request, f"Nation {created.code} added.")
    return RedirectResponse("/reference#nations", status_code=303)


@router.post("/reference/security-agreements")
def create_security_agreement(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("parties",))
    try:
        created = services.create_security_agreement(uow, actor, parse(SecurityAgreementIn, values))
    except CoalitionError as exc:
        shown_values = {**values, "parties": ", ".join(values.get("parties", []))}
        return _reference_page(request, actor, uow, "gsa", exc, shown_values)
    flash(request, f"Security agreement {created.reference} recorded.")
    return RedirectResponse("/reference#gsas", status_code=303)


@router.post("/reference/security-agreements/{agreement_id}")
def update_security_agreement(
    agreement_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    form: CheckedForm,
) -> Response:
    values = form_values(form)
    values.setdefault("in_force_until", None)  # blank: open-ended
    try:
        updated = services.update_security_agreement(
            uow, actor, agreement_id, parse(SecurityAgreementUpdate, values)
        )
    except CoalitionError as exc:
        return _reference_page(request, actor, uow, f"gsa-{agreement_id}", exc, values)
    flash(request, f"Security agreement {updated.reference} saved.")
    return RedirectResponse("/reference#gsas", status_code=303)
