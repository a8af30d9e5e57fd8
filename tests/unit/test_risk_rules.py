"""Scoring a risk, its band and trend, the heat map and the status transitions: tables of
cases and Hypothesis properties (a higher rating never lowers the score or the band, the
heat map counts every risk once, closed is final). The charts drawn from them name their
figures in text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.risks import charts, rules
from coalition.risks.models import RiskStatus
from coalition.risks.reading import heat_map_of
from coalition.risks.schemas import AssessmentOut, RiskOut

RATING = st.integers(min_value=1, max_value=5)
STATUS = st.sampled_from(list(RiskStatus))
S = RiskStatus


@pytest.mark.parametrize(
    ("likelihood", "impact", "score", "band"),
    [
        (1, 1, 1, "low"),
        (2, 2, 4, "low"),
        (1, 4, 4, "low"),
        (1, 5, 5, "medium"),
        (3, 3, 9, "medium"),
        (2, 5, 10, "high"),
        (4, 4, 16, "high"),
        (4, 5, 20, "critical"),
        (5, 5, 25, "critical"),
    ],
)
def test_score_and_band(likelihood: int, impact: int, score: int, band: str) -> None:
    assert rules.score(likelihood, impact) == score
    assert rules.band(score) == band


@pytest.mark.parametrize(("likelihood", "impact"), [(0, 3), (3, 6), (-1, 1)])
def test_ratings_outside_one_to_five_are_refused(likelihood: int, impact: int) -> None:
    with pytest.raises(ValueError, match="must be from 1 to 5"):
        rules.score(likelihood, impact)


@pytest.mark.parametrize("score", [0, 26])
def test_scores_outside_the_scale_have_no_band(score: int) -> None:
    with pytest.raises(ValueError, match="score"):
        rules.band(score)


def test_every_possible_score_has_a_band_and_the_bands_meet() -> None:
    scores = sorted({rules.score(x, y) for x in rules.RATINGS for y in rules.RATINGS})
    assert [rules.band(s).value for s in scores] == [
        *["low"] * 4,  # 1 2 3 4
        *["medium"] * 4,  # 5 6 8 9
        *["high"] * 4,  # 10 12 15 16
        *["critical"] * 2,  # 20 25
    ]


@given(RATING, RATING, RATING, RATING)
def test_a_higher_rating_never_lowers_the_score_or_the_band(
    likelihood: int, impact: int, more_likely: int, more_impact: int
) -> None:
    higher_l, higher_i = max(likelihood, more_likely), max(impact, more_impact)
    before, after = rules.score(likelihood, impact), rules.score(higher_l, higher_i)
    assert after >= before
    assert rules.band_rank(rules.band(after)) >= rules.band_rank(rules.band(before))


@given(st.integers(min_value=1, max_value=25), st.integers(min_value=1, max_value=25))
def test_the_band_is_monotone_in_the_score(one: int, other: int) -> None:
    low, high = sorted((one, other))
    assert rules.band_rank(rules.band(low)) <= rules.band_rank(rules.band(high))


@pytest.mark.parametrize(
    ("scores", "trend"),
    [
        ([], "new"),
        ([9], "new"),
        ([9, 12], "rising"),
        ([12, 9], "falling"),
        ([9, 9], "steady"),
        ([4, 25, 25], "steady"),
        ([25, 4, 6], "rising"),
    ],
)
def test_the_trend_compares_the_latest_score_with_the_one_before(
    scores: list[int], trend: str
) -> None:
    assert rules.trend(scores) == trend


def test_the_trend_at_each_assessment() -> None:
    assert rules.trends([9, 6, 12, 12]) == ["new", "falling", "rising", "steady"]


@pytest.mark.parametrize(
    ("before", "after", "alerts"),
    [
        (None, 12, True),  # raised high
        (None, 9, False),
        (9, 12, True),  # medium to high
        (12, 16, False),  # rises within high
        (16, 20, True),  # high to critical
        (4, 25, True),
        (20, 12, False),  # falls
        (25, 20, False),
    ],
)
def test_the_owner_is_alerted_when_the_score_rises_into_high_or_critical(
    before: int | None, after: int, alerts: bool
) -> None:
    assert rules.rose_into_alert(before, after) is alerts


def test_the_heat_map_places_each_risk_in_its_cell() -> None:
    grid = rules.heat_map([(4, 5), (4, 5), (1, 2)])
    assert grid[3][4] == 2 and grid[0][1] == 1
    assert sum(map(sum, grid)) == 3


@given(st.lists(st.tuples(RATING, RATING), max_size=60))
def test_the_heat_map_counts_every_risk_once(ratings: list[tuple[int, int]]) -> None:
    grid = rules.heat_map(ratings)
    assert len(grid) == 5 and all(len(row) == 5 for row in grid)
    assert sum(map(sum, grid)) == len(ratings)
    for likelihood, impact in set(ratings):
        assert grid[likelihood - 1][impact - 1] == ratings.count((likelihood, impact))
    view = heat_map_of(ratings, project="SENSE")
    assert view.total == len(ratings) == sum(view.by_band.values())
    assert sum(c.count for c in view.cells) == len(ratings)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (S.OPEN, S.OPEN),
        (S.OPEN, S.MITIGATING),
        (S.OPEN, S.OCCURRED),
        (S.MITIGATING, S.MITIGATING),
        (S.MITIGATING, S.OCCURRED),
        (S.MITIGATING, S.CLOSED),
        (S.OCCURRED, S.OCCURRED),
        (S.OCCURRED, S.CLOSED),
    ],
)
def test_allowed_transitions(current: RiskStatus, wanted: RiskStatus) -> None:
    assert rules.transition_refusal(current, wanted) is None
    assert wanted in rules.next_statuses(current)


@pytest.mark.parametrize(
    ("current", "wanted", "reason"),
    [
        (S.OPEN, S.CLOSED, "an open risk is closed once its mitigation has been recorded"),
        (S.MITIGATING, S.OPEN, "a risk that is mitigating does not go back to open"),
        (S.OCCURRED, S.MITIGATING, "may stay or become closed, not mitigating"),
        (S.OCCURRED, S.OPEN, "does not go back to open"),
        (S.CLOSED, S.OPEN, "a closed risk is final"),
        (S.CLOSED, S.CLOSED, "a closed risk is final"),
    ],
)
def test_refused_transitions_say_why(current: RiskStatus, wanted: RiskStatus, reason: str) -> None:
    refusal = rules.transition_refusal(current, wanted)
    assert refusal is not None and reason in refusal


@given(STATUS, STATUS)
def test_closed_is_final_and_the_offered_statuses_are_the_allowed_ones(
    current: RiskStatus, wanted: RiskStatus
) -> None:
    allowed = rules.transition_refusal(current, wanted) is None
    assert allowed == (wanted in rules.next_statuses(current))
    if current is S.CLOSED:
        assert not allowed
    if wanted is S.OPEN:
        assert allowed == (current is S.OPEN)


@given(st.lists(STATUS, max_size=8))
def test_every_allowed_path_ends_closed_at_most_once(path: list[RiskStatus]) -> None:
    current, closings = S.OPEN, 0
    for wanted in path:
        if rules.transition_refusal(current, wanted) is None:
            closings += wanted is S.CLOSED
            current = wanted
    assert closings <= 1


def _risk(scores: list[tuple[int, int]]) -> RiskOut:
    history = [
        AssessmentOut(
            assessed_on=date(2027, 1, 4 + i),
            at=datetime(2027, 1, 4 + i, tzinfo=UTC),
            by="paula",
            likelihood=likelihood,
            impact=impact,
            score=likelihood * impact,
            band=rules.band(likelihood * impact).value,
            status="open",
            trend=mark.value,
            note=None,
        )
        for i, ((likelihood, impact), mark) in enumerate(
            zip(scores, rules.trends([x * y for x, y in scores]), strict=True)
        )
    ]
    last = scores[-1]
    return RiskOut.model_validate(
        {
            "id": "00000000-0000-0000-0000-000000000001",
            "reference": "RSK-1",
            "project": "SENSE",
            "project_id": "00000000-0000-0000-0000-000000000002",
            "project_title": "Sensor fusion",
            "work_package": None,
            "title": "Licence lapses",
            "description": None,
            "category": "technical",
            "likelihood": last[0],
            "impact": last[1],
            "score": last[0] * last[1],
            "band": rules.band(last[0] * last[1]).value,
            "trend": history[-1].trend,
            "status": "open",
            "owner_id": "00000000-0000-0000-0000-000000000003",
            "owner": "Alice Archer",
            "owner_organisation": "USAPL",
            "mitigation": None,
            "raised_on": date(2027, 1, 4),
            "closed_on": None,
            "history": history,
        }
    )


def test_the_heat_map_chart_and_its_text_give_the_counts() -> None:
    heat = heat_map_of([(4, 5), (4, 5), (1, 2)], project="SENSE")
    drawn = charts.heat_map_chart(heat)
    assert drawn.lstrip().startswith("<?xml") and "<svg" in drawn
    assert "Risk heat map, SENSE" in drawn and "likelihood" in drawn and "impact" in drawn
    assert drawn == charts.heat_map_chart(heat)  # the same figures, the same bytes
    assert charts.heat_map_text(heat) == (
        "Risk heat map of SENSE: 3 live risk(s), 1 low, 0 medium, 0 high, 2 critical. "
        "likelihood 4, impact 5 (score 20, critical): 2; "
        "likelihood 1, impact 2 (score 2, low): 1."
    )
    assert charts.heat_map_text(heat_map_of([])) == "Risk heat map of all projects: no live risk."


def test_the_trend_chart_and_its_text_follow_the_history() -> None:
    risk = _risk([(3, 3), (4, 3), (2, 2)])
    drawn = charts.trend_chart(risk)
    assert "<svg" in drawn and "Score of risk RSK-1" in drawn and "06 Jan 2027" in drawn
    assert charts.trend_text(risk) == (
        "Score of risk RSK-1 at each assessment: 2027-01-04 9 (medium, open); "
        "2027-01-05 12 (high, open); 2027-01-06 4 (low, open). Trend: falling."
    )
    assert "<svg" in charts.trend_chart(_risk([(1, 1)]))  # a single point draws too
