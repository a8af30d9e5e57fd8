"""What a provider's accepted assertions do to a person's records: an accepted clearance
is recorded (marked ``asserted_by`` the provider) or carried forward; every acceptance and
refusal goes to the ledger. Which assertions are accepted is decided by
:func:`coalition.identity.rules.assess`, without I/O.

Security officers' decisions stand over any assertion: a citizenship is never added at
sign-in (one an officer removed stays removed), and once an officer has revoked or
suspended a clearance of the provider's nation, that nation's provider asserts no clearance
for the person until an officer records a new one.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Principal
from coalition.common.events import changed_fields, record_event
from coalition.common.validation import ranges_overlap
from coalition.identity import rules
from coalition.identity.models import IdentityProvider
from coalition.registry.models import (
    Clearance,
    ClearanceChange,
    ClearanceLevelName,
    ClearanceStatus,
    Person,
)
from coalition.store.uow import UnitOfWork

log = logging.getLogger(__name__)


def provider_actor(provider: IdentityProvider) -> Principal:
    """Who the ledger says asserted something at a sign-in: the provider."""
    return Principal(name=f"idp:{provider.key}", account_id=None, active=True)


def trust(provider: IdentityProvider) -> rules.ProviderTrust:
    return rules.ProviderTrust(
        key=provider.key,
        nation_code=provider.nation_code,
        may_assert=frozenset(provider.may_assert),
        citizenship_claim=provider.citizenship_claim,
        clearance_claim=provider.clearance_claim,
    )


def level_names(session: Session, nation_code: str) -> dict[str, int]:
    rows = session.execute(
        select(ClearanceLevelName.name, ClearanceLevelName.level).where(
            ClearanceLevelName.issuer == nation_code
        )
    )
    return {str(name): int(level) for name, level in rows}


def apply(
    uow: UnitOfWork,
    provider: IdentityProvider,
    person: Person,
    assessment: rules.Assessment,
    today: date,
) -> list[tuple[str, str]]:
    """Write what was accepted to the person's records and record every decision."""
    actor = provider_actor(provider)
    notes: list[tuple[str, str]] = []
    for claim in assessment.ignored:
        # Not an error of the person's: the provider sends more than it is trusted with.
        log.info(
            "identity provider %s sent '%s', which it may not assert: ignored", provider.key, claim
        )
    # An accepted citizenship (assessment.citizenship) only confirms the record: nothing
    # to write. One the record lacks was refused by the rules.
    refused = list(assessment.refused)
    accepted_clearances: list[rules.AcceptedClearance] = []
    for accepted in assessment.clearances:
        blocked = _blocking_clearance(person, accepted.issuer)
        if blocked is None:
            accepted_clearances.append(accepted)
            continue
        refused.append(
            rules.Refusal(
                rules.CLEARANCE,
                accepted.level_name,
                f"a security officer {blocked.status.value} the {blocked.issuer} "
                f"{blocked.level_name} clearance on record: no assertion counts until an "
                f"officer records a new one",
            )
        )
    for refusal in refused:
        log.warning(
            "identity provider %s: %s '%s' refused: %s",
            provider.key,
            refusal.attribute,
            refusal.value,
            refusal.reason,
        )
        record_event(
            uow,
            actor,
            f"identity:{refusal.attribute}:refuse",
            person,
            {"provider": provider.key, "value": refusal.value, "reason": refusal.reason},
        )
        notes.append(
            (
                "error",
                f"Not accepted from {provider.display_name}: {refusal.attribute} "
                f"{refusal.value} ({refusal.reason}).",
            )
        )
    for accepted in accepted_clearances:
        notes.extend(_apply_clearance(uow, actor, provider, person, accepted, today))
    return notes


def _blocking_clearance(person: Person, issuer: str) -> Clearance | None:
    """The clearance of ``issuer`` a security officer revoked or suspended, if no clearance
    an officer recorded since then lifts the block.

    Only officers change a clearance's status (an assertion never does), so a revoked or
    suspended clearance is their decision; without this, an asserted clearance they
    revoked would be made again at the next sign-in.
    """
    held = [c for c in person.clearances if c.issuer == issuer]
    stopped = [c for c in held if c.status in (ClearanceStatus.REVOKED, ClearanceStatus.SUSPENDED)]
    if not stopped:
        return None
    latest = max(stopped, key=lambda c: c.updated_at)
    renewed = any(
        c.asserted_by is None
        and c.status is ClearanceStatus.ACTIVE
        and c.created_at > latest.updated_at
        for c in held
    )
    return None if renewed else latest


def _apply_clearance(
    uow: UnitOfWork,
    actor: Principal,
    provider: IdentityProvider,
    person: Person,
    accepted: rules.AcceptedClearance,
    today: date,
) -> list[tuple[str, str]]:
    """Record the clearance, or carry forward the one this provider asserted before. A
    clearance a security officer recorded stands: an assertion never overwrites it."""
    reason = f"asserted at sign-in by {provider.key}"
    details = {
        "provider": provider.key,
        "issuer": accepted.issuer,
        "level_name": accepted.level_name,
        "valid_until": accepted.valid_until,
    }
    overlapping = [
        c
        for c in person.clearances
        if c.issuer == accepted.issuer
        and c.status is not ClearanceStatus.REVOKED
        and ranges_overlap(today, accepted.valid_until, c.valid_from, c.valid_until)
    ]
    if not overlapping:
        clearance = Clearance(
            person=person,
            issuer=accepted.issuer,
            level_name=accepted.level_name,
            level=accepted.level,
            valid_from=today,
            valid_until=accepted.valid_until,
            asserted_by=provider.key,
        )
        clearance.history.append(
            ClearanceChange(
                actor=actor.name,
                changes={
                    **details,
                    "valid_from": today.isoformat(),
                    "valid_until": accepted.valid_until.isoformat(),
                },
                reason=reason,
            )
        )
        uow.add(clearance)
        uow.flush()
        record_event(
            uow, actor, "identity:clearance:assert", clearance, {**details, "applied": "created"}
        )
        shown = f"{accepted.issuer} {accepted.level_name}"
        return [("success", f"{provider.display_name} confirmed your {shown} clearance.")]
    mine = overlapping[0]
    if (
        len(overlapping) == 1
        and mine.asserted_by == provider.key
        and mine.status is ClearanceStatus.ACTIVE
    ):
        applied = changed_fields(
            mine,
            {
                "level_name": accepted.level_name,
                "level": accepted.level,
                "valid_until": accepted.valid_until,
            },
        )
        if applied:
            mine.history.append(
                ClearanceChange(
                    actor=actor.name,
                    changes={
                        k: v.isoformat() if isinstance(v, date) else v for k, v in applied.items()
                    },
                    reason=reason,
                )
            )
            record_event(
                uow, actor, "identity:clearance:assert", mine, {**details, "applied": "updated"}
            )
        return []
    record_event(
        uow,
        actor,
        "identity:clearance:assert",
        person,
        {
            **details,
            "applied": "not-applied",
            "why": "the clearance of this issuer on record (a security officer's, or "
            "suspended) stands",
        },
    )
    return []
