"""Reading reports and the progress of projects.

A report's record is listed and shown only to those who may know its artifact exists (the
engine's ``view_metadata`` decision); anyone else is told "no report with this id", as for
an unknown id. What a report says is read from its PDF (version 1 of its artifact) after
the engine's ``read`` decision, recorded permit or deny. A project's progress is shown to
the readers of its agreement (:class:`coalition.governance.readers.Readers`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.agreements.models import Agreement
from coalition.common.access import require
from coalition.content import services as content_services
from coalition.content.models import ArtifactKey, ContentVersion
from coalition.content.sealing import unseal, unwrap_key
from coalition.errors import Conflict, NotFound, ValidationFailed
from coalition.governance.readers import Readers
from coalition.policy.facts import Action
from coalition.projects.models import Project
from coalition.reports import pdf, progress
from coalition.reports.models import GeneratedReport
from coalition.reports.rules import Period
from coalition.reports.schemas import ProgressOut, ReportOut, ReportView
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from coalition.techdata import services as techdata
from coalition.techdata.models import Artifact

NO_REPORT = "no report with this id"
P = Permission


def report_out(
    report: GeneratedReport,
    artifact: Artifact,
    version: ContentVersion,
    project: Project | None,
    agreement: Agreement,
) -> ReportOut:
    return ReportOut(
        id=report.id,
        reference=artifact.reference,
        title=artifact.title,
        scope=report.scope,
        project=project.code if project else None,
        agreement=agreement.reference,
        period_start=report.period_start,
        period_end=report.period_end,
        period=Period(report.period_start, report.period_end).label(),
        banner=artifact.label.banner,
        artifact_id=artifact.id,
        filename=version.filename,
        size=version.size,
        sha256=version.sha256,
        schedule_id=report.schedule_id,
        generated_at=report.generated_at,
        generated_by=report.generated_by,
    )


def _rows(
    session: Session, query: Any
) -> list[tuple[GeneratedReport, Artifact, ContentVersion, Project | None, Agreement]]:
    return [
        (r, a, v, p, ag)
        for r, a, v, p, ag in session.execute(
            query.join(Artifact, Artifact.id == GeneratedReport.artifact_id)
            .join(
                ContentVersion,
                (ContentVersion.artifact_id == Artifact.id) & (ContentVersion.number == 1),
            )
            .join(Agreement, Agreement.id == GeneratedReport.agreement_id)
            .outerjoin(Project, Project.id == GeneratedReport.project_id)
        )
    ]


def _query() -> Any:
    return select(GeneratedReport, Artifact, ContentVersion, Project, Agreement)


def list_reports(
    uow: UnitOfWork,
    actor: Principal,
    *,
    project: str | None = None,
    agreement: str | None = None,
) -> list[ReportOut]:
    """The reports the actor may know of (the engine's view of each report's artifact),
    the latest period first; no other report is counted."""
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        query = _query()
        if project:
            query = query.where(Project.code == project.strip())
        if agreement:
            query = query.where(Agreement.reference == agreement.strip())
        query = query.order_by(
            GeneratedReport.period_end.desc(), GeneratedReport.generated_at.desc()
        )
        return [
            report_out(*row)
            for row in _rows(session, query)
            if techdata.may_know_artifact(uow, actor, row[1])
        ]


def get_report(uow: UnitOfWork, actor: Principal, report_id: uuid.UUID) -> ReportOut:
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        found = _rows(uow.session, _query().where(GeneratedReport.id == report_id))
        if not found or not techdata.may_know_artifact(uow, actor, found[0][1]):
            raise NotFound(NO_REPORT)
        return report_out(*found[0])


def read_report(
    uow: UnitOfWork,
    actor: Principal,
    report_id: uuid.UUID,
    settings: Settings,
    for_person: uuid.UUID | None = None,
) -> ReportView:
    """The report with what it says, for its page: the engine's ``read`` decision on its
    artifact is taken and recorded first, permit or deny."""
    require(actor, P.DIRECTORY_READ, Target.node())
    store = content_services.content_settings(settings)
    with uow:
        artifact_id = uow.session.scalar(
            select(GeneratedReport.artifact_id).where(GeneratedReport.id == report_id)
        )
    if artifact_id is None:
        raise NotFound(NO_REPORT)
    with uow:  # the decision is recorded, permit or deny, in its own transaction
        session = uow.session
        try:
            _, decision = techdata.decide_own_access(
                uow, actor, artifact_id, Action.READ, for_person
            )
        except NotFound:
            raise NotFound(NO_REPORT) from None
        if not decision.permit:
            raise techdata.refusal(decision)
        report = report_out(*_rows(session, _query().where(GeneratedReport.id == report_id))[0])
        document = _first_version(session, artifact_id, store)
    try:
        return ReportView(report=report, content=pdf.content_of(document))
    except pdf.ContentError as exc:
        raise Conflict(f"the report's content cannot be read: {exc}") from exc


def _first_version(
    session: Session, artifact_id: uuid.UUID, store: content_services.ContentSettings
) -> bytes:
    """The generated PDF: version 1 of the report's artifact, unsealed (every segment
    authenticated)."""
    version = session.scalar(
        select(ContentVersion).where(
            ContentVersion.artifact_id == artifact_id, ContentVersion.number == 1
        )
    )
    kept = session.get(ArtifactKey, artifact_id)
    if version is None or kept is None:  # pragma: no cover - stored together
        raise Conflict("the report's content is missing")
    key = unwrap_key(store.node_key(), bytes(kept.wrapped_key))
    with store.blobs.open(version.blob) as file:
        return b"".join(unseal(key, version.id.bytes, file))


# --- progress ----------------------------------------------------------------------------------


def project_progress(
    uow: UnitOfWork, actor: Principal, project: str, on: date | None = None
) -> ProgressOut:
    """Every milestone and deliverable of the project against its plan at ``on`` (default
    today: an item due today is not late yet), its readiness history and its spend
    against plan to the day before. Readers of the project's agreement only."""
    require(actor, P.DIRECTORY_READ, Target.node())
    day = on or datetime.now(UTC).date()
    with uow:
        session = uow.session
        code = project.strip()
        found = session.scalar(progress.projects_query().where(Project.code == code))
        if found is None or not Readers(session, actor).may_read(found.agreement_id):
            raise NotFound(f"no project '{code}'")
        if day < found.start_on:
            raise ValidationFailed.of(
                "on", f"{day} is before project {code} starts ({found.start_on})"
            )
        summary, milestones, deliverables = progress.plan(
            [found], found.start_on, day, every_row=True
        )
        period = Period(found.start_on, max(found.start_on, day - timedelta(days=1)))
        spend, note = progress.spend(
            session, found.agreement, [found], period, by_work_package=True
        )
        return ProgressOut(
            project=found.code,
            title=found.title,
            agreement=found.agreement.reference,
            start_on=found.start_on,
            end_on=found.end_on,
            on=day,
            summary=summary,
            milestones=milestones,
            deliverables=deliverables,
            trl=progress.trl_history([found], day),
            spend=spend,
            spend_note=note,
        )


def report_id_for(uow: UnitOfWork, actor: Principal, reference: str) -> uuid.UUID:
    """A report by its id or its artifact's reference, if the actor may know of it."""
    try:
        return uuid.UUID(reference)
    except ValueError:
        pass
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        found = _rows(uow.session, _query().where(Artifact.reference == reference.strip()))
        if not found or not techdata.may_know_artifact(uow, actor, found[0][1]):
            raise NotFound(f"no report '{reference}'")
        return found[0][0].id
