"""Calendar feeds for calendar programs, which cannot log in: a secret address serves one
calendar (a facility's, a project's or a person's bookings) exactly as its account would see
it through the API at that moment: a facility the account may no longer know of, or an
account suspended, gives "not found". Feeds are made, listed and revoked by their account;
only a SHA-256 of the token is stored, and the token is kept out of the access log."""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.accounts.services import token_digest
from coalition.common.access import principal_for_account, require
from coalition.common.events import record_event
from coalition.errors import NotFound, ValidationFailed
from coalition.facilities import bookings
from coalition.facilities.models import CalendarFeed, Facility, FeedKind
from coalition.facilities.schemas import FeedIn, FeedOut, NewFeed
from coalition.facilities.services import _Knowing
from coalition.projects.models import Project
from coalition.registry.models import Person
from coalition.store.base import utcnow
from coalition.store.uow import UnitOfWork

FEED_PREFIX = "cf_"
PATH = "/feeds/{token}.ics"
NOT_FOUND = "no calendar feed at this address"
_TOKEN_IN_PATH = re.compile(r"/feeds/[A-Za-z0-9_-]+\.ics")


def _target(uow: UnitOfWork, actor: Principal, data: FeedIn) -> str:
    """The calendar named, as stored: checked now as the account would be served."""
    session = uow.session
    if data.kind is FeedKind.FACILITY:
        facility = session.scalar(
            select(Facility)
            .options(selectinload(Facility.label), selectinload(Facility.organisation))
            .where(Facility.code == data.target.strip().upper())
        )
        # A facility the account may not know of is refused exactly like an unknown one.
        if facility is None or not _Knowing(uow, actor).knows(facility):
            raise ValidationFailed.of("target", f"no facility '{data.target}'")
        return str(facility.id)
    if data.kind is FeedKind.PROJECT:
        code = data.target.strip()
        if session.scalar(select(Project.id).where(Project.code == code)) is None:
            raise ValidationFailed.of("target", f"no project '{code}'")
        return code
    try:
        person_id = uuid.UUID(data.target)
    except ValueError:
        found = session.scalar(select(Person.id).where(Person.email == data.target.lower()))
        if found is None:
            raise ValidationFailed.of("target", "no person with this id or e-mail") from None
        return str(found)
    if session.get(Person, person_id) is None:
        raise ValidationFailed.of("target", "no person with this id or e-mail")
    return str(person_id)


def create_feed(
    uow: UnitOfWork, actor: Principal, data: FeedIn, account_id: uuid.UUID | None = None
) -> NewFeed:
    """A feed for the actor's account (or, for the node's operator, ``account_id``'s)."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    owner = account_id if actor.is_operator and account_id else actor.account_id
    if owner is None:
        raise ValidationFailed.of("account", "calendar feeds belong to accounts; log in first")
    with uow:
        uow.for_writing()
        session = uow.session
        reader = principal_for_account(session, owner)
        if reader is None:
            raise ValidationFailed.of("account", "no account with this id")
        target = _target(uow, reader, data)
        token = FEED_PREFIX + secrets.token_urlsafe(32)
        feed = CalendarFeed(
            account_id=owner,
            kind=data.kind,
            target=target,
            name=data.name,
            token_hash=token_digest(token),
            prefix=token[: len(FEED_PREFIX) + 6],
        )
        uow.add(feed)
        uow.flush()
        record_event(
            uow, actor, "facilities:feed:create", feed, {"kind": data.kind, "target": target}
        )
        uow.commit()
        out = FeedOut.model_validate(feed).model_dump()
        return NewFeed(**out, path=PATH.format(token=token))


def list_feeds(
    uow: UnitOfWork, actor: Principal, account_id: uuid.UUID | None = None
) -> list[FeedOut]:
    owner = account_id if actor.is_operator and account_id else actor.account_id
    with uow:
        rows = uow.session.scalars(
            select(CalendarFeed)
            .where(CalendarFeed.account_id == owner)
            .order_by(CalendarFeed.created_at)
        )
        return [FeedOut.model_validate(f) for f in rows]


def revoke_feed(uow: UnitOfWork, actor: Principal, feed_id: uuid.UUID) -> FeedOut:
    with uow:
        uow.for_writing()
        feed = uow.session.get(CalendarFeed, feed_id)
        if feed is None or not (actor.is_operator or feed.account_id == actor.account_id):
            raise NotFound("no calendar feed with this id")
        feed.revoked_at = feed.revoked_at or utcnow()
        record_event(uow, actor, "facilities:feed:revoke", feed, {"name": feed.name})
        uow.commit()
        return FeedOut.model_validate(feed)


def serve(uow: UnitOfWork, token: str) -> bytes:
    """The calendar behind ``token``, as its account sees it now."""
    with uow:
        feed = uow.session.scalar(
            select(CalendarFeed).where(CalendarFeed.token_hash == token_digest(token))
        )
        if feed is None or feed.revoked_at is not None:
            raise NotFound(NOT_FOUND)
        reader = principal_for_account(uow.session, feed.account_id)
        if reader is None or not reader.active:
            raise NotFound(NOT_FOUND)
        now = utcnow()
        # Calendar programs poll; the last use is written at most once an hour.
        if feed.last_used_at is None or now - feed.last_used_at > timedelta(hours=1):
            feed.last_used_at = now
            uow.commit()
        kind, target = feed.kind, feed.target
    try:
        if kind is FeedKind.FACILITY:
            return bookings.calendar(uow, reader, uuid.UUID(target))
        if kind is FeedKind.PROJECT:
            return bookings.calendar_of(uow, reader, project=target)
        return bookings.calendar_of(uow, reader, person_id=uuid.UUID(target))
    except NotFound:
        raise NotFound(NOT_FOUND) from None


class RedactFeedTokens(logging.Filter):
    """Keeps feed tokens out of the server's access log: the path is logged as
    /feeds/[redacted].ics."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_PATH.sub("/feeds/[redacted].ics", a) if isinstance(a, str) else a
                for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_PATH.sub("/feeds/[redacted].ics", record.msg)
        return True
