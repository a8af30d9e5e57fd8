"""The IP register's rules, as pure functions of plain values: what the agreement's IP
regime grants by default, what a licensor holds and whether a grant stays within it, the
clocks (disclosure, filing decisions, objection windows), and what still stands in the way
of a transfer. The services load the records and call these; the tests call them directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from coalition.agreements.models import IpRegime
from coalition.policy.facts import Purpose

PROJECT = Purpose.CARRYING_OUT_THE_PROJECT.value
GOVERNMENT = Purpose.GOVERNMENT_PURPOSES.value

#: What the participants of a project may do, royalty-free and without a licence, with a
#: result of the project or with background included under its agreement.
_RESULT_ACCESS: dict[IpRegime, frozenset[str]] = {
    IpRegime.OWNER_KEEPS_RESULTS_ROYALTY_FREE_PROJECT_USE: frozenset({PROJECT}),
    IpRegime.JOINT_OWNERSHIP: frozenset({PROJECT}),
    IpRegime.GOVERNMENT_PURPOSE_RIGHTS: frozenset({PROJECT, GOVERNMENT}),
    IpRegime.NO_ACCESS_RIGHTS: frozenset(),
}


def default_access_purposes(regime: IpRegime, *, background: bool = False) -> frozenset[str]:
    """Purposes the regime grants participants by default. Background included under an
    agreement is available only for carrying out the project (government purpose rights
    cover results, not what a party brought in)."""
    granted = _RESULT_ACCESS[regime]
    return granted & {PROJECT} if background else granted


def shares_problem(shares: Sequence[int]) -> str | None:
    """Why a set of ownership shares cannot stand, or None: each share is a whole percent
    from 1 to 100 and together they make 100."""
    if not shares:
        return "an asset needs at least one owner"
    if any(s < 1 or s > 100 for s in shares):
        return "each share is between 1 and 100 percent"
    total = sum(shares)
    if total != 100:
        return f"the shares add up to {total}%, not 100%"
    return None


def move_share(
    shares: dict[str, int], transferor: str, transferee: str, percent: int
) -> dict[str, int]:
    """Shares after ``transferor`` assigns ``percent`` of the asset to ``transferee``; the
    total stays 100 and an owner left with nothing is no longer an owner."""
    held = shares.get(transferor, 0)
    if percent < 1 or percent > held:
        raise ValueError(f"the transferor holds {held}%, cannot assign {percent}%")
    after = dict(shares)
    after[transferor] = held - percent
    after[transferee] = after.get(transferee, 0) + percent
    return {owner: share for owner, share in after.items() if share > 0}


@dataclass(frozen=True, slots=True)
class Grant:
    """The rights a licence gives (or would give): purposes, territory (empty: worldwide),
    validity [valid_from, valid_until) with None for open-ended, and whether the licensee
    may sublicense or holds them exclusively."""

    purposes: frozenset[str]
    territory: frozenset[str]
    valid_from: date
    valid_until: date | None
    sublicensing: bool = False
    exclusive: bool = False
    reference: str = ""


def _covers_time(outer: Grant, inner: Grant) -> bool:
    if inner.valid_from < outer.valid_from:
        return False
    if outer.valid_until is None:
        return True
    return inner.valid_until is not None and inner.valid_until <= outer.valid_until


def _covers_territory(outer: frozenset[str], inner: frozenset[str]) -> bool:
    return not outer or (bool(inner) and inner <= outer)


def _overlap(a: Grant, b: Grant) -> bool:
    """Whether two grants could cover the same use: a shared purpose, place and day."""
    if not a.purposes & b.purposes:
        return False
    if a.territory and b.territory and not a.territory & b.territory:
        return False
    a_end, b_end = a.valid_until or date.max, b.valid_until or date.max
    return a.valid_from < b_end and b.valid_from < a_end


def grant_problems(
    grant: Grant,
    *,
    licensor_owns: bool,
    licensor_holds: Iterable[Grant],
    exclusive_elsewhere: Iterable[Grant],
) -> list[str]:
    """Why ``grant`` would give more than its licensor holds (empty when it does not).

    An owner holds every right in the asset except those it (or a co-owner) already gave
    away exclusively; a licensee holds only what its own licences give, may pass it on only
    where they allow sublicensing, and never exclusively.
    """
    problems: list[str] = []
    for other in exclusive_elsewhere:
        if _overlap(grant, other):
            problems.append(
                f"{other.reference or 'an exclusive licence'} already grants "
                f"{', '.join(sorted(grant.purposes & other.purposes))} exclusively"
            )
    if licensor_owns:
        return problems
    if grant.exclusive:
        problems.append("only an owner may grant an exclusive licence")
    sublicensable = [held for held in licensor_holds if held.sublicensing]
    if not sublicensable:
        problems.append("the licensor neither owns the asset nor may sublicense it")
        return problems
    missing = set(grant.purposes)
    for held in sublicensable:
        if _covers_time(held, grant) and _covers_territory(held.territory, grant.territory):
            missing -= held.purposes
    if missing:
        problems.append(
            "the licensor's own licences do not let it sublicense "
            f"{', '.join(sorted(missing))} for that territory and period"
        )
    if grant.sublicensing:
        problems.append("a sublicence cannot itself be sublicensed")
    return problems


def within_agreement(
    start: date, end: date | None, effective_from: date, expires_on: date | None
) -> str | None:
    """Why a period [start, end) does not lie within the agreement's, or None."""
    if start < effective_from:
        return f"starts before the agreement takes effect ({effective_from})"
    if expires_on is not None:
        if start >= expires_on:
            return f"starts after the agreement expires ({expires_on})"
        if end is None or end > expires_on:
            return f"runs past the agreement's expiry ({expires_on})"
    return None


def disclosure_due(conceived_on: date, days: int) -> date:
    return conceived_on + timedelta(days=days)


def filing_due(disclosed_on: date, days: int) -> date:
    return disclosed_on + timedelta(days=days)


def objection_until(notified_on: date, days: int) -> date:
    """The last day an objection may be lodged: ``days`` days counted from the notice."""
    return notified_on + timedelta(days=days)


@dataclass(frozen=True, slots=True)
class TransferState:
    objection_until: date
    open_objections: int
    upheld_objections: int
    needs_approval: bool
    approved: bool
    pending: bool


def transfer_blockers(state: TransferState, today: date) -> list[str]:
    """What stops a noticed transfer from going ahead today (empty: it may)."""
    blockers: list[str] = []
    if not state.pending:
        blockers.append("the notice is no longer pending")
    if today <= state.objection_until:
        blockers.append(f"the objection window is open until {state.objection_until}")
    if state.open_objections:
        blockers.append(f"{state.open_objections} objection(s) not yet resolved")
    if state.upheld_objections:
        blockers.append(f"{state.upheld_objections} objection(s) upheld")
    if state.needs_approval and not state.approved:
        blockers.append("the transferee's nation is not a party: the parties must approve")
    return blockers
