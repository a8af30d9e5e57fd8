"""The timing of a dispute on its ladder: due times in calendar days (UTC), overdue from the
due moment on, the automatic escalation one level at a time with each level starting when
the one below ran out, exhaustion at the top, and the refusals of a manual escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.disputes import rules
from coalition.disputes.rules import Move, Position, Rung

LADDER = (Rung("Project officers", 30), Rung("Steering committee", 60), Rung("Ministers", 90))
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)

LADDERS = st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=6).map(
    lambda days: tuple(Rung(f"level {i}", d) for i, d in enumerate(days))
)
MOMENTS = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)
OFFSETS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=800))


def test_the_stored_ladder_reads_as_rungs() -> None:
    raw = [{"level": "Project officers", "days": 30}, {"level": "Steering committee", "days": "60"}]
    assert rules.ladder_of(raw) == (Rung("Project officers", 30), Rung("Steering committee", 60))
    assert rules.ladder_of([]) == ()


@pytest.mark.parametrize(
    ("level", "since", "expected"),
    [
        (0, T0, datetime(2026, 3, 31, 9, 30, tzinfo=UTC)),
        (1, T0, datetime(2026, 4, 30, 9, 30, tzinfo=UTC)),
        # Calendar days in UTC: a daylight-saving change in Europe (29 March) moves nothing.
        (0, datetime(2026, 3, 28, 23, 0, tzinfo=UTC), datetime(2026, 4, 27, 23, 0, tzinfo=UTC)),
        # Across a leap day.
        (2, datetime(2027, 12, 31, 0, 0, tzinfo=UTC), datetime(2028, 3, 30, 0, 0, tzinfo=UTC)),
    ],
)
def test_a_level_is_due_its_days_after_it_began(
    level: int, since: datetime, expected: datetime
) -> None:
    assert rules.due(LADDER, Position(level, since)) == expected


def test_overdue_from_the_due_moment_on() -> None:
    due = rules.due(LADDER, Position(0, T0))
    assert not rules.is_overdue(due, due - SECOND)
    assert rules.is_overdue(due, due)
    assert rules.is_overdue(due, due + SECOND)
    assert not rules.is_overdue(None, due)  # settled


def test_the_overdue_cases_longest_overdue_first() -> None:
    now = T0 + timedelta(days=10)
    cases = [
        ("later", now - timedelta(days=1)),
        ("settled", None),
        ("future", now + SECOND),
        ("earlier", now - timedelta(days=5)),
        ("exactly", now),
    ]
    assert rules.overdue(cases, now) == ["earlier", "later", "exactly"]


@pytest.mark.parametrize(
    ("position", "now", "expected"),
    [
        # Time left: nothing happens, even a second before.
        (Position(0, T0), T0 + timedelta(days=30) - SECOND, None),
        # At the due moment: the next level, starting then.
        (
            Position(0, T0),
            T0 + timedelta(days=30),
            Move(T0 + timedelta(days=30), Position(1, T0 + timedelta(days=30))),
        ),
        # Late: still one level per step, starting when the level ran out, not now.
        (
            Position(1, T0),
            T0 + timedelta(days=400),
            Move(T0 + timedelta(days=60), Position(2, T0 + timedelta(days=60))),
        ),
        # The last level's time ran out: exhausted, no further level.
        (
            Position(2, T0),
            T0 + timedelta(days=90),
            Move(T0 + timedelta(days=90), Position(2, T0, exhausted=True)),
        ),
        # Exhausted already: nothing more.
        (Position(2, T0, exhausted=True), T0 + timedelta(days=900), None),
    ],
)
def test_one_automatic_step(position: Position, now: datetime, expected: Move | None) -> None:
    assert rules.automatic_step(LADDER, position, now) == expected


def test_a_late_run_catches_up_level_by_level() -> None:
    # Nobody ran the job for 100 days: level 1 ran out on day 30, level 2 on day 90.
    moves = rules.catch_up(LADDER, Position(0, T0), T0 + timedelta(days=100))
    assert moves == [
        Move(T0 + timedelta(days=30), Position(1, T0 + timedelta(days=30))),
        Move(T0 + timedelta(days=90), Position(2, T0 + timedelta(days=90))),
    ]
    assert rules.levels_climbed(moves) == 2
    # ...and the third level's 90 days count from day 90.
    assert rules.due(LADDER, moves[-1].to) == T0 + timedelta(days=180)
    to_the_end = rules.catch_up(LADDER, Position(0, T0), T0 + timedelta(days=180))
    assert [m.to for m in to_the_end][-1] == Position(2, T0 + timedelta(days=90), exhausted=True)
    assert rules.levels_climbed(to_the_end) == 2


def test_the_projected_dues_if_nobody_settles() -> None:
    assert rules.projected_dues(LADDER, Position(1, T0)) == [
        T0 + timedelta(days=60),
        T0 + timedelta(days=150),
    ]
    assert rules.projected_dues(LADDER, Position(0, T0))[-1] == T0 + timedelta(days=180)


@pytest.mark.parametrize(
    ("level", "settled", "to_level", "field", "words"),
    [
        (0, None, None, None, None),
        (0, None, 2, None, None),
        (1, None, 3, None, None),
        (0, None, 3, "to_level", "may not skip a level"),
        (0, None, 7, "to_level", "may not skip a level, and the ladder has 3 levels"),
        (1, None, 2, "to_level", "already at level 2 (Steering committee)"),
        (1, None, 1, "to_level", "it may go to level 3 (Ministers) only"),
        (2, None, None, "to_level", "the last level, level 3 (Ministers)"),
        (2, None, 4, "to_level", "there is no level above it"),
        (0, "resolved", None, "status", "the dispute is resolved"),
        (1, "withdrawn", 3, "status", "the dispute is withdrawn"),
    ],
)
def test_a_manual_escalation_goes_to_the_next_level_only(
    level: int, settled: str | None, to_level: int | None, field: str | None, words: str | None
) -> None:
    refusal = rules.escalation_refusal(LADDER, level, settled, to_level)
    if field is None:
        assert refusal is None
        return
    assert refusal is not None and words is not None
    assert refusal.field == field and words in refusal.message
    assert refusal.conflict == (field == "status")


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(days=3, hours=4, minutes=10), "3 days 4 hours left"),
        (timedelta(days=12, hours=4), "12 days left"),
        (timedelta(hours=1), "1 hour left"),
        (timedelta(minutes=5), "5 minutes left"),
        (timedelta(0), "overdue by 0 minutes"),
        (-timedelta(days=2, hours=1), "overdue by 2 days 1 hour"),
    ],
)
def test_the_time_left_as_people_read_it(offset: timedelta, expected: str) -> None:
    assert rules.time_left(T0 + offset, T0) == expected
    assert rules.time_left(None, T0) is None


# --- properties -------------------------------------------------------------------------------


def _one_run_per_due_time(ladder: rules.Ladder, start: Position, now: datetime) -> Position:
    """What runs at every due time (and none after ``now``) would do, one step per run."""
    position = start
    while not position.exhausted:
        due = rules.due(ladder, position)
        if due > now:
            break
        step = rules.automatic_step(ladder, position, due)
        assert step is not None
        position = step.to
    return position


def _by_sums(ladder: rules.Ladder, since: datetime, now: datetime) -> Position:
    """The same, counted another way: the level whose running total of days has not yet
    run out, starting when the levels below it had all run out."""
    ends = []
    total = timedelta(0)
    for rung in ladder:
        total += timedelta(days=rung.days)
        ends.append(since + total)
    passed = sum(1 for end in ends if end <= now)
    if passed == len(ladder):
        start = ends[-2] if len(ladder) > 1 else since
        return Position(len(ladder) - 1, start, exhausted=True)
    return Position(passed, ends[passed - 1] if passed else since)


@given(LADDERS, MOMENTS, OFFSETS)
def test_catching_up_equals_running_at_every_due_time(
    ladder: rules.Ladder, since: datetime, offset: timedelta
) -> None:
    now = since + offset
    moves = rules.catch_up(ladder, Position(0, since), now)
    reached = moves[-1].to if moves else Position(0, since)
    assert reached == _one_run_per_due_time(ladder, Position(0, since), now)
    assert reached == _by_sums(ladder, since, now)


@given(LADDERS, MOMENTS, OFFSETS, OFFSETS)
def test_running_late_then_again_equals_one_run(
    ladder: rules.Ladder, since: datetime, first: timedelta, more: timedelta
) -> None:
    start = Position(0, since)
    middle_moves = rules.catch_up(ladder, start, since + first)
    middle = middle_moves[-1].to if middle_moves else start
    later = rules.catch_up(ladder, middle, since + first + more)
    together = rules.catch_up(ladder, start, since + first + more)
    assert middle_moves + later == together


@given(LADDERS, MOMENTS, OFFSETS)
def test_never_skips_a_level_and_each_starts_when_the_last_ran_out(
    ladder: rules.Ladder, since: datetime, offset: timedelta
) -> None:
    position = Position(0, since)
    for move in rules.catch_up(ladder, position, since + offset):
        assert move.at == rules.due(ladder, position) <= since + offset
        if move.to.exhausted:
            assert move.to.level == position.level == len(ladder) - 1
        else:
            assert move.to.level == position.level + 1
            assert move.to.since == move.at
        position = move.to


@given(LADDERS, MOMENTS, OFFSETS)
def test_a_second_run_at_the_same_moment_does_nothing(
    ladder: rules.Ladder, since: datetime, offset: timedelta
) -> None:
    now = since + offset
    moves = rules.catch_up(ladder, Position(0, since), now)
    reached = moves[-1].to if moves else Position(0, since)
    assert rules.catch_up(ladder, reached, now) == []
    # Once caught up, the current level's time is still to come, or the ladder is done.
    assert reached.exhausted or rules.due(ladder, reached) > now


@given(LADDERS, MOMENTS, OFFSETS)
def test_exhausted_only_at_the_top_once_every_level_ran_out(
    ladder: rules.Ladder, since: datetime, offset: timedelta
) -> None:
    now = since + offset
    moves = rules.catch_up(ladder, Position(0, since), now)
    total = timedelta(days=sum(r.days for r in ladder))
    exhausted = [m for m in moves if m.to.exhausted]
    assert (len(exhausted) == 1) == (offset >= total)
    if exhausted:
        assert moves[-1] is exhausted[0]
        assert exhausted[0].at == since + total
    assert rules.levels_climbed(moves) == len(moves) - len(exhausted) <= len(ladder) - 1
