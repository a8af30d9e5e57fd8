"""Commands and views of releases."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from coalition.policy.facts import Purpose
from coalition.registry.schemas import Command
from coalition.releases.models import ApprovalKind, ApprovalStatus, RequestStatus


class PrecheckIn(Command):
    """Items, recipients and a purpose, as a requester would submit them."""

    artifact_references: list[str] = Field(min_length=1, max_length=1000)
    recipient_organisation_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)
    purpose: Purpose
    value: Decimal | None = Field(
        default=None, ge=0, max_digits=18, decimal_places=2, description="For value limits."
    )
    quantity: int | None = Field(default=None, ge=0, description="For quantity limits.")


class Blocker(BaseModel):
    artifact_reference: str
    recipient_id: uuid.UUID
    recipient_name: str
    rule: str
    reason: str
    remedy: str | None


class ItemCheck(BaseModel):
    artifact_id: uuid.UUID
    artifact_reference: str
    banner: str
    #: Recipients the item may go to now.
    permitted_to: list[str]
    approvals: list[str]


class PrecheckOut(BaseModel):
    purpose: Purpose
    items: list[ItemCheck]
    recipients: list[str]
    #: Item and recipient pairs the engine permits, of all pairs.
    permitted: int
    pairs: int
    blockers: list[Blocker]
    #: What a release would oblige (acknowledging provisos, approvals), each once.
    obligations: list[str]
    #: Who must approve, over all items, each once.
    approvals: list[str]


class RequestIn(PrecheckIn):
    justification: str = Field(min_length=3, max_length=4000)


class DecisionIn(Command):
    approve: bool
    reason: str = Field(min_length=3, max_length=2000)


class WithdrawIn(Command):
    reason: str = Field(min_length=3, max_length=2000)


class ApprovalOut(BaseModel):
    key: str
    kind: ApprovalKind
    nation: str
    regime: str | None
    due_on: date
    overdue: bool
    status: ApprovalStatus
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    #: Whether the viewer may give this approval now.
    may_decide: bool


class DeliveryState(BaseModel):
    item: str
    recipient: str
    partner_node: str
    #: queued, packaged (sent or being sent), delivered, refused or failed.
    status: str
    delivered_at: datetime | None


class RequestOut(BaseModel):
    id: uuid.UUID
    reference: str
    requested_by: str
    purpose: Purpose
    justification: str
    value: Decimal | None = None
    quantity: int | None = None
    status: RequestStatus
    created_at: datetime
    decided_at: datetime | None
    items: list[str]
    item_ids: list[uuid.UUID]
    recipients: list[str]
    recipient_ids: list[uuid.UUID]
    approvals: list[ApprovalOut]
    #: Where each item stands on its way to a recipient hosted on a partner node.
    deliveries: list[DeliveryState] = Field(default_factory=list)
    version: int
