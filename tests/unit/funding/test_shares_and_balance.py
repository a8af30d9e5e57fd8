"""The shares each nation agreed to pay under each cost-share rule, and the workshare
balance coefficient with its tolerance band."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from coalition.agreements.models import CostShareRule
from coalition.funding.rules import (
    BalanceStanding,
    agreed_shares,
    balance_coefficient,
    standing,
)

NATIONS = ("USA", "GBR", "FRA", "DEU", "CAN", "AUS")
Rule = CostShareRule

nation_sets = st.sets(st.sampled_from(NATIONS), min_size=1)
positive = st.fractions(min_value=Fraction(1, 10**6), max_value=10**9, max_denominator=10**6)
non_negative = st.fractions(min_value=0, max_value=10**9, max_denominator=10**6)
weights = st.dictionaries(st.sampled_from(NATIONS), positive, min_size=1)


def _shares(
    rule: CostShareRule,
    *,
    party_nations: Iterable[str] = (),
    percentage_shares: Mapping[str, Fraction] | None = None,
    fixed_contributions: Mapping[str, Fraction] | None = None,
    work_package_shares: Mapping[str, Mapping[str, Fraction]] | None = None,
    work_package_weights: Mapping[str, Fraction] | None = None,
    workshare: Mapping[str, Fraction] | None = None,
) -> dict[str, Fraction] | None:
    """`agreed_shares` with every term empty unless given."""
    return agreed_shares(
        rule,
        party_nations=party_nations,
        percentage_shares=percentage_shares or {},
        fixed_contributions=fixed_contributions or {},
        work_package_shares=work_package_shares or {},
        work_package_weights=work_package_weights or {},
        workshare=workshare or {},
    )


def _percentages(parts: dict[str, Fraction]) -> dict[str, Fraction]:
    """Parts scaled to percentages that add up to exactly 100."""
    total = sum(parts.values(), Fraction(0))
    return {n: 100 * v / total for n, v in parts.items()}


# --- agreed shares ---------------------------------------------------------------------------


def test_each_bears_own_sets_no_shares() -> None:
    assert _shares(Rule.EACH_BEARS_OWN, party_nations=["USA", "GBR"]) is None


def test_equal_shares_with_no_party_nations_are_empty() -> None:
    assert _shares(Rule.EQUAL) == {}


@given(st.lists(st.sampled_from(NATIONS), min_size=1))
def test_equal_shares_split_alike_between_the_party_nations(nations: list[str]) -> None:
    shares = _shares(Rule.EQUAL, party_nations=nations)
    assert shares is not None
    assert shares.keys() == set(nations)
    assert set(shares.values()) == {Fraction(1, len(set(nations)))}
    assert sum(shares.values()) == 1


@given(weights)
def test_fixed_shares_are_the_stated_percentages(parts: dict[str, Fraction]) -> None:
    percent = _percentages(parts)
    shares = _shares(Rule.FIXED_SHARES, party_nations=list(parts), percentage_shares=percent)
    assert shares == {n: p / 100 for n, p in percent.items()}
    assert sum(shares.values()) == 1


def test_fixed_shares_of_a_third_add_up_exactly() -> None:
    shares = _shares(
        Rule.FIXED_SHARES,
        percentage_shares={
            "USA": Fraction("33.333334"),
            "GBR": Fraction("33.333333"),
            "FRA": Fraction("33.333333"),
        },
    )
    assert shares == {
        "USA": Fraction(33333334, 10**8),
        "GBR": Fraction(33333333, 10**8),
        "FRA": Fraction(33333333, 10**8),
    }
    assert sum(shares.values()) == 1


@given(weights)
def test_fixed_contributions_are_shares_of_their_total(amounts: dict[str, Fraction]) -> None:
    shares = _shares(Rule.FIXED_CONTRIBUTIONS, fixed_contributions=amounts)
    total = sum(amounts.values(), Fraction(0))
    assert shares == {n: a / total for n, a in amounts.items()}
    assert sum(shares.values()) == 1


@given(st.dictionaries(st.sampled_from(NATIONS), non_negative, min_size=1))
def test_proportional_to_workshare_is_the_normalised_workshare(
    workshare: dict[str, Fraction],
) -> None:
    shares = _shares(Rule.PROPORTIONAL_TO_WORKSHARE, workshare=workshare)
    total = sum(workshare.values(), Fraction(0))
    assert shares is not None and shares.keys() == workshare.keys()
    if total:
        assert shares == {n: w / total for n, w in workshare.items()}
        assert sum(shares.values()) == 1
    else:
        assert set(shares.values()) == {0}


def test_by_work_package_weights_each_package_by_its_budget() -> None:
    packages = {
        "CSAR/WP1": {"USA": Fraction(100)},
        "CSAR/WP2": {"GBR": Fraction(50), "FRA": Fraction(50)},
    }
    weighted = _shares(
        Rule.BY_WORK_PACKAGE,
        work_package_shares=packages,
        work_package_weights={"CSAR/WP1": Fraction(3), "CSAR/WP2": Fraction(1)},
    )
    assert weighted == {"USA": Fraction(3, 4), "GBR": Fraction(1, 8), "FRA": Fraction(1, 8)}
    unweighted = _shares(Rule.BY_WORK_PACKAGE, work_package_shares=packages)
    assert unweighted == {"USA": Fraction(1, 2), "GBR": Fraction(1, 4), "FRA": Fraction(1, 4)}
    # Once one package has a budget, a package without one weighs nothing.
    partly = _shares(
        Rule.BY_WORK_PACKAGE,
        work_package_shares=packages,
        work_package_weights={"CSAR/WP1": Fraction(5)},
    )
    assert partly == {"USA": Fraction(1), "GBR": Fraction(0), "FRA": Fraction(0)}


@given(
    st.dictionaries(
        st.sampled_from(["P/WP1", "P/WP2", "P/WP3", "Q/WP1"]),
        st.tuples(weights, st.one_of(st.none(), positive)),
        min_size=1,
    )
)
def test_by_work_package_is_the_budget_weighted_mean_of_package_shares(
    packages: dict[str, tuple[dict[str, Fraction], Fraction | None]],
) -> None:
    shares_by_wp = {wp: _percentages(parts) for wp, (parts, _) in packages.items()}
    budgets = {wp: budget for wp, (_, budget) in packages.items() if budget is not None}
    shares = _shares(
        Rule.BY_WORK_PACKAGE, work_package_shares=shares_by_wp, work_package_weights=budgets
    )
    assert shares is not None
    assert sum(shares.values()) == 1
    weight = {wp: budgets.get(wp, Fraction(0)) if budgets else Fraction(1) for wp in packages}
    for nation in NATIONS:
        expected = sum(
            (weight[wp] * s.get(nation, 0) / 100 for wp, s in shares_by_wp.items()), Fraction(0)
        ) / sum(weight.values())
        assert shares.get(nation, Fraction(0)) == expected


@pytest.mark.parametrize(
    "rule", [r for r in CostShareRule if r is not CostShareRule.EACH_BEARS_OWN]
)
@given(parts=weights)
def test_every_rule_but_each_bears_own_shares_out_the_whole_cost(
    rule: CostShareRule, parts: dict[str, Fraction]
) -> None:
    percent = _percentages(parts)
    shares = _shares(
        rule,
        party_nations=list(parts),
        percentage_shares=percent,
        fixed_contributions=parts,
        work_package_shares={"P/WP1": percent},
        workshare=parts,
    )
    assert shares is not None
    assert sum(shares.values()) == 1
    assert all(0 <= s <= 1 for s in shares.values())


# --- balance ---------------------------------------------------------------------------------


@given(non_negative, non_negative, non_negative)
def test_no_coefficient_before_a_nation_contributes(
    workshare: Fraction, workshare_total: Fraction, contribution_total: Fraction
) -> None:
    assert balance_coefficient(workshare, workshare_total, Fraction(0), contribution_total) is None
    assert balance_coefficient(workshare, workshare_total, Fraction(1), Fraction(0)) is None
    assert standing(None, 95, 105) is BalanceStanding.NO_CONTRIBUTION


@given(
    st.fractions(min_value=Fraction(1, 10**6), max_value=1, max_denominator=10**6),
    positive,
    positive,
)
def test_a_fair_return_has_coefficient_one(
    share: Fraction, workshare_total: Fraction, contribution_total: Fraction
) -> None:
    coefficient = balance_coefficient(
        share * workshare_total, workshare_total, share * contribution_total, contribution_total
    )
    assert coefficient == 1
    assert standing(coefficient, 100, 100) is BalanceStanding.WITHIN


@given(non_negative, positive, positive, positive)
def test_the_coefficient_is_work_share_over_contribution_share(
    workshare: Fraction, workshare_total: Fraction, contribution: Fraction, total: Fraction
) -> None:
    assume(workshare <= workshare_total and contribution <= total)
    coefficient = balance_coefficient(workshare, workshare_total, contribution, total)
    assert coefficient is not None
    assert coefficient * (contribution / total) == workshare / workshare_total


def test_no_work_received_yet_is_a_coefficient_of_zero() -> None:
    assert balance_coefficient(Fraction(0), Fraction(0), Fraction(5), Fraction(10)) == 0


@pytest.mark.parametrize(
    ("coefficient", "expected"),
    [
        (Fraction(95, 100), BalanceStanding.WITHIN),
        (Fraction(105, 100), BalanceStanding.WITHIN),
        (Fraction(1), BalanceStanding.WITHIN),
        (Fraction(95, 100) - Fraction(1, 10**9), BalanceStanding.BELOW),
        (Fraction(105, 100) + Fraction(1, 10**9), BalanceStanding.ABOVE),
        (Fraction(0), BalanceStanding.BELOW),
    ],
)
def test_the_band_includes_both_ends(coefficient: Fraction, expected: BalanceStanding) -> None:
    assert standing(coefficient, 95, 105) is expected


@given(
    st.fractions(min_value=0, max_value=20, max_denominator=10**4),
    st.integers(1, 100),
    st.integers(100, 1000),
)
def test_standing_places_a_coefficient_against_the_band(
    coefficient: Fraction, low: int, high: int
) -> None:
    percent = coefficient * 100
    expected = (
        BalanceStanding.BELOW
        if percent < low
        else BalanceStanding.ABOVE
        if percent > high
        else BalanceStanding.WITHIN
    )
    assert standing(coefficient, low, high) is expected
    assert standing(Fraction(low, 100), low, high) is BalanceStanding.WITHIN
    assert standing(Fraction(high, 100), low, high) is BalanceStanding.WITHIN
