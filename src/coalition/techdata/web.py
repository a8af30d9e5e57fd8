"""HTML pages of technical data: the authorised list, an artifact with its label and the
asker's own decisions, recording an artifact, and the security officer's pages (why, who
can see, what a person can see, what-if)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.common.paging import PageRequest
from coalition.content import services as content
from coalition.errors import CoalitionError
from coalition.exportcontrol.services import list_authorisations
from coalition.policy.facts import Action, Purpose
from coalition.policy.labels import ExportRegime
from coalition.projects.models import MemberRole
from coalition.projects.page import organisation_choices
from coalition.projects.services import list_projects
from coalition.registry.people import list_people
from coalition.registry.services import list_groups
from coalition.techdata import services, whatif
from coalition.techdata.models import ArtifactKind
from coalition.techdata.schemas import ArtifactFilters, ArtifactIn
from coalition.web.deps import CheckedForm, PageDep, UowDep, WebPrincipal
from coalition.web.forms import AnyChoice, form_errors, form_values, parse
from coalition.web.templating import LEVEL_NAMES, flash, render

router = APIRouter(include_in_schema=False)

LISTED_ACTIONS = [
    (Action.VIEW_METADATA.value, "Know it exists"),
    (Action.READ.value, "Read"),
    (Action.DOWNLOAD.value, "Download"),
]
ALL_ACTIONS = [(a.value, a.value.replace("_", " ")) for a in Action]
SORTS = [
    ("title", "Title"),
    ("reference", "Reference"),
    ("-created_at", "Newest first"),
    ("-level", "Highest level first"),
]
KINDS = [(k.value, k.value.replace("_", " ")) for k in ArtifactKind]
LEVELS = [(str(level), f"up to {name}") for level, name in LEVEL_NAMES.items()]
WHAT_IF_KINDS = [
    ("add_nation", "A nation's organisations join a project"),
    ("add_participant", "An organisation joins a project"),
    ("remove_participant", "An organisation leaves a project"),
    ("grant_clearance", "A person is granted a clearance"),
    ("revoke_clearance", "A clearance is revoked"),
    ("expire_authorisation", "An export authorisation expires"),
    ("add_group_member", "A nation joins a group"),
    ("remove_group_member", "A nation leaves a group"),
    ("relabel", "Artifacts are relabelled"),
]


def _projects(uow: UowDep, actor: WebPrincipal) -> list[tuple[uuid.UUID, str]]:
    return [
        (p.id, f"{p.code} · {p.title}")
        for p in list_projects(uow, actor, PageRequest(limit=200)).items
    ]


def _people(uow: UowDep, actor: WebPrincipal) -> list[tuple[uuid.UUID, str]]:
    people = list_people(uow, actor, PageRequest(limit=200)).items
    return [(p.id, f"{p.family_name}, {p.given_name} ({p.employer.short_name})") for p in people]


@router.get("/artifacts")
def artifacts_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    page: PageDep,
    q: str | None = None,
    project_id: Annotated[uuid.UUID | None, AnyChoice] = None,
    max_level: Annotated[int | None, AnyChoice] = None,
    label: str | None = None,
    originator: Annotated[str | None, AnyChoice] = None,
    sort: Annotated[str | None, AnyChoice] = None,
    action: Annotated[Action | None, AnyChoice] = None,
    ip_asset_id: Annotated[uuid.UUID | None, AnyChoice] = None,
) -> Response:
    values = {
        "ip_asset_id": str(ip_asset_id or ""),
        "q": q or "",
        "project_id": str(project_id or ""),
        "max_level": "" if max_level is None else str(max_level),
        "label": label or "",
        "originator": originator or "",
        "sort": sort or "title",
        "action": (action or Action.VIEW_METADATA).value,
    }
    context: dict[str, Any] = {
        "section": "artifacts",
        "filters": values,
        "projects": _projects(uow, actor),
        "levels": LEVELS,
        "sorts": SORTS,
        "actions": LISTED_ACTIONS,
    }
    try:
        filters = parse(
            ArtifactFilters,
            {k: v for k, v in values.items() if v and k not in {"action"}},
        )
        context["page"] = services.list_artifacts(
            uow, actor, page, filters, action=action or Action.VIEW_METADATA
        )
    except CoalitionError as exc:
        context["errors"] = form_errors(exc)
        return render(request, "techdata/artifacts.html", actor, context, exc.status)
    return render(request, "techdata/artifacts.html", actor, context)


def _form_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    values: dict[str, Any],
    exc: CoalitionError | None = None,
) -> Response:
    context = {
        "section": "artifacts",
        "values": values,
        "kinds": KINDS,
        "projects": _projects(uow, actor),
        "organisations": organisation_choices(uow, actor),
        "regimes": [(r.value, r.value) for r in ExportRegime],
        "errors": form_errors(exc) if exc else {},
    }
    return render(
        request, "techdata/artifact_form.html", actor, context, exc.status if exc else 200
    )


@router.get("/artifacts/new")
def new_artifact(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    return _form_page(request, actor, uow, {"kind": "report"})


@router.post("/artifacts/new")
def create_artifact(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form, lists=("releasable_to", "caveats"))
    try:
        command = artifact_command(values)
        if values.get("label_xml"):
            command["label"] = services.label_from_xml(uow, str(values["label_xml"]).encode())
        created = services.create_artifact(uow, actor, parse(ArtifactIn, command))
    except CoalitionError as exc:
        return _form_page(request, actor, uow, _flat(values), exc)
    flash(request, f"Artifact {created.reference} recorded as {created.label.banner}.")
    return RedirectResponse(f"/artifacts/{created.id}", status_code=303)


def artifact_command(values: dict[str, Any]) -> dict[str, Any]:
    """The form's flat fields as the nested command (label and one export marking)."""
    label_fields = (
        "scheme",
        "originator",
        "banner",
        "classification",
        "releasable_to",
        "caveats",
        "embargo_until",
        "review_on",
        "distribution",
    )
    label: dict[str, Any] = {k: values[k] for k in label_fields if k in values}
    for key in ("scheme", "originator", "banner", "classification"):
        if key in label and key != "banner":
            label[key] = str(label[key]).upper()
    if "releasable_to" in label:
        label["releasable_to"] = [c.upper() for c in label["releasable_to"]]
    if "caveats" in label:
        label["caveats"] = [c.upper() for c in label["caveats"]]
    label["noforn"] = values.get("noforn") == "on"
    if values.get("export_category"):
        label["export"] = [
            {
                "regime": values.get("export_regime", ""),
                "category": values["export_category"],
                "exporting_nation": str(values.get("export_nation", "")).upper(),
            }
        ]
    command: dict[str, Any] = {
        k: values[k]
        for k in (
            "reference",
            "title",
            "description",
            "kind",
            "project_id",
            "owner_organisation_id",
        )
        if k in values
    }
    command["label"] = label
    return command


def _flat(values: dict[str, Any]) -> dict[str, Any]:
    return {k: ", ".join(v) if isinstance(v, list) else v for k, v in values.items()}


@router.get("/artifacts/{artifact_id}")
def artifact_page(
    artifact_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    artifact = services.get_artifact(uow, actor, artifact_id)
    context: dict[str, Any] = {
        "section": "artifacts",
        "artifact": artifact,
        "versions": content.versions_of_shown(uow, artifact),
        "may": {d.action: d.permit for d in artifact.access},
    }
    if "organisation:decision:explain" in artifact.allowed_actions:
        context["people"] = _people(uow, actor)
        context["actions"] = ALL_ACTIONS
    return render(request, "techdata/artifact.html", actor, context)


@router.get("/artifacts/{artifact_id}/label.xml")
def label_xml_page(
    artifact_id: uuid.UUID,
    actor: WebPrincipal,
    uow: UowDep,
    scheme: Annotated[str | None, AnyChoice] = None,
) -> Response:
    """The label as a STANAG 4774 document, to save or hand to another system."""
    body = services.label_xml(uow, actor, artifact_id, scheme.upper() if scheme else None)
    return Response(body, media_type="application/xml")


@router.get("/artifacts/{artifact_id}/why")
def why_page(
    artifact_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    person_id: uuid.UUID,
    action: Action = Action.READ,
    purpose: Annotated[Purpose | None, AnyChoice] = None,
) -> Response:
    explanation = services.explain(
        uow, actor, artifact_id, person_id, action, purpose=purpose.value if purpose else None
    )
    return render(
        request,
        "techdata/why.html",
        actor,
        {"section": "artifacts", "e": explanation},
    )


@router.get("/artifacts/{artifact_id}/audience")
def audience_page(
    artifact_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    action: Annotated[Action | None, AnyChoice] = None,
) -> Response:
    chosen = action or Action.READ
    if chosen not in {Action.VIEW_METADATA, Action.READ, Action.DOWNLOAD}:
        chosen = Action.READ
    result = services.who_can_see(uow, actor, artifact_id, chosen)
    return render(
        request,
        "techdata/audience.html",
        actor,
        {"section": "artifacts", "r": result, "actions": LISTED_ACTIONS},
    )


@router.get("/people/{person_id}/visibility")
def visibility_page(
    person_id: uuid.UUID,
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    action: Annotated[Action | None, AnyChoice] = None,
) -> Response:
    chosen = action if action in {Action.VIEW_METADATA, Action.READ, Action.DOWNLOAD} else None
    result = services.what_can_see(uow, actor, person_id, chosen or Action.READ)
    return render(
        request,
        "techdata/visibility.html",
        actor,
        {"section": "people", "r": result, "actions": LISTED_ACTIONS},
    )


# --- what-if --------------------------------------------------------------------------------


def _what_if_page(
    request: Request,
    actor: WebPrincipal,
    uow: UowDep,
    values: dict[str, Any],
    result: whatif.WhatIfOut | None = None,
    exc: CoalitionError | None = None,
) -> Response:
    context = {
        "section": "what_if",
        "values": values,
        "kinds": WHAT_IF_KINDS,
        "projects": _projects(uow, actor),
        "organisations": organisation_choices(uow, actor),
        "people": _people(uow, actor),
        "authorisations": [
            (a.id, f"{a.reference} ({a.issuing_nation} {a.regime}, until {a.valid_until})")
            for a in list_authorisations(uow, actor)
        ],
        "groups": [(g.code, g.code) for g in list_groups(uow, actor)],
        "roles": [("", "none: the organisation alone")]
        + [(r.value, r.value.replace("_", " ")) for r in MemberRole],
        "actions": LISTED_ACTIONS,
        "result": result,
        "errors": form_errors(exc) if exc else {},
    }
    return render(request, "techdata/what_if.html", actor, context, exc.status if exc else 200)


@router.get("/what-if")
def what_if_form(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    return _what_if_page(request, actor, uow, {"kind": "add_nation", "action": "read"})


@router.post("/what-if")
def what_if_run(request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm) -> Response:
    values = form_values(form, lists=("artifact_references",))
    try:
        command = parse(whatif.WhatIfIn, what_if_command(uow, actor, values))
        result = whatif.what_if(uow, actor, command)
    except CoalitionError as exc:
        return _what_if_page(request, actor, uow, _flat(values), exc=exc)
    return _what_if_page(request, actor, uow, _flat(values), result)


def what_if_command(uow: UowDep, actor: WebPrincipal, values: dict[str, Any]) -> dict[str, Any]:
    kind = values.get("kind", "")
    fields = {
        "add_nation": ("project_id", "nation", "staff_role"),
        "add_participant": ("project_id", "organisation_id", "staff_role"),
        "remove_participant": ("project_id", "organisation_id"),
        "grant_clearance": ("person_id", "issuer", "level", "valid_until"),
        "revoke_clearance": ("clearance_id",),
        "expire_authorisation": ("authorisation_id",),
        "add_group_member": ("group", "nation"),
        "remove_group_member": ("group", "nation"),
        "relabel": (),
    }.get(kind, ())
    change: dict[str, Any] = {"kind": kind, **{f: values[f] for f in fields if f in values}}
    for key in ("nation", "issuer"):
        if key in change:
            change[key] = str(change[key]).upper()
    if kind in {"add_nation", "add_participant"} and "staff_role" not in values:
        change["staff_role"] = None
    if kind == "relabel":
        references = [r.upper() for r in values.get("artifact_references", [])]
        change["artifact_ids"] = services.artifact_ids_for(uow, actor, references)
        change["label"] = {
            "scheme": str(values.get("scheme", "")).upper(),
            "originator": str(values.get("originator", "")).upper(),
            "banner": values.get("banner", ""),
        }
    return {"changes": [change], "action": values.get("action", "read")}
