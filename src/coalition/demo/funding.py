"""The demo's funding: the maritime project arrangement keeps its cost-share accounts in US
dollars at fixed rates, with shares amended when Norway took on the Arctic trials; five
fiscal years of budgets for CSAR-MAS in each funding nation's own fiscal years, quarterly
costs, a yearly cash contribution from each nation, two contributions in kind (one
accepted, one awaiting the steering committee) and the contracts awarded, which leave
Norway below the balance band. Every record goes through the ordinary use case; figures
are drawn from a seeded generator, so every load gives the same books."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from coalition.accounts.permissions import Principal
from coalition.agreements.models import Agreement
from coalition.agreements.schemas import AgreementUpdate, AmendmentIn
from coalition.agreements.services import update_agreement
from coalition.funding import services
from coalition.funding.models import (
    AwardKind,
    Contribution,
    ContributionKind,
    CostCategory,
    InKindType,
    SpendKind,
)
from coalition.funding.rules import FiscalCalendar
from coalition.funding.schemas import (
    ContributionDecisionIn,
    ContributionIn,
    ExpenditureIn,
    WorkshareAwardIn,
)
from coalition.store.uow import UnitOfWork

AGREEMENT = "CSAR-PA-01"
PROJECT = "CSAR-MAS"
#: US dollars per unit, fixed by the amendment for cost-share accounting.
RATES = {"GBP": Decimal("1.27"), "CAD": Decimal("0.74"), "NOK": Decimal("0.095")}
CURRENCY = {"USA": "USD", "GBR": "GBP", "CAN": "CAD", "NOR": "NOK"}
CALENDAR = {
    "USA": FiscalCalendar(10, 1),
    "GBR": FiscalCalendar(4, 1),
    "CAN": FiscalCalendar(4, 1),
    "NOR": FiscalCalendar(1, 1),
}
SHARES_BEFORE = {"USA": Decimal(45), "GBR": Decimal(25), "CAN": Decimal(15), "NOR": Decimal(15)}
SHARES_AFTER = {"USA": Decimal(40), "GBR": Decimal(25), "CAN": Decimal(15), "NOR": Decimal(20)}
#: Dollars of cash the partners put in each year, and of work they award.
YEARLY_CASH = Decimal(10_000_000)
YEARLY_WORK = Decimal(9_000_000)
#: The part of the work each nation's organisations win: Norway's yards lose the Arctic
#: vessel contracts, so it receives less than it pays for (the balance alert).
WORK_SHARE = {
    "USA": Decimal("0.445"),
    "GBR": Decimal("0.255"),
    "CAN": Decimal("0.16"),
    "NOR": Decimal("0.14"),
}
WORK_PACKAGES = {
    "WP1": ("CNSL", "USA"),
    "WP2": ("WMSL", "GBR"),
    "WP3": ("AUAL", "NOR"),
    "WP4": ("HOSL", "CAN"),
}
CONTRACTORS = {"USA": ("CNSL", "BWA"), "GBR": ("WMSL",), "CAN": ("HOSL",), "NOR": ("AUAL",)}
CONTRIBUTORS = {"USA": "ODRE", "GBR": "MOD-SD", "CAN": "CDSA", "NOR": "NDTA"}


def _in(currency: str, dollars: Decimal) -> Decimal:
    """``dollars`` in ``currency`` at the agreed rate, to whole units."""
    rate = RATES.get(currency, Decimal(1))
    return (dollars / rate).quantize(Decimal(1))


def load_funding(
    uow: Callable[[], UnitOfWork], actor: Principal, day: Callable[[int], date]
) -> int:
    """Create the demo's funding records unless they exist; how many were created."""
    with uow() as unit:
        session = unit.session
        agreement = session.scalar(select(Agreement).where(Agreement.reference == AGREEMENT))
        if agreement is None:
            return 0
        agreement_id = agreement.id
        has_terms = agreement.accounting_currency is not None
        starts = agreement.effective_from
        if session.scalar(select(Contribution.id).limit(1)) is not None:
            return 0
    created = 0
    today = day(0)
    amended_on = day(-700)
    if not has_terms:
        update_agreement(
            uow(),
            actor,
            agreement_id,
            AgreementUpdate(
                accounting_currency="USD",
                exchange_rates=RATES,
                cost_shares=SHARES_AFTER,
                balance_band_low_percent=95,
                balance_band_high_percent=105,
                amendment=AmendmentIn(
                    title="Cost-share accounting in US dollars; Norway's share raised for the "
                    "Arctic trials",
                    summary="Fixes the exchange rates for cost-share accounting and moves five "
                    "points of the cost share from the United States to Norway.",
                    signed_on=day(-710),
                    effective_from=amended_on,
                ),
            ),
        )
        created += 1
    rng = random.Random(7)

    # Budgets and forecasts: five fiscal years of each funding nation, imported as a file
    # would be.
    rows: list[tuple[int, dict[str, object]]] = []
    categories = (CostCategory.PERSONNEL, CostCategory.EQUIPMENT, CostCategory.TRAVEL)
    weights = {CostCategory.PERSONNEL: 6, CostCategory.EQUIPMENT: 3, CostCategory.TRAVEL: 1}
    for wp, (_, nation) in WORK_PACKAGES.items():
        calendar = CALENDAR[nation]
        first = calendar.year_of(day(-700))
        for year in range(first, first + 5):
            yearly = Decimal(rng.randrange(1_400_000, 2_400_000, 10_000))
            for category in categories:
                amount = _in(CURRENCY[nation], yearly * weights[category] / 10)
                line = {
                    "project": PROJECT,
                    "work_package": wp,
                    "category": category.value,
                    "nation": nation,
                    "fiscal_year": year,
                    "amount": amount,
                    "currency": CURRENCY[nation],
                }
                rows.append((len(rows) + 2, {**line, "kind": "budget"}))
                if calendar.year_of(today) == year:
                    drift = Decimal(rng.randrange(92, 112)) / 100
                    forecast = (amount * drift).quantize(Decimal(1))
                    rows.append((len(rows) + 2, {**line, "kind": "forecast", "amount": forecast}))
    created += services.import_rows(uow(), actor, "budget", rows).imported

    # Costs: each quarter since the project started, per work package and category.
    quarter = -690
    while quarter < 0:
        for wp, (organisation, nation) in WORK_PACKAGES.items():
            for category in categories:
                dollars = Decimal(rng.randrange(300_000, 520_000, 1_000)) * weights[category] / 10
                services.record_expenditure(
                    uow(),
                    actor,
                    ExpenditureIn(
                        project=PROJECT,
                        work_package=wp,
                        category=category,
                        organisation=organisation,
                        kind=SpendKind.ACTUAL,
                        incurred_on=day(quarter),
                        amount=_in(CURRENCY[nation], dollars),
                        currency=CURRENCY[nation],
                        reference=f"{wp}-{category.value[:4].upper()}-{-quarter:04d}",
                    ),
                )
                created += 1
        quarter += 91
    services.record_expenditure(
        uow(),
        actor,
        ExpenditureIn(
            project=PROJECT,
            work_package="WP3",
            category=CostCategory.SUBCONTRACTING,
            organisation="AUAL",
            kind=SpendKind.COMMITMENT,
            incurred_on=day(-30),
            amount=Decimal(4_200_000),
            currency="NOK",
            reference="AUAL-PO-2291",
            description="Ice-class support vessel charter for the Arctic sea trial",
        ),
    )
    created += 1

    # Cash: once a year from each nation, at the shares then in force.
    offset = (starts - today).days + 30
    year = 0
    while offset < 0:
        shares = SHARES_BEFORE if day(offset) < amended_on else SHARES_AFTER
        for nation, share in shares.items():
            dollars = YEARLY_CASH * share / 100
            services.record_contribution(
                uow(),
                actor,
                ContributionIn(
                    reference=f"CON-{nation}-{year + 1:02d}",
                    agreement=AGREEMENT,
                    organisation=CONTRIBUTORS[nation],
                    kind=ContributionKind.CASH,
                    made_on=day(offset + rng.randrange(0, 20)),
                    amount=_in(CURRENCY[nation], dollars),
                    currency=CURRENCY[nation],
                    description=f"Year {year + 1} cash contribution",
                ),
            )
            created += 1
        offset += 365
        year += 1

    # In kind: Canadian staff (accepted), Norwegian test-tank time (awaiting the committee).
    staff = services.record_contribution(
        uow(),
        actor,
        ContributionIn(
            reference="CON-CAN-IK-01",
            agreement=AGREEMENT,
            project=PROJECT,
            work_package="WP4",
            organisation="HOSL",
            kind=ContributionKind.IN_KIND,
            in_kind_type=InKindType.STAFF,
            made_on=day(-400),
            amount=Decimal(680_000),
            currency="CAD",
            description="Two data scientists seconded to WP4 for a year",
            valuation_method="Published HOSL salary scale plus 38% overhead, 2 x 1 FTE-year",
            evidence="HOSL timesheets Q1-Q4; rate card HOSL-RC-2025",
        ),
    )
    services.decide_contribution(
        uow(),
        actor,
        staff.id,
        ContributionDecisionIn(
            outcome="accepted",
            decided_on=day(-380),
            decided_by="CSAR-MAS steering committee",
            decision_reference="SC-2025-07",
        ),
    )
    services.record_contribution(
        uow(),
        actor,
        ContributionIn(
            reference="CON-NOR-IK-01",
            agreement=AGREEMENT,
            project=PROJECT,
            work_package="WP3",
            organisation="AUAL",
            kind=ContributionKind.IN_KIND,
            in_kind_type=InKindType.FACILITY_TIME,
            made_on=day(-45),
            amount=Decimal(3_900_000),
            currency="NOK",
            description="Ice tank time for the sensor node qualification",
            valuation_method="AUAL published ice-tank rate, 26 days at NOK 150,000",
            evidence="AUAL booking log 2026-ICE-14; rate card AUAL-2026",
        ),
    )
    created += 3

    # Work awarded: contracts to each nation's organisations each year.
    offset = (starts - today).days + 60
    year = 0
    while offset < 0:
        for nation, share in WORK_SHARE.items():
            contractors = CONTRACTORS[nation]
            jitter = Decimal(rng.randrange(99, 102)) / 100
            dollars = YEARLY_WORK * share * jitter / len(contractors)
            for index, organisation in enumerate(contractors):
                wp = next(w for w, (_, n) in WORK_PACKAGES.items() if n == nation)
                services.award_workshare(
                    uow(),
                    actor,
                    WorkshareAwardIn(
                        reference=f"AWD-{nation}-{year + 1:02d}-{index + 1}",
                        project=PROJECT,
                        work_package=wp,
                        organisation=organisation,
                        kind=AwardKind.CONTRACT,
                        title=f"{wp} year {year + 1} work, {organisation}",
                        awarded_on=day(offset + rng.randrange(0, 30)),
                        value=_in(CURRENCY[nation], dollars),
                        currency=CURRENCY[nation],
                    ),
                )
                created += 1
        offset += 365
        year += 1
    return created
