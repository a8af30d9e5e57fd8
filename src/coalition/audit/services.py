"""Reading the event record (auditors and security officers)."""

from __future__ import annotations

from sqlalchemy import Select, select

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.audit.models import Event
from coalition.audit.schemas import EventOut
from coalition.common.access import require
from coalition.common.paging import Page, PageRequest, fetch_page
from coalition.store.uow import UnitOfWork


def list_events(
    uow: UnitOfWork,
    actor: Principal,
    page: PageRequest,
    *,
    tag: str | None = None,
    object_id: str | None = None,
    actor_name: str | None = None,
) -> Page[EventOut]:
    require(actor, Permission.EVENT_READ, Target.node())
    query: Select[Event] = select(Event).order_by(Event.id.desc())
    if tag:
        query = query.where(Event.tag.startswith(tag, autoescape=True))
    if object_id:
        query = query.where(Event.object_id == object_id)
    if actor_name:
        query = query.where(Event.actor == actor_name)
    with uow:
        rows, total = fetch_page(uow.session, query, page)
        items = [EventOut.model_validate(e) for e in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
