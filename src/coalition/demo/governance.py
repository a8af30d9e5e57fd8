"""The demo's governance: the CSAR-MAS steering committee under its project arrangement
(qualified majority of 75%), with a meeting held a month ago whose vote carried, the next
meeting in three weeks, a written procedure open now (Canada and Norway have voted; Dana
Whitfield and Sophie Tremaine, who have log-ins, have not), action items, the project's
risk register, a dispute over the Arctic trials' ship time at its first level, and the
project's readiness levels over time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from coalition.accounts.permissions import Principal
from coalition.disputes import services as disputes
from coalition.disputes.schemas import DisputeIn
from coalition.governance import services
from coalition.governance.models import OversightBody
from coalition.governance.schemas import (
    ActionItemIn,
    BodyIn,
    MeetingIn,
    MemberIn,
    MinutesIn,
    MotionIn,
    VoteIn,
)
from coalition.projects.models import Project
from coalition.projects.schemas import TrlIn
from coalition.projects.services import record_trl
from coalition.risks import services as risks
from coalition.risks.schemas import AssessmentIn, RiskIn
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

BODY = "SC-CSAR-MAS"
SEATS = ("Dana Whitfield", "Sophie Tremaine", "Mathieu Tremblay", "Ingrid Solberg")


def load_governance(
    uow: Callable[[], UnitOfWork],
    actor: Principal,
    day: Callable[[int], date],
    people: dict[str, uuid.UUID],
) -> int:
    with uow() as unit:
        if unit.session.scalar(select(OversightBody.id).limit(1)) is not None:
            return 0
    settings = Settings()

    def at(offset: int, hour: int = 9) -> datetime:
        return datetime.combine(day(offset), time(hour), tzinfo=UTC)

    body = services.create_body(
        uow(),
        actor,
        BodyIn(
            code=BODY,
            name="CSAR-MAS steering committee",
            kind="steering_committee",
            agreement="CSAR-PA-01",
            project="CSAR-MAS",
            quorum_percent=50,
            terms_of_reference="Directs the Maritime Autonomous Sensing project: approves "
            "work plans and trials, resolves issues raised by the project officers, and "
            "reports to the CSAR executive.",
        ),
    )
    for name in SEATS:
        services.add_member(
            uow(),
            actor,
            body.id,
            MemberIn(person_id=people[name], chair=name == "Dana Whitfield", joined_on=day(-700)),
        )
    held = services.schedule_meeting(
        uow(),
        actor,
        MeetingIn(
            reference="SC-CSAR-MAS/M7",
            body=BODY,
            title="Seventh steering committee",
            starts_at=at(-30),
            ends_at=at(-30, 12),
            location="WMSL Portsdown, room 2.14, and video conference",
            agenda=["Minutes of the sixth meeting", "Arctic trials plan", "Risks", "AOB"],
        ),
        settings,
        at(-45),
    )
    carried = services.open_motion(
        uow(),
        actor,
        MotionIn(
            reference="SC-CSAR-MAS/M7/1",
            body=BODY,
            title="Approve the Arctic trials plan",
            text="The committee approves the Arctic trials plan, version 3, for the trials in "
            "the Barents Sea next spring.",
            procedure="meeting",
            meeting="SC-CSAR-MAS/M7",
        ),
        settings,
        at(-30, 10),
    )
    for name, choice in zip(SEATS, ("for", "for", "for", "abstain"), strict=True):
        services.cast_vote(
            uow(),
            actor,
            carried.id,
            VoteIn(choice=choice, for_person=people[name]),
            settings,
            at(-30, 10),
        )
    # The last seat's vote closes it: every seat has voted.
    services.record_minutes(
        uow(),
        actor,
        held.id,
        MinutesIn(
            minutes="1. The minutes of the sixth meeting were approved.\n"
            "2. The Arctic trials plan v3 was approved (SC-CSAR-MAS/M7/1); Norway abstained "
            "pending its ship-time budget.\n3. The risk register was reviewed.",
            present=[people[name] for name in SEATS],
        ),
        at(-30, 12),
    )
    services.assign_action(
        uow(),
        actor,
        ActionItemIn(
            reference="SC-CSAR-MAS/A12",
            body=BODY,
            title="Confirm the ice-class vessel charter",
            owner_id=people["Ingrid Solberg"],
            due_on=day(5),
            meeting="SC-CSAR-MAS/M7",
        ),
        settings,
        at(-30, 12),
    )
    services.assign_action(
        uow(),
        actor,
        ActionItemIn(
            reference="SC-CSAR-MAS/A13",
            body=BODY,
            title="Circulate the data management plan v2",
            owner_id=people["Sophie Tremaine"],
            due_on=day(20),
        ),
        settings,
        at(-30, 12),
    )
    services.schedule_meeting(
        uow(),
        actor,
        MeetingIn(
            reference="SC-CSAR-MAS/M8",
            body=BODY,
            title="Eighth steering committee",
            starts_at=at(21, 13),
            ends_at=at(21, 16),
            location="Video conference",
            agenda=["Minutes of the seventh meeting", "Vessel integration results", "Budget"],
        ),
        settings,
        at(-2),
    )
    pending = services.open_motion(
        uow(),
        actor,
        MotionIn(
            reference="SC-CSAR-MAS/WP/2",
            body=BODY,
            title="Adopt the data management plan v2",
            text="The committee adopts the project's data management plan, version 2, "
            "including the retention rules for sea-trial recordings.",
            procedure="written",
            deadline=at(10, 17),
        ),
        settings,
        at(-3),
    )
    for name in ("Mathieu Tremblay", "Ingrid Solberg"):
        # In a written procedure members vote for themselves: the demo acts as each.
        member = Principal(
            name=f"demo:{name}", account_id=None, active=True, person_id=people[name]
        )
        services.cast_vote(uow(), member, pending.id, VoteIn(choice="for"), settings, at(-2))
    _risks(uow, actor, people, settings, at)
    _readiness(uow, actor, day)
    disputes.raise_dispute(
        uow(),
        actor,
        DisputeIn(
            reference="DSP-CSAR-PA-01-1",
            agreement="CSAR-PA-01",
            project="CSAR-MAS",
            subject="funding",
            title="Share of the Arctic trials' ship time",
            description="NDTA holds that the ice-class vessel's extra days fall under the "
            "shared cost of WP3; ODRE holds that each party bears its own ship time.",
            raised_by="NDTA",
            parties=["ODRE"],
        ),
        settings,
        at(-12),
    )
    return 1


def _risks(
    uow: Callable[[], UnitOfWork],
    actor: Principal,
    people: dict[str, uuid.UUID],
    settings: Settings,
    at: Callable[..., datetime],
) -> None:
    raised = [
        (
            "RSK-CSAR-MAS-01",
            "WP3",
            "schedule",
            "Ice-class vessel not chartered in time",
            4,
            5,
            "Ingrid Solberg",
            "Second charter option held with the coast guard.",
        ),
        (
            "RSK-CSAR-MAS-02",
            "WP1",
            "technical",
            "Node battery life below 30 days at 2 °C",
            3,
            4,
            "Marcus Oyelaran",
            "Cold-chamber tests of the new cell chemistry.",
        ),
        (
            "RSK-CSAR-MAS-03",
            None,
            "security",
            "Sea-trial data labelled late, delaying releases",
            2,
            3,
            "Fiona Ashcroft",
            "Label at capture; FDO review weekly during trials.",
        ),
        (
            "RSK-CSAR-MAS-04",
            "WP2",
            "export_control",
            "Licence amendment for the USV payload",
            3,
            3,
            "Thomas Kettering",
            None,
        ),
    ]
    ids: dict[str, uuid.UUID] = {}
    for reference, wp, category, title, likelihood, impact, owner, mitigation in raised:
        ids[reference] = risks.raise_risk(
            uow(),
            actor,
            RiskIn(
                reference=reference,
                project="CSAR-MAS",
                work_package=wp,
                title=title,
                category=category,
                likelihood=likelihood,
                impact=impact,
                owner_id=people[owner],
                mitigation=mitigation,
            ),
            settings,
            at(-90),
        ).id
    for reference, likelihood, impact, status, when, note in (
        ("RSK-CSAR-MAS-02", 2, 4, "mitigating", -40, "New cells pass 35 days in the chamber."),
        ("RSK-CSAR-MAS-01", 3, 5, "mitigating", -30, "Reviewed at the seventh meeting."),
        ("RSK-CSAR-MAS-04", 1, 3, "mitigating", -20, "Amendment filed."),
        ("RSK-CSAR-MAS-04", 1, 3, "closed", -5, "Amendment granted."),
    ):
        risks.assess_risk(
            uow(),
            actor,
            ids[reference],
            AssessmentIn(likelihood=likelihood, impact=impact, status=status, note=note),
            settings,
            at(when),
        )


def _readiness(uow: Callable[[], UnitOfWork], actor: Principal, day: Callable[[int], date]) -> None:
    with uow() as unit:
        project = unit.session.scalar(select(Project.id).where(Project.code == "CSAR-MAS"))
    assert project is not None
    for offset, level, note in (
        (-650, 3, "Sensor node proof of concept in the tank"),
        (-300, 4, "Node array validated in the harbour"),
        (-45, 5, "Array integrated on the surface vessel; coastal trials"),
    ):
        record_trl(
            uow(), actor, project, TrlIn(level=level, assessed_on=day(offset), note=note), day(0)
        )
