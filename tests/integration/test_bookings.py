"""Facility bookings through the use cases, on SQLite and PostgreSQL: occurrences of one-off
and recurring bookings in the facility's time zone (local times kept across daylight-saving
changes, exceptions left out), each participant checked by the engine and the decision
recorded, refusals that name the field and leave nothing behind, capacity conflicts with
free slots that can really be booked, the facility manager's decision, cancellation, lists
and the iCalendar feed.

The world is tests/facility_world.py; every request is made "now" on NOW, so the dates of
2027 are in the future whatever day the tests run."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.facilities import bookings
from coalition.facilities.models import Booking, BookingOccurrence, BookingParticipant
from coalition.facilities.schemas import (
    BookingCancelIn,
    BookingDecisionIn,
    BookingIn,
    BookingOut,
    FacilityUpdate,
)
from coalition.facilities.services import update_facility
from tests.conftest import UowFactory
from tests.facility_world import (
    IVY_CLEARED_UNTIL,
    PROJECT,
    RANGE,
    TUNNEL,
    ZONE,
    FacilityWorld,
    actor_of,
    make_facility_world,
)
from tests.integration.test_projects_concurrency import (  # noqa: F401 - fixtures by name
    Race,
    committed,
    new,
)

NOW = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
NEW_YORK = ZoneInfo(ZONE)
TUESDAY = date(2027, 3, 2)  # before the clocks change in New York on 14 March 2027
UTC_HOUR = timedelta(hours=1)


@pytest.fixture
def fw(uow: UowFactory, operator: Principal) -> FacilityWorld:
    return make_facility_world(uow, operator)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local time without a zone: the facility's."""
    return datetime(day.year, day.month, day.day, hour, minute)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def command(fw: FacilityWorld, reference: str = "BK-1", **changes: Any) -> BookingIn:
    values: dict[str, Any] = {
        "reference": reference,
        "facility": TUNNEL,
        "project": PROJECT,
        "purpose": "Inlet calibration runs",
        "starts": at(TUESDAY, 10),
        "ends": at(TUESDAY, 12),
        "participant_ids": [fw.carol, fw.alice],
    }
    return BookingIn.model_validate(values | changes)


def book(
    uow: UowFactory, fw: FacilityWorld, who: str = "carol", reference: str = "BK-1", **changes: Any
) -> BookingOut:
    return bookings.request_booking(
        uow(), actor_of(uow, fw, who), command(fw, reference, **changes), now=NOW
    )


def refused(
    uow: UowFactory, fw: FacilityWorld, error: type[Exception], who: str = "carol", **changes: Any
) -> Any:
    """The refusal of a request, which must leave no row behind."""
    before = rows(uow)
    with pytest.raises(error) as raised:
        book(uow, fw, who, changes.pop("reference", "BK-X"), **changes)
    assert rows(uow) == before
    return raised.value


def problems(error: ValidationFailed) -> dict[str, str]:
    return {p.field: p.message for p in error.problems}


def rows(uow: UowFactory) -> tuple[int, int, int, int]:
    """Bookings, occurrences, participants and booking events or decisions on the node."""
    with uow() as unit:
        s = unit.session
        return (
            s.scalar(select(func.count()).select_from(Booking)) or 0,
            s.scalar(select(func.count()).select_from(BookingOccurrence)) or 0,
            s.scalar(select(func.count()).select_from(BookingParticipant)) or 0,
            s.scalar(
                select(func.count())
                .select_from(Event)
                .where(
                    Event.tag.like("facilities:booking:%") | Event.tag.like("facilities:decision:%")
                )
            )
            or 0,
        )


@dataclass(frozen=True)
class Recorded:
    tag: str
    actor: str
    object_type: str
    details: dict[str, Any]


def events(uow: UowFactory, booking: uuid.UUID) -> list[Recorded]:
    """The events and decisions recorded about one booking, oldest first."""
    with uow() as unit:
        return [
            Recorded(e.tag, e.actor, e.object_type, e.details)
            for e in unit.session.scalars(
                select(Event).where(Event.object_id == str(booking)).order_by(Event.id)
            )
        ]


def slots(out: BookingOut) -> list[tuple[datetime, datetime]]:
    return [(o.starts_at, o.ends_at) for o in out.occurrences]


def decide(
    uow: UowFactory, fw: FacilityWorld, booking: uuid.UUID, outcome: str, who: str = "grace"
) -> BookingOut:
    return bookings.decide_booking(
        uow(), actor_of(uow, fw, who), booking, BookingDecisionIn(outcome=outcome, note="ok")
    )


def cancel(uow: UowFactory, fw: FacilityWorld, booking: uuid.UUID, who: str) -> BookingOut:
    return bookings.cancel_booking(
        uow(), actor_of(uow, fw, who), booking, BookingCancelIn(reason="model not ready")
    )


_FREE = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})-(\d{2}:\d{2})")


def suggestions(message: str) -> list[tuple[datetime, datetime]]:
    """The free slots a conflict offers, as local times without a zone."""
    assert "; free: " in message, message
    out = []
    for day, starts, ends in _FREE.findall(message.split("; free: ", 1)[1]):
        out.append(
            (datetime.fromisoformat(f"{day}T{starts}"), datetime.fromisoformat(f"{day}T{ends}"))
        )
    assert out, message
    return out


# --- requests ----------------------------------------------------------------------------------


def test_a_one_off_booking_is_one_occurrence_in_utc_with_its_participants(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    out = book(uow, fw)
    # 10:00-12:00 in New York in March before the change is 15:00-17:00 UTC.
    assert slots(out) == [(utc(TUESDAY, 15), utc(TUESDAY, 17))]
    assert (out.starts_at, out.ends_at) == (utc(TUESDAY, 15), utc(TUESDAY, 17))
    assert out.starts_at.tzinfo is not None and out.starts_at.utcoffset() == timedelta(0)
    assert (out.status, out.requested_by, out.facility, out.project, out.time_zone) == (
        "requested",
        "carol",
        TUNNEL,
        PROJECT,
        ZONE,
    )
    assert out.recurrence is None and out.decided_by is None
    assert [(p.person_id, p.name, p.organisation) for p in out.participants] == [
        (fw.carol, "Carol Cole", "UKSL"),
        (fw.alice, "Alice Archer", "USAPL"),
    ]
    assert out.allowed_actions == []  # a researcher does not manage the facility
    with uow() as unit:
        stored = unit.session.get(Booking, out.id)
        assert stored is not None
        assert [(o.starts_at, o.ends_at, o.active) for o in stored.occurrences] == [
            (utc(TUESDAY, 15), utc(TUESDAY, 17), True)
        ]
        assert {p.person_id for p in stored.participants} == {fw.carol, fw.alice}
    shown = bookings.get_booking(uow(), actor_of(uow, fw, "carol"), out.id)
    assert shown.model_dump(exclude={"participants"}) == out.model_dump(exclude={"participants"})
    assert sorted(shown.participants, key=str) == sorted(out.participants, key=str)


def test_a_time_with_a_zone_is_taken_as_given(uow: UowFactory, fw: FacilityWorld) -> None:
    london = ZoneInfo("Europe/London")
    wednesday = TUESDAY + timedelta(days=1)
    out = book(
        uow,
        fw,
        starts=datetime(2027, 3, 3, 15, 0, tzinfo=london),  # 10:00 in New York
        ends=datetime(2027, 3, 3, 16, 30, tzinfo=london),
    )
    assert slots(out) == [(utc(wednesday, 15), utc(wednesday, 16, 30))]
    # And the code may be written in lower case.
    other = book(uow, fw, reference="BK-2", facility=TUNNEL.lower(), starts=at(TUESDAY, 8))
    assert other.facility == TUNNEL and slots(other)[0][0] == utc(TUESDAY, 13)


def test_a_request_records_its_event_and_one_engine_decision_per_participant(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    out = book(uow, fw)
    recorded = events(uow, out.id)
    assert [e.tag for e in recorded].count("facilities:booking:request") == 1
    made = next(e for e in recorded if e.tag == "facilities:booking:request")
    assert (made.actor, made.object_type) == ("carol", "facility_bookings")
    assert made.details["reference"] == "BK-1" and made.details["occurrences"] == 1
    decisions = [e for e in recorded if e.tag == "facilities:decision:read"]
    assert sorted(e.details["person"] for e in decisions) == sorted([str(fw.carol), str(fw.alice)])
    for decision in decisions:
        assert decision.details["outcome"] == "permit"
        assert decision.details["rules"]["clearance"] is True
        assert decision.details["rules"]["releasability"] is True
        assert decision.object_type == "facility_bookings"


def test_a_weekly_booking_keeps_its_local_time_across_the_clock_change(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    out = book(
        uow,
        fw,
        starts=at(TUESDAY, 9),
        ends=at(TUESDAY, 11),
        recurrence="FREQ=WEEKLY;BYDAY=TU;COUNT=5",
        exceptions=[at(date(2027, 3, 16), 9)],
    )
    days = [date(2027, 3, 2), date(2027, 3, 9), date(2027, 3, 23), date(2027, 3, 30)]
    # 09:00 EST is 14:00 UTC; from 14 March 09:00 EDT is 13:00 UTC.
    assert slots(out) == [
        (utc(days[0], 14), utc(days[0], 16)),
        (utc(days[1], 14), utc(days[1], 16)),
        (utc(days[2], 13), utc(days[2], 15)),
        (utc(days[3], 13), utc(days[3], 15)),
    ]
    local = [o.starts_at.astimezone(NEW_YORK) for o in out.occurrences]
    assert [(t.date(), t.hour, t.minute) for t in local] == [(d, 9, 0) for d in days]
    assert all(e - s == 2 * UTC_HOUR for s, e in slots(out))
    assert out.recurrence == "FREQ=WEEKLY;BYDAY=TU;COUNT=5"
    with uow() as unit:
        stored = unit.session.get(Booking, out.id)
        assert stored is not None
        assert [datetime.fromisoformat(e) for e in stored.exceptions] == [
            utc(date(2027, 3, 16), 13)
        ]
        assert len(stored.occurrences) == 4
    made = next(e for e in events(uow, out.id) if e.tag == "facilities:booking:request")
    assert made.details["occurrences"] == 4
    decided = [e for e in events(uow, out.id) if e.tag == "facilities:decision:read"]
    assert {e.details["person"] for e in decided} == {str(fw.carol), str(fw.alice)}
    assert all(e.details["outcome"] == "permit" for e in decided)


def test_a_series_through_a_closure_is_refused_unless_those_days_are_left_out(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    week: dict[str, Any] = {
        "starts": at(date(2027, 4, 5), 9),
        "ends": at(date(2027, 4, 5), 11),
        "recurrence": "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=10",
    }
    error = refused(uow, fw, ValidationFailed, **week)
    assert problems(error) == {
        "starts": "2027-04-12 09:00: the facility is closed from 2027-04-12 to 2027-04-16"
    }
    closed = [at(date(2027, 4, 12) + timedelta(days=n), 9) for n in range(5)]
    out = book(uow, fw, **week, exceptions=closed)
    assert [o.starts_at.astimezone(NEW_YORK).date() for o in out.occurrences] == [
        date(2027, 4, 5) + timedelta(days=n) for n in range(5)
    ]


# --- refusals ----------------------------------------------------------------------------------


def test_a_time_in_the_past_is_refused(uow: UowFactory, fw: FacilityWorld) -> None:
    error = refused(
        uow, fw, ValidationFailed, starts=at(date(2027, 1, 4), 9), ends=at(date(2027, 1, 4), 11)
    )
    assert problems(error) == {"starts": f"is in the past (now 2027-01-04 10:00 {ZONE})"}


@pytest.mark.parametrize(
    ("starts", "ends", "field", "message"),
    [
        (
            at(TUESDAY, 7),
            at(TUESDAY, 9),
            "starts",
            f"2027-03-02 07:00: 2027-03-02 (Tuesday): open 08:00 to 18:00 {ZONE}",
        ),
        (
            at(TUESDAY, 17),
            at(TUESDAY, 19),
            "starts",
            f"2027-03-02 17:00: 2027-03-02 (Tuesday): open 08:00 to 18:00 {ZONE}",
        ),
        (
            at(date(2027, 3, 6), 10),
            at(date(2027, 3, 6), 12),
            "starts",
            "2027-03-06 10:00: the facility is closed on Saturdays",
        ),
        (
            at(date(2027, 4, 13), 10),
            at(date(2027, 4, 13), 12),
            "starts",
            "2027-04-13 10:00: the facility is closed from 2027-04-12 to 2027-04-16",
        ),
        (at(TUESDAY, 12), at(TUESDAY, 10), "ends", "must be after starts"),
    ],
    ids=["before-opening", "after-closing", "weekend", "closure", "ends-before-starts"],
)
def test_a_time_the_facility_is_not_open_is_refused_at_the_field(
    uow: UowFactory,
    fw: FacilityWorld,
    starts: datetime,
    ends: datetime,
    field: str,
    message: str,
) -> None:
    error = refused(uow, fw, ValidationFailed, starts=starts, ends=ends)
    assert problems(error) == {field: message}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=WEEKLY;BYDAY=TU", "give COUNT or UNTIL, so the series ends"),
        ("FREQ=FORTNIGHTLY;COUNT=3", "not an RFC 5545 RRULE"),
        ("FREQ=YEARLY;BYYEARDAY=60;COUNT=2", "BYYEARDAY is not used for bookings"),
        ("FREQ=MINUTELY;COUNT=3", "repeat hourly at most"),
        ("FREQ=DAILY;COUNT=2\nRDATE:20270303T090000", "give one RRULE"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=2", "no such day in those months"),
        ("FREQ=WEEKLY;COUNT=200", "runs more than two years ahead"),
    ],
)
def test_a_bad_recurrence_is_refused_at_its_field(
    uow: UowFactory, fw: FacilityWorld, rule: str, message: str
) -> None:
    error = refused(uow, fw, ValidationFailed, recurrence=rule)
    found = problems(error)
    assert list(found) == ["recurrence"] and message in found["recurrence"], found


def test_a_participant_the_engine_refuses_is_named_with_the_failed_rule(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    error = refused(
        uow, fw, ValidationFailed, participant_ids=[fw.carol, fw.bob, fw.dan, fw.alice, fw.eve]
    )
    assert problems(error) == {
        "participant_ids[1]": "Bob Baker may not take part on 2027-03-02: "
        "releasability: not releasable to CAN",
        "participant_ids[2]": "Dan Dawson may not take part on 2027-03-02: clearance: needs a "
        "SECRET-level clearance recognised by USA; holds no current clearance",
        "participant_ids[4]": "Eve Ellis may not take part on 2027-03-02: need_to_know: "
        "not a current member of the artifact's project",
    }


def test_a_participant_is_checked_on_the_last_day_of_a_series_too(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    # Ivy's clearance ends on 20 March 2027: a one-off before then is fine ...
    assert book(uow, fw, participant_ids=[fw.ivy]).participants[0].name == "Ivy Irving"
    # ... a weekly series that runs past it is not.
    error = refused(
        uow,
        fw,
        ValidationFailed,
        starts=at(date(2027, 3, 3), 9),
        ends=at(date(2027, 3, 3), 10),
        recurrence="FREQ=WEEKLY;COUNT=4",
        participant_ids=[fw.carol, fw.ivy],
    )
    last = date(2027, 3, 24)
    assert last > IVY_CLEARED_UNTIL
    message = problems(error)["participant_ids[1]"]
    assert message.startswith(f"Ivy Irving may not take part on {last}: clearance: ")


def test_an_unknown_person_is_refused_at_their_index(uow: UowFactory, fw: FacilityWorld) -> None:
    error = refused(uow, fw, ValidationFailed, participant_ids=[fw.carol, uuid.uuid4()])
    assert problems(error) == {"participant_ids[1]": "no person with this id"}


def test_a_facility_the_actor_may_not_know_of_is_refused_like_an_unknown_one(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    unknown = refused(uow, fw, ValidationFailed, facility="NOPE-WT")
    hidden = refused(uow, fw, ValidationFailed, who="fabien")
    assert problems(unknown) == {"facility": "no facility 'NOPE-WT'"}
    assert problems(hidden) == {"facility": f"no facility '{TUNNEL}'"}
    with pytest.raises(NotFound, match="no facility with this id"):
        bookings.list_bookings(uow(), actor_of(uow, fw, "fabien"), fw.tunnel)
    with pytest.raises(NotFound, match="no facility with this id"):
        bookings.list_bookings(uow(), actor_of(uow, fw, "carol"), uuid.uuid4())


def test_an_unknown_project_is_refused(uow: UowFactory, fw: FacilityWorld) -> None:
    error = refused(uow, fw, ValidationFailed, project="NOPE")
    assert problems(error) == {"project": "no project 'NOPE'"}


def test_a_researcher_whose_organisation_is_not_in_the_project_may_not_book(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    error = refused(uow, fw, PermissionDenied, who="erin", participant_ids=[fw.alice])
    assert "project:facility:book" in str(error)
    # A facility manager of the owner may book, through its organisation's part in TUNNEL.
    assert book(uow, fw, "grace", participant_ids=[fw.alice]).requested_by == "grace"


def test_a_reference_is_used_once(uow: UowFactory, fw: FacilityWorld) -> None:
    book(uow, fw)
    error = refused(
        uow,
        fw,
        Conflict,
        reference="BK-1",
        starts=at(date(2027, 3, 3), 10),
        ends=at(date(2027, 3, 3), 12),
    )
    assert str(error) == "reference: a booking 'BK-1' already exists"


# --- capacity ---------------------------------------------------------------------------------


def test_an_overlap_is_a_conflict_whose_suggested_slots_can_be_booked(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    book(uow, fw)  # 10:00-12:00
    error = refused(uow, fw, Conflict, starts=at(TUESDAY, 11), ends=at(TUESDAY, 13))
    message = str(error)
    assert message.startswith(
        f"starts: {TUNNEL} is fully booked at 2027-03-02 11:00 ({ZONE}); free: "
    ), message
    offered = suggestions(message)
    assert offered[0] == (at(TUESDAY, 12), at(TUESDAY, 14))
    assert all(e - s == 2 * UTC_HOUR for s, e in offered)
    for n, (starts, ends) in enumerate(offered):
        made = book(uow, fw, reference=f"BK-FREE-{n}", starts=starts, ends=ends)
        assert made.status == "requested"


def test_a_series_conflicts_at_the_occurrence_that_is_taken(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    third = date(2027, 3, 16)
    book(uow, fw, reference="BK-TAKEN", starts=at(third, 10), ends=at(third, 12))
    series: dict[str, Any] = {
        "starts": at(TUESDAY, 10),
        "ends": at(TUESDAY, 11),
        "recurrence": "FREQ=WEEKLY;COUNT=4",
    }
    error = refused(uow, fw, Conflict, **series)
    assert str(error).startswith(f"starts: {TUNNEL} is fully booked at 2027-03-16 10:00 ({ZONE})")
    assert suggestions(str(error))[0] == (at(third, 12), at(third, 13))
    made = book(uow, fw, reference="BK-SERIES", **series, exceptions=[at(third, 10)])
    assert len(made.occurrences) == 3


def test_a_retired_facility_takes_no_booking(uow: UowFactory, fw: FacilityWorld) -> None:
    update_facility(uow(), actor_of(uow, fw, "grace"), fw.tunnel, FacilityUpdate(status="retired"))
    error = refused(uow, fw, ValidationFailed)
    assert problems(error) == {"facility": f"{TUNNEL} is retired"}


def test_a_suggested_slot_is_never_one_another_booking_holds(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    book(uow, fw, reference="BK-A")  # 10:00-12:00
    book(uow, fw, reference="BK-C", starts=at(TUESDAY, 12), ends=at(TUESDAY, 14))
    error = refused(uow, fw, Conflict)  # 10:00-12:00 again
    for n, (starts, ends) in enumerate(suggestions(str(error))):
        book(uow, fw, reference=f"BK-FREE-{n}", starts=starts, ends=ends)


def test_touching_bookings_do_not_conflict(uow: UowFactory, fw: FacilityWorld) -> None:
    book(uow, fw, reference="BK-MID")
    book(uow, fw, reference="BK-AFTER", starts=at(TUESDAY, 12), ends=at(TUESDAY, 14))
    book(uow, fw, reference="BK-BEFORE", starts=at(TUESDAY, 8), ends=at(TUESDAY, 10))
    listed = bookings.list_bookings(uow(), actor_of(uow, fw, "carol"), fw.tunnel)
    assert [b.reference for b in listed] == ["BK-BEFORE", "BK-MID", "BK-AFTER"]


def test_a_facility_for_two_takes_two_overlapping_bookings_not_three(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    book(uow, fw, reference="BK-R1", facility=RANGE)
    book(uow, fw, reference="BK-R2", facility=RANGE, starts=at(TUESDAY, 11))
    error = refused(
        uow, fw, Conflict, facility=RANGE, starts=at(TUESDAY, 9), ends=at(TUESDAY, 11, 30)
    )
    assert str(error).startswith(f"starts: {RANGE} is fully booked at 2027-03-02 09:00")
    # Where only one booking runs, a second still fits.
    book(
        uow, fw, reference="BK-R3", facility=RANGE, starts=at(TUESDAY, 9), ends=at(TUESDAY, 10, 30)
    )


def test_capacity_counts_bookings_running_at_the_same_time(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    book(uow, fw, reference="BK-R1", facility=RANGE, starts=at(TUESDAY, 9), ends=at(TUESDAY, 10))
    book(uow, fw, reference="BK-R2", facility=RANGE, starts=at(TUESDAY, 10), ends=at(TUESDAY, 11))
    # 09:00-11:00 runs with one of them at a time: two at most, as the range holds.
    book(uow, fw, reference="BK-R3", facility=RANGE, starts=at(TUESDAY, 9), ends=at(TUESDAY, 11))


def test_rejected_and_cancelled_bookings_free_their_slots(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    first = book(uow, fw, reference="BK-A")
    refused(uow, fw, Conflict)
    decide(uow, fw, first.id, "rejected")
    second = book(uow, fw, reference="BK-B")
    refused(uow, fw, Conflict)
    cancel(uow, fw, second.id, "carol")
    third = book(uow, fw, reference="BK-C")
    assert slots(third) == slots(first)
    with uow() as unit:
        active = unit.session.scalars(
            select(BookingOccurrence.booking_id).where(BookingOccurrence.active.is_(True))
        ).all()
    assert active == [third.id]


def test_an_approval_is_refused_while_approved_bookings_fill_the_slot(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    one = book(uow, fw, reference="BK-R1", facility=RANGE)
    two = book(uow, fw, reference="BK-R2", facility=RANGE, starts=at(TUESDAY, 11))
    grace = actor_of(uow, fw, "grace")
    update_facility(uow(), grace, fw.range, FacilityUpdate(capacity=1))
    assert decide(uow, fw, one.id, "approved").status == "approved"
    with pytest.raises(Conflict) as raised:
        decide(uow, fw, two.id, "approved")
    assert str(raised.value).startswith(
        f"outcome: {RANGE} is fully booked at 2027-03-02 11:00 ({ZONE}); free: 2027-03-02 12:00"
    )
    assert bookings.get_booking(uow(), grace, two.id).status == "requested"
    cancel(uow, fw, one.id, "grace")
    assert decide(uow, fw, two.id, "approved").status == "approved"


# --- decisions and cancellation ------------------------------------------------------------


def test_the_owners_facility_manager_approves(uow: UowFactory, fw: FacilityWorld) -> None:
    made = book(uow, fw)
    grace = actor_of(uow, fw, "grace")
    assert (
        "organisation:facility:manage"
        in bookings.get_booking(uow(), grace, made.id).allowed_actions
    )
    approved = decide(uow, fw, made.id, "approved")
    assert (approved.status, approved.decided_by, approved.decision_note) == (
        "approved",
        "grace",
        "ok",
    )
    assert approved.decided_at is not None
    assert slots(approved) == slots(made)
    tags = [e.tag for e in events(uow, made.id)]
    assert "facilities:booking:approved" in tags


@pytest.mark.parametrize(
    ("who", "error"),
    [("hugh", PermissionDenied), ("carol", PermissionDenied), ("fabien", NotFound)],
    ids=["other-organisations-manager", "requester", "may-not-know-it"],
)
def test_only_the_owners_facility_manager_decides(
    uow: UowFactory, fw: FacilityWorld, who: str, error: type[Exception]
) -> None:
    made = book(uow, fw)
    with pytest.raises(error):
        decide(uow, fw, made.id, "approved", who=who)
    assert bookings.get_booking(uow(), actor_of(uow, fw, "grace"), made.id).status == "requested"


def test_a_booking_is_decided_once(uow: UowFactory, fw: FacilityWorld) -> None:
    made = book(uow, fw)
    decide(uow, fw, made.id, "approved")
    for outcome in ("approved", "rejected"):
        with pytest.raises(Conflict, match="status: the booking is approved"):
            decide(uow, fw, made.id, outcome)
    rejected = book(uow, fw, reference="BK-2", starts=at(TUESDAY, 14), ends=at(TUESDAY, 15))
    decide(uow, fw, rejected.id, "rejected")
    with pytest.raises(Conflict, match="status: the booking is rejected"):
        decide(uow, fw, rejected.id, "approved")
    with pytest.raises(Conflict, match="status: the booking is rejected"):
        cancel(uow, fw, rejected.id, "carol")


def test_the_requester_or_the_facility_manager_cancels(uow: UowFactory, fw: FacilityWorld) -> None:
    mine = book(uow, fw, reference="BK-MINE")
    managed = book(uow, fw, reference="BK-APPROVED", starts=at(TUESDAY, 13), ends=at(TUESDAY, 15))
    decide(uow, fw, managed.id, "approved")
    with pytest.raises(PermissionDenied):
        cancel(uow, fw, mine.id, "erin")
    assert cancel(uow, fw, mine.id, "carol").status == "cancelled"
    cancelled = cancel(uow, fw, managed.id, "grace")
    assert (cancelled.status, cancelled.decision_note) == ("cancelled", "model not ready")
    with pytest.raises(Conflict, match="status: the booking is cancelled"):
        cancel(uow, fw, mine.id, "carol")
    assert "facilities:booking:cancel" in [e.tag for e in events(uow, mine.id)]
    carol = actor_of(uow, fw, "carol")
    assert bookings.list_bookings(uow(), carol, fw.tunnel) == []
    ended = bookings.list_bookings(uow(), carol, fw.tunnel, include_ended=True)
    assert [(b.reference, b.status) for b in ended] == [
        ("BK-MINE", "cancelled"),
        ("BK-APPROVED", "cancelled"),
    ]
    # A booking of a facility one may not know of is not found, like an unknown one.
    fabien = actor_of(uow, fw, "fabien")
    with pytest.raises(NotFound, match="no booking with this id"):
        bookings.get_booking(uow(), fabien, mine.id)
    with pytest.raises(NotFound, match="no booking 'BK-MINE'"):
        bookings.booking_id_for(uow(), fabien, "BK-MINE")
    assert bookings.booking_id_for(uow(), carol, "BK-MINE") == mine.id


# --- calendar ---------------------------------------------------------------------------------


def vevents(feed: bytes) -> list[Any]:
    return [c for c in Calendar.from_ical(feed).walk() if c.name == "VEVENT"]


def by_start(feed: bytes) -> dict[datetime, tuple[datetime, str, str]]:
    return {
        e.decoded("dtstart"): (e.decoded("dtend"), str(e.get("status")), str(e.get("uid")))
        for e in vevents(feed)
    }


def test_the_calendar_has_one_event_per_occurrence_with_its_status(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    weekly = book(
        uow,
        fw,
        reference="BK-WEEKLY",
        starts=at(TUESDAY, 9),
        ends=at(TUESDAY, 10),
        recurrence="FREQ=WEEKLY;BYDAY=TU;COUNT=4",
    )
    wednesday, thursday = date(2027, 3, 3), date(2027, 3, 4)
    once = book(uow, fw, reference="BK-ONCE", starts=at(wednesday, 14), ends=at(wednesday, 16))
    gone = book(uow, fw, reference="BK-GONE", starts=at(thursday, 14), ends=at(thursday, 16))
    decide(uow, fw, once.id, "approved")
    cancel(uow, fw, gone.id, "carol")
    carol = actor_of(uow, fw, "carol")
    feed = bookings.calendar(uow(), carol, fw.tunnel)
    calendar = Calendar.from_ical(feed)
    assert str(calendar.get("x-wr-timezone")) == ZONE
    events_ = by_start(feed)
    assert len(vevents(feed)) == len(events_) == 5
    expected = {s: (e, "TENTATIVE") for s, e in slots(weekly)} | {
        s: (e, "CONFIRMED") for s, e in slots(once)
    }
    assert {s: (e, status) for s, (e, status, _) in events_.items()} == expected
    assert len({uid for _, _, uid in events_.values()}) == 5
    # The project's and the participant's calendars hold the same events.
    project_feed = bookings.calendar_of(uow(), carol, project=PROJECT)
    assert {s: v[:2] for s, v in by_start(project_feed).items()} == {
        s: v[:2] for s, v in events_.items()
    }
    alice_feed = bookings.calendar_of(uow(), carol, person_id=fw.alice)
    assert len(vevents(alice_feed)) == 5
    assert vevents(bookings.calendar_of(uow(), carol, person_id=fw.dan)) == []
    # Approving the series confirms all four of its events.
    decide(uow, fw, weekly.id, "approved")
    statuses = {v[1] for v in by_start(bookings.calendar(uow(), carol, fw.tunnel)).values()}
    assert statuses == {"CONFIRMED"}
    # Someone who may not know of the facility gets no calendar, nor its events elsewhere.
    fabien = actor_of(uow, fw, "fabien")
    with pytest.raises(NotFound):
        bookings.calendar(uow(), fabien, fw.tunnel)
    assert vevents(bookings.calendar_of(uow(), fabien, project=PROJECT)) == []


def test_participants_keep_the_order_requested(uow: UowFactory, fw: FacilityWorld) -> None:
    people = sorted([fw.carol, fw.alice, fw.grace, fw.ivy], key=str, reverse=True)
    made = book(uow, fw, participant_ids=people)
    assert [p.person_id for p in made.participants] == people
    shown = bookings.get_booking(uow(), actor_of(uow, fw, "carol"), made.id)
    assert [p.person_id for p in shown.participants] == people


# --- two at once (PostgreSQL) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def race_world(new: UowFactory) -> FacilityWorld:  # noqa: F811
    return make_facility_world(new, Principal.operator("race"))


@pytest.mark.postgres
def test_two_requests_for_the_last_place_at_once_are_not_both_kept(
    new: UowFactory,  # noqa: F811
    committed: Any,  # noqa: F811
    race_world: FacilityWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    carol = actor_of(new, race_world, "carol")
    day = date(2027, 5, 4)

    def attempt(reference: str) -> BookingOut:
        data = command(race_world, reference, starts=at(day, 10), ends=at(day, 12))
        return bookings.request_booking(new(), carol, data, now=NOW)

    # Each writer is held once it has read what is taken, until the other has read it too
    # or waits behind it.
    race = Race(committed, monkeypatch, (bookings, "_taken"))
    done, errors = race.run(lambda: attempt("BK-RACE-1"), lambda: attempt("BK-RACE-2"))
    assert (len(done), len(errors)) == (1, 1), (done, errors)
    assert isinstance(errors[0], Conflict) and "is fully booked at" in str(errors[0])
    listed = bookings.list_bookings(new(), carol, race_world.tunnel)
    assert [b.starts_at for b in listed if b.starts_at.date() == day] == [utc(day, 14)]


@pytest.mark.postgres
def test_two_approvals_for_the_last_place_at_once_are_not_both_kept(
    new: UowFactory,  # noqa: F811
    committed: Any,  # noqa: F811
    race_world: FacilityWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    carol, grace = actor_of(new, race_world, "carol"), actor_of(new, race_world, "grace")
    day = date(2027, 5, 6)
    made = [
        bookings.request_booking(
            new(),
            carol,
            command(
                race_world, f"BK-APPROVE-{n}", facility=RANGE, starts=at(day, 10), ends=at(day, 12)
            ),
            now=NOW,
        )
        for n in (1, 2)
    ]
    update_facility(new(), grace, race_world.range, FacilityUpdate(capacity=1))
    race = Race(committed, monkeypatch, (bookings, "_taken"))
    done, errors = race.run(
        *(
            (
                lambda b=b: bookings.decide_booking(
                    new(), grace, b.id, BookingDecisionIn(outcome="approved")
                )
            )
            for b in made
        )
    )
    assert (len(done), len(errors)) == (1, 1), (done, errors)
    assert isinstance(errors[0], Conflict) and str(errors[0]).startswith("outcome: ")
    statuses = sorted(bookings.get_booking(new(), grace, b.id).status for b in made)
    assert statuses == ["approved", "requested"]
