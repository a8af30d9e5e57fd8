"""Expertise pages: the search with its filters, one profile, the form that adds or changes
one, and the partner finder. A profile the reader may not see is not found."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Permission, Principal, holds_somewhere
from coalition.errors import CoalitionError
from coalition.expertise import semantic, services
from coalition.expertise.models import ProfileKind, ProfileStatus
from coalition.expertise.schemas import ProfileIn, ProfileOut, ProfileUpdate
from coalition.federation import directory
from coalition.federation.schemas import DirectoryEntryOut
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)
KINDS = [(k.value, k.value) for k in ProfileKind]
STATUSES = [(s.value, s.value) for s in ProfileStatus]
PAGE = 20


def _context(**extra: Any) -> dict[str, Any]:
    return {"section": "expertise", "kinds": KINDS, "statuses": STATUSES, "errors": {}, **extra}


def _int(value: str | None) -> int | None:
    """A small number typed in a form; anything else is no filter."""
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 2 else None


@router.get("/expertise")
def search_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    q: Annotated[str | None, AnyChoice] = None,
    capability: Annotated[str | None, AnyChoice] = None,
    nation: Annotated[str | None, AnyChoice] = None,
    kind: Annotated[ProfileKind | None, AnyChoice] = None,
    trl_min: Annotated[str | None, AnyChoice] = None,
    meaning: Annotated[str | None, AnyChoice] = None,
    offset: Annotated[int, Query(ge=0, le=services.MAX_OFFSET)] = 0,
) -> Response:
    by_meaning = meaning == "1" and semantic.available() and bool(q and q.strip())
    found = services.search(
        uow,
        actor,
        q=q,
        capability=capability,
        nation=nation,
        kind=kind,
        trl_min=_int(trl_min),
        limit=PAGE,
        offset=max(offset, 0),
        mode="semantic" if by_meaning else "text",
    )
    page = SimpleNamespace(
        total=found.total,
        capped=found.total_capped,
        items=found.items,
        offset=found.offset,
        limit=found.limit,
        has_previous=found.offset > 0,
        has_next=found.offset + len(found.items) < found.total
        and found.offset + found.limit <= services.MAX_OFFSET,
    )
    return render(
        request,
        "expertise/search.html",
        actor,
        _context(
            page=page,
            may_add=holds_somewhere(actor, Permission.EXPERTISE_MANAGE),
            semantic=semantic.available(),
            listed=directory.find(
                request.app.state.uow_factory(), actor, capability=capability, text=q
            )
            if (q or capability) and offset == 0
            else [],
            filters={
                "q": q or "",
                "capability": capability or "",
                "nation": nation or "",
                "kind": kind,
                "trl_min": trl_min or "",
                "meaning": by_meaning,
            },
        ),
    )


def _lists(values: dict[str, Any]) -> dict[str, Any]:
    """The form's text boxes shaped as the command expects them."""
    command = {k: v for k, v in values.items() if not k.startswith("label_")}
    for name in ("capabilities", "keywords"):
        if name in command:
            command[name] = [w.strip() for w in str(command[name]).split(",") if w.strip()]
    if "publications" in command:
        rows = []
        for line in str(command["publications"]).splitlines():
            if not line.strip():
                continue
            title, year, reference = ([*line.split("|"), "", ""])[:3]
            rows.append(
                {
                    k: v
                    for k, v in (
                        ("title", title.strip()),
                        ("year", year.strip()),
                        ("reference", reference.strip()),
                    )
                    if v
                }
            )
        command["publications"] = rows
    if any(k.startswith("label_") for k in values):
        command["label"] = {
            "banner": values.get("label_banner", ""),
            "scheme": values.get("label_scheme", ""),
            "originator": values.get("label_originator", ""),
        }
    return command


def _form(
    request: Request,
    actor: Principal,
    p: ProfileOut | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "expertise/profile_form.html",
        actor,
        _context(p=p, errors=errors or {}, values=values or {}),
        status_code=status_code,
    )


@router.get("/expertise/new")
def new_profile_page(request: Request, actor: WebPrincipal, mine: str | None = None) -> Response:
    values: dict[str, Any] = {}
    if mine and actor.person_id is not None:
        values["person_id"] = str(actor.person_id)
    return _form(request, actor, values=values)


@router.post("/expertise/new")
def create_profile_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        made = services.create_profile(uow, actor, parse(ProfileIn, _lists(values)))
    except CoalitionError as exc:
        return _form(request, actor, None, form_errors(exc), values, exc.status)
    flash(request, "Profile added.")
    return RedirectResponse(f"/expertise/{made.id}", status_code=303)


@router.get("/expertise/partners")
def partners_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    capability: Annotated[str | None, AnyChoice] = None,
    agreement: Annotated[str | None, AnyChoice] = None,
    level: Annotated[str | None, AnyChoice] = None,
    trl_min: Annotated[str | None, AnyChoice] = None,
) -> Response:
    values = {
        "capability": capability or "",
        "agreement": agreement or "",
        "level": level or "",
        "trl_min": trl_min or "",
    }
    partners = None
    listed: list[DirectoryEntryOut] = []
    errors: dict[str, str] = {}
    status_code = 200
    if capability:
        try:
            # Organisations partner nodes list in their signed directories (federation).
            listed = directory.find(request.app.state.uow_factory(), actor, capability=capability)
            partners = services.find_partners(
                uow,
                actor,
                capability=capability,
                agreement=agreement,
                level=level,
                trl_min=_int(trl_min),
            )
        except CoalitionError as exc:
            errors, status_code = form_errors(exc), exc.status
    return render(
        request,
        "expertise/partners.html",
        actor,
        _context(partners=partners, listed=listed, values=values, errors=errors),
        status_code=status_code,
    )


@router.get("/expertise/{profile_id}")
def profile_page(profile_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    p = services.get_profile(request.app.state.uow_factory(), actor, profile_id)
    return render(request, "expertise/profile.html", actor, _context(p=p))


def _values(p: ProfileOut) -> dict[str, Any]:
    return {
        "headline": p.headline,
        "summary": p.summary,
        "capabilities": ", ".join(p.capabilities),
        "keywords": ", ".join(p.keywords),
        "trl": p.trl or "",
        "publications": "\n".join(
            " | ".join(str(x) for x in (pub.title, pub.year or "", pub.reference or ""))
            for pub in p.publications
        ),
        "label_banner": p.label.banner,
        "label_scheme": p.label.scheme,
        "label_originator": p.label.originator,
        "status": p.status.value,
    }


@router.get("/expertise/{profile_id}/edit")
def edit_profile_page(profile_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    p = services.get_profile(request.app.state.uow_factory(), actor, profile_id)
    return _form(request, actor, p, values=_values(p))


@router.post("/expertise/{profile_id}/edit")
def update_profile_page(
    profile_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    command = _lists(values)
    for name in ("capabilities", "keywords", "publications"):
        command.setdefault(name, [])
    if not values.get("trl"):
        command["trl"] = None
    try:
        services.update_profile(uow, actor, profile_id, parse(ProfileUpdate, command))
    except CoalitionError as exc:
        p = services.get_profile(request.app.state.uow_factory(), actor, profile_id)
        return _form(request, actor, p, form_errors(exc), values, exc.status)
    flash(request, "Profile updated.")
    return RedirectResponse(f"/expertise/{profile_id}", status_code=303)
