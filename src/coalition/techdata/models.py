"""Artifacts (metadata only; content comes with the data-exchange issue) and explicit
need-to-know grants.

An artifact points at its interned label class, so decisions and listings work per label
class: a million artifacts share a few thousand labels.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition.policy.models import LabelClass
from coalition.registry.models import Organisation, Person
from coalition.store.base import Base, Entity
from coalition.store.enums import enum_column


class ArtifactKind(enum.StrEnum):
    REPORT = "report"
    DATASET = "dataset"
    DRAWING = "drawing"
    SOFTWARE = "software"
    MODEL = "model"
    TEST_RESULTS = "test_results"
    SPECIFICATION = "specification"
    OTHER = "other"


class Artifact(Entity, Base):
    __tablename__ = "artifacts"
    __table_args__ = (
        # The push-down filters: label classes within projects, then sorted pages.
        # The push-down filters read these without touching the table: label classes
        # within projects or owners, and the sort key, so a page's ids come from the index.
        Index("ix_artifacts_project_label", "project_id", "label_id", "title", "id"),
        Index("ix_artifacts_owner_label", "owner_organisation_id", "label_id", "title", "id"),
        # Pages of a large visible set walk these in order and stop after one page.
        Index(
            "ix_artifacts_title_id",
            "title",
            "id",
            "label_id",
            "project_id",
            "owner_organisation_id",
        ),
        Index(
            "ix_artifacts_created_id",
            "created_at",
            "id",
            "label_id",
            "project_id",
            "owner_organisation_id",
        ),
    )
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[ArtifactKind] = mapped_column(enum_column(ArtifactKind))
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"))
    owner_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    label_id: Mapped[int] = mapped_column(ForeignKey("label_classes.id"))
    #: The IP the artifact carries, if any (owners and licences live in the IP register).
    ip_asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ip_assets.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(120))
    label: Mapped[LabelClass] = relationship(lazy="joined", innerjoin=True)
    owner: Mapped[Organisation] = relationship()


#: Stands for "no project" in ``artifact_classes`` (a key column cannot be NULL there).
NO_PROJECT = uuid.UUID(int=0)


class ArtifactClass(Base):
    """How many artifacts share a project, an owner and a label class, kept in the same
    transaction as the artifacts: exact counts of what a person may see are sums over the
    classes a plan admits, not scans of the artifacts."""

    __tablename__ = "artifact_classes"
    project_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_organisation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("label_classes.id"), primary_key=True)
    artifacts: Mapped[int] = mapped_column(default=0)


class NeedToKnowGrant(Entity, Base):
    """An explicit grant for one person and one artifact, outside the project's team."""

    __tablename__ = "need_to_know_grants"
    __table_args__ = (UniqueConstraint("artifact_id", "person_id"),)
    artifact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    expires_on: Mapped[date | None]
    reason: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[str] = mapped_column(String(120))
    person: Mapped[Person] = relationship()
