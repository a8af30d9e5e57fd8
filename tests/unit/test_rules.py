"""Pure rules: date ranges, status transitions, terms of agreements."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.agreements.models import AgreementStatus, CostShareRule, DecisionRule
from coalition.agreements.rules import ALLOWED_TRANSITIONS, check_terms, is_in_force_on
from coalition.agreements.rules import transition_problem as agreement_problem
from coalition.common.validation import nation_code, ranges_overlap
from coalition.errors import Problems
from coalition.projects.models import ProjectStatus
from coalition.projects.rules import transition_problem as project_problem

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1))
ranges = st.tuples(days, st.one_of(st.none(), st.integers(1, 5000))).map(
    lambda t: (t[0], None if t[1] is None else t[0] + timedelta(days=t[1]))
)


@given(ranges, ranges)
def test_overlap_is_symmetric(a: tuple[date, date | None], b: tuple[date, date | None]) -> None:
    assert ranges_overlap(*a, *b) == ranges_overlap(*b, *a)


@given(ranges, ranges)
def test_overlap_means_a_shared_day(
    a: tuple[date, date | None], b: tuple[date, date | None]
) -> None:
    start = max(a[0], b[0])
    ends = [e for e in (a[1], b[1]) if e is not None]
    shares_a_day = not ends or start < min(ends)
    assert ranges_overlap(*a, *b) == shares_a_day


def test_back_to_back_ranges_do_not_overlap() -> None:
    assert not ranges_overlap(date(2024, 1, 1), date(2025, 1, 1), date(2025, 1, 1), None)


@given(st.sampled_from(list(AgreementStatus)), st.sampled_from(list(AgreementStatus)))
def test_agreement_transition_is_allowed_exactly_when_listed(
    current: AgreementStatus, wanted: AgreementStatus
) -> None:
    problem = agreement_problem(current, wanted)
    assert (problem is None) == (wanted in ALLOWED_TRANSITIONS[current])
    if problem:
        assert str(current) in problem and str(wanted) in problem


def test_terminated_and_expired_agreements_are_final() -> None:
    for final in (AgreementStatus.TERMINATED, AgreementStatus.EXPIRED):
        assert not ALLOWED_TRANSITIONS[final]
        assert "final status" in (agreement_problem(final, AgreementStatus.IN_FORCE) or "")


def test_every_agreement_status_but_draft_is_reachable_from_draft() -> None:
    seen, frontier = {AgreementStatus.DRAFT}, [AgreementStatus.DRAFT]
    while frontier:
        for nxt in ALLOWED_TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(AgreementStatus)


@pytest.mark.parametrize(
    ("current", "wanted", "allowed"),
    [
        (ProjectStatus.PROPOSED, ProjectStatus.ACTIVE, True),
        (ProjectStatus.ACTIVE, ProjectStatus.COMPLETED, True),
        (ProjectStatus.COMPLETED, ProjectStatus.ACTIVE, False),
        (ProjectStatus.CANCELLED, ProjectStatus.PROPOSED, False),
        (ProjectStatus.ACTIVE, ProjectStatus.ACTIVE, True),
    ],
)
def test_project_transitions(current: ProjectStatus, wanted: ProjectStatus, allowed: bool) -> None:
    assert (project_problem(current, wanted) is None) == allowed


@given(days, days, st.one_of(st.none(), days))
def test_only_an_in_force_agreement_is_in_force(start: date, day: date, end: date | None) -> None:
    for status in AgreementStatus:
        if is_in_force_on(status, start, end, day):
            assert status is AgreementStatus.IN_FORCE and start <= day
            assert end is None or day < end


@given(st.lists(st.integers(1, 100), min_size=1, max_size=5))
def test_fixed_shares_pass_only_when_they_total_100(shares: list[int]) -> None:
    nations = ["USA", "GBR", "FRA", "DEU", "CAN"][: len(shares)]
    problems = Problems()
    check_terms(
        problems,
        decision_rule=DecisionRule.UNANIMITY,
        qualified_majority_percent=None,
        cost_share_rule=CostShareRule.FIXED_SHARES,
        cost_shares=dict(zip(nations, map(float, shares), strict=True)),
        party_nations=set(nations),
    )
    assert (not problems.items) == (sum(shares) == 100)


def test_qualified_majority_needs_its_percentage() -> None:
    problems = Problems()
    check_terms(
        problems,
        decision_rule=DecisionRule.QUALIFIED_MAJORITY,
        qualified_majority_percent=None,
        cost_share_rule=CostShareRule.EQUAL,
        cost_shares={},
        party_nations={"USA"},
    )
    assert [p.field for p in problems.items] == ["qualified_majority_percent"]


@pytest.mark.parametrize("code", ["usa", " GBR ", "fra"])
def test_nation_codes_are_normalised(code: str) -> None:
    assert nation_code(code) == code.strip().upper()


@pytest.mark.parametrize("code", ["US", "UKX", "EUR", "NATO", ""])
def test_non_iso_codes_are_refused(code: str) -> None:
    with pytest.raises(ValueError, match="ISO 3166-1"):
        nation_code(code)
