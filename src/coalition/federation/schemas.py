"""Commands and views of federation: deliveries, alerts, the partners' directories."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from coalition.registry.schemas import Command, View


class DeliveryOut(View):
    id: uuid.UUID
    request_id: uuid.UUID
    request_reference: str
    artifact_reference: str
    recipient: str
    partner: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None
    #: The import's entry in the receiver's ledger, from its signed receipt.
    receiver_ledger_index: int | None
    created_at: datetime


class InboundOut(View):
    id: uuid.UUID
    partner: str
    delivery_id: uuid.UUID
    artifact_id: uuid.UUID
    artifact_reference: str
    package_sha256: str
    received_at: datetime


class AlertOut(View):
    id: uuid.UUID
    kind: str
    partner: str | None
    source: str | None
    detail: str
    created_at: datetime
    repeats: int
    last_seen_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None


class DirectoryEntryOut(View):
    #: The partner node that published it.
    node: str
    short_name: str
    name: str
    nation_code: str
    kind: str
    capabilities: list[str]
    summary: str


class PartnerState(View):
    id: uuid.UUID
    name: str
    url: str
    organisations: list[str]
    pins: dict[str, bool]
    deliveries: dict[str, int]
    received: int
    directory_issued_at: datetime | None
    directory_organisations: int
    #: What this node last cosigned of the partner's log (as its witness).
    witnessed_size: int | None
    suspended_at: datetime | None = None
    suspended_by: str | None = None
    suspension_reason: str | None = None


class NodeState(View):
    name: str
    url: str
    ledger_origin: str
    fingerprint: str | None
    transport: str
    partners: list[PartnerState]
    open_alerts: int


class PartnerTrust(View):
    """Whether this node trusts a partner, and if not since when, by whom and why."""

    id: uuid.UUID
    name: str
    suspended_at: datetime | None
    suspended_by: str | None
    suspension_reason: str | None


class SuspendIn(Command):
    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="Why trust in the partner is suspended (a key thought compromised, an "
        "arrangement lapsed): kept with the suspension and in the ledger.",
    )


class PinIn(Command):
    url: str = Field(
        pattern=r"^https?://",
        max_length=300,
        description="The partner node's address; its /federation/v1/node is fetched.",
    )
    fingerprint: str = Field(
        min_length=16,
        max_length=100,
        description="The node key's fingerprint, as its operators read it out (spaces "
        "and case do not matter): the key is pinned only if it matches.",
    )
    organisation_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)


class RepinIn(Command):
    fingerprint: str = Field(
        min_length=16,
        max_length=100,
        description="The fingerprint of the key the partner now publishes, as its "
        "operators read it out: its keys are replaced only if it matches.",
    )
