"""Use cases of notifications: telling people, and each person's inbox.

:func:`notify` is called by other use cases inside their own unit of work, so a notice
exists exactly when the change it reports was committed. A notice goes to a person's inbox
and, when the node sends e-mail, into the outbox; the sender (:mod:`.mail`) delivers it.
A notice never says more than its recipient may know: callers pass only people who may
read the object, and titles name records, never classified substance."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from coalition.accounts.permissions import Principal
from coalition.errors import NotFound, PermissionDenied
from coalition.notifications.models import Notification, OutgoingMail
from coalition.notifications.schemas import InboxOut, NotificationOut
from coalition.registry.models import Person, PersonStatus
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

INBOX_PAGE = 50


def notify(
    uow: UnitOfWork,
    settings: Settings,
    people: Iterable[uuid.UUID],
    *,
    kind: str,
    title: str,
    link: str | None,
    body: str = "",
    key: str | None = None,
) -> int:
    """Notify each person once (per ``key``: a daily job passes one so that a run repeated
    the same day tells nobody twice). Returns how many notices were added."""
    session = uow.session
    wanted = list(dict.fromkeys(people))
    if not wanted:
        return 0
    active = {
        row.id: row.email
        for row in session.execute(
            select(Person.id, Person.email).where(
                Person.id.in_(wanted), Person.status == PersonStatus.ACTIVE
            )
        )
    }
    # A title becomes an e-mail's Subject header: no line breaks, which would break it.
    one_line = " ".join(title.split())
    unique_key = key or f"{kind}:{uuid.uuid4()}"
    already = set(
        session.scalars(
            select(Notification.person_id).where(
                Notification.key == unique_key, Notification.person_id.in_(active)
            )
        )
    )
    added = 0
    for person_id in wanted:
        if person_id not in active or person_id in already:
            continue
        notice = Notification(
            id=uuid.uuid4(),
            person_id=person_id,
            kind=kind,
            title=one_line[:300],
            body=body,
            link=link,
            key=unique_key,
        )
        session.add(notice)
        if settings.smtp_host:
            session.add(
                OutgoingMail(
                    notification_id=notice.id,
                    to_address=active[person_id],
                    subject=f"[Coalition] {one_line}"[:300],
                    body=_mail_body(settings, notice),
                )
            )
        added += 1
    return added


def _mail_body(settings: Settings, notice: Notification) -> str:
    lines = [notice.title, ""]
    if notice.body:
        lines += [notice.body, ""]
    if notice.link:
        lines.append(settings.public_url.rstrip("/") + notice.link)
    lines += ["", "You receive this because of your part in a Coalition programme."]
    return "\n".join(lines)


def _person(actor: Principal) -> uuid.UUID:
    if actor.person_id is None:
        raise PermissionDenied("only an account of a person has an inbox")
    return actor.person_id


def inbox(uow: UnitOfWork, actor: Principal, *, unread_only: bool = False) -> InboxOut:
    """The caller's latest notices, newest first, and how many are unread."""
    person = _person(actor)
    with uow:
        session = uow.session
        query = select(Notification).where(Notification.person_id == person)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        rows = session.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id).limit(INBOX_PAGE)
        ).all()
        unread = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.person_id == person, Notification.read_at.is_(None))
        )
        return InboxOut(
            unread=int(unread or 0), items=[NotificationOut.model_validate(r) for r in rows]
        )


def unread_count(uow: UnitOfWork, actor: Principal) -> int:
    if actor.person_id is None:
        return 0
    with uow:
        return int(
            uow.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.person_id == actor.person_id, Notification.read_at.is_(None))
            )
            or 0
        )


def mark_read(
    uow: UnitOfWork,
    actor: Principal,
    notification_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> int:
    """Mark one notice (or, without an id, all) of the caller's as read. Another person's
    notice is "not found". Reading one's own inbox is not a change of the shared record,
    so it is not in the ledger."""
    person = _person(actor)
    at = now or datetime.now(UTC)
    with uow:
        session = uow.session
        query = update(Notification).where(
            Notification.person_id == person, Notification.read_at.is_(None)
        )
        if notification_id is not None:
            found = session.scalar(
                select(Notification.id).where(
                    Notification.id == notification_id, Notification.person_id == person
                )
            )
            if found is None:
                raise NotFound("no notification with this id")
            query = query.where(Notification.id == notification_id)
        changed = session.execute(query.values(read_at=at)).rowcount  # type: ignore[attr-defined]
        uow.commit()
        return int(changed or 0)
