"""Pure rules of funding: national fiscal years, the shares each nation agreed to pay,
and the workshare balance coefficient with its tolerance band. No I/O."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from coalition.agreements.models import CostShareRule

# --- fiscal years ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FiscalCalendar:
    """When a nation's fiscal year starts. A year is named by the calendar year it ends
    in: the USA's FY2026 runs from 1 October 2025 to 30 September 2026, GBR's FY2026
    from 1 April 2025 to 31 March 2026 (what the UK writes as 2025-26)."""

    start_month: int = 1
    start_day: int = 1

    def year_of(self, day: date) -> int:
        if (self.start_month, self.start_day) == (1, 1):
            return day.year
        return (
            day.year + 1 if (day.month, day.day) >= (self.start_month, self.start_day) else day.year
        )

    def bounds(self, year: int) -> tuple[date, date]:
        """First and last day of fiscal ``year``."""
        if (self.start_month, self.start_day) == (1, 1):
            return date(year, 1, 1), date(year, 12, 31)
        first = date(year - 1, self.start_month, self.start_day)
        last = date(year, self.start_month, self.start_day) - timedelta(days=1)
        return first, last

    def label(self, year: int) -> str:
        return f"FY{year}"

    def years_between(self, first: date, last: date) -> list[int]:
        return list(range(self.year_of(first), self.year_of(last) + 1))


CALENDAR_YEAR = FiscalCalendar()


def fiscal_year_in_period(
    calendar: FiscalCalendar, year: int, starts: date, ends: date | None
) -> bool:
    """Whether fiscal ``year`` shares at least one day with the period [starts, ends)."""
    first, last = calendar.bounds(year)
    return last >= starts and (ends is None or first < ends)


# --- agreed shares ---------------------------------------------------------------------------


def agreed_shares(
    rule: CostShareRule,
    *,
    party_nations: Iterable[str],
    percentage_shares: Mapping[str, Fraction],
    fixed_contributions: Mapping[str, Fraction],
    work_package_shares: Mapping[str, Mapping[str, Fraction]],
    work_package_weights: Mapping[str, Fraction],
    workshare: Mapping[str, Fraction],
) -> dict[str, Fraction] | None:
    """Each nation's agreed part of the cost, as a fraction of 1; None where the agreement
    sets none (each party bears its own costs).

    - equal: the party nations alike;
    - fixed shares: the percentages the agreement states;
    - fixed contributions: each nation's stated amount over their total;
    - by work package: each work package's shares, weighted by its budget (unweighted
      while no budget is set);
    - proportional to workshare: a nation pays the part of the work it receives, so its
      agreed share is its workshare.
    """
    nations = sorted(set(party_nations))
    if rule is CostShareRule.EACH_BEARS_OWN:
        return None
    if rule is CostShareRule.EQUAL:
        return {n: Fraction(1, len(nations)) for n in nations} if nations else {}
    if rule is CostShareRule.FIXED_SHARES:
        return {n: Fraction(v) / 100 for n, v in percentage_shares.items()}
    if rule is CostShareRule.FIXED_CONTRIBUTIONS:
        return _normalised(fixed_contributions)
    if rule is CostShareRule.PROPORTIONAL_TO_WORKSHARE:
        return _normalised(workshare)
    weights = {wp: work_package_weights.get(wp, Fraction(0)) for wp in work_package_shares}
    if not any(weights.values()):
        weights = {wp: Fraction(1) for wp in work_package_shares}
    combined: dict[str, Fraction] = {}
    for wp, shares in work_package_shares.items():
        for nation, percent in shares.items():
            combined[nation] = combined.get(nation, Fraction(0)) + weights[wp] * percent / 100
    return _normalised(combined)


def _normalised(values: Mapping[str, Fraction]) -> dict[str, Fraction]:
    total = sum(values.values(), Fraction(0))
    if total == 0:
        return {n: Fraction(0) for n in values}
    return {n: v / total for n, v in values.items()}


# --- balance ---------------------------------------------------------------------------------


class BalanceStanding(enum.StrEnum):
    WITHIN = "within"
    BELOW = "below"
    ABOVE = "above"
    #: The nation has contributed nothing yet: no ratio to judge.
    NO_CONTRIBUTION = "no_contribution"


def balance_coefficient(
    workshare: Fraction,
    workshare_total: Fraction,
    contribution: Fraction,
    contribution_total: Fraction,
) -> Fraction | None:
    """The nation's share of the work received over its share of the contributions made
    (OCCAR's "global balance"): 1 is a perfect return, below 1 a nation pays for work
    done elsewhere. None while the nation has contributed nothing."""
    if contribution <= 0 or contribution_total <= 0:
        return None
    work_part = workshare / workshare_total if workshare_total > 0 else Fraction(0)
    return work_part / (contribution / contribution_total)


def standing(coefficient: Fraction | None, low_percent: int, high_percent: int) -> BalanceStanding:
    if coefficient is None:
        return BalanceStanding.NO_CONTRIBUTION
    if coefficient * 100 < low_percent:
        return BalanceStanding.BELOW
    if coefficient * 100 > high_percent:
        return BalanceStanding.ABOVE
    return BalanceStanding.WITHIN
