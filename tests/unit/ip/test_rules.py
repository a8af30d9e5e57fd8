"""The IP register's pure rules: default access rights, ownership shares, what a licensor
may grant, the agreement's period, the clocks and what blocks a transfer.

The grant properties compare `grant_problems` with a brute-force reading of the same words
over a small universe (days, nations and purposes enumerated one by one), so they do not
share the interval arithmetic they check.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.agreements.models import IpRegime
from coalition.ip.rules import (
    GOVERNMENT,
    PROJECT,
    Grant,
    TransferState,
    default_access_purposes,
    disclosure_due,
    filing_due,
    grant_problems,
    move_share,
    objection_until,
    shares_problem,
    transfer_blockers,
    within_agreement,
)
from coalition.policy.facts import Purpose

BASE = date(2026, 1, 1)
#: Grants start within MAX_START days of BASE and end at most MAX_LENGTH days later;
#: HORIZON is a day past every bounded end, so only an open-ended grant reaches it.
MAX_START, MAX_LENGTH = 30, 30
HORIZON = MAX_START + MAX_LENGTH + 1
NATIONS = ("GBR", "USA", "FRA")
#: A nation no territory names: "worldwide" reaches it, a list of nations never does.
ELSEWHERE = "ZZZ"
PURPOSES = tuple(p.value for p in Purpose)


def _day(offset: int) -> date:
    return BASE + timedelta(days=offset)


# --- default access rights --------------------------------------------------------------


@pytest.mark.parametrize(
    ("regime", "results"),
    [
        (IpRegime.OWNER_KEEPS_RESULTS_ROYALTY_FREE_PROJECT_USE, {PROJECT}),
        (IpRegime.JOINT_OWNERSHIP, {PROJECT}),
        (IpRegime.GOVERNMENT_PURPOSE_RIGHTS, {PROJECT, GOVERNMENT}),
        (IpRegime.NO_ACCESS_RIGHTS, set()),
    ],
)
def test_each_regime_grants_participants_its_result_purposes(
    regime: IpRegime, results: set[str]
) -> None:
    assert default_access_purposes(regime) == results


@pytest.mark.parametrize("regime", list(IpRegime))
def test_included_background_is_available_only_for_carrying_out_the_project(
    regime: IpRegime,
) -> None:
    background = default_access_purposes(regime, background=True)
    assert background == default_access_purposes(regime) & {PROJECT}
    assert background <= {PROJECT}


def test_government_purpose_rights_cover_results_not_background() -> None:
    regime = IpRegime.GOVERNMENT_PURPOSE_RIGHTS
    assert GOVERNMENT in default_access_purposes(regime)
    assert default_access_purposes(regime, background=True) == {PROJECT}


def test_no_regime_grants_commercial_use_by_default() -> None:
    for regime in IpRegime:
        for background in (False, True):
            granted = default_access_purposes(regime, background=background)
            assert Purpose.COMMERCIAL_EXPLOITATION.value not in granted
            assert Purpose.SALE_TO_THIRD_PARTIES.value not in granted


# --- ownership shares -------------------------------------------------------------------


@st.composite
def hundred(draw: st.DrawFn) -> list[int]:
    """Whole percents from 1 to 100 that add up to 100: the gaps between sorted cuts."""
    cuts = sorted(draw(st.sets(st.integers(1, 99), max_size=12)))
    edges = [0, *cuts, 100]
    return [b - a for a, b in pairwise(edges)]


@given(hundred())
def test_shares_of_whole_percents_adding_up_to_100_stand(shares: list[int]) -> None:
    assert shares_problem(shares) is None


@given(st.lists(st.integers(1, 100), min_size=1, max_size=12).filter(lambda s: sum(s) != 100))
def test_shares_not_adding_up_to_100_are_refused_naming_the_total(shares: list[int]) -> None:
    problem = shares_problem(shares)
    assert problem is not None
    assert f"add up to {sum(shares)}%" in problem


@pytest.mark.parametrize(
    ("shares", "words"),
    [
        ([], "at least one owner"),
        ([0, 100], "between 1 and 100"),
        ([101, -1], "between 1 and 100"),
        ([150, -50], "between 1 and 100"),
    ],
)
def test_shares_out_of_range_or_missing_are_refused(shares: list[int], words: str) -> None:
    problem = shares_problem(shares)
    assert problem is not None and words in problem


@st.composite
def moves(draw: st.DrawFn) -> tuple[dict[str, int], str, str, int]:
    """Valid shares, an owner, someone else (owner or newcomer) and a percent it holds."""
    shares = {f"org{i}": share for i, share in enumerate(draw(hundred()))}
    transferor = draw(st.sampled_from(sorted(shares)))
    transferee = draw(st.sampled_from([o for o in [*shares, "newcomer"] if o != transferor]))
    percent = draw(st.integers(1, shares[transferor]))
    return shares, transferor, transferee, percent


@given(moves())
def test_a_valid_move_keeps_100_percent_in_positive_shares(
    move: tuple[dict[str, int], str, str, int],
) -> None:
    shares, transferor, transferee, percent = move
    after = move_share(shares, transferor, transferee, percent)
    assert sum(after.values()) == 100
    assert all(share > 0 for share in after.values())
    assert shares_problem(list(after.values())) is None
    assert after.get(transferor, 0) == shares[transferor] - percent
    assert after[transferee] == shares.get(transferee, 0) + percent
    for owner, share in shares.items():
        if owner not in (transferor, transferee):
            assert after[owner] == share


def test_an_owner_that_assigns_its_whole_share_is_no_longer_an_owner() -> None:
    assert move_share({"a": 60, "b": 40}, "a", "c", 60) == {"b": 40, "c": 60}


def test_a_move_does_not_change_the_shares_it_was_given() -> None:
    shares = {"a": 60, "b": 40}
    move_share(shares, "a", "b", 10)
    assert shares == {"a": 60, "b": 40}


@given(hundred(), st.data())
def test_moving_more_than_held_or_less_than_one_percent_is_refused(
    values: list[int], data: st.DataObject
) -> None:
    shares = {f"org{i}": share for i, share in enumerate(values)}
    transferor = data.draw(st.sampled_from([*shares, "stranger"]))
    held = shares.get(transferor, 0)
    percent = data.draw(st.integers(max_value=0) | st.integers(min_value=held + 1))
    with pytest.raises(ValueError, match=f"holds {held}%"):
        move_share(shares, transferor, "newcomer", percent)


# --- what a licensor may grant ----------------------------------------------------------


#: Mostly False: a grant that is exclusive or sublicensable fails as a sublicence anyway,
#: so the properties need plenty of grants that are neither.
RARELY = st.sampled_from((False, False, False, True))


@st.composite
def grants(draw: st.DrawFn) -> Grant:
    start = draw(st.integers(0, MAX_START))
    length = draw(st.none() | st.integers(1, MAX_LENGTH))
    return Grant(
        purposes=draw(st.frozensets(st.sampled_from(PURPOSES), min_size=1)),
        territory=draw(st.frozensets(st.sampled_from(NATIONS))),
        valid_from=_day(start),
        valid_until=None if length is None else _day(start + length),
        sublicensing=draw(st.booleans()),
        exclusive=draw(RARELY),
        reference=f"LIC-{draw(st.integers(1, 99))}",
    )


@st.composite
def within(draw: st.DrawFn, held: Grant) -> Grant:
    """A grant inside ``held`` (some of its purposes, places and days), or one that just
    misses: a day earlier or later, open-ended, one more nation, worldwide, one more purpose.
    So the properties see grants on both sides of every edge."""
    places = held.territory or frozenset(NATIONS)
    first = _offset(held.valid_from)
    last = _offset(held.valid_until) if held.valid_until else HORIZON
    start = draw(st.integers(first, last - 1))
    territory: frozenset[str] = frozenset()
    limited = draw(st.booleans())
    if held.territory or limited:
        territory = draw(st.frozensets(st.sampled_from(sorted(places)), min_size=1))
    grant = Grant(
        purposes=draw(st.frozensets(st.sampled_from(sorted(held.purposes)), min_size=1)),
        territory=territory,
        valid_from=_day(start),
        valid_until=None
        if held.valid_until is None and draw(st.booleans())
        else _day(draw(st.integers(start + 1, last))),
        sublicensing=draw(RARELY),
        exclusive=draw(RARELY),
    )
    if draw(st.booleans()):
        return grant
    until = grant.valid_until
    misses = {
        "earlier": replace(grant, valid_from=held.valid_from - timedelta(days=1)),
        "later": replace(grant, valid_until=until and until + timedelta(days=1)),
        "open-ended": replace(grant, valid_until=None),
        "worldwide": replace(grant, territory=frozenset()),
        "another nation": replace(
            grant, territory=grant.territory | {draw(st.sampled_from(NATIONS))}
        ),
        "another purpose": replace(
            grant, purposes=grant.purposes | {draw(st.sampled_from(PURPOSES))}
        ),
    }
    return misses[draw(st.sampled_from(sorted(misses)))]


@st.composite
def beside(draw: st.DrawFn, grant: Grant) -> Grant:
    """An exclusive licence for some of ``grant``'s purposes, in its territory or another,
    that ends on its first day, starts on its end day, shares exactly one day with it at
    either edge, or runs for the same period."""
    first, until = grant.valid_from, grant.valid_until
    day = timedelta(days=1)
    periods: list[tuple[date, date | None]] = [
        (first - 5 * day, first),
        (first - 5 * day, first + day),
        (first, until),
    ]
    if until is not None:
        periods += [(until, until + 5 * day), (until - day, until + 5 * day)]
    valid_from, valid_until = draw(st.sampled_from(periods))
    return Grant(
        purposes=draw(st.frozensets(st.sampled_from(sorted(grant.purposes)), min_size=1)),
        territory=draw(st.just(grant.territory) | st.frozensets(st.sampled_from(NATIONS))),
        valid_from=valid_from,
        valid_until=valid_until,
        exclusive=True,
        reference="EX",
    )


def _exclusive(grant: Grant) -> Grant:
    return replace(grant, exclusive=True, sublicensing=False, reference="EX")


@st.composite
def licensor_cases(draw: st.DrawFn) -> tuple[list[Grant], Grant, list[Grant]]:
    """What a licensee holds, a grant it proposes, and exclusive licences held by others."""
    held: list[Grant] = []
    if draw(st.integers(0, 7)):
        held = draw(st.lists(grants(), min_size=1, max_size=3))
    derived = draw(st.integers(0, 3)) > 0
    if held and derived:
        source = draw(st.sampled_from(held))
        if draw(st.integers(0, 3)):
            held = [replace(source, sublicensing=True) if h is source else h for h in held]
        grant = draw(within(source))
    else:
        grant = draw(grants())
    exclusive = [
        *(_exclusive(g) for g in draw(st.lists(grants(), max_size=1)) if draw(RARELY)),
        *draw(st.lists(beside(grant), max_size=1)),
    ]
    return held, grant, exclusive


def _offset(day: date) -> int:
    return (day - BASE).days


def _days(grant: Grant) -> set[int]:
    end = HORIZON + 1 if grant.valid_until is None else _offset(grant.valid_until)
    return set(range(_offset(grant.valid_from), end))


def _places(territory: frozenset[str]) -> set[str]:
    return set(territory) if territory else {*NATIONS, ELSEWHERE}


def _covered_by_one_sublicensable(grant: Grant, held: list[Grant]) -> bool:
    """Each purpose of ``grant`` lies, for all its places and days, in one licence the
    licensor may sublicense."""
    return all(
        any(
            h.sublicensing
            and purpose in h.purposes
            and _days(grant) <= _days(h)
            and _places(grant.territory) <= _places(h.territory)
            for h in held
        )
        for purpose in grant.purposes
    )


def _clashes(grant: Grant, exclusive: list[Grant]) -> bool:
    """Whether some (purpose, nation, day) is in both ``grant`` and an exclusive licence."""
    return any(
        grant.purposes & other.purposes
        and _places(grant.territory) & _places(other.territory)
        and _days(grant) & _days(other)
        for other in exclusive
    )


@settings(max_examples=500)
@given(licensor_cases())
def test_a_licence_never_grants_more_than_its_licensor_holds(
    case: tuple[list[Grant], Grant, list[Grant]],
) -> None:
    held, grant, exclusive = case
    problems = grant_problems(
        grant, licensor_owns=False, licensor_holds=held, exclusive_elsewhere=exclusive
    )
    if not problems:
        assert not grant.exclusive
        assert not grant.sublicensing
        assert _covered_by_one_sublicensable(grant, held)
        assert not _clashes(grant, exclusive)


@settings(max_examples=500)
@given(licensor_cases())
def test_a_licensee_may_sublicense_exactly_what_one_sublicensable_licence_covers(
    case: tuple[list[Grant], Grant, list[Grant]],
) -> None:
    held, grant, exclusive = case
    problems = grant_problems(
        grant, licensor_owns=False, licensor_holds=held, exclusive_elsewhere=exclusive
    )
    allowed = (
        not grant.exclusive
        and not grant.sublicensing
        and _covered_by_one_sublicensable(grant, held)
        and not _clashes(grant, exclusive)
    )
    assert (problems == []) == allowed, problems


@settings(max_examples=500)
@given(licensor_cases(), st.booleans(), st.booleans())
def test_an_owner_may_grant_anything_that_misses_every_exclusive_licence(
    case: tuple[list[Grant], Grant, list[Grant]], exclusive: bool, sublicensing: bool
) -> None:
    held, grant, others = case
    grant = replace(grant, exclusive=exclusive, sublicensing=sublicensing)
    problems = grant_problems(
        grant, licensor_owns=True, licensor_holds=held, exclusive_elsewhere=others
    )
    assert (problems == []) == (not _clashes(grant, others)), problems


def _grant(
    purposes: set[str],
    territory: set[str] | None = None,
    start: int = 0,
    end: int | None = None,
    *,
    sublicensing: bool = False,
    exclusive: bool = False,
) -> Grant:
    return Grant(
        frozenset(purposes),
        frozenset(territory or ()),
        _day(start),
        None if end is None else _day(end),
        sublicensing=sublicensing,
        exclusive=exclusive,
    )


def test_an_owner_may_grant_an_exclusive_sublicensable_licence() -> None:
    grant = _grant({PROJECT, GOVERNMENT}, exclusive=True, sublicensing=True)
    assert (
        grant_problems(grant, licensor_owns=True, licensor_holds=(), exclusive_elsewhere=()) == []
    )


def test_a_licensee_without_a_sublicensable_licence_may_grant_nothing() -> None:
    held = [_grant({PROJECT, GOVERNMENT})]
    problems = grant_problems(
        _grant({PROJECT}), licensor_owns=False, licensor_holds=held, exclusive_elsewhere=()
    )
    assert problems == ["the licensor neither owns the asset nor may sublicense it"]


def test_a_licensee_may_pass_on_part_of_a_sublicensable_licence() -> None:
    held = [_grant({PROJECT, GOVERNMENT}, {"GBR", "USA"}, 0, 20, sublicensing=True)]
    grant = _grant({GOVERNMENT}, {"GBR"}, 5, 20)
    assert (
        grant_problems(grant, licensor_owns=False, licensor_holds=held, exclusive_elsewhere=())
        == []
    )


@pytest.mark.parametrize(
    ("grant", "words"),
    [
        (_grant({"commercial_exploitation"}, {"GBR"}, 5, 20), "commercial_exploitation"),
        (_grant({GOVERNMENT}, {"FRA"}, 5, 20), "for that territory and period"),
        (_grant({GOVERNMENT}, None, 5, 20), "for that territory and period"),
        (_grant({GOVERNMENT}, {"GBR"}, 0, 21), "for that territory and period"),
        (_grant({GOVERNMENT}, {"GBR"}, 5, None), "for that territory and period"),
        (_grant({GOVERNMENT}, {"GBR"}, 0, 20, exclusive=True), "only an owner"),
        (_grant({GOVERNMENT}, {"GBR"}, 1, 20, sublicensing=True), "cannot itself be"),
    ],
    ids=["purpose", "territory", "worldwide", "period", "open-ended", "exclusive", "chain"],
)
def test_a_sublicence_wider_than_the_licence_is_refused(grant: Grant, words: str) -> None:
    held = [_grant({PROJECT, GOVERNMENT}, {"GBR", "USA"}, 0, 20, sublicensing=True)]
    problems = grant_problems(
        grant, licensor_owns=False, licensor_holds=held, exclusive_elsewhere=()
    )
    assert any(words in problem for problem in problems), problems


EXCLUSIVE = Grant(
    frozenset({GOVERNMENT}),
    frozenset({"GBR"}),
    _day(10),
    _day(20),
    exclusive=True,
    reference="LIC-EX-1",
)


@pytest.mark.parametrize(
    ("grant", "clash"),
    [
        (_grant({GOVERNMENT}, {"GBR"}, 19, 25), True),  # shares the last day
        (_grant({GOVERNMENT}, {"GBR"}, 0, 11), True),  # shares the first day
        (_grant({GOVERNMENT}, None, 0, None), True),  # worldwide and open-ended
        (_grant({GOVERNMENT, PROJECT}, {"GBR", "FRA"}, 12, 13), True),
        (_grant({GOVERNMENT}, {"GBR"}, 20, 30), False),  # starts on its end day
        (_grant({GOVERNMENT}, {"GBR"}, 0, 10), False),  # ends on its first day
        (_grant({GOVERNMENT}, {"FRA", "USA"}, 10, 20), False),  # elsewhere
        (_grant({PROJECT}, {"GBR"}, 10, 20), False),  # another purpose
    ],
)
def test_an_exclusive_licence_blocks_exactly_the_grants_overlapping_it(
    grant: Grant, clash: bool
) -> None:
    problems = grant_problems(
        grant, licensor_owns=True, licensor_holds=(), exclusive_elsewhere=[EXCLUSIVE]
    )
    if clash:
        assert problems == [f"LIC-EX-1 already grants {GOVERNMENT} exclusively"]
    else:
        assert problems == []


def test_an_unnamed_exclusive_licence_is_still_named_in_the_problem() -> None:
    unnamed = Grant(EXCLUSIVE.purposes, EXCLUSIVE.territory, _day(10), _day(20), exclusive=True)
    problems = grant_problems(
        _grant({GOVERNMENT}), licensor_owns=True, licensor_holds=(), exclusive_elsewhere=[unnamed]
    )
    assert problems == [f"an exclusive licence already grants {GOVERNMENT} exclusively"]


# --- the agreement's period -------------------------------------------------------------


def test_a_period_inside_the_agreement_lies_within_it() -> None:
    assert within_agreement(_day(0), _day(10), _day(0), _day(10)) is None
    assert within_agreement(_day(5), None, _day(0), None) is None
    assert within_agreement(_day(5), _day(6), _day(0), None) is None


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (-1, 5, "starts before the agreement takes effect (2026-01-01)"),
        (10, 12, "starts after the agreement expires (2026-01-11)"),
        (12, None, "starts after the agreement expires (2026-01-11)"),
        (5, 11, "runs past the agreement's expiry (2026-01-11)"),
        (5, None, "runs past the agreement's expiry (2026-01-11)"),
    ],
)
def test_a_period_outside_the_agreement_is_refused_saying_why(
    start: int, end: int | None, words: str
) -> None:
    problem = within_agreement(_day(start), None if end is None else _day(end), BASE, _day(10))
    assert problem == words


@given(
    st.integers(-5, 40),
    st.none() | st.integers(1, 20),
    st.integers(0, 10),
    st.none() | st.integers(1, 20),
)
def test_a_period_lies_within_the_agreement_when_every_day_of_it_does(
    start: int, length: int | None, effective: int, term: int | None
) -> None:
    horizon = 100
    period = range(start, horizon if length is None else start + length)
    agreement = range(effective, horizon + 1 if term is None else effective + term)
    problem = within_agreement(
        _day(start),
        None if length is None else _day(start + length),
        _day(effective),
        None if term is None else _day(effective + term),
    )
    assert (problem is None) == set(period).issubset(agreement), problem


# --- the clocks ---------------------------------------------------------------------------


def test_the_clocks_count_calendar_days_from_their_event() -> None:
    assert disclosure_due(date(2026, 1, 31), 30) == date(2026, 3, 2)
    assert filing_due(date(2026, 12, 15), 30) == date(2027, 1, 14)
    assert objection_until(date(2026, 6, 1), 30) == date(2026, 7, 1)
    assert objection_until(date(2028, 2, 28), 1) == date(2028, 2, 29)


@given(st.dates(date(2000, 1, 1), date(2090, 1, 1)), st.integers(0, 3650))
def test_every_clock_falls_exactly_its_days_after_the_event(day: date, days: int) -> None:
    for clock in (disclosure_due, filing_due, objection_until):
        due = clock(day, days)
        assert (due - day).days == days


# --- what blocks a transfer ----------------------------------------------------------------

NOTIFIED = date(2026, 6, 1)
UNTIL = objection_until(NOTIFIED, 30)


def _state(**changes: object) -> TransferState:
    values: dict[str, object] = {
        "objection_until": UNTIL,
        "open_objections": 0,
        "upheld_objections": 0,
        "needs_approval": False,
        "approved": False,
        "pending": True,
        **changes,
    }
    return TransferState(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("today", [NOTIFIED, UNTIL - timedelta(days=1), UNTIL])
def test_an_open_objection_window_blocks_the_transfer(today: date) -> None:
    assert transfer_blockers(_state(), today) == [f"the objection window is open until {UNTIL}"]


def test_the_day_after_the_window_an_unopposed_transfer_may_go_ahead() -> None:
    assert transfer_blockers(_state(), UNTIL + timedelta(days=1)) == []


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"open_objections": 2}, "2 objection(s) not yet resolved"),
        ({"upheld_objections": 1}, "1 objection(s) upheld"),
        ({"needs_approval": True}, "the parties must approve"),
        ({"pending": False}, "no longer pending"),
    ],
)
def test_objections_a_missing_approval_or_a_closed_notice_block_the_transfer(
    changes: dict[str, object], words: str
) -> None:
    (blocker,) = transfer_blockers(_state(**changes), UNTIL + timedelta(days=1))
    assert words in blocker


def test_an_approved_transfer_to_a_non_party_may_go_ahead() -> None:
    state = _state(needs_approval=True, approved=True)
    assert transfer_blockers(state, UNTIL + timedelta(days=1)) == []


@given(
    st.integers(-40, 40),
    st.integers(0, 3),
    st.integers(0, 3),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_a_transfer_may_go_ahead_only_when_nothing_stands_in_its_way(
    offset: int,
    open_objections: int,
    upheld: int,
    needs_approval: bool,
    approved: bool,
    pending: bool,
) -> None:
    state = TransferState(UNTIL, open_objections, upheld, needs_approval, approved, pending)
    today = UNTIL + timedelta(days=offset)
    clear = (
        pending
        and today > UNTIL
        and open_objections == 0
        and upheld == 0
        and (approved or not needs_approval)
    )
    assert (transfer_blockers(state, today) == []) == clear
