"""What a reader is shown of threads and messages: summaries with the messages they may
read counted, and messages depth first, each under the nearest message above it that the
reader may read too, with only the attachments they may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from coalition.discussions import rules, subjects
from coalition.discussions.models import DiscussionMessage, DiscussionThread
from coalition.discussions.reading import Reader
from coalition.discussions.schemas import (
    AttachmentOut,
    MessageOut,
    ThreadFilters,
    ThreadOut,
    ThreadSummary,
)
from coalition.errors import NotFound, ValidationFailed
from coalition.projects.models import Project
from coalition.registry.models import Organisation, Person
from coalition.store.uow import UnitOfWork
from coalition.techdata.models import Artifact
from coalition.techdata.services import label_out

NOT_FOUND = "no discussion with this id"


def thread_conditions(session: Session, filters: ThreadFilters) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if filters.project is not None:
        project_id = session.scalar(select(Project.id).where(Project.code == filters.project))
        if project_id is None:
            raise ValidationFailed.of("project", f"no project '{filters.project}'")
        out.append(DiscussionThread.project_id == project_id)
    if filters.subject_kind is not None:
        out.append(DiscussionThread.subject_kind == filters.subject_kind)
    if filters.subject_id is not None:
        out.append(DiscussionThread.subject_id == filters.subject_id)
    return out


def summaries(
    uow: UnitOfWork, reader: Reader, threads: Sequence[DiscussionThread]
) -> list[ThreadSummary]:
    if not threads:
        return []
    session = uow.session
    ids = [t.id for t in threads]
    counts = {
        thread_id: (n, last)
        for thread_id, n, last in session.execute(
            select(
                DiscussionMessage.thread_id,
                func.count(),
                func.max(DiscussionMessage.created_at),
            )
            .where(DiscussionMessage.thread_id.in_(ids), reader.messages())
            .group_by(DiscussionMessage.thread_id)
        )
    }
    codes = dict(
        session.execute(
            select(Project.id, Project.code).where(Project.id.in_({t.project_id for t in threads}))
        ).all()
    )
    names = _names(session, {t.started_by_id for t in threads})
    described = subjects.describe(session, reader, threads)
    out = []
    for thread in threads:
        count, last = counts.get(thread.id, (0, None))
        subject, link = described[thread.id]
        out.append(
            ThreadSummary(
                id=thread.id,
                subject_kind=thread.subject_kind,
                subject_id=thread.subject_id,
                subject=subject,
                subject_link=link,
                project_id=thread.project_id,
                project_code=codes.get(thread.project_id, "?"),
                title=thread.title,
                banner=thread.label.banner,
                common_level=thread.label.common_level,
                started_by=names.get(thread.started_by_id, ("?", ""))[0],
                started_at=thread.created_at,
                message_count=count,
                last_message_at=last,
            )
        )
    return out


def _names(session: Session, people: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    """Each person's name and their employer's short name."""
    if not people:
        return {}
    return {
        row.id: (f"{row.given_name} {row.family_name}", row.short_name)
        for row in session.execute(
            select(Person.id, Person.given_name, Person.family_name, Organisation.short_name)
            .join(Organisation, Organisation.id == Person.employer_id)
            .where(Person.id.in_(people))
        )
    }


def visible_thread(uow: UnitOfWork, reader: Reader, thread_id: uuid.UUID) -> DiscussionThread:
    thread = uow.session.scalar(
        select(DiscussionThread).where(DiscussionThread.id == thread_id, reader.threads())
    )
    if thread is None:
        raise NotFound(NOT_FOUND)
    return thread


def thread_out(uow: UnitOfWork, reader: Reader, thread: DiscussionThread) -> ThreadOut:
    summary = summaries(uow, reader, [thread])[0]
    return ThreadOut(
        **summary.model_dump(),
        label=label_out(thread.label),
        messages=arranged(uow, reader, thread),
    )


def arranged(
    uow: UnitOfWork, reader: Reader, thread: DiscussionThread, also: uuid.UUID | None = None
) -> list[MessageOut]:
    """The thread's messages the reader may read, depth first, each under the nearest
    message above it that they may read too (``also``: one more decided by the engine)."""
    session = uow.session
    parents = dict(
        session.execute(
            select(DiscussionMessage.id, DiscussionMessage.parent_id).where(
                DiscussionMessage.thread_id == thread.id
            )
        ).all()
    )
    query = select(DiscussionMessage).where(DiscussionMessage.thread_id == thread.id)
    if also is None:
        query = query.where(reader.messages())
    else:
        query = query.where(reader.messages() | (DiscussionMessage.id == also))
    rows = session.scalars(query.order_by(DiscussionMessage.created_at, DiscussionMessage.id)).all()
    by_id = {m.id: m for m in rows}
    shown = rules.nearest_visible(parents, by_id)
    order = rules.threaded([m.id for m in rows], shown)
    return messages_out(uow, reader, [(by_id[i], shown[i], depth) for i, depth in order])


def messages_out(
    uow: UnitOfWork,
    reader: Reader,
    rows: Sequence[tuple[DiscussionMessage, uuid.UUID | None, int]],
) -> list[MessageOut]:
    session = uow.session
    people = {m.author_id for m, _, _ in rows} | {
        uuid.UUID(p) for m, _, _ in rows for p in m.mentions
    }
    names = _names(session, people)
    wanted = {uuid.UUID(a) for m, _, _ in rows for a in m.attachments}
    artifacts = (
        {a.id: a for a in session.scalars(select(Artifact).where(Artifact.id.in_(wanted)))}
        if wanted
        else {}
    )
    out = []
    for message, parent, depth in rows:
        shown = [
            artifacts[uuid.UUID(a)]
            for a in message.attachments
            if uuid.UUID(a) in artifacts and reader.knows_artifact(artifacts[uuid.UUID(a)])
        ]
        author, organisation = names.get(message.author_id, ("?", "?"))
        out.append(
            MessageOut(
                id=message.id,
                thread_id=message.thread_id,
                parent_id=parent,
                depth=depth,
                author=author,
                author_organisation=organisation,
                label=label_out(message.label),
                body=message.body,
                attachments=[
                    AttachmentOut(
                        id=a.id, reference=a.reference, title=a.title, banner=a.label.banner
                    )
                    for a in shown
                ],
                mentions=[
                    names[uuid.UUID(p)][0] for p in message.mentions if uuid.UUID(p) in names
                ],
                created_at=message.created_at,
            )
        )
    return out
