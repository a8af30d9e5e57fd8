"""Schedules of reports: one report per calendar period (month, quarter or year) of a
project or an agreement, generated once the period has ended by :func:`generate_due`, which
the governance clock runs.

A schedule remembers the first day of the next period it owes. Generating that period's
report and moving the schedule on to the next happen in one unit of work, with the
schedule's row locked: a period is never reported twice, however often or concurrently the
clock runs, and a period whose generation fails writes nothing and is tried again at the
next run. A schedule whose project (or agreement) has ended is stopped."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.agreements.models import Agreement
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.content import services as content_services
from coalition.errors import CoalitionError, Conflict, NotFound, ValidationFailed
from coalition.governance.readers import Readers
from coalition.projects.models import Project
from coalition.reports import progress, rules
from coalition.reports.models import GeneratedReport, ReportSchedule
from coalition.reports.schemas import RunDueOut, ScheduleFailure, ScheduleIn, ScheduleOut
from coalition.reports.services import (
    Generated,
    Sealed,
    Subject,
    find_subject,
    make_report,
    subject_of,
)
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork

P = Permission
NO_SCHEDULE = "no report schedule with this id"


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _subject(session: Session, schedule: ReportSchedule) -> Subject:
    agreement = session.get(Agreement, schedule.agreement_id)
    assert agreement is not None
    project = (
        session.scalar(progress.projects_query().where(Project.id == schedule.project_id))
        if schedule.project_id
        else None
    )
    return subject_of(session, agreement, project)


def _out(session: Session, schedule: ReportSchedule, subject: Subject) -> ScheduleOut:
    calendar = rules.period_of(schedule.next_period_start, schedule.frequency)
    shown = rules.clipped(calendar, subject.span.first, subject.span.last) or calendar
    reports = session.scalar(
        select(func.count())
        .select_from(GeneratedReport)
        .where(GeneratedReport.schedule_id == schedule.id)
    )
    return ScheduleOut(
        id=schedule.id,
        scope=schedule.scope,
        project=subject.project.code if subject.project else None,
        agreement=subject.agreement.reference,
        frequency=schedule.frequency,
        next_period_start=shown.start,
        next_period_end=shown.end,
        active=schedule.active,
        reports=reports or 0,
        created_by=schedule.created_by,
        created_at=schedule.created_at,
    )


def create_schedule(
    uow: UnitOfWork, actor: Principal, data: ScheduleIn, now: datetime | None = None
) -> ScheduleOut:
    """Report on the project (or agreement) every month, quarter or year, from the period
    holding ``first_period_start`` (default: the current period, or the project's first)."""
    today = _now(now).date()
    with uow:
        uow.for_writing()
        session = uow.session
        subject = find_subject(
            session, Readers(session, actor), data.scope, data.project, data.agreement
        )
        require(actor, P.GOVERNANCE_MANAGE, subject.target)
        span = subject.span
        first = rules.period_of(data.first_period_start or max(today, span.first), data.frequency)
        if rules.clipped(first, span.first, span.last) is None:
            raise ValidationFailed.of(
                "first_period_start", f"the period {first.label()} is outside: {span.describe()}"
            )
        twin = session.scalar(
            select(ReportSchedule.id).where(
                ReportSchedule.active.is_(True),
                ReportSchedule.agreement_id == subject.agreement.id,
                ReportSchedule.project_id.is_(None)
                if subject.project is None
                else ReportSchedule.project_id == subject.project.id,
                ReportSchedule.frequency == data.frequency,
            )
        )
        if twin is not None:
            raise Conflict(
                f"frequency: {subject.code} already has an active {data.frequency} schedule"
            )
        schedule = ReportSchedule(
            scope=subject.scope,
            agreement_id=subject.agreement.id,
            project_id=subject.project.id if subject.project else None,
            frequency=data.frequency,
            next_period_start=first.start,
            active=True,
            created_by=actor.name,
        )
        uow.add(schedule)
        uow.flush()
        record_event(
            uow,
            actor,
            "reports:schedule:create",
            schedule,
            {"subject": subject.code, "frequency": data.frequency, "first_period": first.label()},
        )
        uow.commit()
        return _out(session, schedule, subject)


def list_schedules(
    uow: UnitOfWork,
    actor: Principal,
    *,
    project: str | None = None,
    agreement: str | None = None,
) -> list[ScheduleOut]:
    """The schedules of the agreements the actor may read (the governance readers)."""
    require(actor, P.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        query = select(ReportSchedule).order_by(ReportSchedule.created_at, ReportSchedule.id)
        readable = Readers(session, actor).agreement_ids()
        if readable is not None:
            query = query.where(ReportSchedule.agreement_id.in_(readable))
        if project:
            query = query.join(Project, Project.id == ReportSchedule.project_id).where(
                Project.code == project.strip()
            )
        if agreement:
            query = query.join(Agreement, Agreement.id == ReportSchedule.agreement_id).where(
                Agreement.reference == agreement.strip()
            )
        return [_out(session, s, _subject(session, s)) for s in session.scalars(query)]


def stop_schedule(uow: UnitOfWork, actor: Principal, schedule_id: uuid.UUID) -> ScheduleOut:
    with uow:
        uow.for_writing()
        session = uow.session
        schedule = session.get(ReportSchedule, schedule_id, with_for_update=True)
        if schedule is None or not Readers(session, actor).may_read(schedule.agreement_id):
            raise NotFound(NO_SCHEDULE)
        subject = _subject(session, schedule)
        require(actor, P.GOVERNANCE_MANAGE, subject.target)
        if not schedule.active:
            raise Conflict("active: the schedule is already stopped")
        schedule.active = False
        record_event(uow, actor, "reports:schedule:stop", schedule, {"subject": subject.code})
        uow.commit()
        return _out(session, schedule, subject)


def generate_due(
    uow_factory: Callable[[], UnitOfWork],
    actor: Principal,
    settings: Settings,
    now: datetime | None = None,
) -> RunDueOut:
    """For every active schedule, a report for each period that has ended and not been
    reported, oldest first; each in its own unit of work. Meant for the governance clock."""
    moment = _now(now)
    require(actor, P.GOVERNANCE_TICK, Target.node())
    with uow_factory() as uow:
        ids = list(
            uow.session.scalars(
                select(ReportSchedule.id)
                .where(ReportSchedule.active.is_(True))
                .order_by(ReportSchedule.created_at, ReportSchedule.id)
            )
        )
    result = RunDueOut(generated=[], failed=[], completed=[])
    for schedule_id in ids:
        while True:
            try:
                step = _next(uow_factory(), actor, schedule_id, settings, moment)
            except _Failed as failed:
                result.failed.append(failed.failure)
                break
            if isinstance(step, Generated):
                result.generated.append(step.report)
            elif step == "completed":
                result.completed.append(schedule_id)
                break
            elif step is None:
                break
    return result


class _Failed(Exception):
    def __init__(self, failure: ScheduleFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


def _next(
    uow: UnitOfWork,
    actor: Principal,
    schedule_id: uuid.UUID,
    settings: Settings,
    moment: datetime,
) -> Generated | str | None:
    """One step of a schedule: its next period's report, "completed", "skipped" (a period
    before the project starts) or None (nothing due)."""
    store = content_services.content_settings(settings)
    today = moment.date()
    with Sealed(store.blobs) as sealed, uow:
        uow.for_writing()
        session = uow.session
        schedule = session.get(ReportSchedule, schedule_id, with_for_update=True)
        if schedule is None or not schedule.active:
            return None
        subject = _subject(session, schedule)
        span = subject.span
        calendar = rules.period_of(schedule.next_period_start, schedule.frequency)
        following = rules.next_period(calendar, schedule.frequency).start
        if span.last is not None and calendar.start > span.last:
            schedule.active = False
            record_event(
                uow, actor, "reports:schedule:complete", schedule, {"subject": subject.code}
            )
            uow.commit()
            return "completed"
        if calendar.end >= today:
            return None
        period = rules.clipped(calendar, span.first, span.last)
        done = period is not None and session.scalar(
            select(GeneratedReport.id).where(
                GeneratedReport.schedule_id == schedule.id,
                GeneratedReport.period_start == period.start,
                GeneratedReport.period_end == period.end,
            )
        )
        if period is None or done:
            schedule.next_period_start = following
            record_event(
                uow,
                actor,
                "reports:schedule:skip",
                schedule,
                {
                    "period": calendar.label(),
                    "reason": "already reported" if done else f"outside {span.describe()}",
                    "next_period_start": following,
                },
            )
            uow.commit()
            return "skipped"
        try:
            made = make_report(
                uow,
                actor,
                subject,
                period,
                store,
                sealed,
                moment,
                authority=str(P.GOVERNANCE_TICK),
                schedule_id=schedule.id,
            )
        except CoalitionError as exc:
            raise _Failed(
                ScheduleFailure(
                    schedule_id=schedule.id,
                    period_start=period.start,
                    period_end=period.end,
                    reason=exc.detail,
                )
            ) from exc
        schedule.next_period_start = following
        record_event(
            uow,
            actor,
            "reports:schedule:advance",
            schedule,
            {"reported": made.report.reference, "next_period_start": following},
        )
        uow.commit()
        sealed.keep()
        return made
