"""The federation's pure rules: what a directory may show a partner, which witness
refusals prove a fork, and how unverified alerts are throttled before any write."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.federation import alerts
from coalition.federation.directory import publishable
from coalition.federation.witnessing import is_inconsistency
from coalition.ledger.witness import WitnessError

TODAY = date(2026, 11, 24)


class Groups:
    def members(self, group: str, on: date) -> frozenset[str]:
        return frozenset({"FVEY": {"USA", "GBR", "CAN", "AUS", "NZL"}}.get(group, set()))


def label(**changes: Any) -> Any:
    fields: dict[str, Any] = {
        "common_level": 0,
        "requires_clearance": False,
        "caveats": [],
        "export": [],
        "ip_terms": None,
        "embargo_until": None,
        "distribution": None,
        "originator": "GBR",
        "noforn": False,
        "releasable_to": ["USA", "GBR"],
        "pinned_on": None,
    }
    fields.update(changes)
    return SimpleNamespace(**fields)


@pytest.mark.parametrize(
    ("changes", "nations", "shown"),
    [
        ({}, {"USA"}, True),
        ({}, {"USA", "FRA"}, False),  # every nation of the partner must be in the audience
        ({"releasable_to": []}, {"USA"}, False),  # no REL TO: the originator's nation only
        ({"releasable_to": []}, {"GBR"}, True),
        ({"releasable_to": ["FVEY"]}, {"CAN", "USA"}, True),
        ({"releasable_to": ["FVEY"]}, {"FRA"}, False),
        ({"noforn": True}, {"USA"}, False),
        ({"common_level": 1}, {"USA"}, False),
        ({"requires_clearance": True}, {"USA"}, False),
        ({"caveats": ["PROPIN"]}, {"USA"}, False),
        ({"export": [{"regime": "ITAR"}]}, {"USA"}, False),
        ({"ip_terms": "background IP"}, {"USA"}, False),
        ({"embargo_until": TODAY + timedelta(days=1)}, {"USA"}, False),
        ({"embargo_until": TODAY}, {"USA"}, True),
        ({"distribution": "Distribution A: approved for public release"}, {"USA"}, True),
        ({"distribution": "A"}, {"USA"}, True),
        ({"distribution": "Distribution D"}, {"USA"}, False),
        ({}, set(), False),  # a partner hosting no organisation sees no profile
    ],
)
def test_what_a_partner_may_see_in_a_directory(
    changes: dict[str, Any], nations: set[str], shown: bool
) -> None:
    assert publishable(label(**changes), frozenset(nations), Groups(), TODAY) is shown  # type: ignore[arg-type]


@given(
    nations=st.frozensets(st.sampled_from(["USA", "GBR", "FRA", "CAN", "DEU"]), min_size=1),
    rel=st.lists(st.sampled_from(["USA", "GBR", "FRA", "CAN", "FVEY"]), max_size=4),
)
def test_a_profile_shown_to_a_partner_is_releasable_to_all_its_nations(
    nations: frozenset[str], rel: list[str]
) -> None:
    item = label(releasable_to=rel)
    audience = {"GBR"} | {n for n in rel if len(n) == 3}
    if "FVEY" in rel:
        audience |= Groups().members("FVEY", TODAY)
    assert publishable(item, nations, Groups(), TODAY) == (nations <= audience)  # type: ignore[arg-type]


def test_only_a_second_root_at_the_same_size_proves_a_fork() -> None:
    assert is_inconsistency(WitnessError(409, "same size, another root", body="5\n"))
    assert not is_inconsistency(WitnessError(409, "the witness is at size 5", body="5\n"))
    # Anyone can send a bad proof or an old note: neither proves anything.
    assert not is_inconsistency(WitnessError(422, "consistency: the proof does not verify"))
    assert not is_inconsistency(WitnessError(400, "the checkpoint is smaller than the old size"))


def test_unverified_alerts_are_throttled_per_network_and_overall(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    throttle = alerts._Throttle()
    monkeypatch.setattr(alerts.time, "monotonic", lambda: 600.0)  # type: ignore[attr-defined]
    admitted = [throttle.admit("198.51.100.7") for _ in range(8)]
    assert admitted == [True] * alerts.PER_NETWORK_PER_MINUTE + [False] * 3
    # The same /24: the same budget.
    assert not throttle.admit("198.51.100.200")
    # Another network has its own, up to the overall cap.
    others = [throttle.admit(f"203.0.{n}.1") for n in range(100)]
    assert sum(others) == alerts.ALL_UNVERIFIED_PER_MINUTE - alerts.PER_NETWORK_PER_MINUTE
    # IPv6: one /64 is one network.
    assert alerts._network("2001:db8::1") == alerts._network("2001:db8::ffff")
    # The next minute starts afresh.
    monkeypatch.setattr(alerts.time, "monotonic", lambda: 660.0)  # type: ignore[attr-defined]
    assert throttle.admit("198.51.100.7")
