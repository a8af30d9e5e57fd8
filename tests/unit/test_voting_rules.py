"""The voting rules: a table of outcomes for every rule, and properties that hold for any
seats and ballots."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.agreements.models import DecisionRule
from coalition.governance.rules import ABSTAIN, AGAINST, Result, Rule, Seat, all_voted, decide

U, C, M, Q = (
    DecisionRule.UNANIMITY,
    DecisionRule.CONSENSUS,
    DecisionRule.MAJORITY,
    DecisionRule.QUALIFIED_MAJORITY,
)
PLAIN = ["for", AGAINST]
SEATS = [Seat("gbr", "GBR"), Seat("usa", "USA", veto=True), Seat("fra", "FRA"), Seat("deu", "DEU")]


def ballots(**choices: str) -> dict[str, str]:
    return dict(choices)


@pytest.mark.parametrize(
    ("rule", "votes", "result", "says"),
    [
        (
            Rule(U),
            ballots(gbr="for", usa="for", fra="for", deu="for"),
            "carried",
            "carried by unanimity",
        ),
        (
            Rule(U),
            ballots(gbr="for", usa="for", fra=ABSTAIN, deu="for"),
            "failed",
            "failed: unanimity required, FRA abstained",
        ),
        (Rule(U), ballots(gbr="for", usa="for", fra="for"), "failed", "DEU did not vote"),
        (
            Rule(U),
            ballots(gbr="for", usa="for", fra="for", deu=AGAINST),
            "failed",
            "DEU voted against",
        ),
        (Rule(C), ballots(gbr="for", usa="for", fra=ABSTAIN), "carried", "carried by consensus"),
        (Rule(C), ballots(gbr="for", usa="for", fra=AGAINST), "failed", "FRA objected"),
        (Rule(M), ballots(gbr="for", usa="for", fra="for", deu=AGAINST), "carried", "for 3 of 4"),
        (Rule(M), ballots(gbr="for", usa="for", fra=AGAINST, deu=AGAINST), "failed", "tied"),
        (Rule(M), ballots(gbr="for", fra=ABSTAIN, deu=ABSTAIN), "carried", "2 abstaining"),
        (
            Rule(M),
            ballots(gbr=AGAINST, usa="for", fra=AGAINST, deu=AGAINST),
            "failed",
            "voted down",
        ),
        (Rule(Q, 50, 75), ballots(gbr="for", usa="for", fra="for", deu=AGAINST), "carried", "75%"),
        (Rule(Q, 50, 75), ballots(gbr="for", usa="for", fra="for"), "carried", "1 not voting"),
        (
            Rule(Q, 50, 75),
            ballots(gbr="for", usa="for", fra=ABSTAIN, deu=ABSTAIN),
            "failed",
            "for had 2 of 4",
        ),
        (Rule(M), ballots(gbr="for", usa=AGAINST, fra="for", deu="for"), "failed", "vetoed by USA"),
        (Rule(M), ballots(gbr="for", usa=ABSTAIN, fra="for", deu="for"), "carried", "1 abstaining"),
        (
            Rule(M, 75),
            ballots(gbr="for", usa="for"),
            "failed",
            "quorum not met: 2 of 4 voting weight took part, 75% required",
        ),
        (Rule(M, 50), ballots(gbr="for", usa=ABSTAIN), "carried", "quorum"[:0]),
        (
            Rule(M),
            ballots(gbr=ABSTAIN, usa=ABSTAIN, fra=ABSTAIN),
            "failed",
            "every member who took part abstained",
        ),
        (Rule(M, 0), ballots(), "failed", "nobody voted"),
    ],
)
def test_outcome_table(rule: Rule, votes: dict[str, str], result: str, says: str) -> None:
    outcome = decide(rule, PLAIN, SEATS, votes)
    assert outcome.result.value == result, outcome.explanation
    assert says in outcome.explanation


def test_several_options_and_weights() -> None:
    seats = [Seat("a", "GBR", weight=3), Seat("b", "USA", weight=2), Seat("c", "FRA", weight=1)]
    options = ["site A", "site B", "site C"]
    majority = decide(Rule(M), options, seats, {"a": "site B", "b": "site B", "c": "site A"})
    assert majority.carried and majority.option == "site B"
    assert majority.tally == {"site A": 1, "site B": 5, "site C": 0, ABSTAIN: 0, "not voted": 0}
    plurality = decide(Rule(M), options, seats, {"a": "site A", "b": "site B", "c": "site C"})
    assert not plurality.carried and "site A had 3 of 6" in plurality.explanation
    split = decide(Rule(U), options, seats, {"a": "site A", "b": "site B", "c": "site A"})
    assert "USA voted site B" in split.explanation


def test_ballots_of_no_seat_do_not_count_and_unknown_choices_are_refused() -> None:
    outcome = decide(Rule(U), PLAIN, SEATS[:1], {"gbr": "for", "someone": AGAINST})
    assert outcome.carried
    with pytest.raises(ValueError, match="not among the options"):
        decide(Rule(M), PLAIN, SEATS, {"gbr": "maybe"})


def test_no_voting_members() -> None:
    assert decide(Rule(M, 0), PLAIN, [], {}).explanation == "failed: the body has no voting members"


seat_lists = st.lists(
    st.builds(
        Seat,
        key=st.uuids().map(str),
        nation=st.sampled_from(["GBR", "USA", "FRA", "DEU", "AUS"]),
        weight=st.integers(1, 5),
        veto=st.booleans(),
    ),
    min_size=1,
    max_size=7,
    unique_by=lambda s: s.key,
)
choices = st.sampled_from(["for", AGAINST, ABSTAIN, None])
rule_kinds = st.sampled_from(list(DecisionRule))


@st.composite
def votes(draw: st.DrawFn) -> tuple[list[Seat], dict[str, str]]:
    seats = draw(seat_lists)
    cast = {}
    for seat in seats:
        choice = draw(choices)
        if choice is not None:
            cast[seat.key] = choice
    return seats, cast


def _rule(kind: DecisionRule, quorum: int, share: int) -> Rule:
    return Rule(kind, quorum, share if kind is DecisionRule.QUALIFIED_MAJORITY else None)


@given(votes(), rule_kinds, st.integers(0, 100), st.integers(51, 100), st.randoms())
def test_the_order_of_seats_and_ballots_does_not_matter(
    vote: tuple[list[Seat], dict[str, str]],
    kind: DecisionRule,
    quorum: int,
    share: int,
    rnd: random.Random,
) -> None:
    seats, cast = vote
    shuffled = list(seats)
    rnd.shuffle(shuffled)
    items = list(cast.items())
    rnd.shuffle(items)
    rule = _rule(kind, quorum, share)
    one, two = decide(rule, PLAIN, seats, cast), decide(rule, PLAIN, shuffled, dict(items))
    assert (one.result, one.option, one.tally) == (two.result, two.option, two.tally)


@given(votes(), rule_kinds, st.integers(0, 100), st.integers(51, 100))
def test_what_carries_is_for_with_quorum_and_no_veto_against(
    vote: tuple[list[Seat], dict[str, str]], kind: DecisionRule, quorum: int, share: int
) -> None:
    seats, cast = vote
    outcome = decide(_rule(kind, quorum, share), PLAIN, seats, cast)
    if outcome.carried:
        assert outcome.option == "for" and outcome.quorum_met
        assert not any(s.veto and cast.get(s.key) == AGAINST for s in seats)
        assert outcome.tally["for"] > outcome.tally[AGAINST]
    assert sum(outcome.tally.values()) == sum(s.weight for s in seats)


@given(votes(), st.integers(0, 100))
def test_unanimity_carried_implies_every_other_rule_carries(
    vote: tuple[list[Seat], dict[str, str]], quorum: int
) -> None:
    seats, cast = vote
    if decide(Rule(U, quorum), PLAIN, seats, cast).carried:
        assert all_voted(seats, cast)
        for other in (Rule(C, quorum), Rule(M, quorum), Rule(Q, quorum, 100)):
            assert decide(other, PLAIN, seats, cast).carried


@given(votes(), st.integers(51, 100))
def test_a_qualified_majority_is_also_a_simple_majority(
    vote: tuple[list[Seat], dict[str, str]], share: int
) -> None:
    seats, cast = vote
    if decide(Rule(Q, 0, share), PLAIN, seats, cast).carried:
        assert decide(Rule(M, 0), PLAIN, seats, cast).carried


@given(votes(), rule_kinds, st.integers(0, 100), st.integers(51, 100))
def test_more_taking_part_never_loses_the_quorum(
    vote: tuple[list[Seat], dict[str, str]], kind: DecisionRule, quorum: int, share: int
) -> None:
    seats, cast = vote
    rule = _rule(kind, quorum, share)
    if decide(rule, PLAIN, seats, cast).quorum_met:
        fuller = {s.key: cast.get(s.key, ABSTAIN) for s in seats}
        assert decide(rule, PLAIN, seats, fuller).quorum_met
    assert Result.CARRIED.value == "carried"
