"""Building blocks for tests: a small two-nation world made through the use cases."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.agreements.schemas import AgreementIn, PartyIn, StatusChangeIn
from coalition.agreements.services import change_status, create_agreement
from coalition.registry.models import Nation
from coalition.registry.people import create_person
from coalition.registry.schemas import NationIn, OrganisationIn, PersonIn
from coalition.registry.services import create_nation, create_organisation
from coalition.store.uow import UnitOfWork

PASSWORD = "a-long-test-password"


@dataclass
class World:
    usa_lab: uuid.UUID
    gbr_lab: uuid.UUID
    fra_lab: uuid.UUID
    alice: uuid.UUID  # USA lab, USA citizen
    bob: uuid.UUID  # GBR lab, GBR + CAN citizen
    mou: uuid.UUID  # USA-GBR MoU, in force from 2020


def make_world(new: Callable[[], UnitOfWork], actor: Principal) -> World:
    """Each call of `new` gives the unit of work of one use case. Nations already on the
    node (a browser test's server seeds USA and GBR) are kept."""
    with new() as unit:
        existing = set(unit.session.scalars(select(Nation.code)))
    for code, currency, scheme, month in (
        ("USA", "USD", "USA", 10),
        ("GBR", "GBP", "GBR", 4),
        ("FRA", "EUR", "FRA", 1),
    ):
        if code in existing:
            continue
        create_nation(
            new(),
            actor,
            NationIn(
                code=code, currency=currency, scheme_code=scheme, fiscal_year_start_month=month
            ),
        )
    usa = create_organisation(
        new(),
        actor,
        OrganisationIn(
            name="US Applied Physics Lab", short_name="USAPL", kind="lab", nation_code="USA"
        ),
    )
    gbr = create_organisation(
        new(),
        actor,
        OrganisationIn(name="UK Sensors Lab", short_name="UKSL", kind="lab", nation_code="GBR"),
    )
    fra = create_organisation(
        new(),
        actor,
        OrganisationIn(
            name="Laboratoire Optique", short_name="LOPT", kind="lab", nation_code="FRA"
        ),
    )
    alice = create_person(
        new(),
        actor,
        PersonIn(
            given_name="Alice",
            family_name="Archer",
            email="alice@usapl.example",
            employer_id=usa.id,
            citizenships=["USA"],
        ),
    )
    bob = create_person(
        new(),
        actor,
        PersonIn(
            given_name="Bob",
            family_name="Baker",
            email="bob@uksl.example",
            employer_id=gbr.id,
            citizenships=["GBR", "CAN"],
        ),
    )
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
            parties=[PartyIn(organisation_id=usa.id), PartyIn(organisation_id=gbr.id)],
        ),
    )
    change_status(new(), actor, mou.id, StatusChangeIn(to_status="in_force", reason="signed"))
    return World(usa.id, gbr.id, fra.id, alice.id, bob.id, mou.id)


def make_account(
    uow: Callable[[], UnitOfWork],
    actor: Principal,
    username: str,
    role: Role,
    scope: ScopeKind = ScopeKind.NODE,
    scope_id: uuid.UUID | None = None,
) -> uuid.UUID:
    account = create_account(
        uow(),
        actor,
        AccountIn(
            username=username,
            display_name=username.title(),
            password=PASSWORD,
            grants=[GrantIn(role=role, scope_kind=scope, scope_id=scope_id)],
        ),
    )
    return account.id
