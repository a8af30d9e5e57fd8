"""Commands and views of the registry, kept apart from the tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from coalition.common.validation import (
    Code,
    CurrencyCode,
    IssuerCode,
    Name,
    NationCode,
    PersonName,
    Reason,
    ShortText,
)
from coalition.registry.models import (
    BriefingKind,
    ClearanceStatus,
    OrganisationKind,
    PersonStatus,
)


class View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Patch(Command):
    """A partial update: fields left out stay as they are. Only the fields named in
    ``clearable`` may be sent as null (to clear them); null elsewhere is an error."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_clearable(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value


# --- nations, groups, schemes -------------------------------------------------------------


class NationIn(Command):
    code: NationCode
    name: PersonName | None = Field(default=None, description="Defaults to the ISO 3166 name.")
    scheme_code: IssuerCode | None = None
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    fiscal_year_start_day: int = Field(default=1, ge=1, le=31)
    currency: CurrencyCode


class NationUpdate(Patch):
    clearable = frozenset({"scheme_code"})
    name: PersonName | None = None
    scheme_code: IssuerCode | None = None
    fiscal_year_start_month: int | None = Field(default=None, ge=1, le=12)
    fiscal_year_start_day: int | None = Field(default=None, ge=1, le=31)
    currency: CurrencyCode | None = None


class NationOut(View):
    code: str
    name: str
    scheme_code: str | None
    fiscal_year_start_month: int
    fiscal_year_start_day: int
    currency: str


class MembershipOut(View):
    nation_code: str
    joined_on: date
    left_on: date | None


class GroupOut(View):
    code: str
    name: str
    memberships: list[MembershipOut]


class LevelOut(View):
    marking: str
    level: int
    requires_clearance: bool
    legacy: bool


class SchemeOut(View):
    code: str
    policy_identifier: str | None
    policy_oid: str | None
    needs_verification: bool
    levels: list[LevelOut]


class ClearanceNameOut(View):
    issuer: str
    name: str
    level: int


# --- organisations -------------------------------------------------------------------------


class OrganisationIn(Command):
    name: Name
    short_name: Code
    kind: OrganisationKind
    nation_code: NationCode
    parent_id: uuid.UUID | None = None
    city: PersonName | None = None
    website: Name | None = None
    #: Listed in this node's signed directory for partner nodes (docs/federation.md).
    directory_listed: bool = False


class OrganisationUpdate(Patch):
    clearable = frozenset({"parent_id", "city", "website"})
    name: Name | None = None
    short_name: Code | None = None
    kind: OrganisationKind | None = None
    parent_id: uuid.UUID | None = None
    city: PersonName | None = None
    website: Name | None = None
    directory_listed: bool | None = None


class OrganisationRef(View):
    id: uuid.UUID
    short_name: str
    name: str
    nation_code: str


class OrganisationOut(View):
    id: uuid.UUID
    name: str
    short_name: str
    kind: OrganisationKind
    nation_code: str
    parent_id: uuid.UUID | None
    city: str | None
    website: str | None
    directory_listed: bool
    created_at: datetime
    updated_at: datetime
    version: int
    allowed_actions: list[str] = Field(
        default_factory=list, description="Permissions the caller holds on this object."
    )


# --- people, clearances, briefings ---------------------------------------------------------


class PersonIn(Command):
    given_name: PersonName
    family_name: PersonName
    email: EmailStr
    employer_id: uuid.UUID
    citizenships: list[NationCode] = Field(min_length=1)
    job_title: Name | None = None


class PersonUpdate(Patch):
    clearable = frozenset({"job_title"})
    given_name: PersonName | None = None
    family_name: PersonName | None = None
    email: EmailStr | None = None
    employer_id: uuid.UUID | None = None
    citizenships: list[NationCode] | None = Field(default=None, min_length=1)
    job_title: Name | None = None
    status: PersonStatus | None = None


class ClearanceIn(Command):
    issuer: IssuerCode = Field(description="Issuing nation (alpha-3), NATO or EU.")
    level_name: ShortText = Field(description="The issuer's clearance name, e.g. SC or SECRET.")
    valid_from: date
    valid_until: date
    reference: ShortText | None = None


class ClearanceUpdate(Patch):
    clearable = frozenset({"reference"})

    level_name: ShortText | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    status: ClearanceStatus | None = None
    reference: ShortText | None = None
    reason: Reason


class ClearanceChangeOut(View):
    at: datetime
    actor: str
    changes: dict[str, object]
    reason: str


class ClearanceOut(View):
    id: uuid.UUID
    person_id: uuid.UUID
    issuer: str
    level_name: str
    level: int
    valid_from: date
    valid_until: date
    status: ClearanceStatus
    reference: str | None
    #: The identity provider that asserted it at a sign-in; None when an officer recorded it.
    asserted_by: str | None = None
    history: list[ClearanceChangeOut] = []
    is_current: bool = False


class BriefingIn(Command):
    kind: BriefingKind
    name: ShortText
    given_on: date
    expires_on: date | None = None
    note: str | None = Field(default=None, max_length=2000)


class BriefingOut(View):
    id: uuid.UUID
    kind: BriefingKind
    name: str
    given_on: date
    expires_on: date | None
    note: str | None


class PersonSummary(View):
    id: uuid.UUID
    given_name: str
    family_name: str
    email: str
    status: PersonStatus
    employer: OrganisationRef
    citizenships: list[str]
    job_title: str | None


class PersonOut(PersonSummary):
    created_at: datetime
    updated_at: datetime
    version: int
    # None when the caller may not read clearances: absent, not empty, so nobody mistakes
    # "not shown to you" for "holds none".
    clearances: list[ClearanceOut] | None = None
    briefings: list[BriefingOut] | None = None
    allowed_actions: list[str] = Field(
        default_factory=list, description="Permissions the caller holds on this person."
    )


class ExpiringClearance(View):
    clearance: ClearanceOut
    person: PersonSummary
    days_left: int


# --- security agreements -------------------------------------------------------------------


class SecurityAgreementIn(Command):
    reference: ShortText
    title: Name
    parties: list[IssuerCode] = Field(min_length=2, description="Nations (alpha-3), NATO or EU.")
    max_level: int = Field(ge=1, le=4, description="Highest common level covered (1-4).")
    in_force_from: date
    in_force_until: date | None = None


class SecurityAgreementUpdate(Patch):
    clearable = frozenset({"in_force_until"})

    title: Name | None = None
    max_level: int | None = Field(default=None, ge=1, le=4)
    in_force_from: date | None = None
    in_force_until: date | None = None


class SecurityAgreementOut(View):
    id: uuid.UUID
    reference: str
    title: str
    parties: list[str]
    max_level: int
    in_force_from: date
    in_force_until: date | None
    version: int


class DualNationalExemptionIn(Command):
    granted_on: date
    expires_on: date | None = None
    reason: Reason


class DualNationalExemptionOut(View):
    id: uuid.UUID
    person_id: uuid.UUID
    granted_on: date
    expires_on: date | None
    reason: str
    recorded_by: str


class WithdrawalIn(Command):
    reason: Reason
