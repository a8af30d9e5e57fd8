"""The demo's facility catalogue: a hypersonic shock tunnel in Australia (releasable to the
AUKUS partners only, under a technology control plan), an ice tank in Norway, an acoustic
range in Canada, a radar range in the United Kingdom and a computing cluster in the United
States, with their hours, rates and a maintenance closure; and a fortnight of bookings at
the acoustic range (last week's, used or not shown up for, and next week's, one occurrence
cancelled) under a weekly quota. Each goes through the ordinary use case; what exists is
left alone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from coalition.accounts.permissions import Principal
from coalition.facilities import bookings, occurrences, quotas, services
from coalition.facilities.models import Booking, Facility, FacilityKind, QuotaPeriod, RateUnit
from coalition.facilities.schemas import (
    BookingDecisionIn,
    BookingIn,
    ClosureIn,
    FacilityIn,
    NoShowIn,
    OccurrenceCancelIn,
    QuotaIn,
)
from coalition.store.uow import UnitOfWork
from coalition.techdata.schemas import LabelIn

WORKING_WEEK = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "08:00-18:00")

FACILITIES = (
    FacilityIn(
        code="WHFL-HST",
        name="Woomera Hypersonic Shock Tunnel",
        kind=FacilityKind.WIND_TUNNEL,
        organisation="WHFL",
        location="Woomera, South Australia",
        time_zone="Australia/Adelaide",
        description="Free-piston shock tunnel for Mach 6 to 12 flows: scramjet combustor "
        "and aerothermal testing of models up to 1.2 m.",
        capabilities=["aero.hypersonic", "aero.thermal", "propulsion.scramjet"],
        label=LabelIn(
            scheme="AUS", originator="AUS", classification="SECRET", releasable_to=["AUKUS"]
        ),
        tcp_applies=True,
        rate=Decimal("38000"),
        rate_currency="AUD",
        rate_unit=RateUnit.DAY,
        opening_hours=WORKING_WEEK,
    ),
    FacilityIn(
        code="AUAL-ICE",
        name="Horten Ice Tank",
        kind=FacilityKind.TEST_BED,
        organisation="AUAL",
        location="Horten, Norway",
        time_zone="Europe/Oslo",
        description="Refrigerated basin for sensor and hull trials under level and rafted ice.",
        capabilities=["maritime.ice", "acoustics.underwater"],
        label=LabelIn(
            scheme="NOR", originator="NOR", classification="BEGRENSET", releasable_to=["NATO"]
        ),
        rate=Decimal("150000"),
        rate_currency="NOK",
        rate_unit=RateUnit.DAY,
        opening_hours={**WORKING_WEEK, "sat": "09:00-15:00"},
    ),
    FacilityIn(
        code="HOSL-BAR",
        name="Bedford Basin Acoustic Range",
        kind=FacilityKind.RANGE,
        organisation="HOSL",
        location="Halifax, Nova Scotia",
        time_zone="America/Halifax",
        capabilities=["acoustics.underwater", "maritime.autonomy"],
        label=LabelIn(
            scheme="CAN",
            originator="CAN",
            classification="UNCLASSIFIED",
            releasable_to=["FVEY", "NATO"],
        ),
        capacity=2,
        opening_hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat"), "07:00-19:00"),
    ),
    FacilityIn(
        code="CNSL-HPC",
        name="CNSL Sensor Fusion Computing Cluster",
        kind=FacilityKind.COMPUTING,
        organisation="CNSL",
        location="Newport, Rhode Island",
        time_zone="America/New_York",
        capabilities=["computing.hpc", "data.fusion"],
        label=LabelIn(
            scheme="USA", originator="USA", classification="SECRET", releasable_to=["FVEY"]
        ),
        capacity=4,
        rate=Decimal("120"),
        rate_currency="USD",
        rate_unit=RateUnit.HOUR,
    ),
)


def load_facilities(
    uow: Callable[[], UnitOfWork],
    actor: Principal,
    day: Callable[[int], date],
    people: dict[str, uuid.UUID],
) -> int:
    with uow() as unit:
        existing = set(unit.session.scalars(select(Facility.code)))
    created = 0
    for facility in FACILITIES:
        if facility.code in existing:
            continue
        made = services.create_facility(uow(), actor, facility)
        created += 1
        if facility.code == "AUAL-ICE":
            services.add_closure(
                uow(),
                actor,
                made.id,
                ClosureIn(
                    first_day=day(20), last_day=day(27), reason="annual refrigeration overhaul"
                ),
            )
    return created + _bookings(uow, actor, day, people)


def _bookings(
    uow: Callable[[], UnitOfWork],
    actor: Principal,
    day: Callable[[int], date],
    people: dict[str, uuid.UUID],
) -> int:
    """At the Bedford Basin range: a weekly quota of 12 hours for CSAR-MSR; next week,
    morning trials for CSAR-MAS every weekday (approved), a CSAR-MAS afternoon session
    awaiting the range's manager, and CSAR-MSR afternoons on Monday, Wednesday and Friday
    (approved, Wednesday's cancelled); last week, CSAR-MAS mornings (used) and a CSAR-MSR
    morning nobody came to (a no-show). At Woomera, a shock-tunnel campaign for the
    hypersonics project awaiting approval."""
    with uow() as unit:
        if unit.session.scalar(select(Booking.id).limit(1)) is not None:
            return 0
    today = day(0)
    monday = today + timedelta(days=7 - today.weekday())
    last_monday = monday - timedelta(days=14)

    def at(day_: date, hour: int) -> datetime:
        """A local time, read in the facility's own zone."""
        return datetime.combine(day_, time(hour))

    def book(data: BookingIn, *, approve: str | None = None, earlier: bool = False) -> uuid.UUID:
        # Last week's bookings were requested the week before.
        now = datetime.combine(last_monday - timedelta(days=7), time(), UTC) if earlier else None
        made = bookings.request_booking(uow(), actor, data, now=now)
        if approve is not None:
            bookings.decide_booking(
                uow(), actor, made.id, BookingDecisionIn(outcome="approved", note=approve)
            )
        return made.id

    range_id = services.facility_id_for(uow(), actor, "HOSL-BAR")
    quotas.set_quota(
        uow(),
        actor,
        range_id,
        QuotaIn(project="CSAR-MSR", period=QuotaPeriod.WEEK, hours=Decimal(12)),
    )
    mas = [people["Mathieu Tremblay"], people["Fiona Ashcroft"]]
    msr = [people["Katrin Vogel"], people["Eleanor Vaughan"]]
    book(
        BookingIn(
            reference="BK-HOSL-BAR-001",
            facility="HOSL-BAR",
            project="CSAR-MAS",
            purpose="Sensor node array calibration runs",
            starts=at(monday, 9),
            ends=at(monday, 12),
            recurrence="FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=5",
            participant_ids=mas,
        ),
        approve="range crew booked",
    )
    book(
        BookingIn(
            reference="BK-HOSL-BAR-002",
            facility="HOSL-BAR",
            project="CSAR-MAS",
            purpose="Towed-array comparison, afternoon session",
            starts=at(monday + timedelta(days=3), 13),
            ends=at(monday + timedelta(days=3), 17),
            participant_ids=[people["Mathieu Tremblay"]],
        ),
    )
    afternoons = book(
        BookingIn(
            reference="BK-HOSL-BAR-003",
            facility="HOSL-BAR",
            project="CSAR-MSR",
            purpose="Seabed reflectivity sweeps in the basin",
            starts=at(monday, 13),
            ends=at(monday, 16),
            recurrence="FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=3",
            participant_ids=msr,
        ),
        approve="range boat booked",
    )
    occurrences.cancel_occurrence(
        uow(),
        actor,
        afternoons,
        OccurrenceCancelIn(
            starts=at(monday + timedelta(days=2), 13), reason="waveform generator away for repair"
        ),
    )
    book(
        BookingIn(
            reference="BK-HOSL-BAR-000",
            facility="HOSL-BAR",
            project="CSAR-MAS",
            purpose="Array deployment rehearsal",
            starts=at(last_monday, 8),
            ends=at(last_monday, 11),
            recurrence="FREQ=DAILY;BYDAY=MO,TU,WE,TH;COUNT=4",
            participant_ids=mas,
        ),
        approve="range crew booked",
        earlier=True,
    )
    missed = book(
        BookingIn(
            reference="BK-HOSL-BAR-999",
            facility="HOSL-BAR",
            project="CSAR-MSR",
            purpose="Baseline noise survey",
            starts=at(last_monday + timedelta(days=1), 13),
            ends=at(last_monday + timedelta(days=1), 16),
            participant_ids=msr,
        ),
        approve="range boat booked",
        earlier=True,
    )
    occurrences.mark_no_show(
        uow(),
        actor,
        missed,
        NoShowIn(starts=at(last_monday + timedelta(days=1), 13), note="team stuck at the airport"),
    )
    book(
        BookingIn(
            reference="BK-WHFL-HST-001",
            facility="WHFL-HST",
            project="THC-HMP",
            purpose="Scramjet combustor runs at Mach 8",
            starts=at(monday + timedelta(days=14), 8),
            ends=at(monday + timedelta(days=14), 17),
            recurrence="FREQ=DAILY;BYDAY=MO,TU,WE;COUNT=3",
            participant_ids=[people["Daniel Nguyen"], people["Bronwyn Keating"]],
        ),
    )
    return 7
