"""Keeping ``artifact_classes`` in step with the artifacts, in the same transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coalition.techdata.models import NO_PROJECT, Artifact, ArtifactClass


def count_in(
    session: Session,
    project_id: uuid.UUID | None,
    owner_id: uuid.UUID,
    label_id: int,
    delta: int,
) -> None:
    """Add ``delta`` artifacts to their class; concurrent writers of one class each add
    their own (an upsert, not a read-then-write)."""
    key = {
        "project_id": project_id or NO_PROJECT,
        "owner_organisation_id": owner_id,
        "label_id": label_id,
    }
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        upsert = postgresql.insert(ArtifactClass).values(**key, artifacts=delta)
        statement = upsert.on_conflict_do_update(
            index_elements=list(key), set_={"artifacts": ArtifactClass.artifacts + delta}
        )
    else:
        lite = sqlite.insert(ArtifactClass).values(**key, artifacts=delta)
        statement = lite.on_conflict_do_update(
            index_elements=list(key), set_={"artifacts": ArtifactClass.artifacts + delta}
        )
    session.execute(statement)


def recount(connection: Connection) -> int:
    """Rebuild every class from the artifacts (after a bulk load or a repair); returns the
    number of classes."""
    connection.execute(delete(ArtifactClass))
    project = func.coalesce(Artifact.project_id, NO_PROJECT)
    grouped = select(
        project, Artifact.owner_organisation_id, Artifact.label_id, func.count()
    ).group_by(project, Artifact.owner_organisation_id, Artifact.label_id)
    connection.execute(
        insert(ArtifactClass).from_select(
            ["project_id", "owner_organisation_id", "label_id", "artifacts"], grouped
        )
    )
    return int(connection.scalar(select(func.count()).select_from(ArtifactClass)) or 0)
