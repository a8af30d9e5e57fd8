"""Pure rules of the registry."""

from __future__ import annotations

from collections.abc import Iterable

SUPRANATIONAL_ISSUERS = frozenset({"NATO", "EU"})


def clearance_issuer_problem(
    issuer: str, employer_nation: str, citizenships: Iterable[str]
) -> str | None:
    """A clearance is issued by the person's employer's nation, one of their own nations,
    or NATO / the EU (through a national authority); any other issuer is a data-entry
    error or worse, and the release engine would trust it."""
    allowed = {employer_nation, *citizenships} | SUPRANATIONAL_ISSUERS
    if issuer in allowed:
        return None
    return (
        f"{issuer} cannot have issued this person's clearance: issuers are the employer's "
        f"nation, the person's nations, NATO or EU ({', '.join(sorted(allowed))})"
    )
