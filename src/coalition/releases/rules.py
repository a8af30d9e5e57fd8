"""Who must approve the release of an item, from what its label carries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: The caveat by which an originator keeps control of further dissemination.
ORCON = "ORCON"


def approvals_for(
    *,
    common_level: int,
    originator: str,
    caveats: Iterable[str],
    export: Iterable[Mapping[str, Any]],
    owner: str,
) -> list[str]:
    """The approvals an item needs, each once:

    - classified (common level above 0): the originating nation's security officer or
      foreign-disclosure officer;
    - export-controlled: the exporting nation's export-control officer, per regime;
    - ORCON: the originator (the owning organisation)."""
    needed: list[str] = []
    if common_level > 0:
        needed.append(f"{originator} security officer (classified)")
    for marking in sorted(export, key=lambda m: (m["exporting_nation"], m["regime"])):
        entry = f"{marking['exporting_nation']} export-control officer ({marking['regime']})"
        if entry not in needed:
            needed.append(entry)
    if ORCON in {c.upper() for c in caveats}:
        needed.append(f"{owner} as originator (ORCON)")
    return needed
