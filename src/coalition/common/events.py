"""Record what a use case changed, in its own transaction."""

from __future__ import annotations

import uuid
from typing import Any

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.policy.engine import Decision
from coalition.store.uow import UnitOfWork


def record_event(
    uow: UnitOfWork,
    actor: Principal,
    tag: str,
    obj: Any,
    details: dict[str, Any] | None = None,
    *,
    authority: str | None = None,
) -> None:
    """Append an event for ``obj``; ``details`` names fields and new values, never secrets."""
    payload = dict(details or {})
    if authority:
        payload["authority"] = authority
    uow.add(
        Event(
            actor=actor.name,
            tag=tag,
            object_type=type(obj).__tablename__,
            object_id=str(getattr(obj, "id", getattr(obj, "code", ""))),
            details=jsonable(payload),
        )
    )


def record_decision(
    uow: UnitOfWork,
    actor: Principal,
    source: str,
    object_type: str,
    object_id: str,
    action: str,
    decision: Decision | None,
    *,
    for_person: uuid.UUID | None = None,
) -> None:
    """Append a decision on access to an object: permit or deny in clear (the ledger keeps
    ``outcome`` in clear), the rules' results and the failed rules' reasons as details
    (hashed in the ledger: a reason can name caveats). ``decision`` is None for an object
    that does not exist, recorded as a denial like any other, so that probing for ids
    shows in the record and costs the same as being refused."""
    if decision is None:
        details: dict[str, Any] = {"outcome": "deny", "rules": {}, "reasons": ["no such object"]}
    else:
        details = {
            "outcome": "permit" if decision.permit else "deny",
            "rules": {rule.id: rule.passed for rule in decision.rules},
            "reasons": [rule.reason for rule in decision.rules if not rule.passed],
        }
    if for_person is not None:  # the node's operator, acting for this person
        details["person"] = str(for_person)
    uow.add(
        Event(
            actor=actor.name,
            tag=f"{source}:decision:{action}",
            object_type=object_type,
            object_id=object_id,
            details=jsonable(details),
        )
    )


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it: dates, ids and decimals as text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def changed_fields(obj: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` to ``obj``; return only the fields whose value really changed."""
    applied: dict[str, Any] = {}
    for name, value in changes.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            applied[name] = value
    return applied
