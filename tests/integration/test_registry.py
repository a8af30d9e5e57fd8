"""Registry use cases on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.audit.models import Event
from coalition.common.paging import PageRequest
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.registry import people, services
from coalition.registry.models import Organisation
from coalition.registry.schemas import (
    BriefingIn,
    ClearanceIn,
    ClearanceUpdate,
    NationIn,
    OrganisationIn,
    OrganisationUpdate,
    PersonIn,
    PersonUpdate,
    SecurityAgreementIn,
)
from tests.conftest import UowFactory
from tests.factories import make_world


def count(uow: UowFactory, model: type) -> int:
    with uow() as u:
        return u.session.scalar(select(func.count()).select_from(model)) or 0


def test_reference_data_is_loaded_from_shipped_yaml(uow: UowFactory, operator: Principal) -> None:
    schemes = {s.code: s for s in services.list_schemes(uow(), operator)}
    assert {"NATO", "USA", "GBR", "FRA", "DEU"} <= set(schemes)
    assert [lv.level for lv in schemes["USA"].levels] == [0, 2, 3, 4]
    groups = {g.code: g for g in services.list_groups(uow(), operator)}
    gbr_in_eu = [m for m in groups["EU"].memberships if m.nation_code == "GBR"]
    assert gbr_in_eu and gbr_in_eu[0].left_on == date(2020, 1, 31)


def test_nation_name_defaults_to_iso_name(uow: UowFactory, operator: Principal) -> None:
    nation = services.create_nation(uow(), operator, NationIn(code="nor", currency="nok"))
    assert (nation.code, nation.name, nation.currency) == ("NOR", "Norway", "NOK")


def test_nation_with_unknown_scheme_is_refused_naming_the_field(
    uow: UowFactory, operator: Principal
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create_nation(
            uow(), operator, NationIn(code="NOR", currency="NOK", scheme_code="NOPE")
        )
    assert caught.value.problems[0].field == "scheme_code"


def test_fiscal_year_start_must_be_a_real_day(uow: UowFactory, operator: Principal) -> None:
    with pytest.raises(ValidationFailed, match="fiscal_year_start_day"):
        services.create_nation(
            uow(),
            operator,
            NationIn(
                code="NOR", currency="NOK", fiscal_year_start_month=2, fiscal_year_start_day=30
            ),
        )


def test_organisation_create_list_search_and_update(uow: UowFactory, operator: Principal) -> None:
    world = make_world(uow, operator)
    page = services.list_organisations(uow(), operator, PageRequest(limit=2), q="lab")
    assert page.total == 3 and len(page.items) == 2  # "Laboratoire" matches too
    assert {
        o.short_name
        for o in services.list_organisations(uow(), operator, PageRequest(), nation="gbr").items
    } == {"UKSL"}
    updated = services.update_organisation(
        uow(), operator, world.gbr_lab, OrganisationUpdate(city="Salisbury")
    )
    assert updated.city == "Salisbury" and updated.version == 2


def test_duplicate_short_name_is_a_conflict_and_writes_nothing(
    uow: UowFactory, operator: Principal
) -> None:
    make_world(uow, operator)
    before_orgs, before_events = count(uow, Organisation), count(uow, Event)
    with pytest.raises(Conflict, match="short_name"):
        services.create_organisation(
            uow(),
            operator,
            OrganisationIn(name="Other", short_name="UKSL", kind="lab", nation_code="GBR"),
        )
    assert (count(uow, Organisation), count(uow, Event)) == (before_orgs, before_events)


def test_organisation_of_a_nation_not_on_the_node_is_refused(
    uow: UowFactory, operator: Principal
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create_organisation(
            uow(),
            operator,
            OrganisationIn(
                name="X", short_name="X", kind="lab", nation_code="JPN", parent_id=uuid.uuid4()
            ),
        )
    assert {p.field for p in caught.value.problems} == {"nation_code", "parent_id"}


def test_organisation_cannot_become_its_own_ancestor(uow: UowFactory, operator: Principal) -> None:
    world = make_world(uow, operator)
    services.update_organisation(
        uow(), operator, world.gbr_lab, OrganisationUpdate(parent_id=world.usa_lab)
    )
    with pytest.raises(ValidationFailed, match="ancestor"):
        services.update_organisation(
            uow(), operator, world.usa_lab, OrganisationUpdate(parent_id=world.gbr_lab)
        )


def test_unknown_organisation_is_not_found(uow: UowFactory, operator: Principal) -> None:
    with pytest.raises(NotFound):
        services.get_organisation(uow(), operator, uuid.uuid4())


def test_every_change_records_an_event_in_the_same_transaction(
    uow: UowFactory, operator: Principal
) -> None:
    world = make_world(uow, operator)
    with uow() as u:
        tags = u.session.scalars(
            select(Event.tag).where(Event.object_id == str(world.gbr_lab))
        ).all()
    assert tags == ["registry:organisation:create"]


def test_person_with_dual_citizenship(uow: UowFactory, operator: Principal) -> None:
    world = make_world(uow, operator)
    bob = people.get_person(uow(), operator, world.bob)
    assert bob.citizenships == ["CAN", "GBR"]
    assert people.list_people(uow(), operator, PageRequest(), citizenship="can").total == 1


def test_person_email_must_be_unique_ignoring_case(uow: UowFactory, operator: Principal) -> None:
    world = make_world(uow, operator)
    with pytest.raises(Conflict, match="email"):
        people.create_person(
            uow(),
            operator,
            PersonIn(
                given_name="A",
                family_name="B",
                email="ALICE@usapl.example",
                employer_id=world.usa_lab,
                citizenships=["USA"],
            ),
        )


def test_person_citizenship_listed_twice_is_refused(uow: UowFactory, operator: Principal) -> None:
    world = make_world(uow, operator)
    with pytest.raises(ValidationFailed, match="citizenships"):
        people.update_person(uow(), operator, world.bob, PersonUpdate(citizenships=["GBR", "GBR"]))


def test_clearance_gets_common_level_and_history(uow: UowFactory, operator: Principal) -> None:
    world = make_world(uow, operator)
    granted = people.add_clearance(
        uow(),
        operator,
        world.bob,
        ClearanceIn(
            issuer="gbr", level_name="SC", valid_from=date(2024, 1, 1), valid_until=date(2029, 1, 1)
        ),
    )
    assert (granted.issuer, granted.level) == ("GBR", 3)
    changed = people.update_clearance(
        uow(),
        operator,
        granted.id,
        ClearanceUpdate(status="suspended", reason="pending investigation"),
    )
    assert [h.reason for h in changed.history] == ["granted", "pending investigation"]
    assert not changed.is_current


def test_clearance_with_reversed_dates_is_refused(uow: UowFactory, operator: Principal) -> None:
    world = make_world(uow, operator)
    with pytest.raises(ValidationFailed, match="valid_until"):
        people.add_clearance(
            uow(),
            operator,
            world.bob,
            ClearanceIn(
                issuer="GBR",
                level_name="SC",
                valid_from=date(2025, 1, 1),
                valid_until=date(2024, 1, 1),
            ),
        )


def test_overlapping_clearances_of_one_issuer_are_refused(
    uow: UowFactory, operator: Principal
) -> None:
    world = make_world(uow, operator)
    people.add_clearance(
        uow(),
        operator,
        world.bob,
        ClearanceIn(
            issuer="GBR", level_name="SC", valid_from=date(2024, 1, 1), valid_until=date(2029, 1, 1)
        ),
    )
    with pytest.raises(ValidationFailed, match="overlaps"):
        people.add_clearance(
            uow(),
            operator,
            world.bob,
            ClearanceIn(
                issuer="GBR",
                level_name="DV",
                valid_from=date(2028, 1, 1),
                valid_until=date(2033, 1, 1),
            ),
        )
    # Another issuer's clearance may run at the same time.
    people.add_clearance(
        uow(),
        operator,
        world.bob,
        ClearanceIn(
            issuer="NATO",
            level_name="NATO SECRET",
            valid_from=date(2024, 1, 1),
            valid_until=date(2029, 1, 1),
        ),
    )


def test_unknown_clearance_name_lists_the_issuers_names(
    uow: UowFactory, operator: Principal
) -> None:
    world = make_world(uow, operator)
    with pytest.raises(ValidationFailed, match=r"GBR issues .*SC"):
        people.add_clearance(
            uow(),
            operator,
            world.bob,
            ClearanceIn(
                issuer="GBR",
                level_name="SECRET",
                valid_from=date(2024, 1, 1),
                valid_until=date(2029, 1, 1),
            ),
        )


def test_expiring_clearances_are_sorted_and_counted_in_days(
    uow: UowFactory, operator: Principal, today: date
) -> None:
    world = make_world(uow, operator)
    for person, issuer, level, until in (
        (world.bob, "GBR", "SC", date(2026, 8, 1)),
        (world.alice, "USA", "SECRET", date(2026, 6, 21)),
    ):
        people.add_clearance(
            uow(),
            operator,
            person,
            ClearanceIn(
                issuer=issuer, level_name=level, valid_from=date(2021, 1, 1), valid_until=until
            ),
        )
    found = people.expiring_clearances(uow(), operator, 90, today)
    assert [(e.person.given_name, e.days_left) for e in found] == [("Alice", 20), ("Bob", 61)]


def test_clearances_are_hidden_from_those_who_may_not_read_them(
    uow: UowFactory, operator: Principal
) -> None:
    world = make_world(uow, operator)
    people.add_briefing(
        uow(),
        operator,
        world.bob,
        BriefingIn(kind="acknowledgement", name="EXPORT-CONTROL-NOTICE", given_on=date(2025, 1, 1)),
    )
    from coalition.accounts.permissions import Grant

    researcher = Principal("r", uuid.uuid4(), True, (Grant(Role.RESEARCHER, ScopeKind.NODE),))
    officer = Principal(
        "s",
        uuid.uuid4(),
        True,
        (Grant(Role.SECURITY_OFFICER, ScopeKind.ORGANISATION, world.gbr_lab),),
    )
    assert people.get_person(uow(), researcher, world.bob).clearances is None
    seen = people.get_person(uow(), officer, world.bob)
    assert seen.clearances == [] and seen.briefings and seen.briefings[0].name.startswith("EXPORT")
    assert people.get_person(uow(), officer, world.alice).clearances is None
    with pytest.raises(PermissionDenied):
        people.add_clearance(
            uow(),
            officer,
            world.alice,
            ClearanceIn(
                issuer="USA",
                level_name="SECRET",
                valid_from=date(2024, 1, 1),
                valid_until=date(2029, 1, 1),
            ),
        )


def test_security_agreement_parties_are_checked(uow: UowFactory, operator: Principal) -> None:
    created = services.create_security_agreement(
        uow(),
        operator,
        SecurityAgreementIn(
            reference="GSA-USA-GBR",
            title="GSA",
            parties=["usa", "GBR"],
            max_level=4,
            in_force_from=date(1961, 1, 1),
        ),
    )
    assert created.parties == ["GBR", "USA"]
    with pytest.raises(ValidationFailed) as caught:
        services.create_security_agreement(
            uow(),
            operator,
            SecurityAgreementIn(
                reference="BAD",
                title="Bad",
                parties=["USA", "ZZZ"],
                max_level=2,
                in_force_from=date(2020, 1, 1),
                in_force_until=date(2019, 1, 1),
            ),
        )
    assert {p.field for p in caught.value.problems} == {"parties[1]", "in_force_until"}


def test_citizenships_can_be_changed_keeping_one(uow: UowFactory, operator: Principal) -> None:
    world = make_world(uow, operator)
    people.update_person(uow(), operator, world.bob, PersonUpdate(citizenships=["GBR", "FRA"]))
    assert people.get_person(uow(), operator, world.bob).citizenships == ["FRA", "GBR"]
    people.update_person(uow(), operator, world.bob, PersonUpdate(citizenships=["GBR"]))
    assert people.get_person(uow(), operator, world.bob).citizenships == ["GBR"]


def test_nobody_records_their_own_clearance(uow: UowFactory, operator: Principal) -> None:
    from coalition.accounts.permissions import Grant

    world = make_world(uow, operator)
    officer = Principal(
        "bob-the-officer",
        uuid.uuid4(),
        True,
        (Grant(Role.SECURITY_OFFICER, ScopeKind.ORGANISATION, world.gbr_lab),),
        person_id=world.bob,
    )
    with pytest.raises(PermissionDenied, match="own record"):
        people.add_clearance(
            uow(),
            officer,
            world.bob,
            ClearanceIn(
                issuer="GBR",
                level_name="DV",
                valid_from=date(2024, 1, 1),
                valid_until=date(2029, 1, 1),
            ),
        )
    assert (
        "organisation:clearance:manage"
        not in people.get_person(uow(), officer, world.bob).allowed_actions
    )


def test_clearance_issuer_must_be_a_nation_of_the_person_or_employer(
    uow: UowFactory, operator: Principal
) -> None:
    world = make_world(uow, operator)  # Bob: GBR lab, GBR + CAN citizen
    with pytest.raises(ValidationFailed) as caught:
        people.add_clearance(
            uow(),
            operator,
            world.bob,
            ClearanceIn(
                issuer="USA",
                level_name="TOP SECRET",
                valid_from=date(2024, 1, 1),
                valid_until=date(2029, 1, 1),
            ),
        )
    assert caught.value.problems[0].field == "issuer"
    for issuer, level in (("CAN", "SECRET"), ("NATO", "NATO SECRET")):
        people.add_clearance(
            uow(),
            operator,
            world.bob,
            ClearanceIn(
                issuer=issuer,
                level_name=level,
                valid_from=date(2024, 1, 1),
                valid_until=date(2029, 1, 1),
            ),
        )


def test_dropping_a_citizenship_keeps_no_clearance_that_relied_on_it(
    uow: UowFactory, operator: Principal
) -> None:
    world = make_world(uow, operator)  # Bob: GBR lab, GBR + CAN
    people.add_clearance(
        uow(),
        operator,
        world.bob,
        ClearanceIn(
            issuer="CAN",
            level_name="SECRET",
            valid_from=date(2024, 1, 1),
            valid_until=date(2099, 1, 1),
        ),
    )
    with pytest.raises(ValidationFailed, match="CAN SECRET clearance would no longer fit"):
        people.update_person(uow(), operator, world.bob, PersonUpdate(citizenships=["GBR"]))


def test_nobody_edits_their_own_person_record(uow: UowFactory, operator: Principal) -> None:
    from coalition.accounts.permissions import Grant

    world = make_world(uow, operator)
    admin_of_self = Principal(
        "bob",
        uuid.uuid4(),
        True,
        (Grant(Role.ORGANISATION_ADMIN, ScopeKind.ORGANISATION, world.gbr_lab),),
        person_id=world.bob,
    )
    with pytest.raises(PermissionDenied, match="own record"):
        people.update_person(uow(), admin_of_self, world.bob, PersonUpdate(citizenships=["USA"]))
