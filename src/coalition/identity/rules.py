"""Which of a provider's assertions about a person Coalition believes: pure, no I/O.

A nation's identity provider is trusted for what its nation decides and nothing else:

- only the attributes it is configured for (``may_assert``); any other is ignored;
- citizenship of its own nation only: "this person is British" from the British provider,
  never "this person is American"; and it may only confirm a citizenship on record, never
  add one (security officers keep the record: a citizenship they removed stays removed);
- a clearance only of its own nation's vetting (a level name its nation issues), and only
  for its own nationals on record (never by the provider's own say-so in the sign-in).

Claim shapes accepted: the citizenship claim is a nation code (ISO 3166-1 alpha-3, or
alpha-2) or a list of them; the clearance claim is a level name, an object
``{"level": name, "valid_until": "YYYY-MM-DD"}`` or a list of either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pycountry

CITIZENSHIP = "citizenship"
CLEARANCE = "clearance"
#: A clearance asserted without an end lasts this long from the sign-in; each later
#: sign-in that asserts it again carries it forward.
ASSERTED_CLEARANCE_DAYS = 30
#: Longest validity believed from an assertion: vetting is renewed within years, not
#: decades; a longer claim is cut to this.
LONGEST_ASSERTED_DAYS = 10 * 366


@dataclass(frozen=True)
class ProviderTrust:
    """What one provider may vouch for."""

    key: str
    nation_code: str
    may_assert: frozenset[str]
    citizenship_claim: str = "nationality"
    clearance_claim: str = "clearance"


@dataclass(frozen=True)
class AcceptedClearance:
    issuer: str
    level_name: str
    level: int
    valid_until: date


@dataclass(frozen=True)
class Refusal:
    attribute: str
    value: str
    reason: str


@dataclass(frozen=True)
class Assessment:
    #: The provider's own nation when it asserted it, may, and the person holds it on
    #: record (a confirmation); None otherwise. Never a citizenship to add.
    citizenship: str | None
    clearances: tuple[AcceptedClearance, ...]
    refused: tuple[Refusal, ...]
    #: Claims of attributes the provider is not configured to assert.
    ignored: tuple[str, ...]
    #: Whether the person is the provider's national on record.
    national: bool


def assess(
    trust: ProviderTrust,
    claims: Mapping[str, object],
    recorded_citizenships: frozenset[str],
    level_names: Mapping[str, int],
    today: date,
) -> Assessment:
    """Sort a sign-in's claims into accepted, refused (with a reason) and ignored.

    ``level_names``: the clearance level names the provider's nation issues, with the
    common level each reaches.
    """
    refused: list[Refusal] = []
    ignored: list[str] = []
    national = trust.nation_code in recorded_citizenships

    citizenship: str | None = None
    if trust.citizenship_claim in claims:
        if CITIZENSHIP not in trust.may_assert:
            ignored.append(trust.citizenship_claim)
        else:
            for raw in _as_list(claims[trust.citizenship_claim]):
                code = _nation_code(raw)
                if code is None:
                    refused.append(Refusal(CITIZENSHIP, _shown(raw), "not a nation code"))
                elif code != trust.nation_code:
                    refused.append(
                        Refusal(
                            CITIZENSHIP,
                            code,
                            f"{trust.key} may assert citizenship of {trust.nation_code} only",
                        )
                    )
                elif not national:
                    refused.append(
                        Refusal(
                            CITIZENSHIP,
                            code,
                            "not on record: a sign-in never adds a citizenship, a security "
                            "officer records it",
                        )
                    )
                else:
                    citizenship = code

    candidates: list[AcceptedClearance] = []
    if trust.clearance_claim in claims:
        if CLEARANCE not in trust.may_assert:
            ignored.append(trust.clearance_claim)
        else:
            for raw in _as_list(claims[trust.clearance_claim]):
                found = _clearance(trust, raw, national, level_names, today)
                if isinstance(found, Refusal):
                    refused.append(found)
                else:
                    candidates.append(found)
    clearances, extra = _one_per_issuer(candidates)
    refused.extend(extra)
    return Assessment(citizenship, clearances, tuple(refused), tuple(ignored), national)


def _clearance(
    trust: ProviderTrust,
    raw: object,
    national: bool,
    level_names: Mapping[str, int],
    today: date,
) -> AcceptedClearance | Refusal:
    level_name, until, problem = _clearance_claim(raw)
    if problem is not None:
        return Refusal(CLEARANCE, _shown(raw), problem)
    assert level_name is not None
    if not national:
        return Refusal(
            CLEARANCE,
            level_name,
            f"not a national of {trust.nation_code} on record: a provider vouches only for "
            f"its own nationals' clearances",
        )
    if level_name not in level_names:
        known = ", ".join(sorted(level_names)) or "none recorded"
        return Refusal(
            CLEARANCE,
            level_name,
            f"{trust.nation_code} issues no clearance named '{level_name}' ({known})",
        )
    if until is None:
        until = today + timedelta(days=ASSERTED_CLEARANCE_DAYS)
    elif until <= today:
        return Refusal(CLEARANCE, level_name, f"ended on {until.isoformat()}")
    until = min(until, today + timedelta(days=LONGEST_ASSERTED_DAYS))
    return AcceptedClearance(trust.nation_code, level_name, level_names[level_name], until)


def _one_per_issuer(
    candidates: Sequence[AcceptedClearance],
) -> tuple[tuple[AcceptedClearance, ...], list[Refusal]]:
    """A person holds one clearance of an issuer at a time: the highest asserted stands."""
    if len(candidates) <= 1:
        return tuple(candidates), []
    best = max(candidates, key=lambda c: (c.level, c.valid_until))
    return (best,), [
        Refusal(
            CLEARANCE,
            c.level_name,
            f"one clearance of {c.issuer} at a time: {best.level_name} was also asserted",
        )
        for c in candidates
        if c is not best
    ]


def _clearance_claim(raw: object) -> tuple[str | None, date | None, str | None]:
    """(level name, end, problem) of one element of the clearance claim."""
    if isinstance(raw, str):
        name = raw.strip()
        return (name, None, None) if name else (None, None, "an empty level name")
    if isinstance(raw, Mapping):
        level = raw.get("level")
        if not isinstance(level, str) or not level.strip():
            return None, None, "an object without a 'level' name"
        until = raw.get("valid_until")
        if until is None:
            return level.strip(), None, None
        try:
            return level.strip(), date.fromisoformat(str(until)), None
        except ValueError:
            return None, None, "'valid_until' is not a date (YYYY-MM-DD)"
    return None, None, "neither a level name nor an object with a 'level'"


def _nation_code(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    code = raw.strip().upper()
    if len(code) == 3 and pycountry.countries.get(alpha_3=code) is not None:
        return code
    if len(code) == 2:
        country = pycountry.countries.get(alpha_2=code)
        return str(country.alpha_3) if country is not None else None
    return None


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _shown(raw: object) -> str:
    """A claim's value as it may be recorded: short, whatever the provider sent."""
    return str(raw)[:80]
