"""Commands and views of the IP register."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from coalition.common.validation import Name
from coalition.ip.models import (
    BackgroundStatus,
    FilingChoice,
    IpKind,
    LicenceKind,
    LicenceStatus,
    ObjectionOutcome,
    ProtectionKind,
    Royalty,
    TransferKind,
    TransferStatus,
)
from coalition.ip.rules import shares_problem
from coalition.policy.facts import Purpose
from coalition.registry.schemas import Command, View

Reference = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
LongText = Field(default=None, max_length=10000)
NATION = r"^[A-Z]{3}$"


def _once_each(ids: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
    """Ids linked through a table whose key is the pair: one listed twice would be a
    duplicate key (refused by the database as a conflict with no field named)."""
    if ids is not None and len(set(ids)) != len(ids):
        raise ValueError("an id is listed twice")
    return ids


class OwnerIn(Command):
    organisation_id: uuid.UUID
    share_percent: int = Field(default=100, ge=1, le=100)


class IpAssetIn(Command):
    """Background a party brings under an agreement, or a result of one of its projects."""

    reference: str = Reference
    title: Name
    kind: IpKind
    agreement_id: uuid.UUID | None = Field(
        default=None, description="Background: the agreement it is brought under."
    )
    project_id: uuid.UUID | None = Field(
        default=None, description="Result: the project that created it (required)."
    )
    description: str | None = LongText
    background_status: BackgroundStatus | None = Field(
        default=None, description="Background only; default: included."
    )
    restrictions: str | None = LongText
    joint_ownership_terms: str | None = LongText
    created_on: date | None = Field(
        default=None, description="Conceived (result) or brought in (background)."
    )
    owners: list[OwnerIn] = Field(min_length=1, max_length=20)
    work_package_ids: list[uuid.UUID] = Field(default=[], max_length=50)
    artifact_references: list[str] = Field(
        default=[], max_length=200, description="Artifacts that carry this IP."
    )

    @field_validator("owners")
    @classmethod
    def _shares(cls, owners: list[OwnerIn]) -> list[OwnerIn]:
        problem = shares_problem([o.share_percent for o in owners])
        if problem:
            raise ValueError(problem)
        if len({o.organisation_id for o in owners}) != len(owners):
            raise ValueError("an organisation is listed twice")
        return owners

    _work_packages_once = field_validator("work_package_ids")(_once_each)

    @model_validator(mode="after")
    def _kind_fits(self) -> Self:
        if self.kind is IpKind.RESULT:
            if self.project_id is None:
                raise ValueError("project_id: a result comes out of a project")
            if self.background_status is not None:
                raise ValueError("background_status: only background is included or excluded")
        else:
            if self.agreement_id is None and self.project_id is None:
                raise ValueError("agreement_id: background is brought under an agreement")
            if self.work_package_ids:
                raise ValueError("work_package_ids: background is not created in a work package")
            if self.background_status is None:
                self.background_status = BackgroundStatus.INCLUDED
        if len(self.owners) == 1 and self.joint_ownership_terms:
            raise ValueError("joint_ownership_terms: the asset has a single owner")
        return self


class IpAssetUpdate(Command):
    """What may change on an asset without a transfer: its description and standing, and
    the artifacts and work packages linked to it. Ownership changes only by a completed
    transfer notice."""

    title: Name | None = None
    description: str | None = LongText
    background_status: BackgroundStatus | None = None
    restrictions: str | None = LongText
    joint_ownership_terms: str | None = LongText
    work_package_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    artifact_references: list[str] = Field(
        default=[], max_length=200, description="Artifacts to link (added to those linked)."
    )

    _work_packages_once = field_validator("work_package_ids")(_once_each)


class OwnerOut(View):
    organisation_id: uuid.UUID
    share_percent: int


class ProtectionIn(Command):
    kind: ProtectionKind
    nation_code: str | None = Field(default=None, pattern=NATION)
    number: str | None = Field(default=None, max_length=80)
    filed_on: date | None = None
    granted_on: date | None = None
    expires_on: date | None = None
    notes: str | None = LongText

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        registered = self.kind in (
            ProtectionKind.PATENT_APPLICATION,
            ProtectionKind.PATENT,
            ProtectionKind.REGISTERED_DESIGN,
        )
        if registered and (self.nation_code is None or self.filed_on is None):
            raise ValueError(f"nation_code: a {self.kind.replace('_', ' ')} is filed in a country")
        if not registered and self.nation_code is not None:
            raise ValueError(f"nation_code: {self.kind.replace('_', ' ')} has no country")
        if self.kind is ProtectionKind.PATENT and self.granted_on is None:
            raise ValueError("granted_on: a granted patent has a grant date")
        if self.kind is ProtectionKind.PATENT_APPLICATION and self.granted_on is not None:
            raise ValueError("granted_on: record a granted patent as kind 'patent'")
        if self.granted_on and self.filed_on and self.granted_on < self.filed_on:
            raise ValueError("granted_on: cannot be before filed_on")
        if self.expires_on and self.filed_on and self.expires_on <= self.filed_on:
            raise ValueError("expires_on: must be after filed_on")
        return self


class ProtectionOut(View):
    id: uuid.UUID
    kind: ProtectionKind
    nation_code: str | None
    number: str | None
    filed_on: date | None
    granted_on: date | None
    expires_on: date | None
    notes: str | None


class IpAssetOut(View):
    id: uuid.UUID
    reference: str
    title: str
    kind: IpKind
    agreement_id: uuid.UUID | None
    project_id: uuid.UUID | None
    description: str | None
    background_status: BackgroundStatus | None
    restrictions: str | None
    joint_ownership_terms: str | None
    created_on: date | None
    owners: list[OwnerOut]
    protections: list[ProtectionOut] = Field(default_factory=list)
    work_package_ids: list[uuid.UUID] = Field(default_factory=list)
    created_at: datetime


class DisclosureIn(Command):
    reference: str = Reference
    asset_id: uuid.UUID
    title: Name
    conceived_on: date
    disclosed_on: date | None = None
    inventor_ids: list[uuid.UUID] = Field(min_length=1, max_length=30)
    summary: str | None = LongText
    filing_nations: list[str] = Field(
        default=[], max_length=60, description="Countries in which filing is to be decided."
    )

    _inventors_once = field_validator("inventor_ids")(_once_each)

    @field_validator("disclosed_on")
    @classmethod
    def _after_conception(cls, value: date | None, info: ValidationInfo) -> date | None:
        conceived = info.data.get("conceived_on")
        if value is not None and conceived is not None and value < conceived:
            raise ValueError("cannot be before conceived_on")
        return value

    @field_validator("filing_nations")
    @classmethod
    def _nations(cls, value: list[str]) -> list[str]:
        nations = [n.strip().upper() for n in value]
        if len(set(nations)) != len(nations):
            raise ValueError("a country is listed twice")
        return nations


class DiscloseIn(Command):
    disclosed_on: date


class FilingDecisionIn(Command):
    nation_code: str = Field(pattern=NATION)
    choice: FilingChoice
    decided_on: date | None = None
    filing_organisation_id: uuid.UUID | None = None
    note: str | None = LongText

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.choice is FilingChoice.PENDING:
            if self.decided_on or self.filing_organisation_id:
                raise ValueError("choice: a pending decision has no date or filer")
            return self
        if self.decided_on is None:
            raise ValueError("decided_on: a decision has a date")
        if self.choice is FilingChoice.FILE and self.filing_organisation_id is None:
            raise ValueError("filing_organisation_id: name the owner that files")
        if self.choice is FilingChoice.DO_NOT_FILE and self.filing_organisation_id:
            raise ValueError("filing_organisation_id: nobody files")
        return self


class FilingDecisionOut(View):
    nation_code: str
    decide_by: date
    choice: FilingChoice
    decided_on: date | None
    filing_organisation_id: uuid.UUID | None
    note: str | None


class InventorOut(View):
    id: uuid.UUID
    full_name: str
    employer_id: uuid.UUID


class DisclosureOut(View):
    id: uuid.UUID
    reference: str
    asset_id: uuid.UUID
    title: str
    conceived_on: date
    due_on: date
    disclosed_on: date | None
    summary: str | None
    inventors: list[InventorOut]
    filing_decisions: list[FilingDecisionOut]


class LicenceIn(Command):
    reference: str = Reference
    kind: LicenceKind = LicenceKind.LICENCE
    asset_id: uuid.UUID
    licensor_id: uuid.UUID
    licensee_id: uuid.UUID
    purposes: list[Purpose] = Field(min_length=1, max_length=4)
    territory: list[str] = Field(default=[], max_length=60, description="Empty: worldwide.")
    field_of_use: str | None = Field(default=None, max_length=300)
    royalty: Royalty = Royalty.ROYALTY_FREE
    royalty_terms: str | None = LongText
    sublicensing: bool = False
    exclusive: bool = False
    valid_from: date
    valid_until: date | None = None
    terms: str | None = LongText

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

    @model_validator(mode="after")
    def _royalty_terms(self) -> Self:
        if self.royalty is Royalty.AGREED_ROYALTY and not self.royalty_terms:
            raise ValueError("royalty_terms: state the agreed royalty")
        if self.kind is LicenceKind.ACCESS_RIGHT and self.exclusive:
            raise ValueError("exclusive: an access right is never exclusive")
        return self


class LicenceOut(View):
    id: uuid.UUID
    reference: str
    kind: LicenceKind
    asset_id: uuid.UUID
    licensor_id: uuid.UUID
    licensee_id: uuid.UUID
    purposes: list[str]
    territory: list[str]
    field_of_use: str | None
    royalty: Royalty
    royalty_terms: str | None
    sublicensing: bool
    exclusive: bool
    valid_from: date
    valid_until: date | None
    status: LicenceStatus
    terms: str | None
    created_at: datetime


class TerminateIn(Command):
    reason: str = Field(min_length=3, max_length=2000)


class TransferNoticeIn(Command):
    reference: str = Reference
    asset_id: uuid.UUID
    kind: TransferKind
    transferor_id: uuid.UUID
    transferee_id: uuid.UUID
    share_percent: int | None = Field(default=None, ge=1, le=100)
    notified_on: date
    summary: str | None = LongText

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        if self.transferee_id == self.transferor_id:
            raise ValueError("transferee_id: is the transferor")
        if self.kind is TransferKind.ASSIGNMENT and self.share_percent is None:
            raise ValueError("share_percent: say how much of the asset is assigned")
        if self.kind is TransferKind.EXCLUSIVE_LICENCE and self.share_percent is not None:
            raise ValueError("share_percent: an exclusive licence moves no ownership")
        return self


class ObjectionIn(Command):
    organisation_id: uuid.UUID
    lodged_on: date
    reason: str = Field(min_length=3, max_length=10000)


class ObjectionResolutionIn(Command):
    organisation_id: uuid.UUID
    outcome: ObjectionOutcome
    resolved_on: date
    resolution: str = Field(min_length=3, max_length=10000)

    @field_validator("outcome")
    @classmethod
    def _closes(cls, value: ObjectionOutcome) -> ObjectionOutcome:
        if value is ObjectionOutcome.OPEN:
            raise ValueError("an outcome closes the objection: upheld, dismissed or withdrawn")
        return value


class ApprovalIn(Command):
    approved_on: date
    approval_reference: str = Field(
        min_length=3, max_length=200, description="The parties' decision (minutes, letter)."
    )


class CompletionIn(Command):
    completed_on: date


class ObjectionOut(View):
    organisation_id: uuid.UUID
    lodged_on: date
    reason: str
    outcome: ObjectionOutcome
    resolved_on: date | None
    resolution: str | None


class TransferNoticeOut(View):
    id: uuid.UUID
    reference: str
    asset_id: uuid.UUID
    kind: TransferKind
    transferor_id: uuid.UUID
    transferee_id: uuid.UUID
    share_percent: int | None
    notified_on: date
    objection_until: date
    needs_approval: bool
    approved_on: date | None
    approval_reference: str | None
    status: TransferStatus
    completed_on: date | None
    summary: str | None
    objections: list[ObjectionOut]
    #: What stops the transfer today (empty once it may go ahead or has).
    blockers: list[str] = Field(default_factory=list)
