"""Pure rules of agreements: which status changes are legal, whether terms add up."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from coalition.agreements.models import AgreementStatus, CostShareRule, DecisionRule
from coalition.errors import Problems

S = AgreementStatus

ALLOWED_TRANSITIONS: dict[AgreementStatus, frozenset[AgreementStatus]] = {
    S.DRAFT: frozenset({S.IN_FORCE, S.TERMINATED}),
    S.IN_FORCE: frozenset({S.SUSPENDED, S.TERMINATED, S.EXPIRED}),
    S.SUSPENDED: frozenset({S.IN_FORCE, S.TERMINATED}),
    S.TERMINATED: frozenset(),
    S.EXPIRED: frozenset(),
}


def transition_problem(current: AgreementStatus, wanted: AgreementStatus) -> str | None:
    if wanted in ALLOWED_TRANSITIONS[current]:
        return None
    allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "none (final status)"
    return f"cannot go from {current} to {wanted}; allowed from {current}: {allowed}"


def check_terms(
    problems: Problems,
    *,
    decision_rule: DecisionRule,
    qualified_majority_percent: int | None,
    cost_share_rule: CostShareRule,
    cost_shares: Mapping[str, Any],
    party_nations: set[str],
    fixed_contributions: Mapping[str, Any] | None = None,
    work_package_shares: Mapping[str, Mapping[str, Any]] | None = None,
    accounting_currency: str | None = None,
    exchange_rates: Mapping[str, Any] | None = None,
    balance_band: tuple[int, int] = (95, 105),
) -> None:
    if decision_rule is DecisionRule.QUALIFIED_MAJORITY and qualified_majority_percent is None:
        problems.add("qualified_majority_percent", "is required for a qualified majority")
    fixed = dict(fixed_contributions or {})
    by_wp = dict(work_package_shares or {})
    rates = dict(exchange_rates or {})
    rule = CostShareRule
    if cost_share_rule is rule.FIXED_SHARES:
        _check_percentages(problems, "cost_shares", cost_shares, party_nations, "a share")
    elif cost_shares:
        problems.add("cost_shares", f"only allowed with cost_share_rule {rule.FIXED_SHARES}")
    if cost_share_rule is rule.FIXED_CONTRIBUTIONS:
        if not fixed:
            problems.add("fixed_contributions", "name each party nation's contribution")
        strangers = sorted(set(fixed) - party_nations)
        if strangers:
            problems.add("fixed_contributions", f"{', '.join(strangers)} is not a party nation")
        if accounting_currency is None:
            problems.add("accounting_currency", "fixed contributions are stated in it: name it")
    elif fixed:
        problems.add(
            "fixed_contributions", f"only allowed with cost_share_rule {rule.FIXED_CONTRIBUTIONS}"
        )
    if cost_share_rule is rule.BY_WORK_PACKAGE:
        if not by_wp:
            problems.add("work_package_shares", "give the shares of at least one work package")
        for key, shares in sorted(by_wp.items()):
            _check_percentages(
                problems, f"work_package_shares.{key}", shares, party_nations, "a share"
            )
    elif by_wp:
        problems.add(
            "work_package_shares", f"only allowed with cost_share_rule {rule.BY_WORK_PACKAGE}"
        )
    if rates and accounting_currency is None:
        problems.add("exchange_rates", "rates are to the accounting currency: name it first")
    if accounting_currency is not None and accounting_currency in rates:
        problems.add(
            f"exchange_rates.{accounting_currency}",
            "is the accounting currency; its rate is 1 by definition",
        )
    low, high = balance_band
    if low > high:
        problems.add("balance_band_low_percent", f"is above the high end ({high})")


def _check_percentages(
    problems: Problems, name: str, shares: Mapping[str, Any], nations: set[str], what: str
) -> None:
    if not shares:
        problems.add(name, f"fixed shares need {what} per party nation")
        return
    values = [Decimal(str(v)) for v in shares.values()]
    if sum(values) != 100:
        problems.add(name, f"must add up to 100, not {Decimal(sum(values)).normalize():f}")
    strangers = sorted(set(shares) - nations)
    if strangers:
        problems.add(name, f"{', '.join(strangers)} is not a party nation")
    if any(v <= 0 for v in values):
        problems.add(name, "every share must be above 0")


def is_in_force_on(
    status: AgreementStatus, effective_from: date, expires_on: date | None, day: date
) -> bool:
    """Status in force and the day inside the validity period (later issues rely on this)."""
    return (
        status is AgreementStatus.IN_FORCE
        and effective_from <= day
        and (expires_on is None or day < expires_on)
    )
