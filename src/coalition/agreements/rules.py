"""Pure rules of agreements: which status changes are legal, whether terms add up."""

from __future__ import annotations

from datetime import date

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
    cost_shares: dict[str, float],
    party_nations: set[str],
) -> None:
    if decision_rule is DecisionRule.QUALIFIED_MAJORITY and qualified_majority_percent is None:
        problems.add("qualified_majority_percent", "is required for a qualified majority")
    if cost_share_rule is CostShareRule.FIXED_SHARES:
        if not cost_shares:
            problems.add("cost_shares", "fixed shares need a share per party nation")
        elif abs(sum(cost_shares.values()) - 100.0) > 1e-6:
            problems.add("cost_shares", f"must add up to 100, not {sum(cost_shares.values()):g}")
        strangers = sorted(set(cost_shares) - party_nations)
        if strangers:
            problems.add("cost_shares", f"{', '.join(strangers)} is not a party nation")
        if any(v <= 0 for v in cost_shares.values()):
            problems.add("cost_shares", "every share must be above 0")
    elif cost_shares:
        problems.add(
            "cost_shares", f"only allowed with cost_share_rule {CostShareRule.FIXED_SHARES}"
        )


def is_in_force_on(
    status: AgreementStatus, effective_from: date, expires_on: date | None, day: date
) -> bool:
    """Status in force and the day inside the validity period (later issues rely on this)."""
    return (
        status is AgreementStatus.IN_FORCE
        and effective_from <= day
        and (expires_on is None or day < expires_on)
    )
