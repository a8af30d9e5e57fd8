"""Live updates: one server-sent event stream per open page (``GET /events``).

The stream tells the logged-in reader three numbers, in a ``counts`` event: their unread
notifications, the release requests waiting for an approval they may give, and the
imported packages they may read. When one of them rises, an ``arrived`` event names which
kind rose, and nothing else: no title, reference or sender, because a notice must never
carry words about an item the reader may not see. The page the reader then opens decides,
as always, what they may see.

Each connection asks the database every ``COALITION_LIVE_POLL_SECONDS`` with cheap count
queries. The database is the source of truth, so a change made by another worker, another
process or the CLI is seen the same way, and no message bus is needed. Every count comes
from the service that owns it, under that service's permission checks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request
from sse_starlette import EventSourceResponse, JSONServerSentEvent, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from coalition.accounts.login import session_principal
from coalition.accounts.permissions import Principal
from coalition.errors import AuthenticationFailed
from coalition.exchange import arrivals
from coalition.notifications import services as notifications
from coalition.releases import services as releases
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from coalition.web.deps import SettingsDep, UowDep

router = APIRouter(include_in_schema=False)

UowFactory = Callable[[], UnitOfWork]

#: Seconds between keep-alive comments: well inside the idle timeouts of proxies
#: (nginx closes a silent upstream after 60 s by default).
PING_SECONDS = 15
#: How long a browser waits before reconnecting a dropped stream: soon enough that badges
#: are not stale for long, late enough not to hammer a node that is restarting.
RECONNECT_MILLISECONDS = 3000
#: A client that takes longer than this to accept an event is given up on.
SEND_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Counts:
    """What a reader is told: numbers only."""

    inbox: int = 0
    approvals: int = 0
    packages: int = 0

    def rises_since(self, before: Counts) -> list[str]:
        """The kinds whose count went up."""
        return [kind for kind, count in asdict(self).items() if count > getattr(before, kind)]

    @property
    def event_id(self) -> str:
        """The counts as the event's id: a browser sends the last id back when it
        reconnects (``Last-Event-ID``), so what arrived while it was away is announced."""
        return f"{self.inbox}.{self.approvals}.{self.packages}"

    @classmethod
    def from_event_id(cls, text: str | None) -> Counts | None:
        parts = (text or "").split(".")
        if len(parts) != 3 or not all(p.isdigit() and len(p) <= 9 for p in parts):
            return None  # not one of ours: start afresh
        inbox, approvals, packages = (int(p) for p in parts)
        return cls(inbox, approvals, packages)


def snapshot(uow: UowFactory, reader: Principal) -> Counts:
    """The reader's counts now. An account with no person has no inbox and reads no
    package, so those are 0; approvals still apply (an officer's account may decide)."""
    return Counts(
        inbox=notifications.unread_count(uow(), reader),
        approvals=releases.waiting_count(uow(), reader),
        packages=arrivals.readable_count(uow(), reader),
    )


def events_between(before: Counts | None, after: Counts) -> list[ServerSentEvent]:
    """What to send when the counts go from ``before`` (None: nothing sent yet on this
    stream) to ``after``: nothing when unchanged; else the counts, then one ``arrived``
    event per kind that rose, naming only the kind."""
    if before == after:
        return []
    told: list[ServerSentEvent] = [
        JSONServerSentEvent(
            asdict(after), event="counts", id=after.event_id, retry=RECONNECT_MILLISECONDS
        )
    ]
    if before is not None:
        told += [
            JSONServerSentEvent({"kind": kind}, event="arrived")
            for kind in after.rises_since(before)
        ]
    return told


@dataclass(frozen=True)
class Listener:
    """A logged-in browser session listening for its reader's updates."""

    session_secret: str
    reader: Principal


def _current_reader(uow: UnitOfWork, secret: str, settings: Settings) -> Principal | None:
    # Without touching the session: an open page is not a user at work, and a session
    # left open in a tab must still idle out.
    return session_principal(uow, secret, settings.session_idle_seconds, touch=False)


def listener(request: Request, uow: UowDep, settings: SettingsDep) -> Listener:
    """The page's session, or 401. Not the HTML pages' redirect to the log-in page: a
    stream is not a page, and an EventSource following redirects would only loop."""
    secret = request.session.get("sid")
    reader = _current_reader(uow, secret, settings) if isinstance(secret, str) else None
    if reader is None or not isinstance(secret, str):
        raise AuthenticationFailed("log in to receive live updates")
    return Listener(secret, reader)


ListenerDep = Annotated[Listener, Depends(listener)]


async def stream(
    uow: UowFactory, listening: Listener, settings: Settings, since: Counts | None
) -> AsyncIterator[ServerSentEvent]:
    """Events for one connection until the session ends. The client's disconnecting and
    the server's shutting down cancel it at its next await (EventSourceResponse)."""
    reader: Principal | None = listening.reader
    before = since
    while reader is not None:
        # Blocking database calls run in the thread pool, never on the event loop.
        after = await run_in_threadpool(snapshot, uow, reader)
        for event in events_between(before, after):
            yield event
        before = after
        await anyio.sleep(settings.live_poll_seconds)
        # Asked again each time: a log-out, an idled-out session or a suspended account
        # ends the stream (the browser's reconnection then gets 401), and a changed role
        # changes the counts.
        reader = await run_in_threadpool(_current_reader, uow(), listening.session_secret, settings)


@router.get("/events")
async def events(
    request: Request, listening: ListenerDep, settings: SettingsDep
) -> EventSourceResponse:
    since = Counts.from_event_id(request.headers.get("last-event-id"))
    return EventSourceResponse(
        stream(request.app.state.uow_factory, listening, settings, since),
        ping=PING_SECONDS,
        send_timeout=SEND_TIMEOUT_SECONDS,
    )
