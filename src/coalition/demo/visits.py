"""The demo's requests for visit: Fiona Ashcroft (WMSL, GBR) asks to work at the CNSL
computing cluster on classified CSAR-MAS data in six weeks, waiting for her home security
office (Oliver Pennington) to confirm her clearance, then for CNSL's (Marcus Bell); and she
joins next week's acoustic-range trials at HOSL at short notice, waiting for the host."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select

from coalition.accounts.permissions import Principal
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from coalition.visits import services
from coalition.visits.models import Visit
from coalition.visits.schemas import VisitIn


def load_visits(
    uow: Callable[[], UnitOfWork],
    actor: Principal,
    day: Callable[[int], date],
    people: dict[str, uuid.UUID],
) -> int:
    with uow() as unit:
        if unit.session.scalar(select(Visit.id).limit(1)) is not None:
            return 0
    settings = Settings()
    today = day(0)
    monday = today + timedelta(days=7 - today.weekday())
    services.request_visit(
        uow(),
        actor,
        VisitIn(
            reference="RFV-WMSL-CNSL-001",
            visitor_id=people["Fiona Ashcroft"],
            facility="CNSL-HPC",
            project="CSAR-MAS",
            first_day=day(45),
            last_day=day(47),
            purpose="Run the sensor-fusion baseline on the classified sea-trial data set",
            classified_access=True,
        ),
        settings,
    )
    services.request_visit(
        uow(),
        actor,
        VisitIn(
            reference="RFV-WMSL-HOSL-001",
            visitor_id=people["Fiona Ashcroft"],
            facility="HOSL-BAR",
            booking="BK-HOSL-BAR-001",
            first_day=monday,
            last_day=monday + timedelta(days=4),
            purpose="Observe the sensor node array calibration week",
            late_justification="The calibration week was brought forward by the range; "
            "the WMSL array lead must witness it.",
        ),
        settings,
    )
    return 2
