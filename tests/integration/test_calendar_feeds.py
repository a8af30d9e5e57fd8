"""Calendar feeds through the use cases, on SQLite and PostgreSQL: a secret address serves
one calendar as its account sees it at each fetch (a facility relabelled out of sight, a
revoked feed, a suspended account: not found), only the token's hash is stored, and the
access log never holds the token."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from sqlalchemy import select

from coalition.accounts.models import AccountStatus
from coalition.accounts.permissions import Principal
from coalition.accounts.services import set_account_status
from coalition.errors import NotFound, ValidationFailed
from coalition.facilities import bookings, feeds
from coalition.facilities.models import CalendarFeed, FeedKind
from coalition.facilities.schemas import BookingIn, FacilityUpdate, FeedIn
from coalition.facilities.services import update_facility
from coalition.techdata.schemas import LabelIn
from tests.conftest import UowFactory
from tests.facility_world import (
    EMAILS,
    PROJECT,
    TUNNEL,
    FacilityWorld,
    actor_of,
    make_facility_world,
)

NOW = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def fw(uow: UowFactory, operator: Principal) -> FacilityWorld:
    world = make_facility_world(uow, operator)
    bookings.request_booking(
        uow(),
        actor_of(uow, world, "carol"),
        BookingIn(
            reference="BK-FEED",
            facility=TUNNEL,
            project=PROJECT,
            purpose="Inlet calibration runs",
            starts=datetime(2027, 3, 2, 10),
            ends=datetime(2027, 3, 2, 12),
            participant_ids=[world.carol],
        ),
        now=NOW,
    )
    return world


def events(feed: bytes) -> list[str]:
    return [str(e.get("uid")) for e in Calendar.from_ical(feed).walk("VEVENT")]


def token_of(path: str) -> str:
    return path.removeprefix("/feeds/").removesuffix(".ics")


def test_a_feed_serves_its_calendar_as_its_account_sees_it(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    carol = actor_of(uow, fw, "carol")
    made = {
        kind: feeds.create_feed(uow(), carol, FeedIn(kind=kind, target=target, name=str(kind)))
        for kind, target in (
            (FeedKind.FACILITY, TUNNEL),
            (FeedKind.PROJECT, PROJECT),
            (FeedKind.PERSON, EMAILS["carol"]),
        )
    }
    for new in made.values():
        assert new.path.startswith("/feeds/cf_") and new.prefix == token_of(new.path)[:9]
        assert events(feeds.serve(uow(), token_of(new.path))) == ["BK-FEED-1@usapl-wt.coalition"]
    with uow() as unit:
        stored = [
            (f.token_hash, f.last_used_at) for f in unit.session.scalars(select(CalendarFeed))
        ]
    assert {h for h, _ in stored}.isdisjoint({token_of(n.path) for n in made.values()})
    assert all(used is not None for _, used in stored)
    assert [f.name for f in feeds.list_feeds(uow(), carol)] == ["facility", "project", "person"]
    assert feeds.list_feeds(uow(), actor_of(uow, fw, "dan")) == []

    # The facility is relabelled out of carol's sight: her feeds no longer show it.
    update_facility(
        uow(),
        operator,
        fw.tunnel,
        FacilityUpdate(label=LabelIn(scheme="USA", originator="USA", banner="SECRET//NOFORN")),
    )
    with pytest.raises(NotFound, match="no calendar feed at this address"):
        feeds.serve(uow(), token_of(made[FeedKind.FACILITY].path))
    assert events(feeds.serve(uow(), token_of(made[FeedKind.PROJECT].path))) == []


def test_revoked_feeds_and_suspended_accounts_serve_nothing(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    carol = actor_of(uow, fw, "carol")
    first = feeds.create_feed(uow(), carol, FeedIn(kind=FeedKind.PROJECT, target=PROJECT, name="a"))
    second = feeds.create_feed(
        uow(), carol, FeedIn(kind=FeedKind.PROJECT, target=PROJECT, name="b")
    )
    with pytest.raises(NotFound):
        feeds.revoke_feed(uow(), actor_of(uow, fw, "dan"), first.id)  # not his
    assert feeds.revoke_feed(uow(), carol, first.id).revoked_at is not None
    with pytest.raises(NotFound, match="no calendar feed at this address"):
        feeds.serve(uow(), token_of(first.path))
    with pytest.raises(NotFound):
        feeds.serve(uow(), "cf_" + "x" * 43)
    feeds.serve(uow(), token_of(second.path))
    set_account_status(uow(), operator, fw.accounts["carol"], AccountStatus.SUSPENDED)
    with pytest.raises(NotFound):
        feeds.serve(uow(), token_of(second.path))


def test_bad_feed_requests_name_the_field(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    carol = actor_of(uow, fw, "carol")
    for kind, target, message in (
        (FeedKind.PROJECT, "NOPE", "no project 'NOPE'"),
        (FeedKind.PERSON, "nobody@nowhere.example", "no person with this id or e-mail"),
    ):
        with pytest.raises(ValidationFailed) as raised:
            feeds.create_feed(uow(), carol, FeedIn(kind=kind, target=target, name="x"))
        assert {p.field: p.message for p in raised.value.problems} == {"target": message}
    fabien = actor_of(uow, fw, "fabien")  # may not know the tunnel: as for an unknown one
    with pytest.raises(ValidationFailed) as unknown:
        feeds.create_feed(uow(), fabien, FeedIn(kind=FeedKind.FACILITY, target=TUNNEL, name="x"))
    assert unknown.value.problems[0].message == f"no facility '{TUNNEL}'"
    with pytest.raises(ValidationFailed):
        feeds.create_feed(uow(), operator, FeedIn(kind=FeedKind.PROJECT, target=PROJECT, name="x"))


def test_the_access_log_never_holds_a_feed_token() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/feeds/cf_AbC-12_xyz.ics", "1.1", 200),
        None,
    )
    assert feeds.RedactFeedTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /feeds/[redacted].ics HTTP/1.1" 200'
