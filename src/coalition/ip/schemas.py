"""Commands and views of IP assets and licences."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field, ValidationInfo, field_validator

from coalition.common.validation import Name
from coalition.ip.models import IpKind, LicenceStatus
from coalition.policy.facts import Purpose
from coalition.registry.schemas import Command, View


class OwnerIn(Command):
    organisation_id: uuid.UUID
    share_percent: int = Field(default=100, ge=1, le=100)


class IpAssetIn(Command):
    reference: str = Field(min_length=3, max_length=80)
    title: Name
    kind: IpKind
    project_id: uuid.UUID | None = None
    owners: list[OwnerIn] = Field(min_length=1, max_length=20)

    @field_validator("owners")
    @classmethod
    def _shares(cls, owners: list[OwnerIn]) -> list[OwnerIn]:
        if sum(o.share_percent for o in owners) != 100:
            raise ValueError("the shares must add up to 100")
        if len({o.organisation_id for o in owners}) != len(owners):
            raise ValueError("an organisation is listed twice")
        return owners


class OwnerOut(View):
    organisation_id: uuid.UUID
    share_percent: int


class IpAssetOut(View):
    id: uuid.UUID
    reference: str
    title: str
    kind: IpKind
    project_id: uuid.UUID | None
    owners: list[OwnerOut]
    created_at: datetime


class LicenceIn(Command):
    reference: str = Field(min_length=3, max_length=80)
    asset_id: uuid.UUID
    licensor_id: uuid.UUID
    licensee_id: uuid.UUID
    purposes: list[Purpose] = Field(min_length=1, max_length=4)
    territory: list[str] = Field(default=[], max_length=60, description="Empty: worldwide.")
    valid_from: date
    valid_until: date | None = None
    terms: str | None = Field(default=None, max_length=10000)

    @field_validator("licensee_id")
    @classmethod
    def _not_the_licensor(cls, value: uuid.UUID, info: ValidationInfo) -> uuid.UUID:
        if value == info.data.get("licensor_id"):
            raise ValueError("an owner needs no licence from itself")
        return value

    @field_validator("valid_until")
    @classmethod
    def _after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value <= start:
            raise ValueError("must be after valid_from")
        return value


class LicenceOut(View):
    id: uuid.UUID
    reference: str
    asset_id: uuid.UUID
    licensor_id: uuid.UUID
    licensee_id: uuid.UUID
    purposes: list[str]
    territory: list[str]
    valid_from: date
    valid_until: date | None
    status: LicenceStatus
    terms: str | None
    created_at: datetime
