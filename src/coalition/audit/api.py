"""API route for reading recorded events."""

from __future__ import annotations

from fastapi import APIRouter

from coalition.audit import services
from coalition.audit.schemas import EventOut
from coalition.common.paging import Page
from coalition.web.deps import ApiPrincipal, PageDep, UowDep

router = APIRouter(tags=["events"])


@router.get("/events")
def list_events(
    actor: ApiPrincipal,
    uow: UowDep,
    page: PageDep,
    tag: str | None = None,
    object_id: str | None = None,
    actor_name: str | None = None,
) -> Page[EventOut]:
    return services.list_events(
        uow, actor, page, tag=tag, object_id=object_id, actor_name=actor_name
    )
