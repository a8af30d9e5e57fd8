"""A small world for funding tests, made through the use cases.

On top of `tests.factories.make_world` (USA with October fiscal years, GBR with April ones,
FRA; USAPL, UKSL, LOPT; the USA-GBR MoU, which names no accounting currency): Norway
(calendar fiscal years) with NDRE, a US company USCO that takes part in nothing, and the
project arrangement PA-SENSE between USAPL, UKSL and NDRE, in force from 15 March 2024 to
15 March 2029, keeping its cost-share accounts in US dollars at fixed rates with fixed
shares USA 50 / GBR 30 / NOR 20. Its project SENSE has USAPL as lead, UKSL and NDRE as
partners, and a work package led by each (WP1 USAPL, WP2 UKSL, WP3 NDRE).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from coalition.accounts.permissions import Grant, Principal, Role, ScopeKind
from coalition.agreements.schemas import AgreementIn, PartyIn, StatusChangeIn
from coalition.agreements.services import change_status, create_agreement
from coalition.projects.schemas import ParticipantIn, ProjectIn, WorkPackageIn
from coalition.projects.services import add_participant, add_work_package, create_project
from coalition.registry.schemas import NationIn, OrganisationIn
from coalition.registry.services import create_nation, create_organisation
from coalition.store.uow import UnitOfWork
from tests.factories import World, make_world

AGREEMENT = "PA-SENSE"
PROJECT = "SENSE"
STARTS = date(2024, 3, 15)
EXPIRES = date(2029, 3, 15)  # the first day it no longer applies
#: US dollars per unit of each currency, as the agreement fixes them.
RATES = {"GBP": Decimal("1.25"), "NOK": Decimal("0.1"), "JPY": Decimal("0.0065")}
SHARES = {"USA": Decimal(50), "GBR": Decimal(30), "NOR": Decimal(20)}


@dataclass
class FundingWorld:
    world: World
    nor_lab: uuid.UUID  # NDRE, NOR
    usco: uuid.UUID  # USCO, USA, in no project
    agreement: uuid.UUID  # PA-SENSE
    project: uuid.UUID  # SENSE

    @property
    def usa_lab(self) -> uuid.UUID:
        return self.world.usa_lab

    @property
    def gbr_lab(self) -> uuid.UUID:
        return self.world.gbr_lab


def make_funding_world(new: Callable[[], UnitOfWork], actor: Principal) -> FundingWorld:
    world = make_world(new, actor)
    create_nation(new(), actor, NationIn(code="NOR", currency="NOK", fiscal_year_start_month=1))
    nor = create_organisation(
        new(),
        actor,
        OrganisationIn(
            name="Norwegian Defence Research", short_name="NDRE", kind="lab", nation_code="NOR"
        ),
    ).id
    usco = create_organisation(
        new(),
        actor,
        OrganisationIn(name="US Sensors Co", short_name="USCO", kind="company", nation_code="USA"),
    ).id
    agreement = create_agreement(
        new(),
        actor,
        AgreementIn(
            reference=AGREEMENT,
            title="Sensing project arrangement",
            kind="project_arrangement",
            effective_from=STARTS,
            expires_on=EXPIRES,
            classification_ceiling=3,
            parties=[
                PartyIn(organisation_id=world.usa_lab),
                PartyIn(organisation_id=world.gbr_lab),
                PartyIn(organisation_id=nor),
            ],
            cost_share_rule="fixed_shares",
            cost_shares=SHARES,
            accounting_currency="USD",
            exchange_rates=RATES,
        ),
    ).id
    change_status(new(), actor, agreement, StatusChangeIn(to_status="in_force", reason="signed"))
    project = create_project(
        new(),
        actor,
        ProjectIn(
            code=PROJECT,
            title="Distributed sensing",
            agreement_id=agreement,
            start_on=STARTS,
            end_on=EXPIRES,
            lead_organisation_id=world.usa_lab,
        ),
    ).id
    for organisation in (world.gbr_lab, nor):
        add_participant(
            new(),
            actor,
            project,
            ParticipantIn(organisation_id=organisation, role="partner", joined_on=STARTS),
        )
    for code, lead in (("WP1", world.usa_lab), ("WP2", world.gbr_lab), ("WP3", nor)):
        add_work_package(
            new(),
            actor,
            project,
            WorkPackageIn(code=code, title=f"Work package {code}", lead_organisation_id=lead),
        )
    return FundingWorld(world, nor, usco, agreement, project)


def principal(
    name: str, role: Role, scope: ScopeKind = ScopeKind.NODE, scope_id: uuid.UUID | None = None
) -> Principal:
    """An account's principal with one grant, for use cases called directly."""
    return Principal(
        name=name, account_id=uuid.uuid4(), active=True, grants=(Grant(role, scope, scope_id),)
    )
