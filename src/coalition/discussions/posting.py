"""Starting threads and posting messages.

Posting needs no permission of its own: whoever may read may post, but only at a label the
engine lets them read (one cannot write what one may not read), and a thread is started
only by a member of its project's team, who may read its label. Mentioned people are told
only when the engine would show them the message. The record keeps no titles or bodies,
not even their digests (a short text could be confirmed by guessing): the ledger is read
by people not cleared for them; messages are never changed once posted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Principal
from coalition.common.events import record_event
from coalition.discussions import rules, subjects
from coalition.discussions.models import DiscussionMessage, DiscussionThread
from coalition.discussions.reading import (
    MESSAGE_ACTION,
    NOBODY,
    THREAD_ACTION,
    Reader,
    person_decision,
    require_reader,
)
from coalition.discussions.schemas import MessageIn, MessageOut, ThreadIn, ThreadOut
from coalition.discussions.shown import NOT_FOUND, arranged, messages_out, thread_out
from coalition.errors import NotFound, PermissionDenied, Problems, ValidationFailed
from coalition.governance.readers import Readers
from coalition.notifications.services import notify
from coalition.policy.engine import LEVEL_NAMES, Decision, RuleResult
from coalition.policy.facts import Action
from coalition.policy.interning import intern_label, label_of
from coalition.policy.labels import SecurityLabel
from coalition.policy.models import LabelClass
from coalition.policy.schemes import SchemeCatalogue
from coalition.projects.models import Project
from coalition.registry.models import Person
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from coalition.techdata.models import Artifact
from coalition.techdata.schemas import LabelIn
from coalition.techdata.services import build_label, catalogue_of, decide_for

#: Rules that say whether someone takes part in a project (rather than may read a label).
TEAM_RULES = frozenset({"agreement", "need_to_know"})


def start_thread(
    uow: UnitOfWork,
    actor: Principal,
    data: ThreadIn,
    settings: Settings,
    *,
    author_id: uuid.UUID | None = None,
) -> ThreadOut:
    """Start a thread on a subject at a label, with an optional opening message. The
    starter must be on the project's team and may read the thread's label; the node's
    operator starts one for a person (``author_id``)."""
    require_reader(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        author = _author(session, actor, author_id)
        subject = subjects.find(
            session, data, lambda agreement, artifact: _may_see(uow, author, agreement, artifact)
        )
        catalogue = catalogue_of(session)
        label, row = _label(session, data.label, subject.project, catalogue)
        thread_id = uuid.uuid4()
        # As a team member would see it (owned by no one): the starter takes part in the
        # project and may read what the thread is labelled, or could not follow it.
        decision = person_decision(
            uow, author.id, thread_id, subject.project.id, NOBODY, label, MESSAGE_ACTION
        )
        if not decision.permit:
            raise _starter_refused(decision, subject)
        thread = DiscussionThread(
            id=thread_id,
            subject_kind=subject.kind,
            subject_id=subject.id,
            project_id=subject.project.id,
            owner_organisation_id=author.employer_id,
            label=row,
            title=data.title,
            started_by_id=author.id,
        )
        uow.add(thread)
        uow.flush()
        record_event(
            uow,
            actor,
            "discussions:thread:start",
            thread,
            {
                "subject_kind": subject.kind,
                "subject_id": subject.id,
                "project_id": subject.project.id,
                "label_id": row.id,
                "banner": row.banner,
                "title_length": len(data.title),
                "started_by": author.id,
            },
        )
        if data.body is not None:
            opening = MessageIn(
                body=data.body, attachments=data.attachments, mentions=data.mentions
            )
            _post(uow, actor, settings, author, thread, opening, catalogue)
        uow.commit()
        return thread_out(uow, Reader(uow, actor), thread)


def post_message(
    uow: UnitOfWork,
    actor: Principal,
    thread_id: uuid.UUID,
    data: MessageIn,
    settings: Settings,
    *,
    author_id: uuid.UUID | None = None,
) -> MessageOut:
    """Post a message (or a reply) in a thread the author may see, at a label they may
    read; mentioned people who may read it are told."""
    require_reader(actor)
    with uow:
        uow.for_writing()
        session = uow.session
        author = _author(session, actor, author_id)
        thread = session.get(DiscussionThread, thread_id)
        if thread is None or not _sees_thread(uow, author.id, thread):
            raise NotFound(NOT_FOUND)
        message = _post(uow, actor, settings, author, thread, data, catalogue_of(session))
        uow.commit()
        reader = Reader(uow, actor)
        out = [m for m in arranged(uow, reader, thread) if m.id == message.id]
        return out[0] if out else messages_out(uow, reader, [(message, None, 0)])[0]


@dataclass(frozen=True)
class _Author:
    id: uuid.UUID
    employer_id: uuid.UUID
    name: str
    principal: Principal


def _author(session: Session, actor: Principal, author_id: uuid.UUID | None) -> _Author:
    """Who writes: the actor's person; the node's operator writes for a named person."""
    if author_id is not None and author_id != actor.person_id and not actor.is_operator:
        raise PermissionDenied("only the node's operator writes for another person")
    person_id = author_id or actor.person_id
    if person_id is None:
        raise ValidationFailed.of(
            "author",
            "messages are written by a person: this account has none"
            + (" (name the author)" if actor.is_operator else ""),
        )
    person = session.get(Person, person_id)
    if person is None:
        raise ValidationFailed.of("author", "no person with this id")
    # Governance readers are decided for the author, not for the operator writing for them.
    principal = (
        Principal(name=actor.name, account_id=None, active=True, person_id=person.id)
        if actor.is_operator
        else actor
    )
    return _Author(
        person.id, person.employer_id, f"{person.given_name} {person.family_name}", principal
    )


def _may_see(
    uow: UnitOfWork, author: _Author, agreement_id: uuid.UUID | None, artifact: Artifact | None
) -> bool:
    """Whether the author may see a subject: the governance records of its agreement, or
    the artifact (the engine's view-metadata decision)."""
    if agreement_id is not None and not Readers(uow.session, author.principal).may_read(
        agreement_id
    ):
        return False
    return artifact is None or _knows(uow, author.id, artifact)


def _starter_refused(decision: Decision, subject: subjects.Subject) -> ValidationFailed:
    failed = decision.failed
    if any(r.id in TEAM_RULES for r in failed):
        return ValidationFailed.of(
            subject.field,
            f"you do not take part in project {subject.project.code}: " + _reasons(failed),
        )
    return ValidationFailed.of(
        "label", "you may not read a thread so labelled: " + _reasons(failed)
    )


def _reasons(failed: Sequence[RuleResult]) -> str:
    return "; ".join(
        f"{r.id}: {r.reason}" + (f" (remedy: {r.remedy})" if r.remedy else "") for r in failed
    )


def _label(
    session: Session, data: LabelIn, project: Project, catalogue: SchemeCatalogue
) -> tuple[SecurityLabel, LabelClass]:
    """The label built, checked against the project's classification ceiling and interned."""
    label = build_label(session, data, "label", catalogue)
    level = catalogue.get(label.scheme).level_of(label.classification).level
    if level > project.classification_ceiling:
        raise ValidationFailed.of(
            "label.classification",
            f"{label.classification} (level {level}) is above project {project.code}'s "
            f"classification ceiling ({LEVEL_NAMES[project.classification_ceiling]})",
        )
    return label, intern_label(session, label, catalogue)


def _post(
    uow: UnitOfWork,
    actor: Principal,
    settings: Settings,
    author: _Author,
    thread: DiscussionThread,
    data: MessageIn,
    catalogue: SchemeCatalogue,
) -> DiscussionMessage:
    session = uow.session
    if data.label is None:
        row, label = thread.label, label_of(thread.label)
    else:
        project = session.get(Project, thread.project_id)
        assert project is not None
        label, row = _label(session, data.label, project, catalogue)
    message_id = uuid.uuid4()
    decision = person_decision(
        uow, author.id, message_id, thread.project_id, author.employer_id, label, MESSAGE_ACTION
    )
    if not decision.permit:
        raise ValidationFailed.of(
            "label", "you may post only at a label you may read: " + _reasons(decision.failed)
        )
    problems = Problems()
    parent = _parent(uow, author, thread, data.parent_id, problems)
    attached = _attachments(uow, author, data.attachments, problems)
    people = _mentioned(session, data, problems)
    problems.raise_if_any()
    message = DiscussionMessage(
        id=message_id,
        thread_id=thread.id,
        parent_id=parent,
        project_id=thread.project_id,
        owner_organisation_id=author.employer_id,
        label=row,
        author_id=author.id,
        body=data.body,
        attachments=[str(a) for a in attached],
        mentions=[str(p) for p in people],
    )
    uow.add(message)
    uow.flush()
    told = [p for p in people if p != author.id and _may_read(uow, p, message, thread)]
    project_code = session.scalar(select(Project.code).where(Project.id == thread.project_id))
    notified = notify(
        uow,
        settings,
        told,
        kind="mention",
        title=rules.mention_title(author.name, project_code or ""),
        link=f"/discussions/{thread.id}#m-{message.id}",
    )
    details: dict[str, object] = {
        "thread_id": thread.id,
        "parent_id": parent,
        "label_id": row.id,
        "banner": row.banner,
        "body_length": len(data.body),
        "attachments": attached,
        "mentions": people,
        "notified": notified,
        "author": author.id,
    }
    if actor.is_operator:
        details["for_person"] = author.id
    record_event(uow, actor, "discussions:message:post", message, details)
    return message


def _parent(
    uow: UnitOfWork,
    author: _Author,
    thread: DiscussionThread,
    parent_id: uuid.UUID | None,
    problems: Problems,
) -> uuid.UUID | None:
    if parent_id is None:
        return None
    parent = uow.session.get(DiscussionMessage, parent_id)
    if parent is None or parent.thread_id != thread.id or not _reads(uow, author.id, parent):
        problems.add("parent_id", "no message of this thread you may see")
        return None
    return parent.id


def _attachments(
    uow: UnitOfWork, author: _Author, references: Sequence[str], problems: Problems
) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(references))
    if not wanted:
        return []
    found = {
        a.reference: a
        for a in uow.session.scalars(select(Artifact).where(Artifact.reference.in_(wanted)))
    }
    out = []
    for reference in wanted:
        artifact = found.get(reference)
        if artifact is None or not _knows(uow, author.id, artifact):
            problems.add("attachments", f"no artifact '{reference}' you may see")
        else:
            out.append(artifact.id)
    return out


def _mentioned(session: Session, data: MessageIn, problems: Problems) -> list[uuid.UUID]:
    """The people mentioned: an address listed must be a person's; an '@address' in the
    body that is nobody's is just text."""
    emails = rules.mentioned(data.body, data.mentions)
    if not emails:
        return []
    found = dict(
        session.execute(select(Person.email, Person.id).where(Person.email.in_(emails))).all()
    )
    listed = {e.strip().lower() for e in data.mentions}
    unknown = [e for e in emails if e in listed and e not in found]
    if unknown:
        problems.add("mentions", f"no person with e-mail {', '.join(unknown)}")
    return [found[e] for e in emails if e in found]


def _knows(uow: UnitOfWork, person_id: uuid.UUID, artifact: Artifact) -> bool:
    """Whether the person may know the artifact exists (and so name or attach it)."""
    return decide_for(uow, person_id, artifact, Action.VIEW_METADATA).permit


def _sees_thread(uow: UnitOfWork, person_id: uuid.UUID, thread: DiscussionThread) -> bool:
    return person_decision(
        uow,
        person_id,
        thread.id,
        thread.project_id,
        thread.owner_organisation_id,
        label_of(thread.label),
        THREAD_ACTION,
    ).permit


def _reads(uow: UnitOfWork, person_id: uuid.UUID, message: DiscussionMessage) -> bool:
    return person_decision(
        uow,
        person_id,
        message.id,
        message.project_id,
        message.owner_organisation_id,
        label_of(message.label),
        MESSAGE_ACTION,
    ).permit


def _may_read(
    uow: UnitOfWork, person_id: uuid.UUID, message: DiscussionMessage, thread: DiscussionThread
) -> bool:
    """Whether the person would be shown the message: its body and its thread."""
    return _reads(uow, person_id, message) and _sees_thread(uow, person_id, thread)
