"""Scoring a risk and moving it through its life. Pure: numbers and statuses in, answers
out.

A risk's likelihood and impact are each rated 1 (rare, negligible) to 5 (almost certain,
severe); its score is their product. The score falls in one of four bands, the words a
register and its reports speak in:

=========  ==========  ==================================================
band       scores      meaning
=========  ==========  ==================================================
low        1 to 4      watch it
medium     5 to 9      manage it within the work package
high       10 to 16    the project board manages it
critical   20 to 25    the programme's oversight body hears of it
=========  ==========  ==================================================

(No product of two ratings lies between 17 and 19.) A risk is open, then being
mitigated, and closed; or it occurs (it has become an issue to manage) and is closed
afterwards. Closed is final: a risk that comes back is raised again, so the register's
history of the first one stays as it was."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from coalition.risks.models import RiskStatus

LOWEST, HIGHEST = 1, 5
RATINGS = range(LOWEST, HIGHEST + 1)


class Band(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


#: The highest score of each band, lowest band first.
BAND_TOPS: tuple[tuple[int, Band], ...] = (
    (4, Band.LOW),
    (9, Band.MEDIUM),
    (16, Band.HIGH),
    (25, Band.CRITICAL),
)
#: Bands whose owner is told when a risk's score rises into them.
ALERTING = frozenset({Band.HIGH, Band.CRITICAL})


class Trend(enum.StrEnum):
    NEW = "new"  # assessed once: nothing to compare with
    RISING = "rising"
    FALLING = "falling"
    STEADY = "steady"


def check_rating(value: int, name: str) -> int:
    if value not in RATINGS:
        raise ValueError(f"{name}: must be from {LOWEST} to {HIGHEST}, not {value}")
    return value


def score(likelihood: int, impact: int) -> int:
    return check_rating(likelihood, "likelihood") * check_rating(impact, "impact")


def band(value: int) -> Band:
    """The band of a score (1 to 25)."""
    for top, found in BAND_TOPS:
        if LOWEST <= value <= top:
            return found
    raise ValueError(f"score: must be from 1 to 25, not {value}")


def band_rank(value: Band) -> int:
    return [b for _, b in BAND_TOPS].index(value)


def rose_into_alert(before: int | None, after: int) -> bool:
    """Whether a score moved from ``before`` (None: the risk is new) up into a band that
    alerts its owner: medium to high, high to critical, a new risk raised high. A score
    that rises within the high band alerts nobody again."""
    now = band(after)
    if now not in ALERTING:
        return False
    return before is None or band_rank(now) > band_rank(band(before))


def trend(scores: Sequence[int]) -> Trend:
    """The trend of a risk from the scores of its assessments, oldest first: the latest
    against the one before."""
    if len(scores) < 2:
        return Trend.NEW
    latest, previous = scores[-1], scores[-2]
    if latest > previous:
        return Trend.RISING
    if latest < previous:
        return Trend.FALLING
    return Trend.STEADY


def trends(scores: Sequence[int]) -> list[Trend]:
    """The trend at each assessment of a history, oldest first."""
    return [trend(scores[: i + 1]) for i in range(len(scores))]


def heat_map(ratings: Iterable[tuple[int, int]]) -> tuple[tuple[int, ...], ...]:
    """How many risks sit at each (likelihood, impact): ``grid[likelihood - 1][impact - 1]``."""
    grid = [[0] * HIGHEST for _ in RATINGS]
    for likelihood, impact in ratings:
        grid[check_rating(likelihood, "likelihood") - 1][check_rating(impact, "impact") - 1] += 1
    return tuple(tuple(row) for row in grid)


S = RiskStatus
#: Where each status may go next. Staying put (a reassessment) is always allowed, except
#: on a closed risk.
TRANSITIONS: dict[RiskStatus, frozenset[RiskStatus]] = {
    S.OPEN: frozenset({S.MITIGATING, S.OCCURRED}),
    S.MITIGATING: frozenset({S.OCCURRED, S.CLOSED}),
    S.OCCURRED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}


def next_statuses(current: RiskStatus) -> list[RiskStatus]:
    """The statuses an assessment may give a risk that is ``current``, itself first."""
    if current is S.CLOSED:
        return []
    return [current, *(s for s in RiskStatus if s in TRANSITIONS[current])]


def transition_refusal(current: RiskStatus, wanted: RiskStatus) -> str | None:
    """Why a risk that is ``current`` may not become ``wanted``; None when it may."""
    if current is S.CLOSED:
        return "the risk is closed, and a closed risk is final: raise a new risk if it returns"
    if wanted is current or wanted in TRANSITIONS[current]:
        return None
    allowed = " or ".join(s.value for s in RiskStatus if s in TRANSITIONS[current])
    if wanted is S.OPEN:
        return f"a risk that is {current} does not go back to open; it may stay or become {allowed}"
    if current is S.OPEN and wanted is S.CLOSED:
        return (
            "an open risk is closed once its mitigation has been recorded (mitigating) "
            "or after it occurred"
        )
    return f"a risk that is {current} may stay or become {allowed}, not {wanted}"
