"""Load classification schemes, clearance names and groups from editable YAML files.

The shipped defaults (coalition/reference/*.yaml) keep their sources; an operator points
``COALITION_REFERENCE_DIR`` at an edited copy and runs ``coalition reference load``.
Loading is idempotent: it brings the tables to exactly what the files say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.common.validation import nation_code
from coalition.errors import ValidationFailed
from coalition.registry.models import (
    ClassificationLevel,
    ClassificationScheme,
    ClearanceLevelName,
    GroupMembership,
    NationGroup,
)
from coalition.store.uow import UnitOfWork

SCHEMES_FILE = "classification-schemes.yaml"
GROUPS_FILE = "groups.yaml"


@dataclass(frozen=True)
class ReferenceSummary:
    schemes: int
    levels: int
    clearance_names: int
    groups: int
    memberships: int


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValidationFailed.of(str(path), "file not found") from exc
    except yaml.YAMLError as exc:
        raise ValidationFailed.of(str(path), f"not valid YAML: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ValidationFailed.of(str(path), "must hold a mapping at the top level")
    return loaded


def load_reference(uow: UnitOfWork, actor: Principal, folder: Path) -> ReferenceSummary:
    require(actor, Permission.NATION_MANAGE, Target.node())
    schemes = _parse_schemes(read_yaml(folder / SCHEMES_FILE), folder / SCHEMES_FILE)
    groups = _parse_groups(read_yaml(folder / GROUPS_FILE), folder / GROUPS_FILE)
    with uow:
        uow.for_writing()
        session = uow.session
        session.execute(delete(ClassificationLevel))
        session.execute(delete(ClearanceLevelName))
        session.execute(delete(GroupMembership))
        existing = {s.code: s for s in session.scalars(select(ClassificationScheme))}
        for scheme in schemes.schemes:
            row = existing.get(scheme.code) or ClassificationScheme(code=scheme.code)
            row.policy_identifier = scheme.policy_identifier
            row.policy_oid = scheme.policy_oid
            row.needs_verification = scheme.needs_verification
            session.add(row)
            for rank, level in enumerate(scheme.levels):
                session.add(ClassificationLevel(scheme_code=scheme.code, rank=rank, **level))
        session.add_all(
            ClearanceLevelName(issuer=i, name=n, level=lv) for i, n, lv in schemes.clearances
        )
        existing_groups = {g.code: g for g in session.scalars(select(NationGroup))}
        membership_count = 0
        for code, (name, members) in groups.items():
            group = existing_groups.get(code) or NationGroup(code=code)
            group.name = name
            session.add(group)
            for nation, joined, left in members:
                session.add(
                    GroupMembership(
                        group_code=code, nation_code=nation, joined_on=joined, left_on=left
                    )
                )
                membership_count += 1
        summary = ReferenceSummary(
            schemes=len(schemes.schemes),
            levels=sum(len(s.levels) for s in schemes.schemes),
            clearance_names=len(schemes.clearances),
            groups=len(groups),
            memberships=membership_count,
        )
        uow.flush()
        record_event(
            uow,
            actor,
            "registry:reference:load",
            ClassificationScheme(code="*"),
            {"folder": str(folder), **summary.__dict__},
        )
        uow.commit()
    return summary


@dataclass
class _Scheme:
    code: str
    policy_identifier: str | None
    policy_oid: str | None
    needs_verification: bool
    levels: list[dict[str, Any]]


@dataclass
class _Schemes:
    schemes: list[_Scheme]
    clearances: list[tuple[str, str, int]]


def _parse_schemes(data: dict[str, Any], path: Path) -> _Schemes:
    where = path.name
    raw_schemes = data.get("schemes")
    if not isinstance(raw_schemes, dict) or not raw_schemes:
        raise ValidationFailed.of(f"{where}: schemes", "must be a non-empty mapping")
    schemes: list[_Scheme] = []
    for code, body in raw_schemes.items():
        field = f"{where}: schemes.{code}"
        if not isinstance(body, dict) or not isinstance(body.get("levels"), list):
            raise ValidationFailed.of(field, "must have a list of levels")
        levels = []
        for index, level in enumerate(body["levels"]):
            try:
                levels.append(
                    {
                        "marking": str(level["marking"]),
                        "level": _level(level["level"]),
                        "requires_clearance": bool(level["requires_clearance"]),
                        "legacy": bool(level.get("legacy", False)),
                    }
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValidationFailed.of(f"{field}.levels[{index}]", f"invalid: {exc}") from exc
        schemes.append(
            _Scheme(
                code=str(code),
                policy_identifier=body.get("policy_identifier"),
                policy_oid=body.get("policy_oid"),
                needs_verification=bool(body.get("verify", False)),
                levels=levels,
            )
        )
    clearances: list[tuple[str, str, int]] = []
    for issuer, names in (data.get("clearances") or {}).items():
        if not isinstance(names, dict):
            raise ValidationFailed.of(f"{where}: clearances.{issuer}", "must be a mapping")
        for name, level in names.items():
            try:
                clearances.append((str(issuer), str(name), _level(level)))
            except ValueError as exc:
                raise ValidationFailed.of(f"{where}: clearances.{issuer}.{name}", str(exc)) from exc
    return _Schemes(schemes, clearances)


def _level(value: Any) -> int:
    if not isinstance(value, int) or not 0 <= value <= 4:
        raise ValueError(f"level must be an integer from 0 to 4, not {value!r}")
    return value


def _parse_groups(
    data: dict[str, Any], path: Path
) -> dict[str, tuple[str, list[tuple[str, date, date | None]]]]:
    where = path.name
    raw = data.get("groups")
    if not isinstance(raw, dict) or not raw:
        raise ValidationFailed.of(f"{where}: groups", "must be a non-empty mapping")
    groups: dict[str, tuple[str, list[tuple[str, date, date | None]]]] = {}
    for code, body in raw.items():
        field = f"{where}: groups.{code}"
        if not isinstance(body, dict) or not isinstance(body.get("members"), dict):
            raise ValidationFailed.of(field, "must have a name and a mapping of members")
        members: list[tuple[str, date, date | None]] = []
        for nation, dates in body["members"].items():
            joined, left = _membership_dates(dates)
            if joined is None:
                raise ValidationFailed.of(f"{field}.members.{nation}", "needs a joining date")
            try:
                members.append((nation_code(str(nation)), joined, left))
            except ValueError as exc:
                raise ValidationFailed.of(f"{field}.members.{nation}", str(exc)) from exc
        groups[str(code)] = (str(body.get("name", code)), members)
    return groups


def _membership_dates(value: Any) -> tuple[date | None, date | None]:
    """A member is either `CODE: joined` or `CODE: {joined: ..., left: ...}`."""
    if isinstance(value, date):
        return value, None
    if isinstance(value, dict):
        joined, left = value.get("joined"), value.get("left")
        return (
            joined if isinstance(joined, date) else None,
            left if isinstance(left, date) else None,
        )
    return None, None
