"""A small world for rule tests: a USA-led project with GBR and FRA partners."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from coalition.policy.facts import (
    Action,
    Agreement,
    Artifact,
    Briefing,
    Clearance,
    GroupMember,
    Membership,
    Participation,
    Project,
    Request,
    SecurityAgreement,
    Subject,
    World,
)
from coalition.policy.labels import SecurityLabel
from tests.unit.policy.conftest import load_catalogue

TODAY = date(2026, 6, 1)
USA_LAB, GBR_LAB, FRA_LAB, CAN_LAB = (uuid.uuid4() for _ in range(4))
PROJECT, AGREEMENT, ARTIFACT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
CATALOGUE = load_catalogue()

LEVELS = {
    (scheme.code, level.marking): (level.level, level.requires_clearance)
    for scheme in CATALOGUE.schemes.values()
    for level in scheme.levels
}

WORLD = World(
    projects={
        PROJECT: Project(
            PROJECT,
            AGREEMENT,
            (
                Participation(USA_LAB, date(2024, 1, 1)),
                Participation(GBR_LAB, date(2024, 1, 1)),
                Participation(FRA_LAB, date(2024, 1, 1), withdrew_on=date(2026, 1, 1)),
                Participation(CAN_LAB, date(2024, 1, 1)),
            ),
        )
    },
    agreements={AGREEMENT: Agreement(AGREEMENT, True, date(2023, 1, 1), date(2030, 1, 1))},
    security_agreements=(
        SecurityAgreement(frozenset({"USA", "GBR"}), 4, date(1961, 1, 1)),
        SecurityAgreement(frozenset({"USA", "FRA"}), 2, date(1977, 1, 1)),
        SecurityAgreement(frozenset({"USA", "CAN"}), 4, date(1962, 1, 1)),
        SecurityAgreement(frozenset({"NATO", "USA", "GBR", "FRA", "CAN"}), 4, date(1997, 1, 1)),
    ),
    groups={
        "FVEY": tuple(
            GroupMember(n, date(1950, 1, 1)) for n in ("USA", "GBR", "CAN", "AUS", "NZL")
        ),
        "AUKUS": tuple(GroupMember(n, date(2021, 9, 15)) for n in ("USA", "GBR", "AUS")),
    },
    levels=LEVELS,
)


def person(
    nation: str = "GBR",
    *,
    organisation: uuid.UUID = GBR_LAB,
    citizenships: tuple[str, ...] | None = None,
    clearances: tuple[Clearance, ...] = (),
    role: str | None = "researcher",
    briefings: tuple[str, ...] = (),
    **changes: object,
) -> Subject:
    subject = Subject(
        organisation_id=organisation,
        organisation_nation=nation,
        citizenships=frozenset(citizenships or (nation,)),
        person_id=uuid.uuid4(),
        name="someone",
        clearances=clearances,
        briefings=tuple(Briefing(b, date(2020, 1, 1)) for b in briefings),
        memberships=(Membership(PROJECT, role, date(2024, 2, 1)),) if role else (),
    )
    return replace(subject, **changes)  # type: ignore[arg-type]


def cleared(issuer: str, level: int, **changes: object) -> Clearance:
    clearance = Clearance(issuer, level, date(2022, 1, 1), date(2028, 1, 1))
    return replace(clearance, **changes)  # type: ignore[arg-type]


def artifact(**label_changes: object) -> Artifact:
    values: dict[str, object] = {
        "scheme": "USA",
        "classification": "SECRET",
        "originator": "USA",
        "releasable_to": frozenset({"USA", "FVEY"}),
    }
    return Artifact(ARTIFACT, PROJECT, USA_LAB, SecurityLabel(**(values | label_changes)))  # type: ignore[arg-type]


def ask(
    subject: Subject,
    item: Artifact | None = None,
    action: Action = Action.READ,
    on: date = TODAY,
    **changes: object,
) -> Request:
    return replace(Request(subject, item or artifact(), action, on), **changes)  # type: ignore[arg-type]
