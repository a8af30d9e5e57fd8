"""Funding and workshare through the use cases, on SQLite and PostgreSQL: the cost-share
terms an agreement may hold and their amendment history; budgets, costs, contributions and
awards refused with the field at fault (currency without an agreed rate, fiscal year or day
outside the agreement, negative amounts, more decimals than the currency has); imports that
are all or nothing, or keep the good rows when asked; in-kind valuations decided by another
party; the events every change records; and the balance and budget reports, whose figures
add up exactly."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import openpyxl
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.agreements.models import Agreement, Amendment
from coalition.agreements.schemas import AgreementUpdate, AmendmentIn
from coalition.agreements.services import get_agreement, update_agreement
from coalition.audit.models import Event
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.funding import imports, reports, services
from coalition.funding.models import (
    BudgetLine,
    Contribution,
    ContributionStatus,
    Expenditure,
    WorkshareAward,
)
from coalition.funding.schemas import (
    BudgetLineIn,
    ContributionDecisionIn,
    ContributionIn,
    ExpenditureIn,
    WithdrawalIn,
    WorkshareAwardIn,
)
from coalition.registry.schemas import NationUpdate
from coalition.registry.services import update_nation
from coalition.web.problems import located
from tests.conftest import UowFactory
from tests.funding_world import (
    AGREEMENT,
    PROJECT,
    SHARES,
    STARTS,
    FundingWorld,
    make_funding_world,
    principal,
)

MOU = "MOU-USA-GBR"  # the world's MoU: no accounting currency
TABLES = (BudgetLine, Expenditure, Contribution, WorkshareAward, Amendment, Event)


@pytest.fixture
def fw(uow: UowFactory, operator: Principal) -> FundingWorld:
    return make_funding_world(uow, operator)


# --- helpers ----------------------------------------------------------------------------------


def contribution(**changes: Any) -> ContributionIn:
    values: dict[str, Any] = {
        "reference": "CON-1",
        "agreement": AGREEMENT,
        "organisation": "USAPL",
        "kind": "cash",
        "made_on": date(2025, 1, 10),
        "amount": Decimal("1000"),
        "currency": "USD",
    }
    return ContributionIn.model_validate(values | changes)


def in_kind(**changes: Any) -> ContributionIn:
    return contribution(
        **{
            "reference": "IK-1",
            "organisation": "NDRE",
            "kind": "in_kind",
            "in_kind_type": "facility_time",
            "project": PROJECT,
            "work_package": "WP3",
            "made_on": date(2025, 3, 1),
            "amount": Decimal("2000000"),
            "currency": "NOK",
            "valuation_method": "published tank rate x 20 days",
            "evidence": "booking log TANK-25-03",
        }
        | changes
    )


def budget(**changes: Any) -> BudgetLineIn:
    values: dict[str, Any] = {
        "project": PROJECT,
        "work_package": "WP1",
        "category": "personnel",
        "nation": "USA",
        "fiscal_year": 2025,
        "amount": Decimal("100000"),
        "currency": "USD",
    }
    return BudgetLineIn.model_validate(values | changes)


def cost(**changes: Any) -> ExpenditureIn:
    values: dict[str, Any] = {
        "project": PROJECT,
        "work_package": "WP1",
        "category": "personnel",
        "organisation": "USAPL",
        "incurred_on": date(2024, 11, 1),
        "amount": Decimal("40000"),
        "currency": "USD",
    }
    return ExpenditureIn.model_validate(values | changes)


def award(**changes: Any) -> WorkshareAwardIn:
    values: dict[str, Any] = {
        "reference": "AWD-1",
        "project": PROJECT,
        "organisation": "USAPL",
        "title": "Sensor node design",
        "awarded_on": date(2025, 2, 1),
        "value": Decimal("500000"),
        "currency": "USD",
    }
    return WorkshareAwardIn.model_validate(values | changes)


def decision(**changes: Any) -> ContributionDecisionIn:
    values: dict[str, Any] = {
        "outcome": "accepted",
        "decided_on": date(2025, 4, 1),
        "decided_by": "SENSE steering committee",
        "decision_reference": "SC-25-04",
    }
    return ContributionDecisionIn.model_validate(values | changes)


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


def fields(call: Any, *args: Any, **kwargs: Any) -> list[str]:
    return [f for f, _ in refused(call, *args, **kwargs)]


@dataclass(frozen=True)
class Recorded:
    actor: str
    object_type: str
    object_id: str
    details: dict[str, Any]


def events(uow: UowFactory, tag: str) -> list[Recorded]:
    with uow() as unit:
        return [
            Recorded(e.actor, e.object_type, e.object_id, e.details)
            for e in unit.session.scalars(select(Event).where(Event.tag == tag).order_by(Event.id))
        ]


def amend(
    uow: UowFactory, actor: Principal, fw: FundingWorld, effective: date, **terms: Any
) -> Any:
    return update_agreement(
        uow(),
        actor,
        fw.agreement,
        AgreementUpdate.model_validate(
            {
                **terms,
                "amendment": AmendmentIn(
                    title="Amendment", signed_on=effective, effective_from=effective
                ),
            }
        ),
    )


def scalar_values(rows: list[Any], name: str) -> dict[str, Any]:
    return {r.nation: getattr(r, name) for r in rows}


# --- the agreement's cost-share terms ---------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "field", "message"),
    [
        pytest.param(
            {"cost_shares": {"USA": "50", "GBR": "30", "NOR": "10"}},
            "cost_shares",
            "must add up to 100, not 90",
            id="fixed_shares_not_100",
        ),
        pytest.param(
            {
                "cost_share_rule": "by_work_package",
                "cost_shares": {},
                "work_package_shares": {"SENSE/WP1": {"USA": "60", "GBR": "30"}},
            },
            "work_package_shares.SENSE/WP1",
            "must add up to 100, not 90",
            id="work_package_shares_not_100",
        ),
        pytest.param(
            {
                "cost_share_rule": "by_work_package",
                "cost_shares": {},
                "work_package_shares": {
                    "SENSE/WP1": {"USA": "100"},
                    "SENSE/WP9": {"USA": "50", "NOR": "50"},
                },
            },
            "work_package_shares.SENSE/WP9",
            "is no work package of this agreement's projects",
            id="unknown_work_package",
        ),
        pytest.param(
            {
                "cost_share_rule": "fixed_contributions",
                "cost_shares": {},
                "fixed_contributions": {"USA": "1000000", "FRA": "500000"},
            },
            "fixed_contributions",
            "FRA is not a party nation",
            id="fixed_contribution_of_a_non_party",
        ),
        pytest.param(
            {"exchange_rates": {"USD": "1", "GBP": "1.25"}},
            "exchange_rates.USD",
            "is the accounting currency; its rate is 1 by definition",
            id="rate_for_the_accounting_currency",
        ),
    ],
)
def test_inconsistent_cost_share_terms_are_refused_and_change_nothing(
    uow: UowFactory,
    operator: Principal,
    fw: FundingWorld,
    terms: dict[str, Any],
    field: str,
    message: str,
) -> None:
    before = counts(uow)
    problems = refused(amend, uow, operator, fw, date(2025, 1, 1), **terms)
    assert (field, message) in problems
    assert counts(uow) == before
    agreement = get_agreement(uow(), operator, fw.agreement)
    assert agreement.cost_share_rule == "fixed_shares"
    assert agreement.cost_shares == SHARES
    assert agreement.amendments == []


def test_consistent_terms_by_work_package_are_accepted(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    amended = amend(
        uow,
        operator,
        fw,
        date(2025, 1, 1),
        cost_share_rule="by_work_package",
        cost_shares={},
        work_package_shares={
            "SENSE/WP1": {"USA": "100"},
            "SENSE/WP2": {"GBR": "75", "NOR": "25"},
        },
    )
    assert amended.cost_share_rule == "by_work_package"
    assert amended.work_package_shares == {
        "SENSE/WP1": {"USA": Decimal(100)},
        "SENSE/WP2": {"GBR": Decimal(75), "NOR": Decimal(25)},
    }


def test_an_amendment_keeps_the_terms_before_and_after_and_terms_on_reads_them(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    new_shares = {"USA": "40", "GBR": "30", "NOR": "30"}
    amended = amend(uow, operator, fw, date(2026, 1, 1), cost_shares=new_shares)
    [recorded] = amended.amendments
    assert recorded.changed_fields == ["cost_shares"]
    assert recorded.changes == {
        "cost_shares": {"from": {"USA": "50", "GBR": "30", "NOR": "20"}, "to": new_shares}
    }
    with uow() as unit:
        agreement = unit.session.get(Agreement, fw.agreement)
        assert agreement is not None
        history = list(unit.session.scalars(select(Amendment)))
        assert reports.terms_on(agreement, history, date(2025, 12, 31))["cost_shares"] == {
            "USA": "50",
            "GBR": "30",
            "NOR": "20",
        }
        assert reports.terms_on(agreement, history, date(2026, 1, 1))["cost_shares"] == new_shares
        assert reports.terms_on(agreement, history, date(2024, 3, 15))["cost_share_rule"] == (
            "fixed_shares"
        )


def test_a_change_of_rule_is_undone_by_terms_on_before_its_amendment(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    amend(uow, operator, fw, date(2025, 7, 1), cost_share_rule="equal", cost_shares={})
    with uow() as unit:
        agreement = unit.session.get(Agreement, fw.agreement)
        assert agreement is not None
        history = list(unit.session.scalars(select(Amendment)))
        before = reports.terms_on(agreement, history, date(2025, 6, 30))
        after = reports.terms_on(agreement, history, date(2025, 7, 1))
    assert before["cost_share_rule"] == "fixed_shares"
    assert before["cost_shares"] == {"USA": "50", "GBR": "30", "NOR": "20"}
    assert after["cost_share_rule"] == "equal" and after["cost_shares"] == {}


def test_an_amendment_keeps_a_rate_for_every_currency_in_use(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    services.record_contribution(
        uow(), operator, contribution(organisation="NDRE", amount="1000", currency="NOK")
    )
    before = counts(uow)
    assert refused(
        amend,
        uow,
        operator,
        fw,
        date(2025, 6, 1),
        exchange_rates={"GBP": "1.25", "JPY": "0.0065"},
    ) == [
        (
            "exchange_rates",
            "funding records of this agreement are kept in NOK: keep a rate for each",
        )
    ]
    assert fields(
        amend, uow, operator, fw, date(2025, 6, 1), accounting_currency=None, exchange_rates={}
    ) == ["accounting_currency"]
    assert counts(uow) == before
    kept = amend(uow, operator, fw, date(2025, 6, 1), exchange_rates={"GBP": "1.25", "NOK": "0.1"})
    assert kept.exchange_rates == {"GBP": Decimal("1.25"), "NOK": Decimal("0.1")}
    assert kept.amendments[0].changes["exchange_rates"]["from"]["JPY"] == "0.0065"


# --- refusals of single records ---------------------------------------------------------------


def test_a_contribution_in_a_currency_without_an_agreed_rate_is_refused(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    before = counts(uow)
    assert refused(services.record_contribution, uow(), operator, contribution(currency="CHF")) == [
        ("currency", "PA-SENSE fixes no rate for CHF (agreed: GBP, JPY, NOK, USD)")
    ]
    assert counts(uow) == before


def test_a_contribution_under_an_agreement_without_accounting_currency_is_refused(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    before = counts(uow)
    problems = refused(
        services.record_contribution, uow(), operator, contribution(agreement=MOU, currency="USD")
    )
    assert [f for f, _ in problems] == ["currency"]
    assert "MOU-USA-GBR fixes no exchange rates yet" in problems[0][1]
    assert counts(uow) == before


@pytest.mark.parametrize(
    ("nation", "work_package", "allowed", "refused_year"),
    [
        # GBR's FY2024 (1 Apr 2023 - 31 Mar 2024) ends just after the agreement starts on
        # 15 Mar 2024; its FY2023 ended the year before. At the other end FY2029 (from 1 Apr
        # 2028) starts before it expires on 15 Mar 2029, FY2030 after.
        pytest.param("GBR", "WP2", (2024, 2029), (2023, 2030), id="GBR_april"),
        # USA's FY2024 runs 1 Oct 2023 - 30 Sep 2024.
        pytest.param("USA", "WP1", (2024, 2029), (2023, 2030), id="USA_october"),
        pytest.param("NOR", "WP3", (2024, 2029), (2023, 2030), id="NOR_calendar"),
    ],
)
def test_a_budget_fiscal_year_outside_the_agreement_is_refused_at_the_boundary(
    uow: UowFactory,
    operator: Principal,
    fw: FundingWorld,
    nation: str,
    work_package: str,
    allowed: tuple[int, int],
    refused_year: tuple[int, int],
) -> None:
    for year in allowed:
        line = services.set_budget_line(
            uow(),
            operator,
            budget(nation=nation, work_package=work_package, fiscal_year=year),
        )
        assert line.fiscal_year == year
    before = counts(uow)
    for year in refused_year:
        problems = refused(
            services.set_budget_line,
            uow(),
            operator,
            budget(nation=nation, work_package=work_package, fiscal_year=year),
        )
        assert [f for f, _ in problems] == ["fiscal_year"]
        assert f"{nation} FY{year}" in problems[0][1]
        assert "lies outside PA-SENSE" in problems[0][1]
    assert counts(uow) == before


def test_gbr_fiscal_year_boundary_is_the_first_of_april(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    problems = refused(
        services.set_budget_line, uow(), operator, budget(nation="GBR", fiscal_year=2023)
    )
    assert problems == [
        (
            "fiscal_year",
            "GBR FY2023 (2022-04-01 to 2023-03-31) lies outside PA-SENSE "
            "(2024-03-15 to 2029-03-15)",
        )
    ]


def test_a_budget_for_a_non_party_nation_or_unknown_work_package_is_refused(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    assert fields(services.set_budget_line, uow(), operator, budget(nation="FRA")) == ["nation"]
    assert fields(services.set_budget_line, uow(), operator, budget(work_package="WP9")) == [
        "work_package"
    ]
    assert fields(services.set_budget_line, uow(), operator, budget(project="NOPE")) == ["project"]


@pytest.mark.parametrize(
    ("build", "field"),
    [
        pytest.param(lambda: budget(amount="-1"), "amount", id="budget"),
        pytest.param(lambda: contribution(amount="-1"), "amount", id="contribution"),
        pytest.param(lambda: contribution(amount="0"), "amount", id="contribution_zero"),
        pytest.param(lambda: award(value="-5"), "value", id="award"),
        pytest.param(lambda: cost(amount="0"), "amount", id="cost_of_zero"),
    ],
)
def test_negative_amounts_are_refused_where_none_is_allowed(build: Any, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        build()
    assert [name for name, _ in located(raised.value.errors())] == [field]


def test_a_negative_cost_is_a_correction_and_is_accepted(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    services.record_expenditure(uow(), operator, cost())
    correction = services.record_expenditure(
        uow(), operator, cost(amount="-2500.50", reference="CORR-1", incurred_on=date(2024, 12, 1))
    )
    assert correction.amount == Decimal("-2500.50")
    report = reports.budget(uow(), operator, PROJECT)
    assert report.totals.actual == Decimal("37499.50")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        pytest.param(
            lambda: contribution(amount="1.005"),
            "amount",
            "USD has 2 decimal places; 1.005 has more",
            id="usd_thousandths",
        ),
        pytest.param(
            lambda: contribution(amount="1000.5", currency="JPY"),
            "amount",
            "JPY has 0 decimal places; 1000.5 has more",
            id="jpy_decimals",
        ),
        pytest.param(
            lambda: budget(amount="99.999"),
            "amount",
            "USD has 2 decimal places; 99.999 has more",
            id="budget",
        ),
        pytest.param(
            lambda: award(value="10.001"),
            "value",
            "USD has 2 decimal places; 10.001 has more",
            id="award",
        ),
        pytest.param(
            lambda: cost(amount="-0.001"),
            "amount",
            "USD has 2 decimal places; -0.001 has more",
            id="cost",
        ),
    ],
)
def test_more_decimals_than_the_currency_has_are_refused(
    uow: UowFactory,
    operator: Principal,
    fw: FundingWorld,
    data: Any,
    field: str,
    message: str,
) -> None:
    use_case: dict[type, Any] = {
        ContributionIn: services.record_contribution,
        BudgetLineIn: services.set_budget_line,
        WorkshareAwardIn: services.award_workshare,
        ExpenditureIn: services.record_expenditure,
    }
    command = data()
    before = counts(uow)
    assert refused(use_case[type(command)], uow(), operator, command) == [(field, message)]
    assert counts(uow) == before


def test_whole_yen_are_accepted(uow: UowFactory, operator: Principal, fw: FundingWorld) -> None:
    made = services.record_contribution(
        uow(), operator, contribution(amount="1000000", currency="JPY")
    )
    assert (made.amount, made.currency) == (Decimal(1000000), "JPY")
    assert reports.balance(uow(), operator, AGREEMENT).total_contributed == Decimal("6500.00")


def test_days_outside_the_agreement_are_refused_and_its_first_and_last_days_accepted(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    before = counts(uow)
    assert refused(
        services.record_contribution, uow(), operator, contribution(made_on=date(2024, 3, 14))
    ) == [("made_on", "is before PA-SENSE takes effect (2024-03-15)")]
    assert refused(
        services.record_contribution, uow(), operator, contribution(made_on=date(2029, 3, 15))
    ) == [("made_on", "is after PA-SENSE expires (2029-03-15)")]
    assert fields(
        services.record_expenditure, uow(), operator, cost(incurred_on=date(2024, 1, 1))
    ) == ["incurred_on"]
    assert fields(
        services.award_workshare, uow(), operator, award(awarded_on=date(2030, 1, 1))
    ) == ["awarded_on"]
    assert counts(uow) == before
    services.record_contribution(uow(), operator, contribution(made_on=STARTS))
    services.record_contribution(
        uow(), operator, contribution(reference="CON-2", made_on=date(2029, 3, 14))
    )
    services.record_expenditure(uow(), operator, cost(incurred_on=STARTS))
    services.award_workshare(uow(), operator, award(awarded_on=date(2029, 3, 14)))


def test_every_problem_of_a_record_is_reported_at_once(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    services.record_contribution(uow(), operator, contribution())
    problems = fields(
        services.record_contribution,
        uow(),
        operator,
        contribution(organisation="LOPT", made_on=date(2023, 1, 1), currency="CHF"),
    )
    assert problems == ["organisation", "made_on", "currency", "reference"]


def test_who_may_take_part_in_the_books(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    assert refused(services.record_expenditure, uow(), operator, cost(organisation="USCO")) == [
        ("organisation", "USCO does not take part in SENSE")
    ]
    assert refused(services.award_workshare, uow(), operator, award(organisation="LOPT")) == [
        ("organisation", "FRA is not a party nation of PA-SENSE")
    ]
    assert fields(
        services.record_contribution,
        uow(),
        operator,
        contribution(agreement=AGREEMENT, project="NOPE"),
    ) == ["project"]


# --- permissions ------------------------------------------------------------------------------


def test_a_researcher_may_read_but_not_record(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    services.record_contribution(uow(), operator, contribution())
    researcher = principal("rita", Role.RESEARCHER)
    before = counts(uow)
    recording: tuple[tuple[Any, Any], ...] = (
        (services.record_contribution, contribution(reference="CON-2")),
        (services.set_budget_line, budget()),
        (services.record_expenditure, cost()),
        (services.award_workshare, award()),
    )
    for call, data in recording:
        with pytest.raises(PermissionDenied, match="funding:manage"):
            call(uow(), researcher, data)
    assert counts(uow) == before
    assert [c.reference for c in services.list_contributions(uow(), researcher)] == ["CON-1"]
    assert reports.balance(uow(), researcher, AGREEMENT).total_contributed == Decimal("1000.00")
    assert reports.budget(uow(), researcher, PROJECT).rows == []


def test_a_finance_officer_keeps_the_books_of_their_own_organisation_and_nation(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    officer = principal("fiona", Role.FINANCE_OFFICER, ScopeKind.ORGANISATION, fw.gbr_lab)
    services.record_contribution(uow(), officer, contribution(organisation="UKSL", currency="GBP"))
    services.set_budget_line(uow(), officer, budget(nation="GBR", work_package="WP2"))
    with pytest.raises(PermissionDenied):
        services.record_contribution(
            uow(), officer, contribution(reference="CON-2", organisation="NDRE")
        )
    with pytest.raises(PermissionDenied):
        services.set_budget_line(uow(), officer, budget(nation="USA"))


# --- in kind ----------------------------------------------------------------------------------


def test_in_kind_counts_only_once_another_party_accepts_its_valuation(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    services.record_contribution(uow(), operator, contribution(amount="100000"))
    proposed = services.record_contribution(uow(), operator, in_kind())
    assert proposed.status is ContributionStatus.PROPOSED
    assert proposed.decided_on is None
    nor = {n.nation: n for n in reports.balance(uow(), operator, AGREEMENT).nations}["NOR"]
    assert (nor.in_kind, nor.contributed, nor.standing) == (
        Decimal("0.00"),
        Decimal("0.00"),
        "no_contribution",
    )

    own = principal("nils", Role.FINANCE_OFFICER, ScopeKind.ORGANISATION, fw.nor_lab)
    before = counts(uow)
    with pytest.raises(PermissionDenied):
        services.decide_contribution(uow(), own, proposed.id, decision())
    other = principal("fiona", Role.FINANCE_OFFICER, ScopeKind.ORGANISATION, fw.gbr_lab)
    assert refused(
        services.decide_contribution,
        uow(),
        other,
        proposed.id,
        decision(decided_on=date(2025, 2, 28)),
    ) == [("decided_on", "is before the contribution (2025-03-01)")]
    assert counts(uow) == before

    accepted = services.decide_contribution(uow(), other, proposed.id, decision())
    assert accepted.status is ContributionStatus.ACCEPTED
    assert (accepted.decided_on, accepted.decided_by, accepted.decision_reference) == (
        date(2025, 4, 1),
        "SENSE steering committee",
        "SC-25-04",
    )
    report = reports.balance(uow(), operator, AGREEMENT)
    nor = {n.nation: n for n in report.nations}["NOR"]
    assert (nor.cash, nor.in_kind, nor.contributed) == (
        Decimal("0.00"),
        Decimal("200000.00"),
        Decimal("200000.00"),
    )
    assert report.total_contributed == Decimal("300000.00")

    before = counts(uow)
    with pytest.raises(Conflict, match="already accepted"):
        services.decide_contribution(uow(), other, proposed.id, decision(outcome="rejected"))
    assert counts(uow) == before
    assert services.get_contribution(uow(), operator, proposed.id).status == "accepted"


def test_a_rejected_valuation_never_counts_and_cash_is_not_decided(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    cash = services.record_contribution(uow(), operator, contribution())
    proposed = services.record_contribution(uow(), operator, in_kind())
    rejected = services.decide_contribution(
        uow(), operator, proposed.id, decision(outcome="rejected", note="rate not published")
    )
    assert rejected.status is ContributionStatus.REJECTED
    assert rejected.decision_note == "rate not published"
    report = reports.balance(uow(), operator, AGREEMENT)
    assert report.total_contributed == Decimal("1000.00")
    assert fields(services.decide_contribution, uow(), operator, cash.id, decision()) == ["outcome"]
    listed = services.list_contributions(uow(), operator, status=ContributionStatus.REJECTED)
    assert [c.reference for c in listed] == ["IK-1"]


def test_no_nation_accepts_its_own_in_kind_valuation(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    """USCO is no party, but of a party nation: USAPL, the USA's party, may not accept what
    USCO says its contribution is worth; the GBR party may."""
    proposed = services.record_contribution(
        uow(), operator, in_kind(organisation="USCO", amount="25000", currency="USD")
    )
    compatriot = principal("uma", Role.FINANCE_OFFICER, ScopeKind.ORGANISATION, fw.usa_lab)
    before = counts(uow)
    with pytest.raises(PermissionDenied):
        services.decide_contribution(uow(), compatriot, proposed.id, decision())
    assert counts(uow) == before
    other = principal("fiona", Role.FINANCE_OFFICER, ScopeKind.ORGANISATION, fw.gbr_lab)
    assert services.decide_contribution(uow(), other, proposed.id, decision()).status == (
        "accepted"
    )
    usa = {n.nation: n for n in reports.balance(uow(), operator, AGREEMENT).nations}["USA"]
    assert usa.in_kind == Decimal("25000.00")


def test_in_kind_needs_its_type_valuation_and_evidence() -> None:
    for missing in ("in_kind_type", "valuation_method", "evidence"):
        with pytest.raises(ValidationError, match=missing):
            in_kind(**{missing: None})


# --- events -----------------------------------------------------------------------------------


def test_every_change_is_recorded_as_an_event(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    line = services.set_budget_line(uow(), operator, budget())
    again = services.set_budget_line(uow(), operator, budget(amount="120000"))
    assert again.id == line.id
    spent = services.record_expenditure(uow(), operator, cost())
    cash = services.record_contribution(uow(), operator, contribution())
    proposed = services.record_contribution(uow(), operator, in_kind())
    services.decide_contribution(uow(), operator, proposed.id, decision())
    awarded = services.award_workshare(uow(), operator, award())

    budget_events = events(uow, "funding:budget:set")
    assert [(e.object_type, e.object_id) for e in budget_events] == [
        ("funding_budget_lines", str(line.id)),
        ("funding_budget_lines", str(line.id)),
    ]
    assert budget_events[0].details["amount"] == "100000.00"
    assert budget_events[1].details["was"] == "100000.00"
    assert budget_events[1].details["amount"] == "120000.00"
    assert [e.object_id for e in events(uow, "funding:expenditure:record")] == [str(spent.id)]
    assert [e.object_id for e in events(uow, "funding:contribution:record")] == [
        str(cash.id),
        str(proposed.id),
    ]
    [accepted] = events(uow, "funding:contribution:accepted")
    assert accepted.object_id == str(proposed.id)
    assert accepted.details["decided_by"] == "SENSE steering committee"
    [awarded_event] = events(uow, "funding:workshare:award")
    assert awarded_event.object_id == str(awarded.id)
    assert awarded_event.actor == "operator:tester"
    assert len(services.list_budget_lines(uow(), operator, project_code=PROJECT)) == 1


# --- imports ----------------------------------------------------------------------------------


def budget_row(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "project": PROJECT,
        "work_package": "WP1",
        "category": "personnel",
        "nation": "USA",
        "fiscal_year": "2025",
        "amount": "100000",
        "currency": "USD",
    }
    return values | changes


def contribution_row(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reference": "CON-1",
        "agreement": AGREEMENT,
        "organisation": "USAPL",
        "kind": "cash",
        "made_on": "2025-01-10",
        "amount": "1000",
        "currency": "USD",
    }
    return values | changes


def test_an_import_with_bad_rows_changes_nothing_and_lists_every_bad_row(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    rows = [
        (2, budget_row()),
        (3, budget_row(category="travel", nation="GBR", fiscal_year="2023")),
        (4, budget_row(category="equipment", currency="CHF")),
        (5, budget_row(category="travel", amount="-10")),
        (6, budget_row(category="indirect", work_package="WP9", amount="1.001")),
        (7, budget_row(category="other_goods_and_services")),
    ]
    before = counts(uow)
    problems = fields(services.import_rows, uow(), operator, "budget", rows)
    assert problems == [
        "rows[3].fiscal_year",
        "rows[4].currency",
        "rows[5].amount",
        "rows[6].work_package",
        "rows[6].amount",
    ]
    assert counts(uow) == before


def test_a_partial_import_keeps_the_good_rows_and_returns_the_skipped(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    rows = [
        (2, budget_row()),
        (3, budget_row(fiscal_year="2023")),
        (4, budget_row(category="travel", amount="2500.50")),
    ]
    result = services.import_rows(uow(), operator, "budget", rows, partial=True)
    assert result.imported == 2
    assert [(s.row, s.field) for s in result.skipped] == [(3, "fiscal_year")]
    lines = services.list_budget_lines(uow(), operator, project_code=PROJECT)
    assert sorted((str(line.category), line.amount) for line in lines) == [
        ("personnel", Decimal("100000.00")),
        ("travel", Decimal("2500.50")),
    ]
    assert len(events(uow, "funding:budget:set")) == 2


def test_duplicate_references_within_a_file_and_against_the_books_are_refused(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    services.record_contribution(uow(), operator, contribution(reference="CON-OLD"))
    rows = [
        (2, contribution_row()),
        (3, contribution_row(organisation="UKSL", currency="GBP")),
        (4, contribution_row(reference="CON-OLD")),
        (5, contribution_row(reference="CON-2", organisation="NDRE", currency="NOK")),
    ]
    before = counts(uow)
    problems = refused(services.import_rows, uow(), operator, "contributions", rows)
    assert problems == [
        ("rows[3].reference", "appears on an earlier row too"),
        ("rows[4].reference", "a contribution 'CON-OLD' already exists"),
    ]
    assert counts(uow) == before
    result = services.import_rows(uow(), operator, "contributions", rows, partial=True)
    assert result.imported == 2
    assert sorted(c.reference for c in services.list_contributions(uow(), operator)) == [
        "CON-1",
        "CON-2",
        "CON-OLD",
    ]
    recorded = events(uow, "funding:contribution:record")
    assert len(recorded) == 3 and recorded[-1].details["imported"] is True


def test_an_import_reports_what_the_command_itself_refuses(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    rows = [
        (2, contribution_row(kind="in_kind", reference="IK-1")),
        (3, contribution_row(reference="CON-2", made_on="10/01/2025")),
        (4, contribution_row(reference="CON-3", status="accepted")),
    ]
    problems = fields(services.import_rows, uow(), operator, "contributions", rows)
    assert problems == ["rows[2].in_kind_type", "rows[3].made_on", "rows[4].status"]
    assert fields(services.import_rows, uow(), operator, "contributions", []) == ["file"]


def test_an_xlsx_file_is_read_with_dates_and_numbers_as_typed(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        ["Reference", "Agreement", "Organisation", "Kind", "Made on", "Amount", "Currency"]
    )
    sheet.append(["CON-1", AGREEMENT, "USAPL", "cash", date(2025, 1, 10), 1000.1, "USD"])
    sheet.append([None] * 7)
    sheet.append(["CON-2", AGREEMENT, "UKSL", "cash", date(2025, 2, 10), 800, "GBP"])
    sheet.append(["CON-3", AGREEMENT, "NDRE", "cash", date(2025, 3, 10), 0.1, "NOK"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = imports.read_rows(buffer.getvalue(), "contributions.xlsx")
    assert [number for number, _ in rows] == [2, 4, 5]
    assert rows[0][1]["made_on"] == date(2025, 1, 10)
    assert rows[0][1]["amount"] == Decimal("1000.1")
    result = services.import_rows(uow(), operator, "contributions", rows)
    assert result.imported == 3 and result.skipped == []
    made = {c.reference: c.amount for c in services.list_contributions(uow(), operator)}
    assert made == {
        "CON-1": Decimal("1000.10"),
        "CON-2": Decimal("800.00"),
        "CON-3": Decimal("0.10"),
    }


def test_a_csv_file_numbers_rows_as_a_spreadsheet_does() -> None:
    content = (
        "\ufeffproject,work_package,category,nation,fiscal_year,amount,currency\n"
        f"{PROJECT},WP1,personnel,USA,2025,100,USD\n"
        "\n"
        f"{PROJECT},WP2,travel,GBR,2025,50,GBP\n"
    ).encode()
    rows = imports.read_rows(content, "budget.CSV")
    assert [number for number, _ in rows] == [2, 4]
    assert rows[1][1]["nation"] == "GBR"
    with pytest.raises(ValidationFailed, match="file"):
        imports.read_rows(content, "budget.txt")
    with pytest.raises(ValidationFailed, match="not a readable XLSX"):
        imports.read_rows(content, "budget.xlsx")


# --- the balance ------------------------------------------------------------------------------


def _books(uow: UowFactory, actor: Principal) -> None:
    """Contributions worth USD 1,000,000: USA 500,000, GBR GBP 240,000 (USD 300,000) and
    NOR NOK 2,000,000 (USD 200,000). Work worth USD 1,000,000: USA 600,000, GBR GBP
    240,000, NOR NOK 1,000,000: coefficients 1.2, 1.0 and 0.5."""
    for reference, organisation, amount, currency in (
        ("CON-USA", "USAPL", "500000", "USD"),
        ("CON-GBR", "UKSL", "240000", "GBP"),
        ("CON-NOR", "NDRE", "2000000", "NOK"),
    ):
        services.record_contribution(
            uow(),
            actor,
            contribution(
                reference=reference, organisation=organisation, amount=amount, currency=currency
            ),
        )
    for reference, organisation, value, currency in (
        ("AWD-USA", "USAPL", "600000", "USD"),
        ("AWD-GBR", "UKSL", "240000", "GBP"),
        ("AWD-NOR", "NDRE", "1000000", "NOK"),
    ):
        services.award_workshare(
            uow(),
            actor,
            award(reference=reference, organisation=organisation, value=value, currency=currency),
        )


def test_the_balance_coefficient_is_share_of_work_over_share_of_contributions(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    _books(uow, operator)
    report = reports.balance(uow(), operator, AGREEMENT)
    assert (report.currency, report.cost_share_rule) == ("USD", "fixed_shares")
    assert (report.band_low_percent, report.band_high_percent) == (95, 105)
    rows = report.nations
    assert [r.nation for r in rows] == ["GBR", "NOR", "USA"]
    assert scalar_values(rows, "contributed") == {
        "GBR": Decimal("300000.00"),
        "NOR": Decimal("200000.00"),
        "USA": Decimal("500000.00"),
    }
    assert scalar_values(rows, "contribution_share_percent") == {
        "GBR": Decimal("30.00"),
        "NOR": Decimal("20.00"),
        "USA": Decimal("50.00"),
    }
    assert scalar_values(rows, "workshare_share_percent") == {
        "GBR": Decimal("30.00"),
        "NOR": Decimal("10.00"),
        "USA": Decimal("60.00"),
    }
    assert scalar_values(rows, "coefficient") == {
        "GBR": Decimal("1.000"),
        "NOR": Decimal("0.500"),
        "USA": Decimal("1.200"),
    }
    assert scalar_values(rows, "standing") == {"GBR": "within", "NOR": "below", "USA": "above"}
    assert scalar_values(rows, "agreed_share_percent") == {
        "GBR": Decimal("30.00"),
        "NOR": Decimal("20.00"),
        "USA": Decimal("50.00"),
    }
    assert report.alerts == [
        "NOR is out of balance: coefficient 0.500 is below the band 0.95 to 1.05",
        "USA is out of balance: coefficient 1.200 is above the band 0.95 to 1.05",
    ]
    assert (report.total_contributed, report.total_workshare) == (
        Decimal("1000000.00"),
        Decimal("1000000.00"),
    )


def test_a_wider_band_clears_the_alert(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    _books(uow, operator)
    amend(
        uow,
        operator,
        fw,
        date(2025, 6, 1),
        balance_band_low_percent=50,
        balance_band_high_percent=120,
    )
    report = reports.balance(uow(), operator, AGREEMENT)
    assert report.alerts == []
    assert {r.standing for r in report.nations} == {"within"}
    assert reports.balance_alerts(uow, operator) == []


def test_the_dashboard_lists_the_alerts_of_agreements_in_force(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    _books(uow, operator)
    alerts = reports.balance_alerts(uow, operator)
    assert [(a, text.split(" ")[0]) for a, text in alerts] == [
        (AGREEMENT, "NOR"),
        (AGREEMENT, "USA"),
    ]


def test_the_balance_in_another_currency_with_an_agreed_rate(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    _books(uow, operator)
    report = reports.balance(uow(), operator, AGREEMENT, currency="GBP")
    assert report.currency == "GBP"
    assert report.total_contributed == Decimal("800000.00")
    assert scalar_values(report.nations, "contributed") == {
        "GBR": Decimal("240000.00"),
        "NOR": Decimal("160000.00"),
        "USA": Decimal("400000.00"),
    }
    assert scalar_values(report.nations, "coefficient") == {
        "GBR": Decimal("1.000"),
        "NOR": Decimal("0.500"),
        "USA": Decimal("1.200"),
    }
    yen = reports.balance(uow(), operator, AGREEMENT, currency="JPY")
    assert yen.total_contributed == Decimal(round(Fraction(1000000) / Fraction("0.0065")))
    assert refused(reports.balance, uow(), operator, AGREEMENT, currency="CHF") == [
        ("currency", "PA-SENSE fixes no rate for CHF")
    ]
    assert fields(reports.balance, uow(), operator, MOU) == ["agreement"]


def test_balance_figures_add_up_exactly_however_they_are_converted(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    amounts = {
        "USAPL": ("USD", ["0.01", "0.03", "1234.57", "99.99"]),
        "UKSL": ("GBP", ["0.01", "0.01", "333.33", "0.07"]),
        "NDRE": ("NOK", ["0.01", "0.05", "12345.67", "0.09"]),
    }
    number = 0
    exact: dict[str, Fraction] = {"USD": Fraction(0), "GBP": Fraction(0), "JPY": Fraction(0)}
    per_usd = {"USD": Fraction(1), "GBP": Fraction("1.25"), "NOK": Fraction("0.1")}
    for organisation, (currency, values) in amounts.items():
        for value in values:
            number += 1
            services.record_contribution(
                uow(),
                operator,
                contribution(
                    reference=f"CON-{number}",
                    organisation=organisation,
                    amount=value,
                    currency=currency,
                    made_on=date(2024, 3, 15 + number),
                ),
            )
            services.award_workshare(
                uow(),
                operator,
                award(
                    reference=f"AWD-{number}",
                    organisation=organisation,
                    value=value,
                    currency=currency,
                    awarded_on=date(2025, 1, number),
                ),
            )
            usd = Fraction(value) * per_usd[currency]
            exact["USD"] += usd
            exact["GBP"] += usd / Fraction("1.25")
            exact["JPY"] += usd / Fraction("0.0065")
    for shown_in, places in (("USD", 2), ("GBP", 2), ("JPY", 0)):
        report = reports.balance(uow(), operator, AGREEMENT, currency=shown_in)
        contributed = [r.contributed for r in report.nations]
        assert sum(contributed) == report.total_contributed
        assert sum(r.workshare for r in report.nations) == report.total_workshare
        assert sum(r.cash + r.in_kind for r in report.nations) == report.total_contributed
        scale = 10**places
        expected = Decimal(round(exact[shown_in] * scale)) / scale
        assert report.total_contributed == expected, shown_in
        last = [values[-1] for values in report.contributed_by_period.values()]
        assert sum(last) == report.total_contributed
        assert sum(values[-1] for values in report.agreed_by_period.values()) == (
            report.total_contributed
        )


def test_fiscal_nation_groups_the_periods_in_that_nations_fiscal_years(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    for reference, made_on, amount in (
        ("CON-1", date(2024, 5, 1), "100"),
        ("CON-2", date(2024, 11, 1), "200"),
        ("CON-3", date(2025, 6, 1), "400"),
    ):
        services.record_contribution(
            uow(), operator, contribution(reference=reference, made_on=made_on, amount=amount)
        )
    calendar = reports.balance(uow(), operator, AGREEMENT)
    assert calendar.fiscal_calendar == "calendar years"
    assert calendar.periods == ["FY2024", "FY2025"]
    assert calendar.contributed_by_period["USA"] == [Decimal("300.00"), Decimal("700.00")]
    gbr = reports.balance(uow(), operator, AGREEMENT, fiscal_nation="GBR")
    assert gbr.fiscal_calendar == "GBR fiscal years"
    assert gbr.periods == ["FY2025", "FY2026"]
    assert gbr.contributed_by_period["USA"] == [Decimal("300.00"), Decimal("700.00")]
    usa = reports.balance(uow(), operator, AGREEMENT, fiscal_nation="USA")
    assert usa.periods == ["FY2024", "FY2025"]
    assert usa.contributed_by_period["USA"] == [Decimal("100.00"), Decimal("700.00")]
    assert fields(reports.balance, uow(), operator, AGREEMENT, fiscal_nation="JPN") == [
        "fiscal_nation"
    ]


def test_the_periods_include_a_quiet_year(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    for reference, made_on in (("CON-1", date(2024, 6, 1)), ("CON-2", date(2026, 6, 1))):
        services.record_contribution(
            uow(), operator, contribution(reference=reference, made_on=made_on)
        )
    report = reports.balance(uow(), operator, AGREEMENT)
    assert report.periods == ["FY2024", "FY2025", "FY2026"]
    assert report.contributed_by_period["USA"] == [
        Decimal("1000.00"),
        Decimal("1000.00"),
        Decimal("2000.00"),
    ]


@pytest.mark.parametrize(
    ("terms", "with_budget", "expected"),
    [
        pytest.param({}, False, {"GBR": "30.00", "NOR": "20.00", "USA": "50.00"}, id="fixed"),
        pytest.param(
            {"cost_share_rule": "equal"},
            False,
            {"GBR": "33.33", "NOR": "33.33", "USA": "33.33"},
            id="equal",
        ),
        pytest.param(
            {
                "cost_share_rule": "fixed_contributions",
                "fixed_contributions": {"USA": "600000", "GBR": "300000", "NOR": "100000"},
            },
            False,
            {"GBR": "30.00", "NOR": "10.00", "USA": "60.00"},
            id="fixed_contributions",
        ),
        pytest.param(
            {
                "cost_share_rule": "by_work_package",
                "work_package_shares": {
                    "SENSE/WP1": {"USA": "100"},
                    "SENSE/WP2": {"GBR": "50", "NOR": "50"},
                },
            },
            False,
            {"GBR": "25.00", "NOR": "25.00", "USA": "50.00"},
            id="by_work_package_unweighted",
        ),
        pytest.param(
            {
                "cost_share_rule": "by_work_package",
                "work_package_shares": {
                    "SENSE/WP1": {"USA": "100"},
                    "SENSE/WP2": {"GBR": "50", "NOR": "50"},
                },
            },
            True,
            {"GBR": "12.50", "NOR": "12.50", "USA": "75.00"},
            id="by_work_package_weighted_by_budget",
        ),
        pytest.param(
            {"cost_share_rule": "proportional_to_workshare"},
            False,
            {"GBR": "30.00", "NOR": "10.00", "USA": "60.00"},
            id="proportional_to_workshare",
        ),
        pytest.param(
            {"cost_share_rule": "each_bears_own"},
            False,
            {"GBR": None, "NOR": None, "USA": None},
            id="each_bears_own",
        ),
    ],
)
def test_agreed_shares_under_each_cost_share_rule(
    uow: UowFactory,
    operator: Principal,
    fw: FundingWorld,
    terms: dict[str, Any],
    with_budget: bool,
    expected: dict[str, str | None],
) -> None:
    if terms:
        amend(uow, operator, fw, date(2024, 3, 15), cost_shares={}, **terms)
    if with_budget:
        # WP1 USD 300,000 against WP2 GBP 80,000 (USD 100,000); a forecast weighs nothing.
        services.set_budget_line(uow(), operator, budget(amount="300000"))
        services.set_budget_line(
            uow(),
            operator,
            budget(work_package="WP2", nation="GBR", amount="80000", currency="GBP"),
        )
        services.set_budget_line(
            uow(), operator, budget(work_package="WP2", kind="forecast", amount="9000000")
        )
    _books(uow, operator)
    report = reports.balance(uow(), operator, AGREEMENT)
    agreed = scalar_values(report.nations, "agreed_share_percent")
    assert agreed == {n: None if v is None else Decimal(v) for n, v in expected.items()}
    assert report.cost_share_rule == (terms.get("cost_share_rule") or "fixed_shares")


def test_a_fiscal_year_starting_mid_month_groups_by_day(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    """Norway's fiscal year moved to 6 April: a day either side of it falls in different
    years, in the balance by Norway's years and in the budget report."""
    update_nation(
        uow(),
        operator,
        "NOR",
        NationUpdate(fiscal_year_start_month=4, fiscal_year_start_day=6),
    )
    for reference, made_on in (("CON-1", date(2025, 4, 5)), ("CON-2", date(2025, 4, 6))):
        services.record_contribution(
            uow(), operator, contribution(reference=reference, made_on=made_on)
        )
        services.record_expenditure(
            uow(),
            operator,
            cost(
                work_package="WP3",
                organisation="NDRE",
                incurred_on=made_on,
                amount="1000",
                currency="NOK",
            ),
        )
    report = reports.balance(uow(), operator, AGREEMENT, fiscal_nation="NOR")
    assert report.periods == ["FY2025", "FY2026"]
    assert report.contributed_by_period["USA"] == [Decimal("1000.00"), Decimal("2000.00")]
    spent = reports.budget(uow(), operator, PROJECT)
    assert [(y.nation, y.fiscal_year, y.actual) for y in spent.by_fiscal_year] == [
        ("NOR", "FY2025", Decimal("100.00")),
        ("NOR", "FY2026", Decimal("100.00")),
    ]


def test_agreed_shares_follow_the_amendment_history(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    amend(
        uow,
        operator,
        fw,
        date(2026, 1, 1),
        cost_shares={"USA": "40", "GBR": "30", "NOR": "30"},
    )
    for reference, made_on in (("CON-2025", date(2025, 5, 1)), ("CON-2026", date(2026, 5, 1))):
        services.record_contribution(
            uow(),
            operator,
            contribution(reference=reference, made_on=made_on, amount="100000"),
        )
    report = reports.balance(uow(), operator, AGREEMENT)
    assert report.periods == ["FY2025", "FY2026"]
    assert report.agreed_by_period == {
        "GBR": [Decimal("30000.00"), Decimal("60000.00")],
        "NOR": [Decimal("20000.00"), Decimal("50000.00")],
        "USA": [Decimal("50000.00"), Decimal("90000.00")],
    }
    assert report.contributed_by_period["USA"] == [Decimal("100000.00"), Decimal("200000.00")]
    assert scalar_values(report.nations, "agreed_share_percent") == {
        "GBR": Decimal("30.00"),
        "NOR": Decimal("30.00"),
        "USA": Decimal("40.00"),
    }


def test_balance_coefficients_per_period_trend(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    _books(uow, operator)
    services.record_contribution(
        uow(),
        operator,
        contribution(reference="CON-NOR-2", organisation="NDRE", made_on=date(2026, 2, 1)),
    )
    report = reports.balance(uow(), operator, AGREEMENT)
    assert report.periods == ["FY2025", "FY2026"]
    assert report.coefficient_by_period["GBR"][0] == Decimal("1.000")
    assert report.coefficient_by_period["NOR"][0] == Decimal("0.500")
    assert len(report.coefficient_by_period["USA"]) == 2


# --- the budget -------------------------------------------------------------------------------


def _plan(uow: UowFactory, actor: Principal) -> None:
    for changes in (
        {},
        {"fiscal_year": 2026, "amount": "50000"},
        {"kind": "forecast", "amount": "110000"},
        {
            "work_package": "WP2",
            "category": "travel",
            "nation": "GBR",
            "amount": "8000",
            "currency": "GBP",
        },
        {
            "work_package": "WP3",
            "category": "equipment",
            "nation": "NOR",
            "amount": "300000",
            "currency": "NOK",
        },
    ):
        services.set_budget_line(uow(), actor, budget(**changes))
    for changes in (
        {},
        {"amount": "-2500", "incurred_on": date(2024, 12, 1), "reference": "CORR-1"},
        {
            "work_package": "WP2",
            "category": "travel",
            "organisation": "UKSL",
            "kind": "commitment",
            "amount": "2000",
            "currency": "GBP",
            "incurred_on": date(2025, 4, 2),
        },
        {
            "work_package": "WP3",
            "category": "equipment",
            "organisation": "NDRE",
            "amount": "100000",
            "currency": "NOK",
            "incurred_on": date(2025, 1, 15),
        },
    ):
        services.record_expenditure(uow(), actor, cost(**changes))


def test_the_budget_report_per_work_package_category_and_fiscal_year(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    _plan(uow, operator)
    report = reports.budget(uow(), operator, PROJECT)
    assert report.currency == "USD"
    table = [
        (
            r.work_package,
            str(r.category),
            r.budget,
            r.forecast,
            r.committed,
            r.actual,
            r.remaining,
        )
        for r in report.rows
    ]
    d = Decimal
    assert table == [
        (
            "WP1",
            "personnel",
            d("150000.00"),
            d("110000.00"),
            d("0.00"),
            d("37500.00"),
            d("112500.00"),
        ),
        ("WP2", "travel", d("10000.00"), d("0.00"), d("2500.00"), d("0.00"), d("10000.00")),
        ("WP3", "equipment", d("30000.00"), d("0.00"), d("0.00"), d("10000.00"), d("20000.00")),
    ]
    for column in ("budget", "forecast", "committed", "actual", "remaining"):
        assert getattr(report.totals, column) == sum(getattr(r, column) for r in report.rows)
    assert all(r.remaining == r.budget - r.actual for r in report.rows)
    assert (report.totals.work_package, report.totals.category) == ("all", None)
    by_year = {
        (y.nation, y.fiscal_year): (y.budget, y.forecast, y.committed, y.actual)
        for y in report.by_fiscal_year
    }
    assert by_year == {
        ("GBR", "FY2025"): (d("10000.00"), d("0.00"), d("0.00"), d("0.00")),
        ("GBR", "FY2026"): (d("0.00"), d("0.00"), d("2500.00"), d("0.00")),
        ("NOR", "FY2025"): (d("30000.00"), d("0.00"), d("0.00"), d("10000.00")),
        ("USA", "FY2025"): (d("100000.00"), d("110000.00"), d("0.00"), d("37500.00")),
        ("USA", "FY2026"): (d("50000.00"), d("0.00"), d("0.00"), d("0.00")),
    }
    for column in ("budget", "forecast", "committed", "actual"):
        assert sum(getattr(y, column) for y in report.by_fiscal_year) == getattr(
            report.totals, column
        )


def test_the_budget_report_in_another_currency_adds_up(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    _plan(uow, operator)
    services.record_expenditure(
        uow(), operator, cost(amount="0.01", incurred_on=date(2025, 2, 2), reference="PENNY")
    )
    report = reports.budget(uow(), operator, PROJECT, currency="JPY")
    assert report.currency == "JPY"
    for column in ("budget", "forecast", "committed", "actual", "remaining"):
        assert getattr(report.totals, column) == sum(getattr(r, column) for r in report.rows)
    assert report.totals.budget == Decimal(round(Fraction(190000) / Fraction("0.0065")))
    assert fields(reports.budget, uow(), operator, PROJECT, currency="CHF") == ["currency"]


def test_the_budget_report_of_an_unknown_project_is_not_found(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    with pytest.raises(NotFound):
        reports.budget(uow(), operator, "NOPE")
    with pytest.raises(NotFound):
        reports.balance(uow(), operator, "NOPE")
    with pytest.raises(NotFound):
        services.contribution_id_for(uow(), operator, "NOPE")
    with pytest.raises(NotFound):
        services.decide_contribution(uow(), operator, uuid.uuid4(), decision())


def test_an_amount_larger_than_the_books_hold_is_refused_naming_its_field(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    before = counts(uow)
    huge = "99999999999999999.99"  # 10^19 cents: past a 64-bit integer
    assert refused(services.record_contribution, uow(), operator, contribution(amount=huge)) == [
        ("amount", "is more than the books hold (at most 10000000000000.00 USD)")
    ]
    assert fields(services.record_expenditure, uow(), operator, cost(amount="-" + huge)) == [
        "amount"
    ]
    assert fields(services.award_workshare, uow(), operator, award(value=huge)) == ["value"]
    assert counts(uow) == before
    services.record_contribution(uow(), operator, contribution(amount="10000000000000.00"))


# --- withdrawal -------------------------------------------------------------------------------


def test_a_contribution_recorded_in_error_is_withdrawn_kept_and_counted_nowhere(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    services.record_contribution(uow(), operator, contribution(amount="100000"))
    wrong = services.record_contribution(
        uow(), operator, contribution(reference="CON-2", amount="50000")
    )
    assert reports.balance(uow(), operator, AGREEMENT).total_contributed == Decimal("150000.00")
    withdrawal = WithdrawalIn(withdrawn_on=date(2025, 1, 9), reason="entered twice")
    assert refused(services.withdraw_contribution, uow(), operator, wrong.id, withdrawal) == [
        ("withdrawn_on", "is before the contribution (2025-01-10)")
    ]
    other = principal("fiona", Role.FINANCE_OFFICER, ScopeKind.ORGANISATION, fw.gbr_lab)
    with pytest.raises(PermissionDenied):
        services.withdraw_contribution(
            uow(), other, wrong.id, withdrawal.model_copy(update={"withdrawn_on": date(2025, 2, 1)})
        )
    withdrawn = services.withdraw_contribution(
        uow(),
        operator,
        wrong.id,
        WithdrawalIn(withdrawn_on=date(2025, 2, 1), reason="entered twice"),
    )
    assert (withdrawn.status, withdrawn.withdrawn_on, withdrawn.withdrawal_reason) == (
        ContributionStatus.WITHDRAWN,
        date(2025, 2, 1),
        "entered twice",
    )
    assert reports.balance(uow(), operator, AGREEMENT).total_contributed == Decimal("100000.00")
    listed = services.list_contributions(uow(), operator)
    assert [(c.reference, c.status) for c in listed] == [
        ("CON-1", "accepted"),
        ("CON-2", "withdrawn"),
    ]
    with pytest.raises(Conflict, match="already withdrawn"):
        services.withdraw_contribution(
            uow(), operator, wrong.id, WithdrawalIn(withdrawn_on=date(2025, 2, 2), reason="again")
        )
    with pytest.raises(ValidationFailed):
        services.decide_contribution(uow(), operator, wrong.id, decision())
    recorded = events(uow, "funding:contribution:withdraw")
    assert [(e.object_id, e.details["from"], e.details["reason"]) for e in recorded] == [
        (str(wrong.id), "accepted", "entered twice")
    ]


def test_an_award_withdrawn_no_longer_counts_as_workshare(
    uow: UowFactory, operator: Principal, fw: FundingWorld
) -> None:
    services.record_contribution(uow(), operator, contribution(amount="100000"))
    services.award_workshare(uow(), operator, award())
    wrong = services.award_workshare(
        uow(), operator, award(reference="AWD-2", organisation="UKSL", value="250000")
    )
    before = {n.nation: n for n in reports.balance(uow(), operator, AGREEMENT).nations}
    assert before["GBR"].workshare == Decimal("250000.00")
    withdrawal = WithdrawalIn(withdrawn_on=date(2025, 3, 1), reason="contract never signed")
    withdrawn = services.withdraw_award(uow(), operator, wrong.id, withdrawal)
    assert withdrawn.withdrawn_on == date(2025, 3, 1)
    after = reports.balance(uow(), operator, AGREEMENT)
    assert {n.nation: n.workshare for n in after.nations}["GBR"] == Decimal("0.00")
    assert after.total_workshare == Decimal("500000.00")
    with pytest.raises(Conflict, match="already withdrawn"):
        services.withdraw_award(uow(), operator, wrong.id, withdrawal)
    assert len(events(uow, "funding:workshare:withdraw")) == 1
    assert (
        services.get_award(uow(), operator, wrong.id).withdrawal_reason == "contract never signed"
    )
