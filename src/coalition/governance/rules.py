"""How a body's vote is decided: pure functions of the rule, the seats and the ballots.

Every voter may choose one of the motion's options or abstain. A plain motion's options
are ``for`` and ``against``; ``against`` never carries: if it prevails the motion fails.
A motion with several options (choose a test site) carries the option the rule selects.

- **Quorum**: the weight of the members who took part (voted or abstained) must reach the
  body's quorum share of the weight of all voting members, or the vote counts for nothing.
- **Unanimity**: every voting member voted, and all for the same option; an abstention or
  a missing vote is enough to fail.
- **Consensus**: nobody who took part objected: all who did not abstain chose the same
  option (absent members do not block; the quorum still applies).
- **Majority**: the leading option holds more than half the weight of the votes cast,
  abstentions not counted; a tie fails.
- **Qualified majority**: the leading option holds at least the agreed share of the weight
  of all voting members (not only of those who voted).
- **Veto**: a member with a veto who chose another option than the one that would carry
  blocks it, whatever the rule. Abstaining is not a veto.

The explanation names the nations whose votes decided the outcome, so a reader of the
minutes can see why ("failed: unanimity required, FRA abstained")."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from coalition.agreements.models import DecisionRule

ABSTAIN = "abstain"
#: The tally's entry for the seats that did not vote.
NOT_VOTED = "not voted"
AGAINST = "against"
PLAIN_OPTIONS = ("for", AGAINST)


@dataclass(frozen=True)
class Seat:
    """A voting member as the vote saw them."""

    key: str
    nation: str
    weight: int = 1
    veto: bool = False
    name: str = ""

    @property
    def who(self) -> str:
        return f"{self.nation} ({self.name})" if self.name else self.nation


@dataclass(frozen=True)
class Rule:
    kind: DecisionRule
    quorum_percent: int = 50
    qualified_majority_percent: int | None = None


class Result(enum.StrEnum):
    CARRIED = "carried"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    result: Result
    option: str | None
    quorum_met: bool
    explanation: str
    #: Weight per option, plus ``abstain`` and ``not voted``.
    tally: dict[str, int] = field(default_factory=dict)

    @property
    def carried(self) -> bool:
        return self.result is Result.CARRIED


def rule_text(rule: Rule) -> str:
    if rule.kind is DecisionRule.QUALIFIED_MAJORITY:
        return f"qualified majority of {rule.qualified_majority_percent}% of all voting weight"
    return {
        DecisionRule.UNANIMITY: "unanimity",
        DecisionRule.CONSENSUS: "consensus",
        DecisionRule.MAJORITY: "simple majority of votes cast",
    }[rule.kind]


def all_voted(seats: Sequence[Seat], ballots: Mapping[str, str]) -> bool:
    """Every voting member has voted: the outcome can no longer change."""
    return all(seat.key in ballots for seat in seats)


def decide(
    rule: Rule, options: Sequence[str], seats: Sequence[Seat], ballots: Mapping[str, str]
) -> Outcome:
    """The outcome of a closed vote. ``ballots`` maps a seat's key to its choice; ballots of
    keys that hold no seat are ignored (a member who left does not count)."""
    by_key = {seat.key: seat for seat in seats}
    cast = {key: choice for key, choice in ballots.items() if key in by_key}
    unknown = {choice for choice in cast.values() if choice != ABSTAIN and choice not in options}
    if unknown:
        raise ValueError(f"choices not among the options: {sorted(unknown)}")
    tally = dict.fromkeys(options, 0)
    tally[ABSTAIN] = 0
    for key, choice in cast.items():
        tally[choice] += by_key[key].weight
    total = sum(seat.weight for seat in seats)
    taking_part = sum(by_key[key].weight for key in cast)
    tally[NOT_VOTED] = total - taking_part

    def failed(why: str, quorum: bool = True) -> Outcome:
        return Outcome(Result.FAILED, None, quorum, f"failed: {why}", tally)

    if total == 0:
        return failed("the body has no voting members", quorum=False)
    if taking_part * 100 < rule.quorum_percent * total:
        return failed(
            f"quorum not met: {taking_part} of {total} voting weight took part, "
            f"{rule.quorum_percent}% required",
            quorum=False,
        )
    votes = {option: tally[option] for option in options}
    cast_weight = sum(votes.values())
    if taking_part == 0:
        return failed("nobody voted")
    if cast_weight == 0:
        return failed("every member who took part abstained")
    best = max(votes.values())
    leaders = [option for option, weight in votes.items() if weight == best]
    leading = leaders[0] if len(leaders) == 1 else None
    required = rule_text(rule)

    def against(option: str | None) -> list[Seat]:
        """Seats that took part and chose something else than ``option``."""
        return [by_key[k] for k, c in cast.items() if c != ABSTAIN and c != option]

    def names(chosen: Sequence[Seat], verb: str) -> list[str]:
        return [f"{seat.who} {verb}" for seat in sorted(chosen, key=lambda s: (s.nation, s.key))]

    if rule.kind is DecisionRule.UNANIMITY:
        reasons = names([by_key[k] for k, c in cast.items() if c == ABSTAIN], "abstained")
        reasons += names([s for s in seats if s.key not in cast], "did not vote")
        if leading is not None:
            reasons += [
                f"{s.who} voted {cast[s.key]}"
                for s in sorted(against(leading), key=lambda s: (s.nation, s.key))
            ]
        elif len(leaders) > 1:
            reasons.append("the votes were split")
        if reasons:
            return failed(f"{required} required, " + ", ".join(reasons))
    elif rule.kind is DecisionRule.CONSENSUS:
        if leading is None or against(leading):
            dissent = names(against(leading), "objected") if leading else ["the votes were split"]
            return failed(f"{required} required, " + ", ".join(dissent))
    elif rule.kind is DecisionRule.MAJORITY:
        if leading is None:
            return failed(f"{required} required, the votes were tied ({best} each)")
        if best * 2 <= cast_weight:
            return failed(f"{required} required, {leading} had {best} of {cast_weight}")
    else:
        share = rule.qualified_majority_percent or 100
        if leading is None or best * 100 < share * total:
            return failed(f"{required} required, {leaders[0]} had {best} of {total}")
    assert leading is not None
    if leading == AGAINST:
        return failed(f"{required}: the motion was voted down ({best} of {cast_weight} against)")
    vetoes = [s for s in against(leading) if s.veto]
    if vetoes:
        return failed("vetoed by " + ", ".join(s.who for s in vetoes))
    summary = f"{leading} {best} of {total} voting weight"
    if tally[ABSTAIN]:
        summary += f", {tally[ABSTAIN]} abstaining"
    if tally[NOT_VOTED]:
        summary += f", {tally['not voted']} not voting"
    return Outcome(Result.CARRIED, leading, True, f"carried by {required}: {summary}", tally)
