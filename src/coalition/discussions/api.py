"""API routes of discussions."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from starlette.responses import PlainTextResponse, Response

from coalition.common.paging import Page
from coalition.discussions import services
from coalition.discussions.schemas import (
    ExportOut,
    MessageIn,
    MessageOut,
    ThreadFilters,
    ThreadIn,
    ThreadOut,
    ThreadSummary,
)
from coalition.web.deps import ApiPrincipal, PageDep, SettingsDep, UowDep

router = APIRouter(tags=["discussions"])


@router.get("/discussions")
def list_threads(
    actor: ApiPrincipal,
    uow: UowDep,
    page: PageDep,
    filters: Annotated[ThreadFilters, Depends()],
) -> Page[ThreadSummary]:
    """The threads you may know of, newest first, filtered by project (code) or subject;
    ``message_count`` counts only the messages you may read. Threads you may not see are
    neither listed nor counted."""
    return services.list_threads(uow, actor, filters, page)


@router.post("/discussions", status_code=status.HTTP_201_CREATED)
def start_thread(
    actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: ThreadIn
) -> ThreadOut:
    """Start a thread on a project, work package, artifact, motion, risk or dispute, at a
    label; you must be on the project's team and may read that label."""
    return services.start_thread(uow, actor, data, settings)


@router.get("/discussions/messages/{message_id}")
def get_message(actor: ApiPrincipal, uow: UowDep, message_id: uuid.UUID) -> MessageOut:
    """One message, decided by the engine for you (and recorded); 404 when it does not
    exist or you may not read it."""
    return services.get_message(uow, actor, message_id)


@router.get("/discussions/{thread_id}")
def get_thread(actor: ApiPrincipal, uow: UowDep, thread_id: uuid.UUID) -> ThreadOut:
    """The thread with the messages you may read, depth first; ``parent_id`` is the nearest
    message above that you may read too."""
    return services.get_thread(uow, actor, thread_id)


@router.post("/discussions/{thread_id}/messages", status_code=status.HTTP_201_CREATED)
def post_message(
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    thread_id: uuid.UUID,
    data: MessageIn,
) -> MessageOut:
    """Post a message or a reply (``parent_id``), at the thread's label or your own; 422
    naming ``label`` when you may not read what you post."""
    return services.post_message(uow, actor, thread_id, data, settings)


@router.get(
    "/discussions/{thread_id}/export",
    response_model=ExportOut,
    responses={200: {"content": {"text/plain": {}}}},
)
def export_thread(
    actor: ApiPrincipal,
    uow: UowDep,
    thread_id: uuid.UUID,
    format: Annotated[Literal["json", "text"], Query()] = "json",
) -> ExportOut | Response:
    """The thread for the record as you may see it, each message under its banner, under
    the highest label of the export; the export is recorded."""
    exported = services.export_thread(uow, actor, thread_id)
    if format == "text":
        return PlainTextResponse(
            exported.text,
            headers={"Content-Disposition": f'attachment; filename="discussion-{thread_id}.txt"'},
        )
    return exported
