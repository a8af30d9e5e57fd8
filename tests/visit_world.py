"""Security offices on top of tests/facility_world.py, for requests for visit: Sam Shaw,
security officer of USAPL (the host of USAPL-WT and USAPL-RNG, a USA citizen), and Uma
Usher, security officer of UKSL (the home office of carol, dan, eve and ivy). Accounts
"sam" and "uma" are linked to them."""

from __future__ import annotations

import uuid

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.registry.people import create_person
from coalition.registry.schemas import PersonIn
from tests.facility_world import FacilityWorld, UowFactory
from tests.factories import PASSWORD

OFFICERS = {
    "sam": ("Sam", "Shaw", "sam@usapl.example", "USA"),
    "uma": ("Uma", "Usher", "uma@uksl.example", "GBR"),
}


def add_security_offices(
    new: UowFactory, actor: Principal, fw: FacilityWorld, password: str = PASSWORD
) -> FacilityWorld:
    employers = {"sam": fw.base.usa_lab, "uma": fw.base.gbr_lab}
    for key, (given, family, email, nation) in OFFICERS.items():
        person: uuid.UUID = create_person(
            new(),
            actor,
            PersonIn(
                given_name=given,
                family_name=family,
                email=email,
                employer_id=employers[key],
                citizenships=[nation],
            ),
        ).id
        fw.people[key] = person
        fw.accounts[key] = create_account(
            new(),
            actor,
            AccountIn(
                username=key,
                display_name=f"{given} {family}",
                password=password,
                person_id=person,
                grants=[
                    GrantIn(
                        role=Role.SECURITY_OFFICER,
                        scope_kind=ScopeKind.ORGANISATION,
                        scope_id=employers[key],
                    )
                ],
            ),
        ).id
    return fw
