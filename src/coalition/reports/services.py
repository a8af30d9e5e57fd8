"""Use cases of periodic reports and of the progress of projects.

A report covers a project, or an agreement with all its projects, for a period of days
past that lies within the project (or agreement). It is generated in one unit of work:
its figures are read, its PDF drawn, and it is stored as an artifact of kind ``report``,
its content sealed exactly as an upload's, with the :class:`GeneratedReport` that links it
to its scope and period, and the events of both. Nothing is left of a generation that
fails, the sealed blob included.

Who generates: whoever holds ``organisation:governance:manage`` over the project (its lead
organisations) or the agreement (its parties); schedules generate with the governance
clock's authority (coalition.reports.schedules).

The report as an artifact: a project's report belongs to the project and is owned by its
lead organisation; an agreement's report belongs to no project (an artifact's project is
one project) and is owned by the generating person's organisation when it is a party (or
part of one), else by the agreement's first party. Its label is the aggregate
(coalition.policy.labels.aggregate) of the lowest marking of the owner nation's scheme,
releasable to the nations taking part, and the labels of every labelled item it includes
(the items of the releases it counts). Reading it, its page included, is decided by the
engine like any artifact's; a report one may not know of is "not found"."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.agreements.models import Agreement, AgreementParty
from coalition.agreements.services import agreement_target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.content import services as content_services
from coalition.content.blobs import BlobStore
from coalition.errors import ValidationFailed
from coalition.governance.readers import Readers
from coalition.policy.interning import intern_label
from coalition.policy.labels import SecurityLabel, aggregate
from coalition.policy.schemes import LabelError, SchemeCatalogue
from coalition.projects.models import ParticipantRole, Project
from coalition.projects.services import project_target
from coalition.registry.models import Nation, Organisation, Person
from coalition.registry.services import organisation_target
from coalition.reports import pdf, progress, rules, sections
from coalition.reports.models import GeneratedReport, ReportScope
from coalition.reports.reading import (
    get_report,
    list_reports,
    project_progress,
    read_report,
    report_id_for,
    report_out,
)
from coalition.reports.rules import Period, Span
from coalition.reports.schemas import (
    ProgressSection,
    ReportContent,
    ReportIn,
    ReportOut,
)
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from coalition.techdata import classes, listing
from coalition.techdata import services as techdata
from coalition.techdata.models import Artifact, ArtifactKind

P = Permission
#: The use cases of reports, reading ones included (coalition.reports.reading): one place
#: for the edges and for the dashboards and the governance clock to call.
__all__ = [
    "generate",
    "generate_report",
    "get_report",
    "list_reports",
    "make_report",
    "project_progress",
    "read_report",
    "report_id_for",
]
#: The scheme of a report whose owner's nation has none.
FALLBACK_SCHEME = "NATO"


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


@dataclasses.dataclass(frozen=True)
class Subject:
    """What a report is on: a project (with its agreement) or an agreement."""

    scope: ReportScope
    agreement: Agreement
    project: Project | None
    target: Target
    span: Span

    @property
    def code(self) -> str:
        return self.project.code if self.project else self.agreement.reference

    def projects(self, session: Session, period: Period) -> list[Project]:
        if self.project is not None:
            return [self.project]
        return list(
            session.scalars(
                progress.projects_query()
                .where(
                    Project.agreement_id == self.agreement.id,
                    Project.start_on <= period.end,
                    (Project.end_on.is_(None)) | (Project.end_on >= period.start),
                )
                .order_by(Project.code)
            )
        )


def _agreement_query() -> Any:
    return select(Agreement).options(
        selectinload(Agreement.parties).selectinload(AgreementParty.organisation)
    )


def find_subject(
    session: Session,
    readers: Readers,
    scope: ReportScope,
    project_code: str | None,
    agreement_reference: str | None,
) -> Subject:
    """The project or agreement named, if the reader may read it; else the field's error."""
    if scope is ReportScope.PROJECT:
        code = (project_code or "").strip()
        project = session.scalar(progress.projects_query().where(Project.code == code))
        if project is None or not readers.may_read(project.agreement_id):
            raise ValidationFailed.of("project", f"no project '{code}'")
        return subject_of(session, project.agreement, project)
    reference = (agreement_reference or "").strip()
    agreement = session.scalar(_agreement_query().where(Agreement.reference == reference))
    if agreement is None or not readers.may_read(agreement.id):
        raise ValidationFailed.of("agreement", f"no agreement '{reference}'")
    return subject_of(session, agreement, None)


def subject_of(session: Session, agreement: Agreement, project: Project | None) -> Subject:
    if project is not None:
        return Subject(
            ReportScope.PROJECT,
            agreement,
            project,
            project_target(session, project),
            Span(f"project {project.code}", project.start_on, project.end_on),
        )
    # An agreement's expiry is the first day no longer in force.
    last = agreement.expires_on - timedelta(days=1) if agreement.expires_on else None
    return Subject(
        ReportScope.AGREEMENT,
        agreement,
        None,
        agreement_target(session, agreement),
        Span(f"agreement {agreement.reference}", agreement.effective_from, last),
    )


class Sealed:
    """Blobs sealed in a unit of work: deleted on leaving unless the work was kept."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs
        self.pending: list[str] = []

    def add(self, blob: str) -> None:
        self.pending.append(blob)

    def keep(self) -> None:
        self.pending.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for blob in self.pending:
            self.blobs.delete(blob)


@dataclasses.dataclass(frozen=True)
class Generated:
    report: ReportOut
    #: The PDF as stored (its banners drawn on every page).
    pdf: bytes


# --- generating --------------------------------------------------------------------------------


def generate_report(
    uow: UnitOfWork,
    actor: Principal,
    data: ReportIn,
    settings: Settings,
    now: datetime | None = None,
) -> ReportOut:
    """Generate the report of a project or agreement for a period (see the module)."""
    return generate(uow, actor, data, settings, now).report


def generate(
    uow: UnitOfWork,
    actor: Principal,
    data: ReportIn,
    settings: Settings,
    now: datetime | None = None,
) -> Generated:
    """:func:`generate_report`, with the PDF's bytes (for ``coalition report generate
    --output``)."""
    moment = _now(now)
    store = content_services.content_settings(settings)
    with Sealed(store.blobs) as sealed, uow:
        uow.for_writing()
        session = uow.session
        subject = find_subject(
            session, Readers(session, actor), data.scope, data.project, data.agreement
        )
        require(actor, P.GOVERNANCE_MANAGE, subject.target)
        problems = rules.period_problems(
            data.period_start, data.period_end, moment.date(), subject.span
        )
        if problems:
            raise ValidationFailed.of_many(problems)
        made = make_report(
            uow,
            actor,
            subject,
            Period(data.period_start, data.period_end),
            store,
            sealed,
            moment,
            authority=str(P.GOVERNANCE_MANAGE),
        )
        uow.commit()
        sealed.keep()
        return made


def make_report(
    uow: UnitOfWork,
    actor: Principal,
    subject: Subject,
    period: Period,
    store: content_services.ContentSettings,
    sealed: Sealed,
    moment: datetime,
    *,
    authority: str,
    schedule_id: uuid.UUID | None = None,
) -> Generated:
    """Inside an open writing unit of work (the caller checked who may, and commits):
    read the figures, label and draw the report, and store it."""
    session = uow.session
    projects = subject.projects(session, period)
    content, included = _content(session, subject, projects, period, actor.name, moment)
    owner = _owner(session, actor, subject)
    catalogue = techdata.catalogue_of(session)
    label = _label(uow, owner, _nations(subject, owner, period), included, catalogue, period.end)
    level = catalogue.get(label.scheme).level_of(label.classification).level
    ceiling = (subject.project or subject.agreement).classification_ceiling
    if level > ceiling:
        raise ValidationFailed.of(
            "label", f"{label.classification} is above {subject.code}'s classification ceiling"
        )
    row = intern_label(session, label, catalogue)
    content.banner = row.banner
    document = pdf.build(content)
    artifact = Artifact(
        reference=_reference(session, subject.code, period),
        title=content.title,
        description=f"Periodic report ({subject.scope}) for {period.start} to {period.end}.",
        kind=ArtifactKind.REPORT,
        project_id=subject.project.id if subject.project else None,
        owner_organisation_id=owner.id,
        label=row,
        created_by=actor.name,
    )
    uow.add(artifact)
    uow.flush()
    classes.count_in(session, artifact.project_id, owner.id, row.id, +1)
    record_event(
        uow,
        actor,
        "techdata:artifact:create",
        artifact,
        {
            "reference": artifact.reference,
            "project_id": artifact.project_id,
            "owner_organisation_id": owner.id,
            "label_id": row.id,
            "banner": row.banner,
        },
    )
    version = content_services.seal_first_version(
        session,
        actor,
        artifact,
        f"{artifact.reference}.pdf",
        [document],
        store,
        comment=f"Generated for {period.label()}",
    )
    sealed.add(version.blob)
    report = GeneratedReport(
        artifact_id=artifact.id,
        scope=subject.scope,
        agreement_id=subject.agreement.id,
        project_id=subject.project.id if subject.project else None,
        period_start=period.start,
        period_end=period.end,
        schedule_id=schedule_id,
        generated_at=moment,
        generated_by=actor.name,
    )
    uow.add(report)
    uow.flush()
    record_event(
        uow,
        actor,
        "reports:report:generate",
        report,
        {
            "scope": subject.scope,
            "subject": subject.code,
            "period_start": period.start,
            "period_end": period.end,
            "artifact": artifact.reference,
            "label_id": row.id,
            "banner": row.banner,
            "labels_included": len(included),
            "sha256": version.sha256,
            "size": version.size,
            "schedule_id": schedule_id,
        },
        authority=authority,
    )
    out = report_out(report, artifact, version, subject.project, subject.agreement)
    return Generated(out, document)


def _content(
    session: Session,
    subject: Subject,
    projects: list[Project],
    period: Period,
    by: str,
    moment: datetime,
) -> tuple[ReportContent, list[SecurityLabel]]:
    ids = [p.id for p in projects]
    one = ids if subject.project is not None else None
    agreement = subject.agreement
    summary, milestones, deliverables = progress.plan(projects, period.start, period.after)
    spend, note = progress.spend(
        session, agreement, projects, period, by_work_package=subject.project is not None
    )
    released, labels = sections.releases(session, ids, period)
    if subject.project is not None:
        title = f"Report on {subject.project.code}, {period.label()}"
    else:
        title = f"Report on agreement {agreement.reference}, {period.label()}"
    content = ReportContent(
        title=title,
        scope=subject.scope,
        project=subject.project.code if subject.project else None,
        project_title=subject.project.title if subject.project else None,
        agreement=agreement.reference,
        agreement_title=agreement.title,
        projects=[p.code for p in projects],
        period_start=period.start,
        period_end=period.end,
        period=period.label(),
        generated_at=moment,
        generated_by=by,
        progress=ProgressSection(
            summary=summary,
            milestones=milestones,
            deliverables=deliverables,
            trl=progress.trl_history(projects, period.end),
            spend=spend,
            spend_note=note,
        ),
        risks=sections.risks(session, ids, period),
        governance=sections.governance(session, agreement.id, one, period),
        disputes=sections.disputes(session, agreement.id, one, period),
        releases=released,
        ip=sections.ip(session, agreement.id, ids, one is None, period),
        funding=sections.funding(session, agreement, one, period),
    )
    return content, labels


def _owner(session: Session, actor: Principal, subject: Subject) -> Organisation:
    if subject.project is not None:
        leads = sorted(
            (
                p
                for p in subject.project.participants
                if p.role is ParticipantRole.LEAD and p.withdrew_on is None
            ),
            key=lambda p: (p.joined_on, str(p.organisation_id)),
        )
        if leads:
            return leads[0].organisation
    parties = sorted(subject.agreement.parties, key=lambda p: p.id)
    party_ids = {p.organisation_id for p in parties}
    if actor.person_id is not None:
        person = session.get(Person, actor.person_id)
        employer = session.get(Organisation, person.employer_id) if person else None
        if (
            employer is not None
            and party_ids & organisation_target(session, employer).organisation_ids
        ):
            return employer
    if not parties:
        raise ValidationFailed.of("agreement", f"{subject.agreement.reference} has no party")
    return parties[0].organisation


def _nations(subject: Subject, owner: Organisation, period: Period) -> set[str]:
    """The nations a report is meant for: those taking part at the period's end."""
    nations = {owner.nation_code}
    if subject.project is not None:
        nations |= {
            p.organisation.nation_code
            for p in subject.project.participants
            if p.joined_on <= period.end and (p.withdrew_on is None or p.withdrew_on > period.end)
        }
    else:
        nations |= {p.organisation.nation_code for p in subject.agreement.parties}
    return nations


def _label(
    uow: UnitOfWork,
    owner: Organisation,
    nations: set[str],
    included: list[SecurityLabel],
    catalogue: SchemeCatalogue,
    day: date,
) -> SecurityLabel:
    session = uow.session
    scheme = session.scalar(select(Nation.scheme_code).where(Nation.code == owner.nation_code))
    scheme = scheme or FALLBACK_SCHEME
    base = SecurityLabel(
        scheme=scheme,
        classification=catalogue.get(scheme).marking_for(0).marking,
        originator=owner.nation_code,
        releasable_to=frozenset(nations) if len(nations) > 1 else frozenset(),
    )
    if not included:
        return base
    world, _ = listing.current_world(session, uow.database)
    try:
        return aggregate([base, *included], catalogue, lambda group: world.members(group, day))
    except LabelError as exc:
        raise ValidationFailed.of(
            "label", f"no one label covers what the report includes: {exc.message}"
        ) from exc


def _reference(session: Session, code: str, period: Period) -> str:
    label = period.label()
    if " " in label:
        label = f"{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    stem = f"RPT-{code[: 40 - len(label) - 8]}-{label}"
    candidate, n = stem, 1
    while session.scalar(select(Artifact.id).where(Artifact.reference == candidate)):
        n += 1
        candidate = f"{stem}-{n}"
    return candidate
