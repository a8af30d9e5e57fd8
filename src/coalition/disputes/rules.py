"""The timing of a dispute on its agreement's escalation ladder. Pure: the ladder, where the
dispute stands and the time in; where it goes out.

Each level of the ladder has a time limit in calendar days. A level's time runs out at its
due time: the moment the dispute reached it plus its days, in UTC (no working days, no
time zones: the parties are in several, and an agreement's "30 days" are calendar days).
At that moment, and not a second before, the dispute is overdue: an automatic escalation
then takes it one level up, and the new level's time counts from the moment the old one
ran out, not from when the escalation ran. So a run that comes late (the job did not run
for a week) catches up level by level and ends exactly where runs at every due time would
have. At the last level there is nowhere left to go: the dispute is marked exhausted and
stays open, for the parties to settle or take outside the agreement.

By hand, a dispute goes up one level at a time: never past a level, never past the last,
never once settled. Levels are numbered from 1 (the first rung) where people see them;
:class:`Position` counts from 0, as the table does."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Rung:
    """One level of the ladder: who handles the dispute and how many days they have."""

    name: str
    days: int


Ladder = tuple[Rung, ...]


def ladder_of(raw: Iterable[Any]) -> Ladder:
    """The ladder as stored on an agreement or a dispute: ``[{"level": ..., "days": ...}]``."""
    return tuple(Rung(str(item["level"]), int(item["days"])) for item in raw)


@dataclass(frozen=True)
class Position:
    """Where an open dispute stands: the level (0 is the first) and since when."""

    level: int
    since: datetime
    exhausted: bool = False


@dataclass(frozen=True)
class Move:
    """One automatic step: the position it leads to, and when it took effect (the moment
    the previous level's time ran out)."""

    at: datetime
    to: Position


def due(ladder: Ladder, position: Position) -> datetime:
    """When the level's time runs out: its start plus its days."""
    return position.since + timedelta(days=ladder[position.level].days)


def is_overdue(level_due: datetime | None, now: datetime) -> bool:
    """Whether a level's time has run out at ``now``; its due moment itself counts."""
    return level_due is not None and level_due <= now


def overdue(cases: Iterable[tuple[K, datetime | None]], now: datetime) -> list[K]:
    """The keys of the cases (key, due time of the current level; None once settled)
    whose time has run out at ``now``, the longest overdue first."""
    late = [(at, key) for key, at in cases if at is not None and is_overdue(at, now)]
    return [key for _, key in sorted(late, key=lambda item: item[0])]


def automatic_step(ladder: Ladder, position: Position, now: datetime) -> Move | None:
    """What the automatic escalation does to a dispute at ``now``: nothing while the
    level's time lasts (or once exhausted); else the next level, starting when this one
    ran out; at the last level, exhausted."""
    if position.exhausted:
        return None
    ran_out = due(ladder, position)
    if not is_overdue(ran_out, now):
        return None
    if position.level + 1 < len(ladder):
        return Move(ran_out, Position(position.level + 1, ran_out))
    return Move(ran_out, Position(position.level, position.since, exhausted=True))


def catch_up(ladder: Ladder, position: Position, now: datetime) -> list[Move]:
    """Every automatic step due by ``now``, in order: a dispute left alone for several
    levels' time goes up through each of them, one step per level."""
    moves: list[Move] = []
    while (move := automatic_step(ladder, position, now)) is not None:
        moves.append(move)
        position = move.to
    return moves


def projected_dues(ladder: Ladder, position: Position) -> list[datetime]:
    """When each level from the current one up would run out if nobody settled the
    dispute: the current level's due time, then each next level's days added."""
    at = due(ladder, position)
    found = [at]
    for rung in ladder[position.level + 1 :]:
        at += timedelta(days=rung.days)
        found.append(at)
    return found


def name(ladder: Ladder, level: int) -> str:
    """A level as people read it: "level 2 (Steering committee)"."""
    return f"level {level + 1} ({ladder[level].name})"


@dataclass(frozen=True)
class Refusal:
    """Why a manual escalation may not happen, and which field is at fault. A conflict
    is the dispute's state (it is settled), not the request."""

    field: str
    message: str
    conflict: bool = False


def escalation_refusal(
    ladder: Ladder, level: int, settled: str | None, to_level: int | None
) -> Refusal | None:
    """Why a dispute at ``level`` (0 is the first) may not be taken up by hand to
    ``to_level`` (numbered from 1 as people see it; None: the next one); None when it may.
    ``settled`` is the dispute's status once it is resolved or withdrawn."""
    if settled is not None:
        return Refusal("status", f"the dispute is {settled}", conflict=True)
    last = len(ladder) - 1
    if level >= last:
        return Refusal(
            "to_level",
            f"the dispute is at the last level, {name(ladder, level)}: there is no level above it",
        )
    wanted = level + 1 if to_level is None else to_level - 1
    if wanted == level + 1:
        return None
    may = f"it may go to {name(ladder, level + 1)} only"
    if wanted <= level:
        return Refusal("to_level", f"the dispute is already at {name(ladder, level)}; {may}")
    if wanted > last:
        return Refusal(
            "to_level",
            f"an escalation may not skip a level, and the ladder has {len(ladder)} levels: "
            f"the dispute is at {name(ladder, level)}; {may}",
        )
    return Refusal(
        "to_level",
        f"an escalation may not skip a level: the dispute is at {name(ladder, level)}; {may}",
    )


def time_left(level_due: datetime | None, now: datetime) -> str | None:
    """The time left at the current level, as people read it ("3 days 4 hours left",
    "overdue by 2 days"); None once settled."""
    if level_due is None:
        return None
    if is_overdue(level_due, now):
        return f"overdue by {_span(now - level_due)}"
    return f"{_span(level_due - now)} left"


def _span(delta: timedelta) -> str:
    days, seconds = delta.days, delta.seconds
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours and days < 7:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def levels_climbed(moves: Sequence[Move]) -> int:
    """How many levels a run of moves climbed (an exhaustion climbs none)."""
    return sum(1 for move in moves if not move.to.exhausted)
