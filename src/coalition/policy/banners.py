"""CAPCO-style banners: ``SECRET//ORCON/REL TO USA, GBR, FVEY``, ``TOP SECRET//AURORA//NOFORN``.

Layout: classification, then compartments and briefings joined by ``/``, then the
dissemination controls (ORCON, NOFORN or REL TO ...) joined by ``/``; segments are
separated by ``//``. In REL TO, USA comes first, then other trigraphs alphabetically,
then tetragraphs (groups) alphabetically.
"""

from __future__ import annotations

from coalition.policy.labels import GROUP_CODE, TRIGRAPH, SecurityLabel
from coalition.policy.schemes import LabelError, SchemeCatalogue

#: Caveats rendered among the dissemination controls rather than as compartments.
DISSEMINATION_CAVEATS = ("ORCON",)


def rel_to_order(codes: frozenset[str]) -> list[str]:
    trigraphs = sorted(c for c in codes if TRIGRAPH.match(c) and c != "USA")
    groups = sorted(c for c in codes if not TRIGRAPH.match(c))
    return (["USA"] if "USA" in codes else []) + trigraphs + groups


def render(label: SecurityLabel) -> str:
    parts = [label.classification]
    compartments = sorted(c for c in label.caveats if c not in DISSEMINATION_CAVEATS)
    if compartments:
        parts.append("/".join(compartments))
    dissemination = [c for c in DISSEMINATION_CAVEATS if c in label.caveats]
    if label.noforn:
        dissemination.append("NOFORN")
    elif label.releasable_to:
        dissemination.append("REL TO " + ", ".join(rel_to_order(label.releasable_to)))
    if dissemination:
        parts.append("/".join(dissemination))
    return "//".join(parts)


def parse(
    banner: str, *, scheme: str, originator: str, catalogue: SchemeCatalogue
) -> SecurityLabel:
    """A label from a banner; the scheme and originator are not part of a banner."""
    text = " ".join(banner.strip().upper().split())
    if not text:
        raise LabelError("banner", "is empty")
    segments = [s.strip() for s in text.split("//")]
    if any(not s for s in segments):
        raise LabelError("banner", "has an empty segment (three or more '/' in a row?)")
    classification = catalogue.get(scheme).level_of(segments[0]).marking
    caveats: set[str] = set()
    releasable: set[str] = set()
    noforn = False
    for segment in segments[1:]:
        tokens = [t.strip() for t in segment.split("/")]
        if any(not t for t in tokens):
            raise LabelError("banner", f"segment '{segment}' has an empty part")
        is_dissemination = any(
            t == "NOFORN" or t.startswith("REL TO") or t in DISSEMINATION_CAVEATS for t in tokens
        )
        for part in tokens:
            if part == "NOFORN":
                noforn = True
            elif part.startswith("REL TO"):
                releasable |= _rel_to(part)
            elif is_dissemination and part not in DISSEMINATION_CAVEATS:
                raise LabelError("banner", f"'{part}' is not a dissemination control")
            else:
                caveats.add(part)
    if noforn and releasable:
        raise LabelError("banner", "NOFORN and REL TO contradict each other")
    return SecurityLabel(
        scheme=catalogue.get(scheme).code,
        classification=classification,
        originator=originator,
        releasable_to=frozenset(releasable),
        noforn=noforn,
        caveats=frozenset(caveats),
    )


def _rel_to(token: str) -> set[str]:
    listed = token.removeprefix("REL TO").strip()
    codes = [c.strip() for c in listed.split(",")]
    if not listed or any(not c for c in codes):
        raise LabelError("banner", f"'{token}' lists no nation or has an empty entry")
    for code in codes:
        if not (TRIGRAPH.match(code) or GROUP_CODE.match(code)):
            raise LabelError("banner", f"'{code}' in REL TO is neither a trigraph nor a group")
    return set(codes)
