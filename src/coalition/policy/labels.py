"""The security label: a value object shared (interned) by the artifacts that carry it."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date

from coalition.policy.schemes import LabelError, SchemeCatalogue

TRIGRAPH = re.compile(r"^[A-Z]{3}$")
GROUP_CODE = re.compile(r"^(?:[A-Z]{2}|[A-Z]{4,8})$")  # EU, FVEY, NATO...; trigraphs are nations
CAVEAT = re.compile(r"^[A-Z0-9][A-Z0-9 _-]{0,39}$")


class ExportRegime(enum.StrEnum):
    ITAR = "ITAR"
    EAR = "EAR"
    NATIONAL = "NATIONAL"


@dataclass(frozen=True, slots=True, order=True)
class ExportMarking:
    regime: ExportRegime
    category: str  # e.g. "USML XI(d)", "ECCN 3A001"
    exporting_nation: str

    def __post_init__(self) -> None:
        if not self.category.strip():
            raise LabelError("export.category", "is empty")
        if not TRIGRAPH.match(self.exporting_nation):
            raise LabelError("export.exporting_nation", f"'{self.exporting_nation}' is no trigraph")


@dataclass(frozen=True, slots=True)
class SecurityLabel:
    """Scheme and classification; who it may be released to (any-of); restrictive caveats
    (all-of); export-control markings; and the dates and references that travel with it.

    ``releasable_to`` holds nation trigraphs and group tetragraphs; ``noforn`` means no
    foreign release at all (the set is then empty). The originating nation may always see.
    """

    scheme: str
    classification: str
    originator: str
    releasable_to: frozenset[str] = frozenset()
    noforn: bool = False
    caveats: frozenset[str] = frozenset()
    export: frozenset[ExportMarking] = frozenset()
    distribution: str | None = None
    ip_terms: str | None = None
    embargo_until: date | None = None
    review_on: date | None = None
    #: Group memberships are read on this date instead of the decision date, if set.
    pinned_on: date | None = None

    def __post_init__(self) -> None:
        if not TRIGRAPH.match(self.originator):
            raise LabelError("originator", f"'{self.originator}' is not a nation trigraph")
        if self.noforn and self.releasable_to:
            raise LabelError("releasable_to", "NOFORN releases to no other nation: leave it empty")
        for code in self.releasable_to:
            if not (TRIGRAPH.match(code) or GROUP_CODE.match(code)):
                raise LabelError("releasable_to", f"'{code}' is neither a nation nor a group")
        for caveat in self.caveats:
            if not CAVEAT.match(caveat) or caveat in {"NOFORN", "REL TO"}:
                raise LabelError(
                    "caveats",
                    f"'{caveat}' is not a caveat (NOFORN and REL TO are releasability)",
                )

    def validate(self, catalogue: SchemeCatalogue, is_group: Callable[[str], bool]) -> None:
        """Checks that need reference data: a known scheme and marking, known groups, and a
        releasable-to list that names the originator (or a group holding it)."""
        catalogue.get(self.scheme).level_of(self.classification)
        for code in self.releasable_to:
            if GROUP_CODE.match(code) and not is_group(code):
                raise LabelError("releasable_to", f"'{code}' is not a known group")
        if (
            self.releasable_to
            and self.originator not in self.releasable_to
            and not any(is_group(code) for code in self.releasable_to)
        ):
            raise LabelError(
                "releasable_to", f"names other nations but not the originator {self.originator}"
            )

    def common_level(self, catalogue: SchemeCatalogue) -> int:
        return catalogue.get(self.scheme).level_of(self.classification).level

    def requires_clearance(self, catalogue: SchemeCatalogue) -> bool:
        return catalogue.get(self.scheme).level_of(self.classification).requires_clearance

    def in_scheme(self, catalogue: SchemeCatalogue, scheme: str) -> SecurityLabel:
        """The same label shown in a partner's scheme (the equivalence tables)."""
        target = catalogue.get(scheme)
        marking = target.marking_for(self.common_level(catalogue)).marking
        return replace(self, scheme=target.code, classification=marking)


def normalise(codes: Iterable[str]) -> frozenset[str]:
    return frozenset(" ".join(c.upper().split()) for c in codes if c.strip())


def aggregate(
    labels: Iterable[SecurityLabel],
    catalogue: SchemeCatalogue,
    members: Callable[[str], frozenset[str]],
) -> SecurityLabel:
    """One label for a package or report holding every item: the highest classification,
    releasable only to whom every item is releasable to, every restrictive caveat.

    ``members`` expands a group to its nations (on the relevant date); a nation passes an
    item when it is the item's originator or in its releasable-to set, so the aggregate's
    releasable-to is the intersection of (originator + releasable-to) over the items.
    """
    items = list(labels)
    if not items:
        raise LabelError("labels", "nothing to aggregate")
    highest = max(items, key=lambda lb: lb.common_level(catalogue))
    allowed: frozenset[str] | None = None
    for item in items:
        reach = (
            frozenset({item.originator})
            if item.noforn or not item.releasable_to
            else _expand(item.releasable_to, members) | {item.originator}
        )
        allowed = reach if allowed is None else allowed & reach
    assert allowed is not None
    if not allowed:
        raise LabelError("labels", "no nation may hold all of these items together")
    originator = highest.originator if highest.originator in allowed else min(allowed)
    only_originator = allowed == {originator}
    return SecurityLabel(
        scheme=highest.scheme,
        classification=highest.classification,
        originator=originator,
        releasable_to=frozenset() if only_originator else allowed,
        noforn=only_originator and any(lb.noforn for lb in items),
        caveats=frozenset().union(*(lb.caveats for lb in items)),
        export=frozenset().union(*(lb.export for lb in items)),
        distribution=_only(lb.distribution for lb in items),
        ip_terms=_only(lb.ip_terms for lb in items),
        embargo_until=max((d for lb in items if (d := lb.embargo_until)), default=None),
        review_on=min((d for lb in items if (d := lb.review_on)), default=None),
    )


def _expand(codes: frozenset[str], members: Callable[[str], frozenset[str]]) -> frozenset[str]:
    out: set[str] = set()
    for code in codes:
        out |= {code} if TRIGRAPH.match(code) else members(code)
    return frozenset(out)


def _only(values: Iterable[str | None]) -> str | None:
    distinct = {v for v in values if v}
    return "; ".join(sorted(distinct)) if distinct else None
