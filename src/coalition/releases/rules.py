"""Who must approve the release of an item, from what its label carries, and by when."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: The caveat by which an originator keeps control of further dissemination.
ORCON = "ORCON"


@dataclass(frozen=True)
class Needed:
    """One approval: its kind, the nation that gives it (and for ORCON the owner)."""

    kind: str  # "classified", "export" or "originator"
    nation: str
    regime: str | None = None
    organisation_id: uuid.UUID | None = None
    organisation_name: str | None = None

    @property
    def key(self) -> str:
        if self.kind == "export":
            return f"export:{self.nation}:{self.regime}"
        if self.kind == "originator":
            return f"originator:{self.organisation_id}"
        return f"classified:{self.nation}"

    @property
    def label(self) -> str:
        if self.kind == "export":
            return f"{self.nation} export-control officer ({self.regime})"
        if self.kind == "originator":
            return f"{self.organisation_name} as originator (ORCON)"
        return f"{self.nation} security officer (classified)"


def approvals_for(
    *,
    common_level: int,
    originator: str,
    caveats: Iterable[str],
    export: Iterable[Sequence[str]],
    owner_id: uuid.UUID,
    owner_name: str,
    owner_nation: str,
) -> list[Needed]:
    """The approvals an item needs, each once:

    - classified (common level above 0): the originating nation's security officer or
      foreign-disclosure officer;
    - export-controlled: the exporting nation's export-control officer, per regime;
    - ORCON: the originator (the owning organisation)."""
    needed: list[Needed] = []
    if common_level > 0:
        needed.append(Needed("classified", originator))
    # As labels keep them: [regime, category, exporting nation].
    for regime, _category, nation in sorted(export, key=lambda m: (m[2], m[0])):
        entry = Needed("export", nation, regime=regime)
        if entry not in needed:
            needed.append(entry)
    if ORCON in {c.upper() for c in caveats}:
        needed.append(
            Needed(
                "originator",
                owner_nation,
                organisation_id=owner_id,
                organisation_name=owner_name,
            )
        )
    return needed
