"""Quotas, single occurrences and the utilisation report through the use cases, on SQLite
and PostgreSQL: a request or an approval over a project's or a nation's quota is a conflict
naming the quota, period and hours, and leaves nothing behind; quotas are set, replaced and
removed by the facility manager only; one occurrence is cancelled (its time freed, kept in
the exceptions, cancelled in the feed) or marked a no-show once started; the report adds
up. The world is tests/facility_world.py (TUNNEL is led by USAPL, so its nation is USA)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.common import tables
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.facilities import bookings, charts, occurrences, quotas, reports
from coalition.facilities.models import Booking, FacilityQuota, QuotaPeriod
from coalition.facilities.schemas import (
    BookingOut,
    NoShowIn,
    OccurrenceCancelIn,
    QuotaIn,
    QuotaOut,
)
from tests.conftest import UowFactory
from tests.facility_world import RANGE, FacilityWorld, actor_of, make_facility_world
from tests.integration.test_bookings import NOW, at, book, decide, utc

TUESDAY = date(2027, 3, 2)
MONDAY = date(2027, 3, 1)


@pytest.fixture
def fw(uow: UowFactory, operator: Principal) -> FacilityWorld:
    return make_facility_world(uow, operator)


def set_quota(
    uow: UowFactory,
    fw: FacilityWorld,
    who: str = "grace",
    facility: uuid.UUID | None = None,
    **values: Any,
) -> QuotaOut:
    data = QuotaIn.model_validate({"period": "week", "hours": "4", **values})
    return quotas.set_quota(uow(), actor_of(uow, fw, who), facility or fw.tunnel, data, now=NOW)


def quota_rows(uow: UowFactory) -> int:
    with uow() as unit:
        return unit.session.scalar(select(func.count()).select_from(FacilityQuota)) or 0


def booking_rows(uow: UowFactory) -> int:
    with uow() as unit:
        return unit.session.scalar(select(func.count()).select_from(Booking)) or 0


def tags(uow: UowFactory, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    with uow() as unit:
        return [
            (e.tag, e.details)
            for e in unit.session.scalars(
                select(Event).where(Event.tag.like(prefix + "%")).order_by(Event.id)
            )
        ]


# --- quotas ---------------------------------------------------------------------------------


def test_a_request_over_the_projects_weekly_quota_is_a_conflict_naming_it(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    set_quota(uow, fw, project="TUNNEL", hours="5")
    book(uow, fw, reference="BK-1", starts=at(TUESDAY, 9), ends=at(TUESDAY, 12))
    before = booking_rows(uow)
    with pytest.raises(Conflict) as raised:
        book(uow, fw, reference="BK-2", starts=at(TUESDAY, 13), ends=at(TUESDAY, 16))
    assert str(raised.value) == (
        "starts: over the quota of project TUNNEL at USAPL-WT (5.00 h a week): in the week of "
        "2027-03-01 (America/New_York) it holds 3.00 h and asks 3.00 h; 5.00 h are allowed"
    )
    assert booking_rows(uow) == before
    # Two hours fit; the next week is another period.
    book(uow, fw, reference="BK-3", starts=at(TUESDAY, 13), ends=at(TUESDAY, 15))
    nxt = TUESDAY + timedelta(days=7)
    book(uow, fw, reference="BK-4", starts=at(nxt, 9), ends=at(nxt, 14))


def test_a_series_is_refused_at_the_first_period_it_overflows(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    set_quota(uow, fw, project="TUNNEL", period="month", hours="7.5")
    with pytest.raises(Conflict) as raised:
        book(
            uow,
            fw,
            starts=at(date(2027, 5, 25), 9),
            ends=at(date(2027, 5, 25), 11),
            recurrence="FREQ=WEEKLY;COUNT=6",
        )
    # 25 May is alone in May (2 h); June holds five Tuesdays, 10 h > 7.5 h.
    assert "in June 2027 (America/New_York) it holds 0.00 h and asks 10.00 h" in str(raised.value)
    assert "(7.50 h a month)" in str(raised.value)


def test_a_nation_quota_counts_every_project_the_nation_leads(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    set_quota(uow, fw, nation="USA", period="year", hours="3")
    book(uow, fw, reference="BK-1", starts=at(TUESDAY, 9), ends=at(TUESDAY, 11))
    with pytest.raises(Conflict, match=r"over the quota of nation USA at USAPL-WT \(3.00 h a year"):
        book(uow, fw, reference="BK-2", starts=at(TUESDAY, 13), ends=at(TUESDAY, 15))
    # Another nation's quota does not apply to TUNNEL.
    set_quota(uow, fw, nation="USA", period="year", hours="30")
    set_quota(uow, fw, nation="GBR", period="week", hours="0.5")
    book(uow, fw, reference="BK-2", starts=at(TUESDAY, 13), ends=at(TUESDAY, 15))


def test_quotas_are_per_facility(uow: UowFactory, fw: FacilityWorld) -> None:
    set_quota(uow, fw, project="TUNNEL", hours="1")
    book(uow, fw, facility=RANGE, starts=at(TUESDAY, 9), ends=at(TUESDAY, 12))


def test_rejected_and_cancelled_time_no_longer_counts(uow: UowFactory, fw: FacilityWorld) -> None:
    set_quota(uow, fw, project="TUNNEL", hours="3")
    first = book(uow, fw, reference="BK-1", starts=at(TUESDAY, 9), ends=at(TUESDAY, 12))
    decide(uow, fw, first.id, "rejected")
    book(uow, fw, reference="BK-2", starts=at(TUESDAY, 9), ends=at(TUESDAY, 12))


def test_an_approval_over_a_quota_set_since_the_request_is_refused(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    one = book(uow, fw, reference="BK-1", starts=at(TUESDAY, 9), ends=at(TUESDAY, 12))
    two = book(uow, fw, reference="BK-2", starts=at(TUESDAY, 13), ends=at(TUESDAY, 16))
    set_quota(uow, fw, project="TUNNEL", hours="4")
    # Its own three hours are counted once: the other booking's three make six.
    with pytest.raises(Conflict) as raised:
        decide(uow, fw, one.id, "approved")
    assert str(raised.value).startswith("outcome: over the quota of project TUNNEL")
    assert "it holds 3.00 h and asks 3.00 h; 4.00 h are allowed" in str(raised.value)
    assert bookings.get_booking(uow(), actor_of(uow, fw, "grace"), one.id).status == "requested"
    decide(uow, fw, two.id, "rejected")
    assert decide(uow, fw, one.id, "approved").status == "approved"


def test_a_quota_is_set_replaced_listed_and_removed_with_its_events(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    book(uow, fw, starts=at(date(2027, 1, 5), 9), ends=at(date(2027, 1, 5), 11, 30))
    made = set_quota(uow, fw, project="TUNNEL", hours="10")
    again = set_quota(uow, fw, project="TUNNEL", hours="12.25")
    assert again.id == made.id and again.hours == Decimal("12.25")
    set_quota(uow, fw, nation="GBR", period="month", hours="40")
    listed = quotas.list_quotas(uow(), actor_of(uow, fw, "carol"), fw.tunnel, now=NOW)
    assert [(q.holder_kind, q.project, q.nation, q.period, q.hours) for q in listed] == [
        ("nation", None, "GBR", QuotaPeriod.MONTH, Decimal("40.00")),
        ("project", "TUNNEL", None, QuotaPeriod.WEEK, Decimal("12.25")),
    ]
    # NOW is Monday 4 January 2027: the booking on Tuesday 5 January is in this week.
    assert listed[1].current_period == "the week of 2027-01-04"
    assert listed[1].held_hours == Decimal("2.50")
    assert listed[0].held_hours == Decimal("0.00")
    quotas.remove_quota(uow(), actor_of(uow, fw, "grace"), fw.tunnel, made.id)
    assert quota_rows(uow) == 1
    with pytest.raises(NotFound):
        quotas.remove_quota(uow(), actor_of(uow, fw, "grace"), fw.tunnel, made.id)
    recorded = tags(uow, "facilities:quota:")
    assert [t for t, _ in recorded] == [
        "facilities:quota:set",
        "facilities:quota:set",
        "facilities:quota:set",
        "facilities:quota:remove",
    ]
    assert recorded[1][1]["previous_hours"] == "10.00"
    assert recorded[3][1]["project"] == "TUNNEL"


@pytest.mark.parametrize("who", ["carol", "hugh", "alice"])
def test_only_the_owners_facility_manager_sets_quotas(
    uow: UowFactory, fw: FacilityWorld, who: str
) -> None:
    with pytest.raises(PermissionDenied):
        set_quota(uow, fw, who, project="TUNNEL")
    assert quota_rows(uow) == 0


def test_a_facility_one_may_not_know_of_has_no_quotas_to_show(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    with pytest.raises(NotFound):
        quotas.list_quotas(uow(), actor_of(uow, fw, "fabien"), fw.tunnel)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"project": "NOPE"}, "project", "no project 'NOPE'"),
        ({"nation": "DEU"}, "nation", "no nation 'DEU' on this node"),
    ],
)
def test_an_unknown_holder_is_refused_at_its_field(
    uow: UowFactory, fw: FacilityWorld, values: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        set_quota(uow, fw, **values)
    assert [(p.field, p.message) for p in raised.value.problems] == [(field, message)]
    assert quota_rows(uow) == 0


# --- single occurrences ---------------------------------------------------------------------


def series(uow: UowFactory, fw: FacilityWorld, reference: str = "BK-S") -> BookingOut:
    return book(
        uow,
        fw,
        reference=reference,
        starts=at(TUESDAY, 9),
        ends=at(TUESDAY, 11),
        recurrence="FREQ=WEEKLY;COUNT=3",
    )


def cancel_one(
    uow: UowFactory,
    fw: FacilityWorld,
    booking: uuid.UUID,
    starts: datetime,
    who: str = "carol",
    now: datetime = NOW,
) -> BookingOut:
    return occurrences.cancel_occurrence(
        uow(),
        actor_of(uow, fw, who),
        booking,
        OccurrenceCancelIn(starts=starts, reason="model late"),
        now=now,
    )


def no_show(
    uow: UowFactory,
    fw: FacilityWorld,
    booking: uuid.UUID,
    starts: datetime,
    now: datetime,
    who: str = "grace",
) -> BookingOut:
    return occurrences.mark_no_show(
        uow(), actor_of(uow, fw, who), booking, NoShowIn(starts=starts, note="nobody came"), now=now
    )


def test_a_cancelled_occurrence_frees_its_time_and_joins_the_exceptions(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    made = series(uow, fw)
    second = TUESDAY + timedelta(days=7)
    out = cancel_one(uow, fw, made.id, at(second, 9))
    assert [o.status for o in out.occurrences] == ["scheduled", "cancelled", "scheduled"]
    assert out.occurrences[1].noted_by == "carol" and out.occurrences[1].note == "model late"
    assert out.status == "requested"
    with uow() as unit:
        stored = unit.session.get(Booking, made.id)
        assert stored is not None
        assert stored.exceptions == [utc(second, 14).isoformat()]
    # Its time can be booked again.
    book(uow, fw, reference="BK-T", starts=at(second, 9), ends=at(second, 11))
    feed = Calendar.from_ical(bookings.calendar(uow(), actor_of(uow, fw, "carol"), fw.tunnel))
    statuses = {(str(e.get("uid")), str(e.get("status"))) for e in feed.walk("VEVENT")}
    assert ("BK-S-2@usapl-wt.coalition", "CANCELLED") in statuses
    assert ("BK-S-1@usapl-wt.coalition", "TENTATIVE") in statuses
    assert [t for t, _ in tags(uow, "facilities:occurrence:")] == ["facilities:occurrence:cancel"]


def test_cancelling_every_occurrence_cancels_the_booking(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    made = series(uow, fw)
    for week in range(3):
        out = cancel_one(uow, fw, made.id, at(TUESDAY + timedelta(days=7 * week), 9))
    assert out.status == "cancelled"
    with pytest.raises(Conflict, match=r"^status: the booking is cancelled$"):
        cancel_one(uow, fw, made.id, at(TUESDAY, 9))


@pytest.mark.parametrize(
    ("starts", "error", "message"),
    [
        (at(TUESDAY, 10), ValidationFailed, "no occurrence of BK-S starts at 2027-03-02 10:00"),
        (at(TUESDAY, 9), Conflict, "is already cancelled"),
    ],
)
def test_an_occurrence_is_named_by_its_start_and_cancelled_once(
    uow: UowFactory, fw: FacilityWorld, starts: datetime, error: type[Exception], message: str
) -> None:
    made = series(uow, fw)
    cancel_one(uow, fw, made.id, at(TUESDAY, 9))
    with pytest.raises(error, match=message):
        cancel_one(uow, fw, made.id, starts)


def test_an_occurrence_that_has_started_is_not_cancelled(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    made = series(uow, fw)
    with pytest.raises(ValidationFailed) as raised:
        cancel_one(uow, fw, made.id, at(TUESDAY, 9), now=utc(TUESDAY, 14, 30))
    assert raised.value.problems[0].field == "starts"
    assert "may mark it a no-show" in raised.value.problems[0].message


def test_someone_who_may_not_book_for_the_project_cancels_nothing(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    made = series(uow, fw)
    with pytest.raises(PermissionDenied):
        cancel_one(uow, fw, made.id, at(TUESDAY, 9), who="erin")
    # The facility manager may.
    cancel_one(uow, fw, made.id, at(TUESDAY, 9), who="grace")


def test_the_facility_manager_marks_a_started_occurrence_a_no_show(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    made = series(uow, fw)
    decide(uow, fw, made.id, "approved")
    after = utc(TUESDAY, 14, 5)
    out = no_show(uow, fw, made.id, at(TUESDAY, 9), after)
    assert [o.status for o in out.occurrences] == ["no_show", "scheduled", "scheduled"]
    assert out.status == "approved"
    recorded = tags(uow, "facilities:occurrence:")
    assert recorded == [
        (
            "facilities:occurrence:no_show",
            {"starts": str(utc(TUESDAY, 14)), "note": "nobody came"},
        )
    ]
    with pytest.raises(Conflict, match="already no-show"):
        no_show(uow, fw, made.id, at(TUESDAY, 9), after)


def test_a_no_show_is_refused_for_an_occurrence_still_to_come(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    made = series(uow, fw)
    decide(uow, fw, made.id, "approved")
    with pytest.raises(ValidationFailed) as raised:
        no_show(uow, fw, made.id, at(TUESDAY + timedelta(days=7), 9), utc(TUESDAY, 14, 5))
    assert raised.value.problems[0].field == "starts"
    assert raised.value.problems[0].message == (
        "the occurrence begins at 2027-03-09 09:00 (America/New_York): a no-show is marked "
        "once it has started (now 2027-03-02 09:05 (America/New_York))"
    )
    assert tags(uow, "facilities:occurrence:") == []


def test_only_an_approved_booking_has_no_shows_and_only_its_manager_marks_them(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    made = series(uow, fw)
    with pytest.raises(Conflict, match="only an approved booking"):
        no_show(uow, fw, made.id, at(TUESDAY, 9), utc(TUESDAY, 15))
    decide(uow, fw, made.id, "approved")
    with pytest.raises(PermissionDenied):
        no_show(uow, fw, made.id, at(TUESDAY, 9), utc(TUESDAY, 15), who="carol")


# --- utilisation ------------------------------------------------------------------------------


def test_the_utilisation_report_adds_up(uow: UowFactory, fw: FacilityWorld) -> None:
    made = series(uow, fw)  # 2, 9 and 16 March, 09:00-11:00
    decide(uow, fw, made.id, "approved")
    cancel_one(uow, fw, made.id, at(TUESDAY + timedelta(days=14), 9))
    no_show(uow, fw, made.id, at(TUESDAY, 9), utc(TUESDAY, 15))
    pending = book(uow, fw, reference="BK-P", starts=at(MONDAY, 13), ends=at(MONDAY, 17))
    assert pending.status == "requested"
    refused = book(uow, fw, reference="BK-R", starts=at(MONDAY, 8), ends=at(MONDAY, 9))
    decide(uow, fw, refused.id, "rejected")
    range_ = book(
        uow, fw, reference="BK-G", facility=RANGE, starts=at(MONDAY, 8), ends=at(MONDAY, 9)
    )
    assert range_.facility == RANGE
    # On 12 March, after the second occurrence, and a two-week report from 1 March.
    report = reports.utilisation(
        uow(),
        actor_of(uow, fw, "carol"),
        fw.tunnel,
        MONDAY,
        date(2027, 3, 14),
        now=utc(date(2027, 3, 12), 12),
    )
    # Ten weekdays open 10 h each.
    assert report.open_hours == Decimal("100.00")
    t = report.totals
    assert (
        t.requested_hours,
        t.approved_hours,
        t.pending_hours,
        t.rejected_hours,
        t.cancelled_hours,
        t.no_show_hours,
        t.used_hours,
    ) == (
        Decimal("9.00"),
        Decimal("4.00"),
        Decimal("4.00"),
        Decimal("1.00"),
        Decimal("0.00"),
        Decimal("2.00"),
        Decimal("2.00"),
    )
    assert t.utilisation_percent == Decimal("2.0")
    assert [r.name for r in report.projects] == ["TUNNEL"]
    assert [r.name for r in report.nations] == ["USA"]
    assert [(b.booking, b.outcome) for b in report.bars] == [
        ("BK-R", "rejected"),
        ("BK-P", "requested"),
        ("BK-S", "no_show"),
        ("BK-S", "used"),
    ]
    # The whole month: the cancelled occurrence is in it.
    month = reports.utilisation(
        uow(),
        actor_of(uow, fw, "carol"),
        fw.tunnel,
        MONDAY,
        date(2027, 3, 31),
        now=utc(date(2027, 3, 12), 12),
    )
    assert month.totals.cancelled_hours == Decimal("2.00")
    table = reports.utilisation_table(month)
    assert table.rows[0][:4] == ("facility", "USAPL-WT", month.open_hours, Decimal("11.00"))
    assert tables.as_xlsx(table)[:2] == b"PK"
    svg = charts.timeline_chart(month)
    assert svg.startswith("<?xml") and "Bookings at USAPL-WT" in svg and "no-show" in svg


def test_the_report_counts_only_the_part_inside_its_days_and_the_closures(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    # USAPL-WT is closed 12 to 16 April 2027 (a whole working week).
    report = reports.utilisation(
        uow(), actor_of(uow, fw, "grace"), fw.tunnel, date(2027, 4, 12), date(2027, 4, 18)
    )
    assert report.open_hours == Decimal("0.00")
    assert report.totals.utilisation_percent == Decimal("0.0")
    svg = charts.timeline_chart(report)
    assert "no booking" in svg


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (date(2027, 3, 2), date(2027, 3, 1), "2027-03-01 is before 2027-03-02"),
        (date(2027, 1, 1), date(2028, 1, 2), "a report covers at most 366 days"),
    ],
)
def test_a_bad_period_is_refused_at_to(
    uow: UowFactory, fw: FacilityWorld, first: date, last: date, message: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        reports.utilisation(uow(), actor_of(uow, fw, "grace"), fw.tunnel, first, last)
    assert [(p.field, p.message) for p in raised.value.problems] == [("to", message)]


def test_whoever_may_not_know_of_the_facility_gets_no_report(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    with pytest.raises(NotFound):
        reports.utilisation(uow(), actor_of(uow, fw, "fabien"), fw.tunnel, MONDAY, date(2027, 3, 7))


def test_a_day_of_the_clock_change_is_open_its_real_length(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    from coalition.facilities.schemas import FacilityUpdate
    from coalition.facilities.services import update_facility

    update_facility(uow(), operator, fw.range, FacilityUpdate(opening_hours={"sun": "00:00-24:00"}))
    # 14 March 2027 (a Sunday) has 23 hours in New York.
    report = reports.utilisation(uow(), operator, fw.range, date(2027, 3, 14), date(2027, 3, 14))
    assert report.open_hours == Decimal("23.00")
