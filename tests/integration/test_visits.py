"""Requests for visit through the use cases, on SQLite and PostgreSQL: the host nation's lead
time in working days (holidays and the facility's time zone), the home office's clearance
confirmation checked by the engine, the host's approval with an escort, refusals that name
the field and leave nothing behind, who may see a visit, reminders and overdue flags, and the
link to a booking.

The world is tests/facility_world.py with tests/visit_world.py's security offices; requests
are made "now" on NOW (Monday 4 January 2027), so the dates are in the future whatever day
the tests run."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.facilities import bookings
from coalition.facilities.schemas import BookingIn, FacilityUpdate
from coalition.facilities.services import update_facility
from coalition.registry.models import ClearanceStatus
from coalition.registry.people import update_clearance
from coalition.registry.schemas import ClearanceUpdate
from coalition.settings import Settings
from coalition.visits import services
from coalition.visits.models import Visit
from coalition.visits.schemas import (
    ClearanceConfirmationIn,
    VisitCancelIn,
    VisitDecisionIn,
    VisitIn,
    VisitOut,
)
from tests.conftest import UowFactory
from tests.facility_world import (
    IVY_CLEARED_UNTIL,
    PROJECT,
    RANGE,
    TUNNEL,
    FacilityWorld,
    actor_of,
    make_facility_world,
)
from tests.visit_world import add_security_offices

NOW = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday, 10:00 in New York
#: 20 USA working days after 4 January 2027, not counting Martin Luther King Day (18 Jan).
EARLIEST = date(2027, 2, 2)
FIRST, LAST = date(2027, 3, 2), date(2027, 3, 4)
SETTINGS = Settings()


@pytest.fixture
def fw(uow: UowFactory, operator: Principal) -> FacilityWorld:
    return add_security_offices(uow, operator, make_facility_world(uow, operator))


def command(fw: FacilityWorld, reference: str = "RFV-1", **changes: Any) -> VisitIn:
    values: dict[str, Any] = {
        "reference": reference,
        "visitor_id": fw.carol,
        "facility": TUNNEL,
        "project": PROJECT,
        "first_day": FIRST,
        "last_day": LAST,
        "purpose": "Witness the inlet calibration runs",
        "classified_access": True,
    }
    return VisitIn.model_validate(values | changes)


def ask(
    uow: UowFactory,
    fw: FacilityWorld,
    who: str = "carol",
    reference: str = "RFV-1",
    *,
    now: datetime = NOW,
    settings: Settings = SETTINGS,
    **changes: Any,
) -> VisitOut:
    return services.request_visit(
        uow(), actor_of(uow, fw, who), command(fw, reference, **changes), settings, now=now
    )


def confirm(
    uow: UowFactory, fw: FacilityWorld, visit: uuid.UUID, who: str = "uma", **changes: Any
) -> VisitOut:
    data = ClearanceConfirmationIn.model_validate({"outcome": "confirmed"} | changes)
    return services.confirm_clearance(uow(), actor_of(uow, fw, who), visit, data, SETTINGS, now=NOW)


def decide(
    uow: UowFactory,
    fw: FacilityWorld,
    visit: uuid.UUID,
    who: str = "sam",
    *,
    now: datetime = NOW,
    **changes: Any,
) -> VisitOut:
    data = VisitDecisionIn.model_validate(
        {"outcome": "approved", "escort_id": fw.grace, "note": "welcome"} | changes
    )
    return services.decide_visit(uow(), actor_of(uow, fw, who), visit, data, SETTINGS, now=now)


def rows(uow: UowFactory) -> tuple[int, int]:
    with uow() as unit:
        s = unit.session
        return (
            s.scalar(select(func.count()).select_from(Visit)) or 0,
            s.scalar(select(func.count()).select_from(Event).where(Event.tag.like("visits:%")))
            or 0,
        )


def refused(uow: UowFactory, fw: FacilityWorld, error: type[Exception], **changes: Any) -> Any:
    before = rows(uow)
    who, reference = changes.pop("who", "carol"), changes.pop("reference", "RFV-X")
    with pytest.raises(error) as raised:
        ask(uow, fw, who, reference, **changes)
    assert rows(uow) == before
    return raised.value


def problems(error: ValidationFailed) -> dict[str, str]:
    return {p.field: p.message for p in error.problems}


def tags(uow: UowFactory, visit: uuid.UUID) -> list[str]:
    with uow() as unit:
        return list(
            unit.session.scalars(
                select(Event.tag).where(Event.object_id == str(visit)).order_by(Event.id)
            )
        )


# --- requests ---------------------------------------------------------------------------------


def test_a_classified_visit_waits_for_the_home_office_then_the_host(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    out = ask(uow, fw)
    assert (out.status, out.waiting_for, out.host_nation, out.home_nation) == (
        "requested",
        "clearance",
        "USA",
        "GBR",
    )
    assert out.requested_on == date(2027, 1, 4) and not out.late
    assert out.clearance_needed
    # Five GBR working days after the request; the host decides by the working day before.
    assert out.clearance_due == date(2027, 1, 11)
    assert out.decision_due == date(2027, 3, 1)
    assert out.due == out.clearance_due and out.standing == "on_time"
    # carol is not a USA citizen: escorted.
    assert out.escort_required and "not a citizen of USA" in (out.escort_reason or "")
    confirmed = confirm(uow, fw, out.id)
    assert confirmed.waiting_for == "host" and confirmed.due == date(2027, 3, 1)
    assert confirmed.clearance and confirmed.clearance.startswith("GBR SC")
    assert confirmed.clearance_confirmed_by == "uma"
    approved = decide(uow, fw, out.id)
    assert (approved.status, approved.escort, approved.decided_by) == (
        "approved",
        "Grace Gould",
        "sam",
    )
    assert approved.waiting_for is None and approved.due is None
    assert tags(uow, out.id) == [
        "visits:visit:request",
        "visits:decision:read",
        "visits:decision:read",
        "visits:visit:clearance_confirmed",
        "visits:decision:read",
        "visits:decision:read",
        "visits:visit:approved",
    ]


def test_an_unclassified_visit_goes_straight_to_the_host(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    out = ask(uow, fw, classified_access=False, project=None, visitor_id=fw.erin, who="erin")
    assert (out.clearance_needed, out.clearance_due, out.waiting_for) == (False, None, "host")
    # erin is a USA citizen and the tunnel has no technology control plan: no escort.
    assert not out.escort_required
    assert decide(uow, fw, out.id, escort_id=None).status == "approved"


def test_the_lead_time_counts_host_working_days_and_names_the_holidays(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    error = refused(
        uow, fw, ValidationFailed, first_day=date(2027, 2, 1), last_day=date(2027, 2, 1)
    )
    message = problems(error)["first_day"]
    assert "USA needs 20 working days' notice" in message
    assert f"the earliest first day is {EARLIEST}" in message
    assert "2027-01-18 Martin Luther King Jr. Day" in message
    # The earliest day itself is accepted.
    assert not ask(uow, fw, first_day=EARLIEST, last_day=EARLIEST).late


def test_short_notice_with_a_justification_is_flagged_late(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    out = ask(
        uow,
        fw,
        first_day=date(2027, 1, 12),
        last_day=date(2027, 1, 12),
        late_justification="The model breaks down on 13 January; the window is this week.",
    )
    assert out.late and out.late_justification
    # The host decides by the working day before; the home office no later than that.
    assert out.decision_due == date(2027, 1, 11)
    assert out.clearance_due == date(2027, 1, 11)


def test_lead_times_are_per_host_nation(uow: UowFactory, fw: FacilityWorld) -> None:
    quick = Settings(visit_lead_overrides="USA=3")
    assert not ask(
        uow, fw, first_day=date(2027, 1, 7), last_day=date(2027, 1, 7), settings=quick
    ).late
    assert services.lead_days(quick, "USA") == 3 and services.lead_days(quick, "GBR") == 20


def test_the_request_day_is_the_facilitys_day(uow: UowFactory, fw: FacilityWorld) -> None:
    # 03:00 UTC on Saturday 9 January is still Friday 8 January in New York: the notice
    # counts from Friday, so Monday is the first working day of it.
    late_friday = datetime(2027, 1, 9, 3, 0, tzinfo=UTC)
    out = ask(uow, fw, now=late_friday, first_day=date(2027, 3, 1), last_day=date(2027, 3, 1))
    assert out.requested_on == date(2027, 1, 8)
    with pytest.raises(ValidationFailed) as raised:
        ask(
            uow,
            fw,
            "carol",
            "RFV-2",
            now=late_friday,
            first_day=date(2027, 1, 8),
            last_day=date(2027, 1, 8),
        )
    assert "earliest first day is 2027-02-08" in problems(raised.value)["first_day"]


def test_bad_requests_are_refused_with_the_field_and_leave_nothing(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    past = refused(uow, fw, ValidationFailed, first_day=date(2027, 1, 1), last_day=date(2027, 1, 1))
    assert "is in the past" in problems(past)["first_day"]
    unknown = refused(uow, fw, ValidationFailed, facility="NOPE")
    assert problems(unknown) == {"facility": "no facility 'NOPE'"}
    no_project = refused(uow, fw, ValidationFailed, project=None)
    assert "classified access needs the project" in problems(no_project)["project"]
    # bob is also Canadian: the tunnel's label is not releasable to CAN, whatever clearance.
    bob = refused(uow, fw, ValidationFailed, visitor_id=fw.bob, who="uma")
    assert "releasability" in problems(bob)["visitor_id"]
    # eve is cleared but not a member of TUNNEL: no need to know.
    eve = refused(uow, fw, ValidationFailed, visitor_id=fw.eve, who="uma")
    assert "need_to_know" in problems(eve)["visitor_id"]
    with pytest.raises(ValueError, match="last_day: is before first_day"):
        command(fw, last_day=date(2027, 3, 1))
    with pytest.raises(ValueError, match="at most 366 days"):
        command(fw, last_day=date(2028, 3, 2))
    ask(uow, fw)
    assert "already exists" in str(refused(uow, fw, Conflict, reference="RFV-1"))


def test_who_may_request_a_visit_and_for_whom(uow: UowFactory, fw: FacilityWorld) -> None:
    # Anyone may ask for themselves; dan (a researcher of UKSL) for a colleague too.
    ask(uow, fw, "dan", "RFV-DAN", visitor_id=fw.carol)
    # erin (USCO) may not ask for someone of UKSL, and fabien may not know the facility.
    refused(uow, fw, PermissionDenied, who="erin", visitor_id=fw.carol)
    fabien = refused(uow, fw, ValidationFailed, who="fabien", visitor_id=fw.fabien)
    assert problems(fabien) == {"facility": f"no facility '{TUNNEL}'"}


# --- the home office ----------------------------------------------------------------------------


def test_a_clearance_that_does_not_cover_the_visit_is_not_confirmed(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    # dan is a member but holds no clearance: he may be asked for, not confirmed.
    out = ask(uow, fw, "uma", "RFV-DAN", visitor_id=fw.dan)
    with pytest.raises(Conflict, match="Dan Dawson holds no active clearance valid"):
        confirm(uow, fw, out.id)
    # ivy's clearance ends on IVY_CLEARED_UNTIL, within her visit.
    ivy = ask(
        uow,
        fw,
        "uma",
        "RFV-IVY",
        visitor_id=fw.ivy,
        first_day=IVY_CLEARED_UNTIL.replace(day=15),
        last_day=IVY_CLEARED_UNTIL.replace(day=25),
    )
    with pytest.raises(Conflict, match="Ivy Irving holds no active clearance valid"):
        confirm(uow, fw, ivy.id)
    assert services.get_visit(uow(), actor_of(uow, fw, "uma"), ivy.id, SETTINGS).waiting_for == (
        "clearance"
    )


def test_only_the_home_office_confirms_and_never_for_itself(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    out = ask(uow, fw)
    with pytest.raises(PermissionDenied):
        confirm(uow, fw, out.id, who="sam")  # the host's office, not the home one
    with pytest.raises(PermissionDenied):
        confirm(uow, fw, out.id, who="dan")
    own = ask(uow, fw, "uma", "RFV-UMA", visitor_id=fw.uma, classified_access=False)
    assert own.waiting_for == "host"


def test_a_refused_clearance_rejects_the_visit_and_needs_a_reason(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    with pytest.raises(ValueError, match="note: say why"):
        ClearanceConfirmationIn(outcome="refused")
    out = ask(uow, fw)
    refusal = confirm(uow, fw, out.id, outcome="refused", note="under review")
    assert refusal.status == "rejected" and refusal.decision_note == (
        "clearance not confirmed: under review"
    )
    with pytest.raises(Conflict, match="status: the visit is rejected"):
        confirm(uow, fw, out.id)


# --- the host ----------------------------------------------------------------------------------


def test_the_host_cannot_approve_before_the_clearance_is_confirmed(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    out = ask(uow, fw)
    with pytest.raises(Conflict, match="clearance has not been confirmed"):
        decide(uow, fw, out.id)
    assert decide(uow, fw, out.id, outcome="rejected", escort_id=None).status == "rejected"


def test_an_escort_must_be_named_and_a_host_citizen(uow: UowFactory, fw: FacilityWorld) -> None:
    out = ask(uow, fw)
    confirm(uow, fw, out.id)
    with pytest.raises(ValidationFailed) as none:
        decide(uow, fw, out.id, escort_id=None)
    assert "an escort is required" in problems(none.value)["escort_id"]
    with pytest.raises(ValidationFailed) as british:
        decide(uow, fw, out.id, escort_id=fw.hugh)
    assert problems(british.value)["escort_id"] == "Hugh Hale is not a citizen of USA"
    with pytest.raises(ValidationFailed) as themselves:
        decide(uow, fw, out.id, escort_id=fw.carol)
    assert "cannot escort themselves" in problems(themselves.value)["escort_id"]
    assert decide(uow, fw, out.id).escort == "Grace Gould"


def test_a_technology_control_plan_means_an_escort_even_for_nationals(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    update_facility(uow(), operator, fw.tunnel, FacilityUpdate(tcp_applies=True))
    out = ask(uow, fw, "erin", visitor_id=fw.erin, classified_access=False, project=None)
    assert out.escort_reason == "a technology control plan applies at the facility"
    with pytest.raises(ValidationFailed):
        decide(uow, fw, out.id, escort_id=None)


def test_a_clearance_suspended_after_confirmation_stops_the_approval(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    out = ask(uow, fw)
    confirm(uow, fw, out.id)
    with uow() as unit:
        clearance = unit.session.get(Visit, out.id).clearance_id  # type: ignore[union-attr]
    assert clearance is not None
    update_clearance(
        uow(),
        operator,
        clearance,
        ClearanceUpdate(status=ClearanceStatus.SUSPENDED, reason="under review"),
    )
    with pytest.raises(Conflict, match="since the clearance was confirmed"):
        decide(uow, fw, out.id)


def test_the_host_cannot_approve_a_visit_that_has_started(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    out = ask(uow, fw)
    confirm(uow, fw, out.id)
    with pytest.raises(Conflict, match="was to start on 2027-03-02"):
        decide(uow, fw, out.id, now=datetime(2027, 3, 3, 15, tzinfo=UTC))


def test_only_the_host_office_decides(uow: UowFactory, fw: FacilityWorld) -> None:
    out = ask(uow, fw)
    confirm(uow, fw, out.id)
    for who in ("uma", "grace"):
        with pytest.raises(PermissionDenied):
            decide(uow, fw, out.id, who=who)
    # alice manages USAPL's programme: the visit is none of her business, not even its id.
    with pytest.raises(NotFound):
        decide(uow, fw, out.id, who="alice")


# --- cancelling, seeing, reminders ---------------------------------------------------------------


def test_cancel_by_the_visitor_or_the_host_until_the_last_day(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    out = ask(uow, fw)
    with pytest.raises(NotFound):  # erin cannot see it
        services.cancel_visit(
            uow(),
            actor_of(uow, fw, "erin"),
            out.id,
            VisitCancelIn(reason="x" * 5),
            SETTINGS,
            now=NOW,
        )
    done = services.cancel_visit(
        uow(),
        actor_of(uow, fw, "carol"),
        out.id,
        VisitCancelIn(reason="trials moved"),
        SETTINGS,
        now=NOW,  # the visit is in 2027: cancelled before it ends, whatever today is
    )
    assert done.status == "cancelled" and done.decision_note == "trials moved"
    with pytest.raises(Conflict, match="status: the visit is cancelled"):
        services.cancel_visit(
            uow(),
            actor_of(uow, fw, "sam"),
            out.id,
            VisitCancelIn(reason="again"),
            SETTINGS,
            now=NOW,
        )


def test_a_visit_is_seen_only_by_those_concerned(uow: UowFactory, fw: FacilityWorld) -> None:
    out = ask(uow, fw)
    for who in ("carol", "dan", "uma", "sam", "grace"):
        assert [
            v.reference for v in services.list_visits(uow(), actor_of(uow, fw, who), SETTINGS)
        ] == ["RFV-1"]
    for who in ("erin", "fabien", "hugh"):
        actor = actor_of(uow, fw, who)
        if who == "hugh":  # a facility manager of UKSL requests visits there, so sees them
            assert services.list_visits(uow(), actor, SETTINGS)
            continue
        assert services.list_visits(uow(), actor, SETTINGS) == []
        with pytest.raises(NotFound, match="no visit with this id"):
            services.get_visit(uow(), actor, out.id, SETTINGS)
        with pytest.raises(NotFound, match="no visit 'RFV-1'"):
            services.visit_id_for(uow(), actor, "RFV-1")
    waiting = services.list_visits(uow(), actor_of(uow, fw, "uma"), SETTINGS, waiting=True)
    assert [v.reference for v in waiting] == ["RFV-1"]
    assert services.list_visits(uow(), actor_of(uow, fw, "sam"), SETTINGS, waiting=True) == []


def test_reminders_once_a_day_for_steps_due_soon_or_overdue(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    out = ask(uow, fw)
    assert services.send_reminders(uow(), operator, SETTINGS, now=NOW) == []
    # Thursday 7 January: the clearance is due on Monday 11th, two working days ahead.
    thursday = datetime(2027, 1, 7, 15, tzinfo=UTC)
    sent = services.send_reminders(uow(), operator, SETTINGS, now=thursday)
    assert [(r.reference, r.waiting_for, r.standing, r.due) for r in sent] == [
        ("RFV-1", "clearance", "due_soon", date(2027, 1, 11))
    ]
    assert "UKSL" in sent[0].office
    assert services.send_reminders(uow(), operator, SETTINGS, now=thursday) == []
    tuesday = datetime(2027, 1, 12, 15, tzinfo=UTC)
    assert [
        r.standing for r in services.send_reminders(uow(), operator, SETTINGS, now=tuesday)
    ] == ["overdue"]
    late = services.list_visits(uow(), operator, SETTINGS, now=tuesday)
    assert (late[0].standing, late[0].due) == ("overdue", date(2027, 1, 11))
    assert tags(uow, out.id).count("visits:visit:reminder") == 2
    with pytest.raises(PermissionDenied):
        services.send_reminders(uow(), actor_of(uow, fw, "uma"), SETTINGS)


def test_a_visit_linked_to_a_booking_must_fit_it(uow: UowFactory, fw: FacilityWorld) -> None:
    booking = bookings.request_booking(
        uow(),
        actor_of(uow, fw, "carol"),
        BookingIn(
            reference="BK-V",
            facility=TUNNEL,
            project=PROJECT,
            purpose="Inlet calibration runs",
            starts=datetime(2027, 3, 2, 10),
            ends=datetime(2027, 3, 2, 12),
            participant_ids=[fw.carol],
        ),
        now=NOW,
    )
    linked = ask(uow, fw, booking="BK-V", project=None)
    assert (linked.booking, linked.project, linked.booking_status) == ("BK-V", PROJECT, "requested")
    outside = refused(
        uow, fw, ValidationFailed, booking="BK-V", first_day=date(2027, 3, 3), last_day=LAST
    )
    assert "has no time at USAPL-WT from 2027-03-03" in problems(outside)["booking"]
    not_in = refused(uow, fw, ValidationFailed, booking="BK-V", visitor_id=fw.alice, who="alice")
    assert "Alice Archer does not take part in BK-V" in problems(not_in)["booking"]
    elsewhere = refused(uow, fw, ValidationFailed, booking="BK-V", facility=RANGE)
    assert problems(elsewhere)["booking"] == f"no booking 'BK-V' at {RANGE}"
    assert booking.status == "requested"


# --- found in review ------------------------------------------------------------------------


def test_a_visit_too_far_ahead_is_refused(uow: UowFactory, fw: FacilityWorld) -> None:
    error = refused(
        uow, fw, ValidationFailed, first_day=date(2029, 3, 2), last_day=date(2029, 3, 2)
    )
    assert "days ahead" in problems(error)["first_day"]


def test_the_confirmed_clearance_is_shown_only_to_those_concerned(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    out = ask(uow, fw)
    confirm(uow, fw, out.id)
    for who, shown in (("carol", True), ("uma", True), ("sam", True), ("grace", False)):
        seen = services.get_visit(uow(), actor_of(uow, fw, who), out.id, SETTINGS)
        assert (seen.clearance is not None) is shown, who


def test_visits_that_started_undecided_are_not_reminded(
    uow: UowFactory, fw: FacilityWorld, operator: Principal
) -> None:
    ask(uow, fw)
    after_start = datetime(2027, 3, 3, 15, tzinfo=UTC)
    assert services.send_reminders(uow(), operator, SETTINGS, now=after_start) == []
