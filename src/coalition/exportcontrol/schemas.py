"""Commands and views of export authorisations and exemptions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import Field, ValidationInfo, field_validator

from coalition.common.validation import Name
from coalition.exportcontrol.models import AuthorisationKind, AuthorisationStatus
from coalition.policy.facts import Action, Purpose
from coalition.policy.labels import ExportRegime
from coalition.registry.schemas import Command, View


def _trigraphs(values: list[str]) -> list[str]:
    for value in values:
        if len(value) != 3 or not value.isalpha() or not value.isupper():
            raise ValueError(f"'{value}' is no nation trigraph (three capital letters)")
    return values


class AuthorisationIn(Command):
    reference: str = Field(min_length=3, max_length=80, examples=["DSP-5 050-123456"])
    kind: AuthorisationKind
    issuing_nation: str = Field(pattern=r"^[A-Z]{3}$")
    regime: ExportRegime
    categories: list[str] = Field(default=[], max_length=50, description="Empty: any category.")
    recipient_nations: list[str] = Field(default=[], max_length=60)
    end_user_ids: list[uuid.UUID] = Field(default=[], max_length=100)
    project_ids: list[uuid.UUID] = Field(default=[], max_length=100)
    purposes: list[Purpose] = Field(default=[], max_length=4)
    value_limit: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    quantity_limit: int | None = Field(default=None, ge=0)
    provisos: str | None = Field(default=None, max_length=10000)
    valid_from: date
    valid_until: date

    @field_validator("recipient_nations")
    @classmethod
    def _nations(cls, value: list[str]) -> list[str]:
        return _trigraphs(value)

    @field_validator("valid_until")
    @classmethod
    def _after_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("valid_from")
        if start is not None and value <= start:
            raise ValueError("must be after valid_from")
        return value


class AuthorisationStatusIn(Command):
    status: AuthorisationStatus
    reason: str = Field(min_length=3, max_length=2000)


AMENDABLE = (
    "categories",
    "recipient_nations",
    "end_user_ids",
    "project_ids",
    "purposes",
    "value_limit",
    "quantity_limit",
    "provisos",
    "valid_until",
)


class AmendmentIn(Command):
    """The fields an amendment changes (others stay as they are), and why."""

    categories: list[str] | None = Field(default=None, max_length=50)
    recipient_nations: list[str] | None = Field(default=None, max_length=60)
    end_user_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)
    project_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)
    purposes: list[Purpose] | None = Field(default=None, max_length=4)
    value_limit: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    quantity_limit: int | None = Field(default=None, ge=0)
    provisos: str | None = Field(default=None, max_length=10000)
    valid_until: date | None = None
    reason: str = Field(min_length=3, max_length=2000)

    @field_validator("recipient_nations")
    @classmethod
    def _nations(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _trigraphs(value)


class AmendmentOut(View):
    number: int
    changes: dict[str, list[object]]
    reason: str
    created_by: str
    created_at: datetime


class DrawdownIn(Command):
    value: Decimal = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=2)
    quantity: int = Field(default=0, ge=0)
    reference: str = Field(min_length=1, max_length=120, examples=["shipment 2026-114"])


class DrawdownOut(View):
    id: uuid.UUID
    value: Decimal
    quantity: int
    reference: str
    created_by: str
    created_at: datetime


class AuthorisationOut(View):
    id: uuid.UUID
    reference: str
    kind: AuthorisationKind
    issuing_nation: str
    regime: ExportRegime
    categories: list[str]
    recipient_nations: list[str]
    end_user_ids: list[str]
    project_ids: list[str]
    purposes: list[str]
    value_limit: Decimal | None
    value_used: Decimal
    quantity_limit: int | None
    quantity_used: int
    provisos: str | None
    valid_from: date
    valid_until: date
    status: AuthorisationStatus
    created_at: datetime
    version: int
    value_remaining: Decimal | None = None
    quantity_remaining: int | None = None
    #: 30, 60 or 90 when the authorisation lapses within that many days.
    expiry_warning: int | None = None
    expired: bool = False


class AuthorisationDetail(AuthorisationOut):
    amendments: list[AmendmentOut] = Field(default_factory=list)
    drawdowns: list[DrawdownOut] = Field(default_factory=list)


class ImportResult(View):
    created: int
    references: list[str]


class ExemptionConditions(Command):
    """Every listed condition must hold; an empty list means any."""

    recipient_nations: list[str] = Field(default=[], max_length=60)
    categories: list[str] = Field(default=[], max_length=50)
    excluded_categories: list[str] = Field(default=[], max_length=50)
    projects: list[uuid.UUID] = Field(default=[], max_length=100)
    purposes: list[Purpose] = Field(default=[], max_length=4)
    actions: list[Action] = Field(default=[], max_length=5)

    @field_validator("recipient_nations")
    @classmethod
    def _nations(cls, value: list[str]) -> list[str]:
        return _trigraphs(value)


class ExemptionIn(Command):
    name: Name
    citation: str | None = Field(default=None, max_length=200, examples=["22 CFR 126.5"])
    regime: ExportRegime
    exporting_nation: str = Field(pattern=r"^[A-Z]{3}$")
    conditions: ExemptionConditions = Field(default_factory=ExemptionConditions)
    valid_from: date | None = None
    valid_until: date | None = None
    active: bool = True


class ExemptionOut(View):
    id: uuid.UUID
    name: str
    citation: str | None
    regime: ExportRegime
    exporting_nation: str
    conditions: dict[str, list[str]]
    valid_from: date | None
    valid_until: date | None
    active: bool
    created_at: datetime
