"""The shipped classification schemes and groups, as the pure engine sees them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from coalition.policy.schemes import SchemeCatalogue, catalogue_from_mapping

REFERENCE = Path(__file__).resolve().parents[3] / "src" / "coalition" / "reference"


def load_catalogue() -> SchemeCatalogue:
    return catalogue_from_mapping(
        yaml.safe_load((REFERENCE / "classification-schemes.yaml").read_text())
    )


def group_members(on: date) -> dict[str, frozenset[str]]:
    groups = yaml.safe_load((REFERENCE / "groups.yaml").read_text())["groups"]
    out: dict[str, frozenset[str]] = {}
    for code, body in groups.items():
        members = set()
        for nation, joined in body["members"].items():
            if isinstance(joined, dict):
                if joined["joined"] <= on and (joined.get("left") is None or on < joined["left"]):
                    members.add(nation)
            elif joined <= on:
                members.add(nation)
        out[code] = frozenset(members)
    return out


@pytest.fixture(scope="session")
def catalogue() -> SchemeCatalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def groups() -> dict[str, frozenset[str]]:
    return group_members(date(2026, 6, 1))
