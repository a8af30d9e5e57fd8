"""Commands and views of agreements."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_serializer

from coalition.agreements.models import (
    AgreementKind,
    AgreementStatus,
    CostShareRule,
    DecisionRule,
    IpRegime,
)
from coalition.common.validation import CurrencyCode, Marking, Name, NationCode, Reason, ShortText
from coalition.registry.schemas import Command, OrganisationRef, Patch, View

#: A nation's share of costs, in percent.
Share = Annotated[Decimal, Field(gt=0, le=100, max_digits=10, decimal_places=6)]
#: Units of the accounting currency one unit of another currency is worth.
Rate = Annotated[Decimal, Field(gt=0, max_digits=24, decimal_places=10)]
#: An amount in the accounting currency (major units).
Amount = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=3)]
#: A work package named "PROJECT/WP", e.g. "CSAR-MAS/WP1".
WorkPackageKey = Annotated[str, StringConstraints(pattern=r"^[^/\s]{1,40}/[^/\s]{1,20}$")]


def decimal_text(value: Decimal) -> str:
    """One spelling per number ("40", not "40.0"), so a stored term compares equal to the
    same term sent again."""
    text = format(value.normalize(), "f")
    return text


def _decimal_texts(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {
        k: _decimal_texts(v) if isinstance(v, dict) else decimal_text(v) for k, v in values.items()
    }


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
    fixed_contributions: dict[NationCode, Amount] = Field(default_factory=dict)
    work_package_shares: dict[WorkPackageKey, dict[NationCode, Share]] = Field(default_factory=dict)
    accounting_currency: CurrencyCode | None = None
    exchange_rates: dict[CurrencyCode, Rate] = Field(default_factory=dict)
    balance_band_low_percent: int = Field(default=95, ge=1, le=100)
    balance_band_high_percent: int = Field(default=105, ge=100, le=1000)

    @field_serializer("cost_shares", "fixed_contributions", "work_package_shares", "exchange_rates")
    def _as_text(self, values: dict[str, Any]) -> dict[str, Any] | None:
        return _decimal_texts(values)


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
    clearable = frozenset(
        {"summary", "expires_on", "qualified_majority_percent", "accounting_currency"}
    )

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
    fixed_contributions: dict[NationCode, Amount] | None = None
    work_package_shares: dict[WorkPackageKey, dict[NationCode, Share]] | None = None
    accounting_currency: CurrencyCode | None = None
    exchange_rates: dict[CurrencyCode, Rate] | None = None
    balance_band_low_percent: int | None = Field(default=None, ge=1, le=100)
    balance_band_high_percent: int | None = Field(default=None, ge=100, le=1000)
    parties: list[PartyIn] | None = Field(default=None, min_length=1)
    amendment: AmendmentIn | None = Field(
        default=None,
        description="Required to change parties, dates or terms once the agreement is in force.",
    )

    @field_serializer("cost_shares", "fixed_contributions", "work_package_shares", "exchange_rates")
    def _as_text(self, values: dict[str, Any] | None) -> dict[str, Any] | None:
        return _decimal_texts(values)


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
    changes: dict[str, Any] = Field(
        default_factory=dict, description="Each term changed: its value before and after."
    )


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
    cost_shares: dict[str, Decimal]
    fixed_contributions: dict[str, Decimal]
    work_package_shares: dict[str, dict[str, Decimal]]
    accounting_currency: str | None
    exchange_rates: dict[str, Decimal]
    balance_band_low_percent: int
    balance_band_high_percent: int
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
