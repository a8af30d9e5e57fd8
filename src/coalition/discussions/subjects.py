"""What a thread is about, and the project whose team takes part in it.

Every subject leads to one project, because the engine's need-to-know is a project's team:
an artifact without a project, a motion of a body of the whole agreement and a dispute
about no project in particular are refused, with the reason. Motions, risks and disputes
are governance records: only their agreement's readers (governance/readers.py) find them.
A subject the starter may not see is reported exactly as one that does not exist.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coalition.discussions.models import DiscussionThread, SubjectKind
from coalition.discussions.reading import Reader
from coalition.discussions.schemas import ThreadIn
from coalition.disputes.models import Dispute
from coalition.errors import ValidationFailed
from coalition.governance.models import Motion
from coalition.governance.readers import Readers
from coalition.projects.models import Project, WorkPackage
from coalition.risks.models import Risk
from coalition.techdata.models import Artifact

R = TypeVar("R", Artifact, Motion, Risk, Dispute)


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    id: uuid.UUID
    project: Project
    reference: str
    #: The field of the command that named it (errors about it are shown there).
    field: str
    #: For motions, risks and disputes: the agreement whose readers may see it.
    agreement_id: uuid.UUID | None = None
    artifact: Artifact | None = None


#: Whether the starter may see a subject: of the agreement whose governance records it is
#: (motions, risks, disputes), or the artifact itself.
Visible = Callable[[uuid.UUID | None, Artifact | None], bool]


def find(session: Session, data: ThreadIn, visible: Visible) -> Subject:
    """The subject the command names, by id or by its references; errors name the field.
    A subject the starter may not see is "no such ..." before anything else is said of it
    (that it has no project, which body it is put to)."""
    finder = _FINDERS[data.subject_kind]
    return finder(session, data, visible)


def _project(session: Session, data: ThreadIn, visible: Visible) -> Subject:
    if data.subject_id is not None:
        project = session.get(Project, data.subject_id)
        field = "subject_id"
    else:
        field = "project"
        if data.project is None:
            raise ValidationFailed.of("project", "name the project by its code")
        project = session.scalar(select(Project).where(Project.code == data.project))
    if project is None:
        raise ValidationFailed.of(field, "no such project")
    return Subject(SubjectKind.PROJECT, project.id, project, project.code, field)


def _work_package(session: Session, data: ThreadIn, visible: Visible) -> Subject:
    if data.subject_id is not None:
        field = "subject_id"
        package = session.get(WorkPackage, data.subject_id)
    else:
        field = "work_package"
        if data.project is None:
            raise ValidationFailed.of("project", "name the work package's project by its code")
        if data.work_package is None:
            raise ValidationFailed.of("work_package", "name the work package by its code")
        package = session.scalar(
            select(WorkPackage)
            .join(Project, Project.id == WorkPackage.project_id)
            .where(Project.code == data.project, WorkPackage.code == data.work_package)
        )
    if package is None:
        raise ValidationFailed.of(field, "no such work package")
    project = package.project
    return Subject(
        SubjectKind.WORK_PACKAGE, package.id, project, f"{project.code} {package.code}", field
    )


def _by_reference(session: Session, data: ThreadIn, model: type[R], what: str) -> tuple[R, str]:
    if data.subject_id is not None:
        found = session.get(model, data.subject_id)
        field = "subject_id"
    else:
        field = "reference"
        if data.reference is None:
            raise ValidationFailed.of("reference", f"name the {what} by its reference")
        found = session.scalar(select(model).where(model.reference == data.reference))
    if found is None:
        raise ValidationFailed.of(field, f"no such {what}")
    return found, field


def _artifact(session: Session, data: ThreadIn, visible: Visible) -> Subject:
    found, field = _by_reference(session, data, Artifact, "artifact")
    if not visible(None, found):
        raise ValidationFailed.of(field, "no such artifact")
    if found.project_id is None:
        raise ValidationFailed.of(
            field,
            f"artifact {found.reference} belongs to no project: a discussion needs the "
            "project whose team takes part in it",
        )
    project = session.get(Project, found.project_id)
    assert project is not None
    return Subject(SubjectKind.ARTIFACT, found.id, project, found.reference, field, artifact=found)


def _motion(session: Session, data: ThreadIn, visible: Visible) -> Subject:
    found, field = _by_reference(session, data, Motion, "motion")
    body = found.body
    if not visible(body.agreement_id, None):
        raise ValidationFailed.of(field, "no such motion")
    if body.project is None:
        raise ValidationFailed.of(
            field,
            f"motion {found.reference} is put to {body.code}, a body of the whole agreement: "
            "a discussion needs a project, whose team has the need-to-know",
        )
    return Subject(
        SubjectKind.MOTION, found.id, body.project, found.reference, field, body.agreement_id
    )


def _risk(session: Session, data: ThreadIn, visible: Visible) -> Subject:
    found, field = _by_reference(session, data, Risk, "risk")
    project = found.project
    if not visible(project.agreement_id, None):
        raise ValidationFailed.of(field, "no such risk")
    return Subject(
        SubjectKind.RISK, found.id, project, found.reference, field, project.agreement_id
    )


def _dispute(session: Session, data: ThreadIn, visible: Visible) -> Subject:
    found, field = _by_reference(session, data, Dispute, "dispute")
    if not visible(found.agreement_id, None):
        raise ValidationFailed.of(field, "no such dispute")
    if found.project is None:
        raise ValidationFailed.of(
            field,
            f"dispute {found.reference} is about no project: a discussion needs a project, "
            "whose team has the need-to-know",
        )
    return Subject(
        SubjectKind.DISPUTE, found.id, found.project, found.reference, field, found.agreement_id
    )


_FINDERS: dict[SubjectKind, Callable[[Session, ThreadIn, Visible], Subject]] = {
    SubjectKind.PROJECT: _project,
    SubjectKind.WORK_PACKAGE: _work_package,
    SubjectKind.ARTIFACT: _artifact,
    SubjectKind.MOTION: _motion,
    SubjectKind.RISK: _risk,
    SubjectKind.DISPUTE: _dispute,
}


def describe(
    session: Session, reader: Reader, threads: Iterable[DiscussionThread]
) -> dict[uuid.UUID, tuple[str | None, str | None]]:
    """Each thread's subject as the reader may know it: its reference and page, or
    (None, None) when the reader may not see the subject itself (an artifact hidden from
    them, a governance record of an agreement they may not read)."""
    by_kind: dict[SubjectKind, set[uuid.UUID]] = defaultdict(set)
    rows = list(threads)
    for thread in rows:
        by_kind[thread.subject_kind].add(thread.subject_id)
    known: dict[uuid.UUID, tuple[str | None, str | None]] = {}
    if ids := by_kind.get(SubjectKind.PROJECT):
        for project in session.scalars(select(Project).where(Project.id.in_(ids))):
            known[project.id] = (project.code, f"/projects/{project.id}")
    if ids := by_kind.get(SubjectKind.WORK_PACKAGE):
        for package in session.scalars(
            select(WorkPackage)
            .where(WorkPackage.id.in_(ids))
            .options(selectinload(WorkPackage.project))
        ):
            known[package.id] = (
                f"{package.project.code} {package.code}",
                f"/projects/{package.project_id}",
            )
    if ids := by_kind.get(SubjectKind.ARTIFACT):
        for artifact in session.scalars(select(Artifact).where(Artifact.id.in_(ids))):
            if reader.knows_artifact(artifact):
                known[artifact.id] = (artifact.reference, f"/artifacts/{artifact.id}")
    readers = Readers(session, reader.actor) if not reader.nothing else None
    if readers is not None and (ids := by_kind.get(SubjectKind.MOTION)):
        for motion in session.scalars(
            select(Motion).where(Motion.id.in_(ids)).options(selectinload(Motion.body))
        ):
            if readers.may_read(motion.body.agreement_id):
                known[motion.id] = (motion.reference, f"/governance/motions/{motion.id}")
    if readers is not None and (ids := by_kind.get(SubjectKind.RISK)):
        for risk in session.scalars(
            select(Risk).where(Risk.id.in_(ids)).options(selectinload(Risk.project))
        ):
            if readers.may_read(risk.project.agreement_id):
                known[risk.id] = (risk.reference, f"/risks/{risk.id}")
    if readers is not None and (ids := by_kind.get(SubjectKind.DISPUTE)):
        for dispute in session.scalars(select(Dispute).where(Dispute.id.in_(ids))):
            if readers.may_read(dispute.agreement_id):
                known[dispute.id] = (dispute.reference, f"/disputes/{dispute.id}")
    return {t.id: known.get(t.subject_id, (None, None)) for t in rows}
