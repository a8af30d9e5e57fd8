"""Commands and views of artifacts, labels and the security officer's questions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from coalition.common.validation import Code, Name, Reason
from coalition.policy.facts import Action
from coalition.policy.labels import ExportRegime
from coalition.registry.schemas import Command, View
from coalition.techdata.models import ArtifactKind


class ExportMarkingIn(Command):
    regime: ExportRegime
    category: str = Field(min_length=1, max_length=60, examples=["USML XI(d)", "ECCN 3A001"])
    exporting_nation: str = Field(pattern=r"^[A-Z]{3}$")


class LabelIn(Command):
    """A security label, given field by field or as a banner (with scheme and originator)."""

    scheme: str = Field(min_length=1, max_length=8, examples=["USA"])
    originator: str = Field(pattern=r"^[A-Z]{3}$", examples=["USA"])
    banner: str | None = Field(
        default=None,
        max_length=400,
        description="A CAPCO-style banner such as 'SECRET//REL TO USA, GBR'; "
        "replaces classification, releasable_to, noforn and caveats.",
        examples=["SECRET//REL TO USA, GBR, FVEY"],
    )
    classification: str | None = Field(default=None, max_length=80)
    releasable_to: list[str] = Field(default=[], max_length=60)
    noforn: bool = False
    caveats: list[str] = Field(default=[], max_length=30)
    export: list[ExportMarkingIn] = Field(default=[], max_length=10)
    distribution: str | None = Field(default=None, max_length=200)
    ip_terms: str | None = Field(default=None, max_length=200)
    embargo_until: date | None = None
    review_on: date | None = None
    pinned_on: date | None = None

    @model_validator(mode="after")
    def _banner_or_fields(self) -> LabelIn:
        if self.banner is None and self.classification is None:
            raise ValueError("give a classification or a banner")
        if self.banner is not None and (
            self.classification is not None or self.releasable_to or self.noforn or self.caveats
        ):
            raise ValueError(
                "a banner replaces classification, releasable_to, noforn and caveats; "
                "give one or the other"
            )
        return self


class ExportMarkingOut(BaseModel):
    regime: ExportRegime
    category: str
    exporting_nation: str


class LabelOut(BaseModel):
    id: int
    banner: str
    scheme: str
    classification: str
    originator: str
    common_level: int
    requires_clearance: bool
    releasable_to: list[str]
    noforn: bool
    caveats: list[str]
    export: list[ExportMarkingOut]
    distribution: str | None
    ip_terms: str | None
    embargo_until: date | None
    review_on: date | None
    pinned_on: date | None


class Equivalent(BaseModel):
    """The classification in a partner's scheme, by the equivalence tables."""

    scheme: str
    classification: str


class ArtifactIn(Command):
    reference: Code
    title: Name
    description: str | None = Field(default=None, max_length=10000)
    kind: ArtifactKind
    project_id: uuid.UUID | None = None
    owner_organisation_id: uuid.UUID
    ip_asset_id: uuid.UUID | None = None
    label: LabelIn


class RelabelIn(Command):
    label: LabelIn
    reason: Reason


class ArtifactSummary(View):
    id: uuid.UUID
    reference: str
    title: str
    kind: ArtifactKind
    project_id: uuid.UUID | None
    project_code: str | None = None
    owner_organisation_id: uuid.UUID
    owner_name: str = ""
    banner: str
    common_level: int
    created_at: datetime


class AccessOut(BaseModel):
    """The asking person's own decision for an action: what fails and what would help.
    Only ever shown to someone who may already see the artifact's label."""

    action: Action
    permit: bool
    failed: list[str]
    remedies: list[str]
    obligations: list[str]


class ArtifactOut(View):
    id: uuid.UUID
    reference: str
    title: str
    description: str | None
    kind: ArtifactKind
    project_id: uuid.UUID | None
    project_code: str | None = None
    owner_organisation_id: uuid.UUID
    owner_name: str = ""
    originating_nation: str
    ip_asset_id: uuid.UUID | None
    created_by: str
    created_at: datetime
    version: int
    label: LabelOut
    equivalents: list[Equivalent] = Field(default_factory=list)
    access: list[AccessOut] = Field(default_factory=list)
    allowed_actions: list[str] = Field(default_factory=list)


class GrantIn(Command):
    person_id: uuid.UUID
    expires_on: date | None = None
    reason: Reason


class GrantOut(View):
    id: uuid.UUID
    artifact_id: uuid.UUID
    person_id: uuid.UUID
    person_name: str = ""
    expires_on: date | None
    reason: str
    granted_by: str
    created_at: datetime


class RuleOut(BaseModel):
    id: str
    passed: bool
    reason: str
    remedy: str | None


class ExplanationOut(BaseModel):
    """Why a person may or may not act on an artifact: every rule, for the security officer."""

    person_id: uuid.UUID
    person_name: str
    #: For a release: the receiving organisation, the subject the rules were decided for.
    recipient_id: uuid.UUID | None = None
    recipient_name: str | None = None
    artifact_id: uuid.UUID
    artifact_reference: str
    action: Action
    on: date
    purpose: str | None
    permit: bool
    rules: list[RuleOut]
    obligations: list[str]


class CountRow(BaseModel):
    key: str
    name: str
    count: int


class WhoCanSeeOut(BaseModel):
    artifact_id: uuid.UUID
    action: Action
    on: date
    total: int
    considered: int
    by_nation: list[CountRow]
    by_organisation: list[CountRow]
    people: list[PersonAccess]


class PersonAccess(BaseModel):
    person_id: uuid.UUID
    name: str
    organisation: str
    nation: str


class LevelCount(BaseModel):
    level: int
    name: str
    count: int


class ProjectCount(BaseModel):
    project_id: uuid.UUID | None
    code: str
    count: int


class WhatCanSeeOut(BaseModel):
    person_id: uuid.UUID
    person_name: str
    action: Action
    on: date
    total: int
    by_project: list[ProjectCount]
    by_level: list[LevelCount]


class ArtifactFilters(BaseModel):
    q: str | None = Field(
        default=None, max_length=200, description="Words in title or description."
    )
    project_id: uuid.UUID | None = None
    owner_organisation_id: uuid.UUID | None = None
    originator: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    max_level: int | None = Field(default=None, ge=0, le=4)
    min_level: int | None = Field(default=None, ge=0, le=4)
    label: str | None = Field(
        default=None, max_length=100, description="Text in the banner, e.g. 'NOFORN' or 'FVEY'."
    )
    kind: ArtifactKind | None = None
    ip_asset_id: uuid.UUID | None = Field(default=None, description="Carrying this IP asset.")
    sort: str = Field(default="title", pattern=r"^-?(title|reference|created_at|level)$")


WhoCanSeeOut.model_rebuild()
