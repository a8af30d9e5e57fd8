"""The funding terms an agreement may state, and what `check_terms` refuses in them.

Each row gives terms that differ from a valid agreement in one respect and the exact
problems expected, so a new refusal or a lost one both show up here.
"""

from __future__ import annotations

from typing import Any

import pytest

from coalition.agreements.models import CostShareRule, DecisionRule
from coalition.agreements.rules import check_terms
from coalition.errors import FieldProblem, Problems

PARTIES = {"USA", "GBR"}
Rule = CostShareRule


def _problems(**terms: Any) -> list[FieldProblem]:
    problems = Problems()
    arguments: dict[str, Any] = {
        "decision_rule": DecisionRule.UNANIMITY,
        "qualified_majority_percent": None,
        "cost_share_rule": Rule.EQUAL,
        "cost_shares": {},
        "party_nations": PARTIES,
    }
    check_terms(problems, **(arguments | terms))
    return problems.items


@pytest.mark.parametrize(
    "terms",
    [
        pytest.param({}, id="equal"),
        pytest.param({"cost_share_rule": Rule.EACH_BEARS_OWN}, id="each_bears_own"),
        pytest.param({"cost_share_rule": Rule.PROPORTIONAL_TO_WORKSHARE}, id="workshare"),
        pytest.param(
            {"cost_share_rule": Rule.FIXED_SHARES, "cost_shares": {"USA": "60", "GBR": "40"}},
            id="fixed_shares",
        ),
        pytest.param(
            {
                "cost_share_rule": Rule.FIXED_SHARES,
                "cost_shares": {"USA": "66.666667", "GBR": "33.333333"},
            },
            id="fixed_shares_in_decimals",
        ),
        pytest.param(
            {
                "cost_share_rule": Rule.FIXED_CONTRIBUTIONS,
                "fixed_contributions": {"USA": "1500000", "GBR": "750000.50"},
                "accounting_currency": "EUR",
                "exchange_rates": {"USD": "0.912345", "GBP": "1.187654"},
            },
            id="fixed_contributions",
        ),
        pytest.param(
            {
                "cost_share_rule": Rule.BY_WORK_PACKAGE,
                "work_package_shares": {
                    "CSAR/WP1": {"USA": "100"},
                    "CSAR/WP2": {"USA": "25", "GBR": "75"},
                },
            },
            id="by_work_package",
        ),
        pytest.param({"balance_band": (100, 100)}, id="a_band_of_one_value"),
        pytest.param({"accounting_currency": "EUR"}, id="currency_without_rates"),
    ],
)
def test_consistent_terms_pass(terms: dict[str, Any]) -> None:
    assert _problems(**terms) == []


def _p(field: str, message: str) -> FieldProblem:
    return FieldProblem(field, message)


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        pytest.param(
            {"cost_shares": {"USA": "100"}},
            [_p("cost_shares", "only allowed with cost_share_rule fixed_shares")],
            id="cost_shares_without_their_rule",
        ),
        pytest.param(
            {"cost_share_rule": Rule.FIXED_SHARES},
            [_p("cost_shares", "fixed shares need a share per party nation")],
            id="fixed_shares_missing",
        ),
        pytest.param(
            {"cost_share_rule": Rule.FIXED_SHARES, "cost_shares": {"USA": "60", "GBR": "30.0"}},
            [_p("cost_shares", "must add up to 100, not 90")],
            id="fixed_shares_short",
        ),
        pytest.param(
            {
                "cost_share_rule": Rule.FIXED_SHARES,
                "cost_shares": {"USA": "33.3333", "GBR": "66.6666"},
            },
            [_p("cost_shares", "must add up to 100, not 99.9999")],
            id="fixed_shares_short_by_a_rounding",
        ),
        pytest.param(
            {"cost_share_rule": Rule.FIXED_SHARES, "cost_shares": {"USA": "60", "FRA": "40"}},
            [_p("cost_shares", "FRA is not a party nation")],
            id="fixed_shares_stranger",
        ),
        pytest.param(
            {
                "cost_share_rule": Rule.FIXED_SHARES,
                "cost_shares": {"USA": "110", "GBR": "-10", "DEU": "0"},
            },
            [
                _p("cost_shares", "DEU is not a party nation"),
                _p("cost_shares", "every share must be above 0"),
            ],
            id="fixed_shares_not_above_zero",
        ),
        pytest.param(
            {"cost_share_rule": Rule.FIXED_CONTRIBUTIONS},
            [
                _p("fixed_contributions", "name each party nation's contribution"),
                _p("accounting_currency", "fixed contributions are stated in it: name it"),
            ],
            id="fixed_contributions_missing",
        ),
        pytest.param(
            {
                "cost_share_rule": Rule.FIXED_CONTRIBUTIONS,
                "fixed_contributions": {"USA": "10", "NOR": "5", "CAN": "5"},
                "accounting_currency": "USD",
            },
            [_p("fixed_contributions", "CAN, NOR is not a party nation")],
            id="fixed_contributions_strangers",
        ),
        pytest.param(
            {"fixed_contributions": {"USA": "10"}, "accounting_currency": "USD"},
            [_p("fixed_contributions", "only allowed with cost_share_rule fixed_contributions")],
            id="fixed_contributions_without_their_rule",
        ),
        pytest.param(
            {"cost_share_rule": Rule.BY_WORK_PACKAGE},
            [_p("work_package_shares", "give the shares of at least one work package")],
            id="work_package_shares_missing",
        ),
        pytest.param(
            {
                "cost_share_rule": Rule.BY_WORK_PACKAGE,
                "work_package_shares": {
                    "CSAR/WP2": {"USA": "50", "FRA": "40"},
                    "CSAR/WP1": {},
                },
            },
            [
                _p("work_package_shares.CSAR/WP1", "fixed shares need a share per party nation"),
                _p("work_package_shares.CSAR/WP2", "must add up to 100, not 90"),
                _p("work_package_shares.CSAR/WP2", "FRA is not a party nation"),
            ],
            id="work_package_shares_each_checked_in_order",
        ),
        pytest.param(
            {"work_package_shares": {"CSAR/WP1": {"USA": "100"}}},
            [_p("work_package_shares", "only allowed with cost_share_rule by_work_package")],
            id="work_package_shares_without_their_rule",
        ),
        pytest.param(
            {"exchange_rates": {"USD": "0.9"}},
            [_p("exchange_rates", "rates are to the accounting currency: name it first")],
            id="rates_without_accounting_currency",
        ),
        pytest.param(
            {"accounting_currency": "EUR", "exchange_rates": {"EUR": "1", "USD": "0.9"}},
            [_p("exchange_rates.EUR", "is the accounting currency; its rate is 1 by definition")],
            id="rate_for_the_accounting_currency",
        ),
        pytest.param(
            {"balance_band": (106, 105)},
            [_p("balance_band_low_percent", "is above the high end (105)")],
            id="balance_band_upside_down",
        ),
        pytest.param(
            {
                "decision_rule": DecisionRule.QUALIFIED_MAJORITY,
                "cost_shares": {"USA": "100"},
                "fixed_contributions": {"USA": "1"},
                "work_package_shares": {"CSAR/WP1": {"USA": "100"}},
                "exchange_rates": {"USD": "0.9"},
                "balance_band": (100, 99),
            },
            [
                _p("qualified_majority_percent", "is required for a qualified majority"),
                _p("cost_shares", "only allowed with cost_share_rule fixed_shares"),
                _p(
                    "fixed_contributions",
                    "only allowed with cost_share_rule fixed_contributions",
                ),
                _p("work_package_shares", "only allowed with cost_share_rule by_work_package"),
                _p("exchange_rates", "rates are to the accounting currency: name it first"),
                _p("balance_band_low_percent", "is above the high end (99)"),
            ],
            id="every_problem_reported_at_once",
        ),
    ],
)
def test_inconsistent_terms_are_refused(
    terms: dict[str, Any], expected: list[FieldProblem]
) -> None:
    assert _problems(**terms) == expected
