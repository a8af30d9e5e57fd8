"""Oversight bodies on top of tests/factories.py: a three-nation agreement MOU-TRI (USAPL,
UKSL, LOPT) in force, a board whose voting members are Alice (USA), Bob (GBR) and Claire
(FRA), Dan (USAPL, no seat), Oscar (a French lab outside the agreement), and accounts:
"pm" (account pmgr, programme manager of USAPL, no person) and one per person, each a researcher of
their own organisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.agreements.schemas import AgreementIn, PartyIn, StatusChangeIn
from coalition.agreements.services import change_status, create_agreement
from coalition.common.access import principal_for_account
from coalition.governance.schemas import BodyIn, MemberIn
from coalition.governance.services import add_member, create_body
from coalition.registry.people import create_person
from coalition.registry.schemas import OrganisationIn, PersonIn
from coalition.registry.services import create_organisation
from tests.conftest import UowFactory
from tests.factories import PASSWORD, World, make_world


@dataclass
class GovernanceWorld:
    base: World
    agreement: uuid.UUID
    body: uuid.UUID
    people: dict[str, uuid.UUID] = field(default_factory=dict)
    accounts: dict[str, uuid.UUID] = field(default_factory=dict)

    def principal(self, new: UowFactory, name: str) -> Principal:
        with new() as uow:
            found = principal_for_account(uow.session, self.accounts[name])
        assert found is not None
        return found


def make_governance_world(
    new: UowFactory, actor: Principal, rule: str = "unanimity", quorum: int = 50
) -> GovernanceWorld:
    base = make_world(new, actor)
    outside = create_organisation(
        new(),
        actor,
        OrganisationIn(name="Autre Laboratoire", short_name="ALAB", kind="lab", nation_code="FRA"),
    ).id
    tri = create_agreement(
        new(),
        actor,
        AgreementIn(
            reference="MOU-TRI",
            title="Trilateral sensors MoU",
            kind="mou",
            effective_from=date(2020, 1, 1),
            classification_ceiling=2,
            decision_rule=rule,
            qualified_majority_percent=66 if rule == "qualified_majority" else None,
            dispute_ladder=[{"level": "Project managers", "days": 30}],
            parties=[
                PartyIn(organisation_id=base.usa_lab),
                PartyIn(organisation_id=base.gbr_lab),
                PartyIn(organisation_id=base.fra_lab),
            ],
        ),
    ).id
    change_status(new(), actor, tri, StatusChangeIn(to_status="in_force", reason="signed"))
    world = GovernanceWorld(base, tri, uuid.uuid4())
    world.people = {"alice": base.alice, "bob": base.bob}
    for key, given, org, nation in (
        ("claire", "Claire", base.fra_lab, "FRA"),
        ("dan", "Dan", base.usa_lab, "USA"),
        ("oscar", "Oscar", outside, "FRA"),
    ):
        world.people[key] = create_person(
            new(),
            actor,
            PersonIn(
                given_name=given,
                family_name="Tester",
                email=f"{key}@example.org",
                employer_id=org,
                citizenships=[nation],
            ),
        ).id
    employers = {
        "alice": base.usa_lab,
        "bob": base.gbr_lab,
        "claire": base.fra_lab,
        "dan": base.usa_lab,
        "oscar": outside,
    }
    for key, person in world.people.items():
        world.accounts[key] = _account(new, actor, key, Role.RESEARCHER, employers[key], person)
    world.accounts["pm"] = _account(new, actor, "pmgr", Role.PROGRAMME_MANAGER, base.usa_lab, None)
    body = create_body(
        new(),
        actor,
        BodyIn(
            code="SC-TRI",
            name="Trilateral steering committee",
            kind="steering_committee",
            agreement="MOU-TRI",
            quorum_percent=quorum,
        ),
    )
    world.body = body.id
    for key in ("alice", "bob", "claire"):
        add_member(
            new(),
            actor,
            body.id,
            MemberIn(person_id=world.people[key], chair=key == "alice", joined_on=date(2020, 1, 1)),
        )
    return world


def _account(
    new: UowFactory,
    actor: Principal,
    username: str,
    role: Role,
    organisation: uuid.UUID,
    person: uuid.UUID | None,
) -> uuid.UUID:
    return create_account(
        new(),
        actor,
        AccountIn(
            username=username,
            display_name=username.title(),
            password=PASSWORD,
            person_id=person,
            grants=[GrantIn(role=role, scope_kind=ScopeKind.ORGANISATION, scope_id=organisation)],
        ),
    ).id
