"""Commands and views of expertise profiles and their searches. Organisations are named by
short name, facilities by code, agreements by reference, as in the CLI."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import Field, field_validator

from coalition.expertise.models import ProfileKind, ProfileStatus
from coalition.facilities.schemas import Capability
from coalition.registry.schemas import Command, Patch, View
from coalition.techdata.schemas import LabelIn, LabelOut

Keyword = Field(min_length=1, max_length=60)


class PublicationIn(Command):
    title: str = Field(min_length=3, max_length=300)
    year: int | None = Field(default=None, ge=1900, le=2100)
    reference: str | None = Field(
        default=None, max_length=300, description="A DOI, report number or URL."
    )


def _keywords(values: list[str]) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        word = " ".join(value.split()).lower()
        if not word:
            raise ValueError("a keyword is blank")
        if len(word) > 60:
            raise ValueError(f"'{word[:20]}...' is longer than 60 characters")
        if word not in cleaned:
            cleaned.append(word)
    return cleaned


class ProfileIn(Command):
    """A profile of an organisation, or (with ``person_id``) of one of its people."""

    organisation: str = Field(min_length=1, max_length=40, description="Short name.")
    person_id: uuid.UUID | None = Field(
        default=None, description="For a person's profile: the person, employed there."
    )
    headline: str = Field(min_length=3, max_length=200)
    summary: str = Field(default="", max_length=10000)
    capabilities: list[Capability] = Field(default=[], max_length=40)
    keywords: list[str] = Field(default=[], max_length=40)
    trl: int | None = Field(
        default=None, ge=1, le=9, description="Highest technology readiness level shown."
    )
    publications: list[PublicationIn] = Field(default=[], max_length=50)
    artifact_ids: list[uuid.UUID] = Field(default=[], max_length=50)
    label: LabelIn

    @field_validator("keywords")
    @classmethod
    def _words(cls, values: list[str]) -> list[str]:
        return _keywords(values)


class ProfileUpdate(Patch):
    clearable: ClassVar[frozenset[str]] = frozenset({"trl"})
    headline: str | None = Field(default=None, min_length=3, max_length=200)
    summary: str | None = Field(default=None, max_length=10000)
    capabilities: list[Capability] | None = Field(default=None, max_length=40)
    keywords: list[str] | None = Field(default=None, max_length=40)
    trl: int | None = Field(default=None, ge=1, le=9)
    publications: list[PublicationIn] | None = Field(default=None, max_length=50)
    artifact_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    label: LabelIn | None = None
    status: ProfileStatus | None = None

    @field_validator("keywords")
    @classmethod
    def _words(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _keywords(values)


class PublicationOut(View):
    title: str
    year: int | None = None
    reference: str | None = None


class LinkedArtifactOut(View):
    id: uuid.UUID
    title: str


class ProfileOut(View):
    id: uuid.UUID
    kind: ProfileKind
    organisation: str
    organisation_name: str
    nation: str
    person_id: uuid.UUID | None
    person: str | None
    headline: str
    summary: str
    capabilities: list[str]
    keywords: list[str]
    trl: int | None
    publications: list[PublicationOut]
    #: Only the linked artifacts the reader may see.
    artifacts: list[LinkedArtifactOut]
    label: LabelOut
    status: ProfileStatus
    allowed_actions: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class ProfileHit(View):
    id: uuid.UUID
    kind: ProfileKind
    organisation: str
    nation: str
    person: str | None
    headline: str
    capabilities: list[str]
    keywords: list[str]
    trl: int | None
    banner: str
    #: Relevance, higher is better (BM25 on SQLite, ts_rank_cd on PostgreSQL, cosine
    #: similarity in semantic mode); 0 without search words.
    score: float


class SearchOut(View):
    #: Matching profiles the reader may see; nothing else is counted. Counting stops at
    #: 1,000: ``total_capped`` then says there are more.
    total: int
    total_capped: bool = False
    items: list[ProfileHit]
    limit: int
    offset: int
    #: "text" (full text, every word) or "semantic" (by meaning: the semantic extra).
    mode: str = "text"


class EvidenceProfile(View):
    id: uuid.UUID
    headline: str
    person: str | None
    trl: int | None


class EvidenceFacility(View):
    id: uuid.UUID
    code: str
    name: str
    level: str


class PartnerOut(View):
    organisation: str
    organisation_name: str
    nation: str
    best_trl: int | None
    profiles: list[EvidenceProfile]
    facilities: list[EvidenceFacility]
