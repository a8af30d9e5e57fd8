"""A small world for facility-booking tests, made through the use cases.

On top of the two-nation world of `tests.factories.make_world` (USA, GBR, FRA; USAPL, UKSL,
LOPT; Alice and Bob; the USA-GBR MoU in force 2020-2030), or an equivalent one made here
when the nations already exist (the browser's node seeds USA and GBR): the company USCO
(USA) in no project, a GBR-USA security agreement up to SECRET, the project TUNNEL under the
MoU (USAPL lead, UKSL partner), and two facilities of USAPL in New York's time zone labelled
SECRET//REL TO USA, GBR:

- USAPL-WT, a wind tunnel for one booking at a time, open Monday to Friday 08:00-18:00,
  closed for maintenance on the days given;
- USAPL-RNG, a range for two bookings at a time, open Monday to Saturday 07:00-19:00.

The people, and what the engine says of each for the facilities under TUNNEL:

========  =======  =============  =======================================================
person    org      citizenship    for a booking under TUNNEL
========  =======  =============  =======================================================
alice     USAPL    USA            permitted (owner organisation, USA SECRET)
carol     UKSL     GBR            permitted (researcher member, GBR SC) - books
bob       UKSL     GBR, CAN       refused: releasability (not releasable to CAN)
dan       UKSL     GBR            refused: clearance (member, holds none)
eve       UKSL     GBR            refused: need_to_know (cleared, not a member)
ivy       UKSL     GBR            permitted until her clearance ends on IVY_CLEARED_UNTIL
erin      USCO     USA            knows the facilities; her organisation is not in TUNNEL
fabien    LOPT     FRA            may not know the facilities exist
grace     USAPL    USA            facility manager of USAPL (decides)
hugh      UKSL     GBR            facility manager of UKSL (not of the facilities' owner)
========  =======  =============  =======================================================

Accounts: carol, dan (researchers of UKSL), erin (researcher of USCO), fabien (researcher of
LOPT), alice (programme manager of USAPL), grace (facility manager of USAPL), hugh
(facility manager of UKSL); each linked to the person of the same name.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.agreements.schemas import AgreementIn, PartyIn, StatusChangeIn
from coalition.agreements.services import change_status, create_agreement
from coalition.common.access import principal_for_account
from coalition.facilities.models import FacilityKind
from coalition.facilities.schemas import ClosureIn, FacilityIn
from coalition.facilities.services import add_closure, create_facility
from coalition.projects.schemas import MemberIn, ParticipantIn, ProjectIn
from coalition.projects.services import add_member, add_participant, create_project
from coalition.registry.models import Nation
from coalition.registry.people import add_clearance, create_person
from coalition.registry.schemas import (
    ClearanceIn,
    NationIn,
    OrganisationIn,
    PersonIn,
    SecurityAgreementIn,
)
from coalition.registry.services import (
    create_nation,
    create_organisation,
    create_security_agreement,
)
from coalition.store.uow import UnitOfWork
from coalition.techdata.schemas import LabelIn
from tests.factories import PASSWORD, World

UowFactory = Callable[[], UnitOfWork]

PROJECT = "TUNNEL"
TUNNEL = "USAPL-WT"
RANGE = "USAPL-RNG"
ZONE = "America/New_York"
BANNER = "SECRET//REL TO USA, GBR"
PROJECT_STARTS = date(2024, 1, 1)
PROJECT_ENDS = date(2029, 12, 31)
CLEARED_FROM = date(2024, 1, 1)
CLEARED_UNTIL = date(2029, 12, 31)
IVY_CLEARED_UNTIL = date(2027, 3, 20)
NAMES = {
    "alice": "Alice Archer",
    "bob": "Bob Baker",
    "carol": "Carol Cole",
    "dan": "Dan Dawson",
    "eve": "Eve Ellis",
    "ivy": "Ivy Irving",
    "erin": "Erin Estes",
    "fabien": "Fabien Faure",
    "grace": "Grace Gould",
    "hugh": "Hugh Hale",
}
EMAILS = {
    "alice": "alice@usapl.example",
    "bob": "bob@uksl.example",
    "carol": "carol@uksl.example",
    "dan": "dan@uksl.example",
    "eve": "eve@uksl.example",
    "ivy": "ivy@uksl.example",
    "erin": "erin@usco.example",
    "fabien": "fabien@lopt.example",
    "grace": "grace@usapl.example",
    "hugh": "hugh@uksl.example",
}


@dataclass
class FacilityWorld:
    base: World
    usco: uuid.UUID
    project: uuid.UUID
    tunnel: uuid.UUID  # USAPL-WT, capacity 1
    range: uuid.UUID  # USAPL-RNG, capacity 2
    people: dict[str, uuid.UUID] = field(default_factory=dict)
    accounts: dict[str, uuid.UUID] = field(default_factory=dict)

    def __getattr__(self, name: str) -> uuid.UUID:
        people: dict[str, uuid.UUID] = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)


def _nations(new: UowFactory, actor: Principal) -> None:
    with new() as unit:
        existing = set(unit.session.scalars(select(Nation.code)))
    for code, currency in (("USA", "USD"), ("GBR", "GBP"), ("FRA", "EUR")):
        if code not in existing:
            create_nation(new(), actor, NationIn(code=code, currency=currency, scheme_code=code))


def _organisation(
    new: UowFactory, actor: Principal, short: str, name: str, kind: str, nation: str
) -> uuid.UUID:
    return create_organisation(
        new(),
        actor,
        OrganisationIn(name=name, short_name=short, kind=kind, nation_code=nation),
    ).id


def _person(
    new: UowFactory, actor: Principal, key: str, employer: uuid.UUID, citizenships: list[str]
) -> uuid.UUID:
    given, family = NAMES[key].split()
    return create_person(
        new(),
        actor,
        PersonIn(
            given_name=given,
            family_name=family,
            email=EMAILS[key],
            employer_id=employer,
            citizenships=citizenships,
        ),
    ).id


def _base(new: UowFactory, actor: Principal) -> World:
    """make_world's shapes, for a node whose nations may exist already."""
    _nations(new, actor)
    usa = _organisation(new, actor, "USAPL", "US Applied Physics Lab", "lab", "USA")
    gbr = _organisation(new, actor, "UKSL", "UK Sensors Lab", "lab", "GBR")
    fra = _organisation(new, actor, "LOPT", "Laboratoire Optique", "lab", "FRA")
    alice = _person(new, actor, "alice", usa, ["USA"])
    bob = _person(new, actor, "bob", gbr, ["GBR", "CAN"])
    mou = create_agreement(
        new(),
        actor,
        AgreementIn(
            reference="MOU-USA-GBR",
            title="Sensors MoU",
            kind="mou",
            effective_from=date(2020, 1, 1),
            expires_on=date(2030, 1, 1),
            classification_ceiling=3,
            parties=[PartyIn(organisation_id=usa), PartyIn(organisation_id=gbr)],
        ),
    ).id
    change_status(new(), actor, mou, StatusChangeIn(to_status="in_force", reason="signed"))
    return World(usa, gbr, fra, alice, bob, mou)


def label() -> LabelIn:
    return LabelIn(
        scheme="USA", originator="USA", classification="SECRET", releasable_to=["USA", "GBR"]
    )


def make_facility_world(
    new: UowFactory,
    actor: Principal,
    base: World | None = None,
    *,
    closed: tuple[date, date] | None = (date(2027, 4, 12), date(2027, 4, 16)),
    password: str = PASSWORD,
) -> FacilityWorld:
    """Each call of ``new`` gives the unit of work of one use case; ``closed`` are the first
    and last days USAPL-WT is closed for maintenance."""
    world = base or _base(new, actor)
    usco = _organisation(new, actor, "USCO", "US Sensors Co", "company", "USA")
    create_security_agreement(
        new(),
        actor,
        SecurityAgreementIn(
            reference="GSA-GBR-USA",
            title="GBR-USA general security agreement",
            parties=["GBR", "USA"],
            max_level=3,
            in_force_from=date(2000, 1, 1),
        ),
    )
    project = create_project(
        new(),
        actor,
        ProjectIn(
            code=PROJECT,
            title="Transonic tunnel trials",
            agreement_id=world.mou,
            start_on=PROJECT_STARTS,
            end_on=PROJECT_ENDS,
            lead_organisation_id=world.usa_lab,
            classification_ceiling=3,
        ),
    ).id
    add_participant(
        new(),
        actor,
        project,
        ParticipantIn(organisation_id=world.gbr_lab, role="partner", joined_on=PROJECT_STARTS),
    )
    people = {"alice": world.alice, "bob": world.bob}
    for key, employer, citizenships in (
        ("carol", world.gbr_lab, ["GBR"]),
        ("dan", world.gbr_lab, ["GBR"]),
        ("eve", world.gbr_lab, ["GBR"]),
        ("ivy", world.gbr_lab, ["GBR"]),
        ("erin", usco, ["USA"]),
        ("fabien", world.fra_lab, ["FRA"]),
        ("grace", world.usa_lab, ["USA"]),
        ("hugh", world.gbr_lab, ["GBR"]),
    ):
        people[key] = _person(new, actor, key, employer, citizenships)
    for key, role in (
        ("alice", "project_manager"),
        ("bob", "researcher"),
        ("carol", "researcher"),
        ("dan", "researcher"),
        ("ivy", "researcher"),
    ):
        add_member(
            new(),
            actor,
            project,
            MemberIn(person_id=people[key], role=role, joined_on=date(2024, 2, 1)),
        )
    for key, issuer, level, until in (
        ("alice", "USA", "SECRET", CLEARED_UNTIL),
        ("bob", "GBR", "SC", CLEARED_UNTIL),
        ("carol", "GBR", "SC", CLEARED_UNTIL),
        ("eve", "GBR", "SC", CLEARED_UNTIL),
        ("ivy", "GBR", "SC", IVY_CLEARED_UNTIL),
        ("grace", "USA", "SECRET", CLEARED_UNTIL),
        ("hugh", "GBR", "SC", CLEARED_UNTIL),
    ):
        add_clearance(
            new(),
            actor,
            people[key],
            ClearanceIn(
                issuer=issuer, level_name=level, valid_from=CLEARED_FROM, valid_until=until
            ),
        )
    accounts = {}
    for key, role, organisation in (
        ("carol", Role.RESEARCHER, world.gbr_lab),
        ("dan", Role.RESEARCHER, world.gbr_lab),
        ("erin", Role.RESEARCHER, usco),
        ("fabien", Role.RESEARCHER, world.fra_lab),
        ("alice", Role.PROGRAMME_MANAGER, world.usa_lab),
        ("grace", Role.FACILITY_MANAGER, world.usa_lab),
        ("hugh", Role.FACILITY_MANAGER, world.gbr_lab),
    ):
        accounts[key] = create_account(
            new(),
            actor,
            AccountIn(
                username=key,
                display_name=NAMES[key],
                password=password,
                person_id=people[key],
                grants=[
                    GrantIn(role=role, scope_kind=ScopeKind.ORGANISATION, scope_id=organisation)
                ],
            ),
        ).id
    week = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "08:00-18:00")
    tunnel = create_facility(
        new(),
        actor,
        FacilityIn(
            code=TUNNEL,
            name="Transonic Wind Tunnel",
            kind=FacilityKind.WIND_TUNNEL,
            organisation="USAPL",
            location="Laurel, Maryland",
            time_zone=ZONE,
            capabilities=["aero.transonic"],
            label=label(),
            capacity=1,
            opening_hours=week,
        ),
    ).id
    if closed is not None:
        add_closure(
            new(),
            actor,
            tunnel,
            ClosureIn(first_day=closed[0], last_day=closed[1], reason="fan blade inspection"),
        )
    range_ = create_facility(
        new(),
        actor,
        FacilityIn(
            code=RANGE,
            name="Chesapeake Acoustic Range",
            kind=FacilityKind.RANGE,
            organisation="USAPL",
            location="Solomons, Maryland",
            time_zone=ZONE,
            capabilities=["acoustics.underwater"],
            label=label(),
            capacity=2,
            opening_hours={**dict.fromkeys(week, "07:00-19:00"), "sat": "07:00-19:00"},
        ),
    ).id
    return FacilityWorld(world, usco, project, tunnel, range_, people, accounts)


def actor_of(new: UowFactory, fw: FacilityWorld, username: str) -> Principal:
    """The principal of one of the world's accounts, as the web and API load it."""
    with new() as unit:
        found = principal_for_account(unit.session, fw.accounts[username])
    assert found is not None
    return found
