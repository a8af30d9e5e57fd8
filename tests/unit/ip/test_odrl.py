"""Licences as ODRL 2.2 JSON-LD: the policy expands with a JSON-LD processor, offline, to
ODRL IRIs; purposes, territory and validity become constraints; other purposes are
prohibited; terms become a compensation duty; a terminated licence permits nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pyld import jsonld

from coalition.ip.odrl import ODRL, PURPOSES, licence_policy


def _policy(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reference": "LIC-1",
        "asset": "RES-2026-01",
        "licensor": "USAPL",
        "licensee": "UKSL",
        "purposes": ["government_purposes"],
        "territory": ["GBR"],
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2028, 1, 1),
        "terms": "2% royalty on sales",
        "active": True,
        **changes,
    }
    return licence_policy(**values)


def _offline(url: str, options: Any = None) -> Any:
    raise AssertionError(f"the policy must not need a remote document: {url}")


def _expanded(policy: dict[str, Any]) -> dict[str, Any]:
    (node,) = jsonld.expand(policy, {"documentLoader": _offline})
    return node  # type: ignore[no-any-return]


def test_a_licence_expands_to_an_odrl_agreement() -> None:
    node = _expanded(_policy())
    assert node["@id"] == "urn:coalition:licence:LIC-1"
    assert node["@type"] == [f"{ODRL}Agreement"]
    (permission,) = node[f"{ODRL}permission"]
    assert permission[f"{ODRL}action"] == [{"@id": f"{ODRL}use"}]
    assert permission[f"{ODRL}target"] == [{"@id": "urn:coalition:ip-asset:RES-2026-01"}]
    assert permission[f"{ODRL}assignee"] == [{"@id": "urn:coalition:organisation:UKSL"}]
    operands = {
        (c[f"{ODRL}leftOperand"][0]["@id"], c[f"{ODRL}operator"][0]["@id"])
        for c in permission[f"{ODRL}constraint"]
    }
    assert operands == {
        (f"{ODRL}purpose", f"{ODRL}isAnyOf"),
        (f"{ODRL}dateTime", f"{ODRL}gteq"),
        (f"{ODRL}dateTime", f"{ODRL}lt"),
        (f"{ODRL}spatial", f"{ODRL}isAnyOf"),
    }
    (duty,) = permission[f"{ODRL}duty"]
    assert duty[f"{ODRL}action"] == [{"@id": f"{ODRL}compensate"}]
    assert f"{ODRL}prohibition" in node


@given(purposes=st.sets(st.sampled_from(PURPOSES), min_size=1))
def test_every_purpose_is_either_permitted_or_prohibited_never_both(
    purposes: set[str],
) -> None:
    policy = _policy(purposes=sorted(purposes))
    permitted = set(policy["permission"][0]["constraint"][0]["rightOperand"])
    prohibited = set()
    for prohibition in policy.get("prohibition", []):
        prohibited |= set(prohibition["constraint"][0]["rightOperand"])
    assert permitted.isdisjoint(prohibited)
    assert permitted | prohibited == {f"coalition:{p}" for p in PURPOSES}


def test_a_terminated_licence_permits_nothing_and_worldwide_has_no_territory() -> None:
    policy = _policy(active=False, territory=[], terms=None)
    times = {
        c["operator"]: c["rightOperand"]["@value"]
        for c in policy["permission"][0]["constraint"]
        if c["leftOperand"] == "dateTime"
    }
    assert times == {"gteq": "2026-01-01", "lt": "2026-01-01"}
    assert all(c["leftOperand"] != "spatial" for c in policy["permission"][0]["constraint"])
    assert "duty" not in policy["permission"][0]
