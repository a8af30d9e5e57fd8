"""Commands and views of agreements."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from coalition.agreements.models import (
    AgreementKind,
    AgreementStatus,
    CostShareRule,
    DecisionRule,
    IpRegime,
)
from coalition.common.validation import Marking, Name, NationCode, Reason, ShortText
from coalition.registry.schemas import Command, OrganisationRef, Patch, View

#: A nation's share of costs, in percent.
Share = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]


class DisputeStep(BaseModel):
    """One rung of the dispute ladder: who handles it and how long they have."""

    level: ShortText
    days: int = Field(ge=1, le=3650)


class Terms(Command):
    classification_ceiling: int = Field(default=0, ge=0, le=4)
    default_releasability: list[Marking] = Field(default_factory=list)
    decision_rule: DecisionRule = DecisionRule.UNANIMITY
    qualified_majority_percent: int | None = Field(default=None, ge=51, le=100)
    dispute_ladder: list[DisputeStep] = Field(default_factory=list)
    ip_regime: IpRegime = IpRegime.OWNER_KEEPS_RESULTS_ROYALTY_FREE_PROJECT_USE
    invention_disclosure_days: int = Field(default=60, ge=1, le=3650)
    filing_decision_days: int = Field(default=120, ge=1, le=3650)
    transfer_objection_days: int = Field(default=45, ge=1, le=3650)
    cost_share_rule: CostShareRule = CostShareRule.EQUAL
    cost_shares: dict[NationCode, Share] = Field(default_factory=dict)


class PartyIn(Command):
    organisation_id: uuid.UUID
    signed_on: date | None = None


class AgreementIn(Terms):
    reference: ShortText
    title: Name
    kind: AgreementKind
    parent_id: uuid.UUID | None = None
    effective_from: date
    expires_on: date | None = None
    summary: str | None = Field(default=None, max_length=10000)
    parties: list[PartyIn] = Field(min_length=1)


class AmendmentIn(Command):
    title: Name
    summary: str | None = Field(default=None, max_length=10000)
    signed_on: date
    effective_from: date


class AgreementUpdate(Patch):
    clearable = frozenset({"summary", "expires_on", "qualified_majority_percent"})

    title: Name | None = None
    summary: str | None = Field(default=None, max_length=10000)
    effective_from: date | None = None
    expires_on: date | None = None
    classification_ceiling: int | None = Field(default=None, ge=0, le=4)
    default_releasability: list[Marking] | None = None
    decision_rule: DecisionRule | None = None
    qualified_majority_percent: int | None = Field(default=None, ge=51, le=100)
    dispute_ladder: list[DisputeStep] | None = None
    ip_regime: IpRegime | None = None
    invention_disclosure_days: int | None = Field(default=None, ge=1, le=3650)
    filing_decision_days: int | None = Field(default=None, ge=1, le=3650)
    transfer_objection_days: int | None = Field(default=None, ge=1, le=3650)
    cost_share_rule: CostShareRule | None = None
    cost_shares: dict[NationCode, Share] | None = None
    parties: list[PartyIn] | None = Field(default=None, min_length=1)
    amendment: AmendmentIn | None = Field(
        default=None,
        description="Required to change parties, dates or terms once the agreement is in force.",
    )


class StatusChangeIn(Command):
    to_status: AgreementStatus
    reason: Reason


class PartyOut(View):
    organisation: OrganisationRef
    signed_on: date | None


class StatusChangeOut(View):
    from_status: AgreementStatus
    to_status: AgreementStatus
    at: datetime
    actor: str
    reason: str


class AmendmentOut(View):
    id: uuid.UUID
    number: int
    title: str
    summary: str | None
    signed_on: date
    effective_from: date
    changed_fields: list[str]


class AgreementSummary(View):
    id: uuid.UUID
    reference: str
    title: str
    kind: AgreementKind
    status: AgreementStatus
    parent_id: uuid.UUID | None
    effective_from: date
    expires_on: date | None


class AgreementOut(AgreementSummary):
    summary: str | None
    classification_ceiling: int
    default_releasability: list[str]
    decision_rule: DecisionRule
    qualified_majority_percent: int | None
    dispute_ladder: list[DisputeStep]
    ip_regime: IpRegime
    invention_disclosure_days: int
    filing_decision_days: int
    transfer_objection_days: int
    cost_share_rule: CostShareRule
    cost_shares: dict[str, float]
    parties: list[PartyOut]
    status_changes: list[StatusChangeOut]
    amendments: list[AmendmentOut]
    children: list[AgreementSummary] = Field(default_factory=list)
    allowed_actions: list[str] = Field(
        default_factory=list, description="Permissions the caller holds on this agreement."
    )
    created_at: datetime
    updated_at: datetime
    version: int
