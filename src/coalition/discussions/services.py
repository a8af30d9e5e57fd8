"""Use cases of discussions: start a thread on a subject and post (or answer) messages
(coalition.discussions.posting); list, count, read and export threads as the reader may
see them. Nothing the reader may not see is returned, counted, exported or named."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select

from coalition.accounts.permissions import Principal
from coalition.common.events import record_decision, record_event
from coalition.common.paging import Page, PageRequest
from coalition.discussions import rules
from coalition.discussions.models import DiscussionMessage, DiscussionThread
from coalition.discussions.posting import post_message, start_thread
from coalition.discussions.reading import MESSAGE_ACTION, Reader, require_reader
from coalition.discussions.schemas import (
    ExportOut,
    MessageOut,
    ThreadFilters,
    ThreadOut,
    ThreadSummary,
)
from coalition.discussions.shown import (
    arranged,
    summaries,
    thread_conditions,
    thread_out,
    visible_thread,
)
from coalition.errors import NotFound
from coalition.policy.banners import render
from coalition.policy.engine import Decision
from coalition.policy.interning import label_of
from coalition.policy.labels import aggregate
from coalition.policy.models import LabelClass
from coalition.policy.schemes import LabelError
from coalition.store.uow import UnitOfWork
from coalition.techdata.listing import current_world
from coalition.techdata.models import Artifact
from coalition.techdata.services import catalogue_of, today

__all__ = [
    "count_messages",
    "count_threads",
    "export_thread",
    "get_message",
    "get_thread",
    "list_threads",
    "post_message",
    "start_thread",
]
MESSAGE_NOT_FOUND = "no message with this id"


def list_threads(
    uow: UnitOfWork, actor: Principal, filters: ThreadFilters, page: PageRequest
) -> Page[ThreadSummary]:
    """The threads the actor may know of, newest first, with the messages they may read
    counted; nothing hidden is returned or counted."""
    require_reader(actor)
    with uow:
        session = uow.session
        reader = Reader(uow, actor)
        where = [reader.threads(), *thread_conditions(session, filters)]
        total = (
            session.scalar(select(func.count()).select_from(DiscussionThread).where(*where)) or 0
        )
        rows = session.scalars(
            select(DiscussionThread)
            .where(*where)
            .order_by(DiscussionThread.created_at.desc(), DiscussionThread.id)
            .limit(page.limit)
            .offset(page.offset)
        ).all()
        items = summaries(uow, reader, rows)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def count_threads(uow: UnitOfWork, actor: Principal, filters: ThreadFilters) -> int:
    """How many threads the actor may know of (for dashboards)."""
    require_reader(actor)
    with uow:
        session = uow.session
        reader = Reader(uow, actor)
        where = [reader.threads(), *thread_conditions(session, filters)]
        return session.scalar(select(func.count()).select_from(DiscussionThread).where(*where)) or 0


def count_messages(
    uow: UnitOfWork,
    actor: Principal,
    filters: ThreadFilters,
    *,
    since: datetime | None = None,
) -> int:
    """How many messages the actor may read, in threads they may know of (for dashboards:
    ``since`` counts the recent ones)."""
    require_reader(actor)
    with uow:
        session = uow.session
        reader = Reader(uow, actor)
        query = (
            select(func.count())
            .select_from(DiscussionMessage)
            .join(DiscussionThread, DiscussionThread.id == DiscussionMessage.thread_id)
            .where(reader.threads(), reader.messages(), *thread_conditions(session, filters))
        )
        if since is not None:
            query = query.where(DiscussionMessage.created_at >= since)
        return session.scalar(query) or 0


def get_thread(uow: UnitOfWork, actor: Principal, thread_id: uuid.UUID) -> ThreadOut:
    """The thread with the messages the actor may read, replies under what they answer."""
    require_reader(actor)
    with uow:
        reader = Reader(uow, actor)
        return thread_out(uow, reader, visible_thread(uow, reader, thread_id))


def get_message(uow: UnitOfWork, actor: Principal, message_id: uuid.UUID) -> MessageOut:
    """One message, decided by the engine for the actor's person and recorded, permit or
    deny; one they may not read (or whose thread they may not know of) is "not found",
    exactly as an unknown id."""
    require_reader(actor)
    with uow:
        reader = Reader(uow, actor)
        if reader.nothing:
            raise NotFound(MESSAGE_NOT_FOUND)
        session = uow.session
        if reader.person_id is not None:
            uow.for_writing()
        message = session.get(DiscussionMessage, message_id)
        thread = session.get(DiscussionThread, message.thread_id) if message else None
        permit = reader.everything
        if reader.person_id is not None:
            decision = _decision(reader, message, thread)
            record_decision(
                uow,
                actor,
                "discussions",
                DiscussionMessage.__tablename__,
                str(message_id),
                MESSAGE_ACTION,
                decision,
            )
            uow.commit()
            permit = decision is not None and decision.permit
        if not permit or message is None or thread is None:
            raise NotFound(MESSAGE_NOT_FOUND)
        found = [m for m in arranged(uow, reader, thread, also=message.id) if m.id == message.id]
        return found[0]


def _decision(
    reader: Reader, message: DiscussionMessage | None, thread: DiscussionThread | None
) -> Decision | None:
    """The engine's decision on the reader reading the message: the thread's refusal when
    they may not know of its thread, else the message's own (None: no such message)."""
    if message is None or thread is None:
        return None
    seen = reader.decide_thread(thread)
    if seen is not None and not seen.permit:
        return seen
    return reader.decide_message(message)


def export_thread(uow: UnitOfWork, actor: Principal, thread_id: uuid.UUID) -> ExportOut:
    """The thread for the record, as the actor may see it: only the messages they may
    read, each with its banner, under one label over all of them. The export is recorded
    (which messages, at what label), never its words."""
    require_reader(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        reader = Reader(uow, actor)
        thread = visible_thread(uow, reader, thread_id)
        out = thread_out(uow, reader, thread)
        rows = {
            m.id: m.label
            for m in session.scalars(
                select(DiscussionMessage).where(
                    DiscussionMessage.id.in_([m.id for m in out.messages])
                )
            )
        }
        # Titles of attached papers are in the export too, under their own labels.
        attached = {a.id for m in out.messages for a in m.attachments}
        papers = (
            list(session.scalars(select(Artifact).where(Artifact.id.in_(attached))))
            if attached
            else []
        )
        highest = _highest(uow, [thread.label, *rows.values(), *(a.label for a in papers)])
        now = datetime.now(UTC)
        summary = ThreadSummary.model_validate(out.model_dump(exclude={"label", "messages"}))
        text = rules.export_text(
            title=thread.title,
            thread_banner=thread.label.banner,
            subject=_subject_line(out),
            highest_banner=highest,
            exported_at=now,
            exported_by=actor.name,
            messages=out.messages,
        )
        record_event(
            uow,
            actor,
            "discussions:thread:export",
            thread,
            {
                "messages": [m.id for m in out.messages],
                "highest_banner": highest,
                "text_length": len(text),
            },
        )
        uow.commit()
        return ExportOut(
            thread=summary,
            thread_label=out.label,
            highest_banner=highest,
            exported_at=now,
            exported_by=actor.name,
            messages=out.messages,
            text=text,
        )


def _subject_line(thread: ThreadSummary) -> str:
    kind = thread.subject_kind.replace("_", " ")
    if thread.subject_kind == "project":
        return f"project {thread.project_code}"
    return f"{kind} {thread.subject or '(one you may not see)'} of project {thread.project_code}"


def _highest(uow: UnitOfWork, rows: Sequence[LabelClass]) -> str:
    """The banner of one label over all of ``rows`` (the highest classification and the
    releasability they share), or the highest banner when no nation may hold them all."""
    session = uow.session
    world, _ = current_world(session, uow.database)
    day = today()
    try:
        label = aggregate(
            [label_of(r) for r in rows],
            catalogue_of(session),
            lambda group: world.members(group, day),
        )
    except LabelError:
        return max(rows, key=lambda r: r.common_level).banner
    return render(label)
