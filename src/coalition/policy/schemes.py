"""Classification schemes on the common 0-4 scale, as plain data the engine can read.

Built from the reference tables (classification-schemes.yaml); kept apart from the
database so labels can be parsed, compared and rendered without a session.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class LabelError(ValueError):
    """A label, banner or label document is wrong; ``field`` says where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Level:
    marking: str
    level: int
    requires_clearance: bool
    legacy: bool = False


@dataclass(frozen=True, slots=True)
class Scheme:
    code: str
    levels: tuple[Level, ...]
    policy_oid: str | None = None

    def level_of(self, marking: str) -> Level:
        wanted = " ".join(marking.upper().split())
        for level in self.levels:
            if level.marking == wanted:
                return level
        known = ", ".join(lv.marking for lv in self.levels)
        raise LabelError(
            "classification", f"'{marking}' is not a marking of scheme {self.code} ({known})"
        )

    def marking_for(self, common_level: int) -> Level:
        """The lowest current marking that protects ``common_level`` in this scheme.

        A scheme without that exact level protects at the next one up (the UK has no
        CONFIDENTIAL since 2014 and protects foreign CONFIDENTIAL at SECRET).
        """
        candidates = [lv for lv in self.levels if lv.level >= common_level and not lv.legacy]
        if not candidates:
            raise LabelError(
                "classification", f"scheme {self.code} has no marking at level {common_level}"
            )
        return min(candidates, key=lambda lv: lv.level)


@dataclass(frozen=True)
class SchemeCatalogue:
    schemes: Mapping[str, Scheme] = field(default_factory=dict)

    @classmethod
    def of(cls, schemes: Iterable[Scheme]) -> SchemeCatalogue:
        return cls({s.code: s for s in schemes})

    def get(self, code: str) -> Scheme:
        scheme = self.schemes.get(code.strip().upper())
        if scheme is None:
            known = ", ".join(sorted(self.schemes))
            raise LabelError("scheme", f"'{code}' is not a known scheme ({known})")
        return scheme

    def by_policy_oid(self, oid: str) -> Scheme | None:
        return next((s for s in self.schemes.values() if s.policy_oid == oid), None)


def catalogue_from_mapping(data: Mapping[str, object]) -> SchemeCatalogue:
    """The catalogue from the parsed classification-schemes.yaml (see coalition/reference)."""
    raw = data.get("schemes")
    if not isinstance(raw, Mapping):
        raise LabelError("schemes", "must be a mapping of scheme codes")
    schemes = []
    for code, body in raw.items():
        if not isinstance(body, Mapping) or not isinstance(body.get("levels"), list):
            raise LabelError(f"schemes.{code}", "must have a list of levels")
        levels = tuple(
            Level(
                marking=str(lv["marking"]),
                level=int(lv["level"]),
                requires_clearance=bool(lv["requires_clearance"]),
                legacy=bool(lv.get("legacy", False)),
            )
            for lv in body["levels"]
        )
        oid = body.get("policy_oid")
        schemes.append(Scheme(str(code), levels, str(oid) if oid else None))
    return SchemeCatalogue.of(schemes)
