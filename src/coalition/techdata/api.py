"""API routes of technical data and of the security officer's questions."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from coalition.common.paging import Page
from coalition.policy.facts import Action
from coalition.techdata import services, whatif
from coalition.techdata.schemas import (
    ArtifactFilters,
    ArtifactIn,
    ArtifactOut,
    ArtifactSummary,
    ExplanationOut,
    GrantIn,
    GrantOut,
    RelabelIn,
    WhatCanSeeOut,
    WhoCanSeeOut,
)
from coalition.web.deps import ApiPrincipal, PageDep, UowDep

router = APIRouter(tags=["technical data"])
CREATED = status.HTTP_201_CREATED
Listed = Literal[Action.VIEW_METADATA, Action.READ, Action.DOWNLOAD]


@router.get("/artifacts")
def list_artifacts(
    actor: ApiPrincipal,
    uow: UowDep,
    page: PageDep,
    filters: Annotated[ArtifactFilters, Depends()],
    as_person: Annotated[
        uuid.UUID | None,
        Query(description="List for this person (security officers); default: yourself."),
    ] = None,
    action: Annotated[
        Listed,
        Query(description="view_metadata lists what you may know exists; read what you may open."),
    ] = Action.VIEW_METADATA,
) -> Page[ArtifactSummary]:
    """The artifacts you (or ``as_person``) may see: filtered, sorted, paged and counted in
    the database, never one by one. Artifacts you may not see are never mentioned."""
    return services.list_artifacts(uow, actor, page, filters, as_person=as_person, action=action)


@router.post("/artifacts", status_code=CREATED)
def create_artifact(actor: ApiPrincipal, uow: UowDep, data: ArtifactIn) -> ArtifactOut:
    return services.create_artifact(uow, actor, data)


AsPerson = Annotated[
    uuid.UUID | None,
    Query(description="Decide for this person (security officers); default: yourself."),
]


@router.get("/artifacts/{artifact_id}")
def get_artifact(
    actor: ApiPrincipal, uow: UowDep, artifact_id: uuid.UUID, as_person: AsPerson = None
) -> ArtifactOut:
    """The artifact with its label and the person's own decisions for read and download;
    404 when it does not exist or the person may not know that it does."""
    return services.get_artifact(uow, actor, artifact_id, as_person)


@router.get(
    "/artifacts/{artifact_id}/label.xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def label_xml(
    actor: ApiPrincipal,
    uow: UowDep,
    artifact_id: uuid.UUID,
    scheme: Annotated[
        str | None,
        Query(max_length=8, description="A partner's scheme: the equivalent alternative label."),
    ] = None,
    as_person: AsPerson = None,
) -> Response:
    """The artifact's label as a STANAG 4774 document (originator or alternative label)."""
    body = services.label_xml(uow, actor, artifact_id, scheme, as_person)
    return Response(body, media_type="application/xml")


@router.post("/labels/stanag4774")
async def import_label(actor: ApiPrincipal, uow: UowDep, request: Request) -> dict[str, Any]:
    """Parse a STANAG 4774 label document (sent as the request body) into label fields,
    ready for an artifact command. DTDs, entities and external references are refused."""
    body = await request.body()
    return await run_in_threadpool(services.label_from_xml, uow, body)


@router.post("/artifacts/{artifact_id}/relabel")
def relabel_artifact(
    actor: ApiPrincipal, uow: UowDep, artifact_id: uuid.UUID, data: RelabelIn
) -> ArtifactOut:
    return services.relabel_artifact(uow, actor, artifact_id, data)


@router.get("/artifacts/{artifact_id}/grants")
def list_grants(actor: ApiPrincipal, uow: UowDep, artifact_id: uuid.UUID) -> list[GrantOut]:
    return services.list_grants(uow, actor, artifact_id)


@router.post("/artifacts/{artifact_id}/grants", status_code=CREATED)
def grant_need_to_know(
    actor: ApiPrincipal, uow: UowDep, artifact_id: uuid.UUID, data: GrantIn
) -> GrantOut:
    return services.grant_need_to_know(uow, actor, artifact_id, data)


@router.delete("/artifacts/{artifact_id}/grants/{grant_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_need_to_know(
    actor: ApiPrincipal, uow: UowDep, artifact_id: uuid.UUID, grant_id: uuid.UUID
) -> None:
    services.revoke_need_to_know(uow, actor, artifact_id, grant_id)


@router.get("/artifacts/{artifact_id}/why")
def explain(
    actor: ApiPrincipal,
    uow: UowDep,
    artifact_id: uuid.UUID,
    person_id: uuid.UUID,
    action: Action = Action.READ,
    on: date | None = None,
    purpose: str | None = Query(default=None, max_length=60),
    recipient_id: Annotated[
        uuid.UUID | None, Query(description="For release_to: the receiving organisation.")
    ] = None,
) -> ExplanationOut:
    """Every rule's result, reason and remedy for one person and one artifact."""
    return services.explain(
        uow,
        actor,
        artifact_id,
        person_id,
        action,
        on=on,
        purpose=purpose,
        recipient_id=recipient_id,
    )


@router.get("/artifacts/{artifact_id}/audience")
def who_can_see(
    actor: ApiPrincipal,
    uow: UowDep,
    artifact_id: uuid.UUID,
    action: Listed = Action.READ,
    on: date | None = None,
) -> WhoCanSeeOut:
    """Who can see this artifact: counts by nation and organisation, and the list."""
    return services.who_can_see(uow, actor, artifact_id, action, on=on)


@router.get("/people/{person_id}/visibility")
def what_can_see(
    actor: ApiPrincipal, uow: UowDep, person_id: uuid.UUID, action: Listed = Action.READ
) -> WhatCanSeeOut:
    """What this person can see, counted by project and by level."""
    return services.what_can_see(uow, actor, person_id, action)


@router.post("/what-if")
def what_if(actor: ApiPrincipal, uow: UowDep, data: whatif.WhatIfIn) -> whatif.WhatIfOut:
    """Who would gain and who would lose access if the changes were made; nothing changes."""
    return whatif.what_if(uow, actor, data)
