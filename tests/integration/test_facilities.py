"""The facility catalogue through the use cases, on SQLite and PostgreSQL: a facility added
with every field and read back; refusals that name the field at fault and leave no row;
who may add and change entries (the organisation's facility manager, including under it,
and the node's administrator); who may know of a facility (the engine's account and
releasability rules on its label: a facility one may not know of is absent from every
list and search and "not found" like a missing one); changes, retirement and closures,
each recorded as an event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from coalition.accounts.permissions import Grant, Principal, Role, ScopeKind
from coalition.audit.models import Event
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.facilities import services
from coalition.facilities.models import Facility, FacilityClosure, FacilityKind
from coalition.facilities.schemas import ClosureIn, FacilityIn, FacilityUpdate
from coalition.policy.models import LabelClass
from coalition.registry.models import PersonStatus
from coalition.registry.people import create_person, update_person
from coalition.registry.schemas import OrganisationIn, PersonIn, PersonUpdate
from coalition.registry.services import create_organisation
from coalition.store.uow import UnitOfWork
from coalition.web.forms import parse
from tests.conftest import UowFactory
from tests.factories import World, make_world
from tests.integration.test_projects_concurrency import (  # noqa: F401 - fixtures by name
    OPERATOR,
    Race,
    committed,
    new,
)

#: The facility every test starts from: USAPL's wind tunnel, releasable to USA and GBR only.
CODE = "USAPL-HWT"
REL_USA_GBR = {"scheme": "USA", "originator": "USA", "banner": "SECRET//REL TO USA, GBR"}
TABLES = (Facility, FacilityClosure, LabelClass, Event)


@dataclass
class FacilityWorld:
    """`make_world` (USA, GBR, FRA; USAPL, UKSL, LOPT; Alice USA, Bob GBR + CAN) with USHYP,
    a hypersonics group under USAPL, and two people of a single nation each: Gwen (UKSL,
    GBR) and Fabien (LOPT, FRA)."""

    world: World
    sub_lab: uuid.UUID  # USHYP, under USAPL
    gwen: uuid.UUID  # UKSL, GBR citizen only
    fabien: uuid.UUID  # LOPT, FRA citizen only

    @property
    def usa_lab(self) -> uuid.UUID:
        return self.world.usa_lab

    @property
    def gbr_lab(self) -> uuid.UUID:
        return self.world.gbr_lab

    @property
    def fra_lab(self) -> uuid.UUID:
        return self.world.fra_lab


def make_facility_world(factory: UowFactory, actor: Principal) -> FacilityWorld:
    world = make_world(factory, actor)
    sub_lab = create_organisation(
        factory(),
        actor,
        OrganisationIn(
            name="USAPL Hypersonics Group",
            short_name="USHYP",
            kind="lab",
            nation_code="USA",
            parent_id=world.usa_lab,
        ),
    ).id
    people = {
        given: create_person(
            factory(),
            actor,
            PersonIn(
                given_name=given,
                family_name=family,
                email=f"{given.lower()}@{domain}.example",
                employer_id=employer,
                citizenships=[nation],
            ),
        ).id
        for given, family, domain, employer, nation in (
            ("Gwen", "Griffiths", "uksl", world.gbr_lab, "GBR"),
            ("Fabien", "Fournier", "lopt", world.fra_lab, "FRA"),
        )
    }
    return FacilityWorld(world, sub_lab, people["Gwen"], people["Fabien"])


def acting(
    name: str,
    role: Role,
    person: uuid.UUID | None = None,
    scope: ScopeKind = ScopeKind.NODE,
    scope_id: uuid.UUID | None = None,
) -> Principal:
    """An account's principal with one grant (and its person, if any), for use cases
    called directly."""
    return Principal(
        name=name,
        account_id=uuid.uuid4(),
        active=True,
        grants=(Grant(role, scope, scope_id),),
        person_id=person,
    )


def facility_data(**changes: Any) -> dict[str, Any]:
    """USAPL's hypersonic wind tunnel with every field given, changed by ``changes``."""
    return {
        "code": CODE,
        "name": "USAPL Hypersonic Wind Tunnel",
        "kind": "wind_tunnel",
        "organisation": "USAPL",
        "location": "Laurel, Maryland",
        "time_zone": "America/New_York",
        "description": "Mach 5 to 8 blow-down tunnel with a 0.5 m test section.",
        "capabilities": ["aero.thermal", "Aero.Hypersonic", "aero.thermal"],
        "label": REL_USA_GBR,
        "tcp_applies": True,
        "capacity": 2,
        "rate": "1250.50",
        "rate_currency": "USD",
        "rate_unit": "hour",
        "opening_hours": {"mon": "08:00-18:00", "Tuesday": "08:00-18:00", "sat": "00:00-24:00"},
    } | changes


def facility(**changes: Any) -> FacilityIn:
    return FacilityIn.model_validate(facility_data(**changes))


def add(uow: UowFactory, actor: Principal, **changes: Any) -> uuid.UUID:
    return services.create_facility(uow(), actor, facility(**changes)).id


def counts(uow: UowFactory) -> dict[str, int]:
    with uow() as unit:
        return {
            table.__tablename__: unit.session.scalar(select(func.count()).select_from(table)) or 0
            for table in TABLES
        }


def refused(call: Any, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
    """The (field, message) pairs of the ValidationFailed ``call`` raises."""
    with pytest.raises(ValidationFailed) as raised:
        call(*args, **kwargs)
    return [(p.field, p.message) for p in raised.value.problems]


def create_from(uow: UnitOfWork, actor: Principal, data: dict[str, Any]) -> Any:
    """A create as the edges run it: the command parsed (errors named as the API names
    them), then the use case."""
    return services.create_facility(uow, actor, parse(FacilityIn, data))


def codes(uow: UowFactory, actor: Principal, **filters: Any) -> list[str]:
    return [f.code for f in services.list_facilities(uow(), actor, **filters)]


def tags(uow: UowFactory) -> list[str]:
    with uow() as unit:
        return list(
            unit.session.scalars(
                select(Event.tag).where(Event.tag.like("facilities:%")).order_by(Event.id)
            )
        )


def details(uow: UowFactory, tag: str) -> list[dict[str, Any]]:
    with uow() as unit:
        return [
            e.details
            for e in unit.session.scalars(select(Event).where(Event.tag == tag).order_by(Event.id))
        ]


@pytest.fixture
def fw(uow: UowFactory, operator: Principal) -> FacilityWorld:
    return make_facility_world(uow, operator)


# --- create -----------------------------------------------------------------------------------


def test_a_facility_is_added_with_every_field_and_read_back(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    before = counts(uow)
    created = services.create_facility(uow(), operator, facility())
    assert (created.code, created.name, created.kind) == (
        CODE,
        "USAPL Hypersonic Wind Tunnel",
        FacilityKind.WIND_TUNNEL,
    )
    assert (created.organisation, created.nation, created.status) == ("USAPL", "USA", "active")
    assert (created.location, created.time_zone) == ("Laurel, Maryland", "America/New_York")
    assert created.description == "Mach 5 to 8 blow-down tunnel with a 0.5 m test section."
    # Lower-cased, without the repeat, in order.
    assert created.capabilities == ["aero.hypersonic", "aero.thermal"]
    assert created.label.banner == "SECRET//REL TO USA, GBR"
    assert (created.label.scheme, created.label.originator) == ("USA", "USA")
    assert set(created.label.releasable_to) == {"USA", "GBR"}
    assert (created.tcp_applies, created.capacity) == (True, 2)
    assert (created.rate, created.rate_currency, created.rate_unit) == (
        Decimal("1250.50"),
        "USD",
        "hour",
    )
    # Hours as written, by weekday in week order ("Tuesday" is read as tue).
    assert created.opening_hours == {
        "mon": "08:00-18:00",
        "tue": "08:00-18:00",
        "sat": "00:00-24:00",
    }
    assert created.closures == []
    assert created.allowed_actions == ["organisation:facility:manage"]
    assert services.get_facility(uow(), operator, created.id) == created
    with uow() as unit:
        row = unit.session.get(Facility, created.id)
        assert row is not None
        assert (row.rate_minor, row.rate_currency) == (125050, "USD")
        assert row.opening_hours == {"0": [480, 1080], "1": [480, 1080], "5": [0, 1440]}
    after = counts(uow)
    assert after["facilities"] == before["facilities"] + 1
    [recorded] = details(uow, "facilities:facility:create")
    assert recorded["code"] == CODE and recorded["organisation"] == "USAPL"
    with uow() as unit:
        event = unit.session.scalars(
            select(Event).where(Event.tag == "facilities:facility:create")
        ).one()
        assert (event.object_type, event.object_id) == ("facilities", str(created.id))
        assert event.actor == operator.name


def test_the_fewest_fields_make_an_always_open_facility_without_a_rate(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    created = services.create_facility(
        uow(),
        operator,
        FacilityIn(
            code="UKSL-LAB",
            name="UKSL sensor laboratory",
            kind=FacilityKind.LABORATORY,
            organisation="UKSL",
            location="Portsmouth",
            time_zone="Europe/London",
            label={"scheme": "GBR", "originator": "GBR", "classification": "OFFICIAL"},
        ),
    )
    assert (created.capacity, created.tcp_applies, created.description) == (1, False, None)
    assert (created.rate, created.rate_currency, created.rate_unit) == (None, None, None)
    assert (created.capabilities, created.opening_hours) == ([], {})
    assert (created.label.banner, created.nation) == ("OFFICIAL", "GBR")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param(
            {"organisation": "NOPE"}, "organisation", "no organisation 'NOPE'", id="organisation"
        ),
        pytest.param(
            {"time_zone": "Mars/Olympus_Mons"},
            "time_zone",
            "'Mars/Olympus_Mons' is not an IANA time zone such as Europe/London",
            id="time_zone",
        ),
        pytest.param(
            {"time_zone": "EST5EDT-ish"},
            "time_zone",
            "'EST5EDT-ish' is not an IANA time zone such as Europe/London",
            id="time_zone_lookalike",
        ),
        pytest.param(
            {"capabilities": ["aero.hypersonic", "aero hypersonic"]},
            "capabilities[1]",
            "'aero hypersonic' is not a capability code such as aero.hypersonic",
            id="capability_with_a_space",
        ),
        pytest.param(
            {"capabilities": ["1aero"]},
            "capabilities[0]",
            "'1aero' is not a capability code such as aero.hypersonic",
            id="capability_starting_with_a_digit",
        ),
        pytest.param(
            {"capabilities": ["aero..hypersonic"]},
            "capabilities[0]",
            "'aero..hypersonic' is not a capability code such as aero.hypersonic",
            id="capability_empty_part",
        ),
        pytest.param(
            {"opening_hours": {"mon": "18:00-08:00"}},
            "opening_hours",
            "mon: 18:00-08:00 is not a time span within a day",
            id="hours_closing_before_opening",
        ),
        pytest.param(
            {"opening_hours": {"mon": "08:00-08:00"}},
            "opening_hours",
            "mon: 08:00-08:00 is not a time span within a day",
            id="hours_empty_span",
        ),
        pytest.param(
            {"opening_hours": {"fri": "08:00-24:30"}},
            "opening_hours",
            "fri: 08:00-24:30 is not a time span within a day",
            id="hours_past_midnight",
        ),
        pytest.param(
            {"opening_hours": {"xyz": "08:00-18:00"}},
            "opening_hours",
            "'xyz' is not a weekday (mon ... sun)",
            id="hours_unknown_day",
        ),
        pytest.param(
            {"opening_hours": {"monkey": "08:00-18:00"}},
            "opening_hours",
            "'monkey' is not a weekday (mon ... sun)",
            id="hours_weekday_lookalike",
        ),
        pytest.param(
            {"opening_hours": {"mon": "8-18"}},
            "opening_hours",
            "mon: write HH:MM-HH:MM, e.g. 08:00-18:00",
            id="hours_badly_written",
        ),
        pytest.param(
            {"rate_currency": None, "rate_unit": None},
            "rate",
            "give the rate, its currency and its unit together",
            id="rate_alone",
        ),
        pytest.param(
            {"rate_unit": None},
            "rate",
            "give the rate, its currency and its unit together",
            id="rate_without_unit",
        ),
        pytest.param(
            {"rate": None},
            "rate",
            "give the rate, its currency and its unit together",
            id="currency_and_unit_without_rate",
        ),
        pytest.param(
            {"rate": "12.345"}, "rate", "USD has 2 decimal places; 12.345 has more", id="cents"
        ),
        pytest.param(
            {"rate": "15000.5", "rate_currency": "JPY"},
            "rate",
            "JPY has 0 decimal places; 15000.5 has more",
            id="yen",
        ),
        pytest.param(
            {"label": {**REL_USA_GBR, "scheme": "XYZ"}},
            "label.scheme",
            None,
            id="label_unknown_scheme",
        ),
        pytest.param(
            {"label": {"scheme": "USA", "originator": "USA", "classification": "SUPER SECRET"}},
            "label.classification",
            None,
            id="label_unknown_classification",
        ),
        pytest.param(
            {"label": {**REL_USA_GBR, "banner": "SECRET//REL TO USA, XYZ"}},
            "label.releasable_to",
            "unknown nation(s): XYZ",
            id="label_unknown_nation",
        ),
    ],
)
def test_a_bad_facility_is_refused_naming_the_field_and_leaves_no_row(
    uow: UowFactory,
    operator: Principal,
    fw: FacilityWorld,
    changes: dict[str, Any],
    field: str,
    message: str | None,
) -> None:
    before = counts(uow)
    problems = refused(create_from, uow(), operator, facility_data(**changes))
    assert field in [f for f, _ in problems], problems
    if message is not None:
        assert (field, message) in problems
    assert counts(uow) == before
    assert codes(uow, operator, include_retired=True) == []


def test_an_opening_hours_error_does_not_repeat_its_field_name(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    problems = refused(
        create_from, uow(), operator, facility_data(opening_hours={"mon": "18:00-08:00"})
    )
    assert problems == [("opening_hours", "mon: 18:00-08:00 is not a time span within a day")]


def test_a_weekday_given_twice_is_refused_not_overwritten(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    before = counts(uow)
    problems = refused(
        create_from,
        uow(),
        operator,
        facility_data(opening_hours={"mon": "08:00-12:00", "monday": "13:00-17:00"}),
    )
    assert [f for f, _ in problems] == ["opening_hours"]
    assert counts(uow) == before


def test_several_bad_fields_are_reported_together(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    problems = refused(
        create_from, uow(), operator, facility_data(organisation="NOPE", rate="1.001")
    )
    assert ("organisation", "no organisation 'NOPE'") in problems
    assert ("rate", "USD has 2 decimal places; 1.001 has more") in problems


def test_a_code_already_taken_is_a_conflict_and_adds_nothing(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    add(uow, operator)
    before = counts(uow)
    with pytest.raises(Conflict) as raised:
        add(uow, operator, organisation="UKSL", name="Another tunnel")
    assert raised.value.status == 409
    assert str(raised.value) == f"code: a facility '{CODE}' already exists"
    assert counts(uow) == before
    assert codes(uow, operator) == [CODE]


def test_a_lower_case_code_is_refused(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    problems = refused(create_from, uow(), operator, facility_data(code="usapl-hwt"))
    assert [f for f, _ in problems] == ["code"]


# --- who may add and change -------------------------------------------------------------------


def test_a_researcher_may_not_add_a_facility(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    before = counts(uow)
    researcher = acting("reader", Role.RESEARCHER, fw.gwen)
    with pytest.raises(PermissionDenied) as raised:
        add(uow, researcher, organisation="UKSL")
    assert raised.value.status == 403
    assert counts(uow) == before


def test_a_facility_manager_adds_and_changes_only_under_their_organisation(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    manager = acting(
        "fm-usapl", Role.FACILITY_MANAGER, scope=ScopeKind.ORGANISATION, scope_id=fw.usa_lab
    )
    own = add(uow, manager)
    under = add(uow, manager, code="USHYP-ARC", organisation="USHYP", name="Arc heater")
    before = counts(uow)
    with pytest.raises(PermissionDenied):
        add(uow, manager, code="UKSL-RCS", organisation="UKSL", name="Radar range")
    assert counts(uow) == before
    for facility_id in (own, under):
        updated = services.update_facility(uow(), manager, facility_id, FacilityUpdate(capacity=3))
        assert updated.capacity == 3
        closed = services.add_closure(
            uow(),
            manager,
            facility_id,
            ClosureIn(first_day=date(2026, 8, 3), last_day=date(2026, 8, 7), reason="overhaul"),
        )
        assert [c.reason for c in closed.closures] == ["overhaul"]
    # An account with no person knows the facilities it manages, and only those.
    assert codes(uow, manager) == [CODE, "USHYP-ARC"]
    theirs = add(uow, operator, code="UKSL-RCS", organisation="UKSL", name="Radar range")
    assert codes(uow, manager) == [CODE, "USHYP-ARC"]
    with pytest.raises(NotFound):
        services.update_facility(uow(), manager, theirs, FacilityUpdate(capacity=3))
    with pytest.raises(NotFound):
        services.get_facility(uow(), manager, theirs)


def test_a_manager_of_another_organisation_who_knows_a_facility_may_not_change_it(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    facility_id = add(uow, operator)
    manager = acting(
        "fm-uksl",
        Role.FACILITY_MANAGER,
        fw.gwen,
        scope=ScopeKind.ORGANISATION,
        scope_id=fw.gbr_lab,
    )
    shown = services.get_facility(uow(), manager, facility_id)
    assert shown.allowed_actions == []
    before = counts(uow)
    with pytest.raises(PermissionDenied):
        services.update_facility(uow(), manager, facility_id, FacilityUpdate(capacity=5))
    with pytest.raises(PermissionDenied):
        services.add_closure(
            uow(),
            manager,
            facility_id,
            ClosureIn(first_day=date(2026, 8, 3), last_day=date(2026, 8, 3), reason="holiday"),
        )
    assert counts(uow) == before


def test_the_node_administrator_adds_and_changes_any_facility(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    admin = acting("admin", Role.NODE_ADMIN)
    ids = [
        add(uow, admin, code=f"{org}-LAB", organisation=org, name=f"{org} laboratory")
        for org in ("USAPL", "UKSL", "LOPT")
    ]
    for facility_id in ids:
        assert services.update_facility(
            uow(), admin, facility_id, FacilityUpdate(location="Elsewhere")
        ).allowed_actions == ["organisation:facility:manage"]
    assert codes(uow, admin) == ["LOPT-LAB", "UKSL-LAB", "USAPL-LAB"]


# --- who may know of a facility ---------------------------------------------------------------


@dataclass
class Catalogue:
    hidden: uuid.UUID  # USAPL-HWT: REL TO USA, GBR
    noforn: uuid.UUID  # USAPL-NF: SECRET//NOFORN
    shared: uuid.UUID  # UKSL-RCS: OFFICIAL, REL TO GBR, USA, FRA
    french: uuid.UUID  # LOPT-OPT: FRA scheme, REL TO FRA, GBR, USA


@pytest.fixture
def catalogue(uow: UowFactory, operator: Principal, fw: FacilityWorld) -> Catalogue:
    return make_catalogue(uow, operator)


def make_catalogue(uow: UowFactory, operator: Principal) -> Catalogue:
    """Four facilities: USAPL's wind tunnel (REL TO USA, GBR) and a NOFORN one, UKSL's radar
    range and LOPT's optics laboratory (both releasable to all three nations)."""
    hidden = add(uow, operator)
    noforn = add(
        uow,
        operator,
        code="USAPL-NF",
        name="USAPL propulsion test bed",
        kind="test_bed",
        capabilities=["propulsion.scramjet"],
        label={"scheme": "USA", "originator": "USA", "banner": "SECRET//NOFORN"},
    )
    shared = add(
        uow,
        operator,
        code="UKSL-RCS",
        name="UKSL radar cross-section range",
        kind="range",
        organisation="UKSL",
        location="Portsmouth",
        time_zone="Europe/London",
        description="Outdoor range for radar signatures of hypersonic shapes.",
        capabilities=["radar.rcs"],
        label={
            "scheme": "GBR",
            "originator": "GBR",
            "classification": "OFFICIAL",
            "releasable_to": ["GBR", "USA", "FRA"],
        },
        rate="900",
        rate_currency="GBP",
        rate_unit="day",
    )
    french = add(
        uow,
        operator,
        code="LOPT-OPT",
        name="Laboratoire d'optique",
        kind="laboratory",
        organisation="LOPT",
        location="Palaiseau",
        time_zone="Europe/Paris",
        description=None,
        capabilities=["optics.laser", "aerospace.coatings"],
        label={
            "scheme": "FRA",
            "originator": "FRA",
            "classification": "DIFFUSION RESTREINTE",
            "releasable_to": ["FRA", "GBR", "USA"],
        },
        rate=None,
        rate_currency=None,
        rate_unit=None,
    )
    return Catalogue(hidden, noforn, shared, french)


ALL = ["LOPT-OPT", "UKSL-RCS", CODE, "USAPL-NF"]


def test_each_person_knows_the_facilities_releasable_to_all_their_nations(
    uow: UowFactory, operator: Principal, fw: FacilityWorld, catalogue: Catalogue
) -> None:
    alice = acting("alice", Role.RESEARCHER, fw.world.alice)
    gwen = acting("gwen", Role.RESEARCHER, fw.gwen)
    fabien = acting("fabien", Role.RESEARCHER, fw.fabien)
    bob = acting("bob", Role.RESEARCHER, fw.world.bob)  # GBR and CAN
    nobody = acting("reader", Role.RESEARCHER)  # no person, manages nothing
    assert codes(uow, operator) == ALL
    assert codes(uow, alice) == ALL
    assert codes(uow, gwen) == ["LOPT-OPT", "UKSL-RCS", CODE]
    assert codes(uow, fabien) == ["LOPT-OPT", "UKSL-RCS"]
    # Every citizenship must be released to, and no label here names Canada.
    assert codes(uow, bob) == []
    assert codes(uow, nobody) == []
    assert services.get_facility(uow(), gwen, catalogue.hidden).code == CODE


def test_a_facility_one_may_not_know_of_is_not_found_like_a_missing_one(
    uow: UowFactory, fw: FacilityWorld, catalogue: Catalogue
) -> None:
    fabien = acting("fabien", Role.RESEARCHER, fw.fabien)
    gwen = acting("gwen", Role.RESEARCHER, fw.gwen)
    with pytest.raises(NotFound) as hidden:
        services.get_facility(uow(), fabien, catalogue.hidden)
    with pytest.raises(NotFound) as missing:
        services.get_facility(uow(), fabien, uuid.uuid4())
    assert str(hidden.value) == str(missing.value) == services.NOT_FOUND
    with pytest.raises(NotFound) as noforn:
        services.get_facility(uow(), gwen, catalogue.noforn)
    assert str(noforn.value) == services.NOT_FOUND
    # By code, as the CLI names facilities: the same answer as for a code never used.
    with pytest.raises(NotFound) as by_code:
        services.facility_id_for(uow(), fabien, CODE)
    with pytest.raises(NotFound) as unknown:
        services.facility_id_for(uow(), fabien, "NOPE-XYZ")
    assert str(by_code.value) == f"no facility '{CODE}'"
    assert str(unknown.value) == "no facility 'NOPE-XYZ'"
    assert services.facility_id_for(uow(), gwen, CODE.lower()) == catalogue.hidden
    # Nor may one change or close it: still "not found", never "forbidden".
    admin_fra = acting("admin-fra", Role.NODE_ADMIN, fw.fabien)
    with pytest.raises(NotFound) as update:
        services.update_facility(uow(), admin_fra, catalogue.hidden, FacilityUpdate(capacity=9))
    with pytest.raises(NotFound) as close:
        services.add_closure(
            uow(),
            admin_fra,
            catalogue.hidden,
            ClosureIn(first_day=date(2026, 9, 1), last_day=date(2026, 9, 2), reason="peek"),
        )
    assert str(update.value) == str(close.value) == services.NOT_FOUND


@pytest.mark.parametrize(
    ("filters", "seen_by_gwen", "seen_by_fabien"),
    [
        pytest.param({"q": "HWT"}, [CODE], [], id="q_code"),
        pytest.param({"q": "hypersonic"}, ["UKSL-RCS", CODE], ["UKSL-RCS"], id="q_text"),
        pytest.param({"q": "laurel"}, [CODE], [], id="q_location"),
        pytest.param({"q": "aero.thermal"}, [CODE], [], id="q_capability"),
        pytest.param({"kind": FacilityKind.WIND_TUNNEL}, [CODE], [], id="kind"),
        pytest.param({"capability": "aero"}, [CODE], [], id="capability_branch"),
        pytest.param({"capability": "AERO.Hypersonic"}, [CODE], [], id="capability_code"),
        pytest.param({"capability": "aero.hyper"}, [], [], id="capability_not_a_prefix"),
        pytest.param({"capability": "aerospace"}, ["LOPT-OPT"], ["LOPT-OPT"], id="other_branch"),
        pytest.param({"nation": "USA"}, [CODE], [], id="nation"),
        pytest.param({"nation": "usa"}, [CODE], [], id="nation_lower_case"),
        pytest.param(
            {
                "nation": "USA",
                "kind": FacilityKind.WIND_TUNNEL,
                "capability": "aero",
                "q": "tunnel",
            },
            [CODE],
            [],
            id="every_filter",
        ),
    ],
)
def test_no_search_reveals_a_facility_one_may_not_know_of(
    uow: UowFactory,
    operator: Principal,
    fw: FacilityWorld,
    catalogue: Catalogue,
    filters: dict[str, Any],
    seen_by_gwen: list[str],
    seen_by_fabien: list[str],
) -> None:
    assert codes(uow, acting("gwen", Role.RESEARCHER, fw.gwen), **filters) == seen_by_gwen
    assert codes(uow, acting("fabien", Role.RESEARCHER, fw.fabien), **filters) == seen_by_fabien
    assert set(seen_by_gwen) <= set(codes(uow, operator, **filters))


def test_the_capability_branch_matches_whole_parts_only(
    uow: UowFactory, operator: Principal, fw: FacilityWorld, catalogue: Catalogue
) -> None:
    assert codes(uow, operator, capability="aero") == [CODE]
    assert codes(uow, operator, capability="aerospace") == ["LOPT-OPT"]
    assert codes(uow, operator, capability="propulsion") == ["USAPL-NF"]
    assert codes(uow, operator, capability="aer") == []


def test_what_a_person_knows_follows_their_citizenships_and_status_at_once(
    uow: UowFactory, operator: Principal, fw: FacilityWorld, catalogue: Catalogue
) -> None:
    gwen = acting("gwen", Role.RESEARCHER, fw.gwen)
    assert CODE in codes(uow, gwen)
    # A second citizenship the label is not released to hides it.
    update_person(uow(), operator, fw.gwen, PersonUpdate(citizenships=["GBR", "FRA"]))
    assert codes(uow, gwen) == ["LOPT-OPT", "UKSL-RCS"]
    with pytest.raises(NotFound):
        services.get_facility(uow(), gwen, catalogue.hidden)
    update_person(uow(), operator, fw.gwen, PersonUpdate(citizenships=["GBR"]))
    assert CODE in codes(uow, gwen)
    # A suspended person knows of nothing (the engine's account rule).
    update_person(uow(), operator, fw.gwen, PersonUpdate(status=PersonStatus.SUSPENDED))
    assert codes(uow, gwen) == []


def test_a_new_label_changes_who_knows_of_the_facility(
    uow: UowFactory, operator: Principal, fw: FacilityWorld, catalogue: Catalogue
) -> None:
    gwen = acting("gwen", Role.RESEARCHER, fw.gwen)
    fabien = acting("fabien", Role.RESEARCHER, fw.fabien)
    updated = services.update_facility(
        uow(),
        operator,
        catalogue.hidden,
        FacilityUpdate.model_validate(
            {"label": {**REL_USA_GBR, "banner": "SECRET//REL TO USA, FRA"}}
        ),
    )
    assert updated.label.banner == "SECRET//REL TO USA, FRA"
    assert CODE not in codes(uow, gwen)
    assert CODE in codes(uow, fabien)
    assert services.get_facility(uow(), fabien, catalogue.hidden).code == CODE
    [change] = details(uow, "facilities:facility:update")
    assert change == {"label": "SECRET//REL TO USA, FRA"}


# --- update -----------------------------------------------------------------------------------


def test_hours_capabilities_and_description_are_changed_and_recorded(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    facility_id = add(uow, operator)
    updated = services.update_facility(
        uow(),
        operator,
        facility_id,
        FacilityUpdate.model_validate(
            {
                "opening_hours": {"wed": "09:30-17:15"},
                "capabilities": ["materials.ablation", "aero.hypersonic", "materials.ablation"],
                "time_zone": "America/Chicago",
                "tcp_applies": False,
                "description": None,
            }
        ),
    )
    assert updated.opening_hours == {"wed": "09:30-17:15"}
    assert updated.capabilities == ["aero.hypersonic", "materials.ablation"]
    assert (updated.time_zone, updated.tcp_applies, updated.description) == (
        "America/Chicago",
        False,
        None,
    )
    again = services.get_facility(uow(), operator, facility_id)
    assert again == updated
    [change] = details(uow, "facilities:facility:update")
    assert change["opening_hours"] == {"2": [570, 1035]}
    assert change["capabilities"] == ["aero.hypersonic", "materials.ablation"]
    assert set(change) == {
        "opening_hours",
        "capabilities",
        "time_zone",
        "tcp_applies",
        "description",
    }
    # An empty set of hours: always open.
    assert (
        services.update_facility(
            uow(), operator, facility_id, FacilityUpdate(opening_hours={})
        ).opening_hours
        == {}
    )


def test_a_changed_facility_is_returned_as_it_is_stored(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    created = services.create_facility(uow(), operator, facility())
    updated = services.update_facility(uow(), operator, created.id, FacilityUpdate(capacity=5))
    assert updated.updated_at > created.updated_at
    assert services.get_facility(uow(), operator, created.id) == updated


def test_a_retired_facility_leaves_the_default_list(
    uow: UowFactory, operator: Principal, fw: FacilityWorld, catalogue: Catalogue
) -> None:
    gwen = acting("gwen", Role.RESEARCHER, fw.gwen)
    fabien = acting("fabien", Role.RESEARCHER, fw.fabien)
    retired = services.update_facility(
        uow(), operator, catalogue.shared, FacilityUpdate(status="retired")
    )
    assert retired.status == "retired"
    assert codes(uow, gwen) == ["LOPT-OPT", CODE]
    assert codes(uow, gwen, include_retired=True) == ["LOPT-OPT", "UKSL-RCS", CODE]
    assert codes(uow, gwen, include_retired=True, kind=FacilityKind.RANGE) == ["UKSL-RCS"]
    assert services.get_facility(uow(), gwen, catalogue.shared).status == "retired"
    # Retiring does not make a hidden facility known.
    services.update_facility(uow(), operator, catalogue.hidden, FacilityUpdate(status="retired"))
    assert codes(uow, fabien, include_retired=True) == ["LOPT-OPT", "UKSL-RCS"]
    back = services.update_facility(
        uow(), operator, catalogue.shared, FacilityUpdate(status="active")
    )
    assert back.status == "active"
    assert codes(uow, gwen) == ["LOPT-OPT", "UKSL-RCS"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({}, id="nothing_given"),
        pytest.param({"capacity": 2, "location": "Laurel, Maryland"}, id="same_values"),
        pytest.param({"label": REL_USA_GBR}, id="same_label"),
        pytest.param({"capabilities": ["aero.thermal", "aero.hypersonic"]}, id="same_set"),
        pytest.param(
            {"opening_hours": {"sat": "00:00-24:00", "tue": "08:00-18:00", "mon": "08:00-18:00"}},
            id="same_hours",
        ),
    ],
)
def test_a_change_that_changes_nothing_is_refused(
    uow: UowFactory, operator: Principal, fw: FacilityWorld, change: dict[str, Any]
) -> None:
    facility_id = add(uow, operator)
    before = counts(uow)
    problems = refused(
        services.update_facility,
        uow(),
        operator,
        facility_id,
        FacilityUpdate.model_validate(change),
    )
    assert problems == [("body", "changes nothing")]
    assert counts(uow) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"time_zone": "Europe/Atlantis"}, "time_zone", id="time_zone"),
        pytest.param({"opening_hours": {"sun": "10:00-09:00"}}, "opening_hours", id="hours"),
        pytest.param({"capabilities": ["not a code"]}, "capabilities[0]", id="capability"),
        pytest.param({"capacity": 0}, "capacity", id="capacity"),
        pytest.param({"status": "demolished"}, "status", id="status"),
    ],
)
def test_a_bad_change_is_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse(FacilityUpdate, change)
    assert [p.field for p in raised.value.problems] == [field]


def test_a_change_to_an_unknown_label_is_refused_and_changes_nothing(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    facility_id = add(uow, operator)
    before = counts(uow)
    problems = refused(
        services.update_facility,
        uow(),
        operator,
        facility_id,
        FacilityUpdate.model_validate(
            {"label": {**REL_USA_GBR, "banner": "SECRET//REL TO USA, XYZ"}, "capacity": 7}
        ),
    )
    assert [f for f, _ in problems] == ["label.releasable_to"]
    assert counts(uow) == before
    unchanged = services.get_facility(uow(), operator, facility_id)
    assert (unchanged.capacity, unchanged.label.banner) == (2, "SECRET//REL TO USA, GBR")


def test_an_unknown_facility_is_not_found_for_every_change(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    with pytest.raises(NotFound):
        services.update_facility(uow(), operator, uuid.uuid4(), FacilityUpdate(capacity=2))
    with pytest.raises(NotFound):
        services.add_closure(
            uow(),
            operator,
            uuid.uuid4(),
            ClosureIn(first_day=date(2026, 1, 1), last_day=date(2026, 1, 1), reason="none"),
        )


# --- closures ---------------------------------------------------------------------------------


def closure(first: str, last: str, reason: str = "maintenance") -> ClosureIn:
    return ClosureIn.model_validate({"first_day": first, "last_day": last, "reason": reason})


def test_closures_are_added_in_day_order_and_may_not_overlap(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    facility_id = add(uow, operator)
    services.add_closure(uow(), operator, facility_id, closure("2026-08-10", "2026-08-14"))
    services.add_closure(
        uow(), operator, facility_id, closure("2026-07-01", "2026-07-01", "Independence Day")
    )
    # The day after a closure ends is free.
    done = services.add_closure(
        uow(), operator, facility_id, closure("2026-08-15", "2026-08-16", "weekend works")
    )
    assert [(str(c.first_day), str(c.last_day), c.reason) for c in done.closures] == [
        ("2026-07-01", "2026-07-01", "Independence Day"),
        ("2026-08-10", "2026-08-14", "maintenance"),
        ("2026-08-15", "2026-08-16", "weekend works"),
    ]
    before = counts(uow)
    for first, last in (
        ("2026-08-14", "2026-08-14"),  # the last day of one
        ("2026-08-01", "2026-08-10"),  # up to the first day of one
        ("2026-08-11", "2026-08-12"),  # inside one
        ("2026-06-01", "2026-12-31"),  # around all
    ):
        problems = refused(services.add_closure, uow(), operator, facility_id, closure(first, last))
        assert [f for f, _ in problems] == ["first_day"], problems
        assert "overlaps the closure" in problems[0][1]
    problems = refused(
        services.add_closure, uow(), operator, facility_id, closure("2026-08-12", "2026-08-20")
    )
    assert problems[0] == (
        "first_day",
        "overlaps the closure 2026-08-10 to 2026-08-14 (maintenance)",
    )
    assert counts(uow) == before
    assert len(services.get_facility(uow(), operator, facility_id).closures) == 3
    assert tags(uow) == [
        "facilities:facility:create",
        "facilities:closure:create",
        "facilities:closure:create",
        "facilities:closure:create",
    ]
    assert details(uow, "facilities:closure:create")[0] == {
        "first_day": "2026-08-10",
        "last_day": "2026-08-14",
        "reason": "maintenance",
    }


@pytest.mark.parametrize(
    ("values", "field"),
    [
        pytest.param(
            {"first_day": "2026-08-10", "last_day": "2026-08-09", "reason": "backwards"},
            "last_day",
            id="last_before_first",
        ),
        pytest.param(
            {"first_day": "2026-08-10", "last_day": "2026-08-12", "reason": "x"},
            "reason",
            id="reason_too_short",
        ),
        pytest.param(
            {"first_day": "2026-02-30", "last_day": "2026-03-01", "reason": "no such day"},
            "first_day",
            id="no_such_day",
        ),
    ],
)
def test_a_bad_closure_is_refused_naming_the_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse(ClosureIn, values)
    assert [p.field for p in raised.value.problems] == [field]
    if field == "last_day":
        assert raised.value.problems[0].message == "is before first_day"


# --- the record -------------------------------------------------------------------------------


def test_every_change_is_one_event_in_order(
    uow: UowFactory, operator: Principal, fw: FacilityWorld
) -> None:
    manager = acting(
        "fm-usapl", Role.FACILITY_MANAGER, scope=ScopeKind.ORGANISATION, scope_id=fw.usa_lab
    )
    facility_id = add(uow, manager)
    services.update_facility(uow(), manager, facility_id, FacilityUpdate(name="Tunnel 9"))
    services.add_closure(uow(), manager, facility_id, closure("2026-12-24", "2026-12-26"))
    services.update_facility(uow(), manager, facility_id, FacilityUpdate(status="retired"))
    with pytest.raises(ValidationFailed):
        services.update_facility(uow(), manager, facility_id, FacilityUpdate(status="retired"))
    assert tags(uow) == [
        "facilities:facility:create",
        "facilities:facility:update",
        "facilities:closure:create",
        "facilities:facility:update",
    ]
    with uow() as unit:
        events = unit.session.scalars(
            select(Event).where(Event.tag.like("facilities:%")).order_by(Event.id)
        ).all()
        assert {(e.actor, e.object_type, e.object_id) for e in events} == {
            ("fm-usapl", "facilities", str(facility_id))
        }
    assert details(uow, "facilities:facility:update") == [
        {"name": "Tunnel 9"},
        {"status": "retired"},
    ]


# --- two closures at once (PostgreSQL) --------------------------------------------------------


@pytest.fixture(scope="module")
def race_world(new: UowFactory) -> FacilityWorld:  # noqa: F811
    return make_facility_world(new, OPERATOR)


@pytest.mark.postgres
def test_two_overlapping_closures_added_at_once_are_not_both_kept(
    new: UowFactory,  # noqa: F811
    committed: Any,  # noqa: F811
    race_world: FacilityWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    facility_id = services.create_facility(
        new(), OPERATOR, facility(code=f"RACE-{uuid.uuid4().hex[:6].upper()}")
    ).id
    # Each writer is held once it has read the facility and its closures (its permission
    # check comes right after) until the other has read them too, or waits behind it.
    race = Race(committed, monkeypatch, (services, "_target"))
    outcomes = race.run(
        lambda: services.add_closure(
            new(), OPERATOR, facility_id, closure("2026-10-01", "2026-10-05", "first")
        ),
        lambda: services.add_closure(
            new(), OPERATOR, facility_id, closure("2026-10-03", "2026-10-09", "second")
        ),
    )
    done, errors = outcomes
    kept = services.get_facility(new(), OPERATOR, facility_id).closures
    assert len(kept) == 1, kept
    assert (len(done), len(errors)) == (1, 1), outcomes
    assert isinstance(errors[0], ValidationFailed | Conflict), errors


def test_a_manager_may_not_label_a_facility_out_of_their_own_sight(
    uow: UowFactory, fw: FacilityWorld
) -> None:
    """A French facility manager may add a facility releasable to the USA and GBR only if
    they could still see it: they cannot, so the label is refused, when adding and when
    relabelling; nothing is written."""
    manager = acting("fm-fra", Role.FACILITY_MANAGER, fw.fabien)
    before = counts(uow)
    with pytest.raises(ValidationFailed) as refused:
        services.create_facility(uow(), manager, FacilityIn.model_validate(facility_data()))
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("label", "is not releasable to you: you could no longer see or manage the facility")
    ]
    assert counts(uow) == before
    own = services.create_facility(
        uow(),
        manager,
        FacilityIn.model_validate(
            facility_data(
                label={
                    "scheme": "USA",
                    "originator": "USA",
                    "classification": "UNCLASSIFIED",
                    "releasable_to": ["NATO"],
                }
            )
        ),
    )
    with pytest.raises(ValidationFailed, match="not releasable to you"):
        services.update_facility(
            uow(), manager, own.id, FacilityUpdate.model_validate({"label": REL_USA_GBR})
        )
