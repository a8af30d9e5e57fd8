"""Use cases of booking quotas (decision 0017): the facility manager sets, per facility, the
booked hours a project, or the projects a nation leads, may hold in each week, month or
calendar year of the facility's time zone. Requested and approved occurrences count (a
no-show too: its time was held); a request or an approval that would go over a quota is a
conflict naming the quota, the period and the hours held, asked and allowed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.errors import Conflict, NotFound, ValidationFailed
from coalition.facilities import usage
from coalition.facilities.models import (
    Booking,
    BookingOccurrence,
    BookingStatus,
    Facility,
    FacilityQuota,
    QuotaHolder,
    QuotaPeriod,
)
from coalition.facilities.rules import Slot
from coalition.facilities.schemas import QuotaIn, QuotaOut
from coalition.facilities.services import _target, _visible
from coalition.projects.models import Participant, ParticipantRole, Project
from coalition.registry.models import Nation
from coalition.store.uow import UnitOfWork

#: The bookings whose occurrences hold quota time.
HELD = (BookingStatus.REQUESTED, BookingStatus.APPROVED)
NOT_FOUND = "no quota with this id at this facility"


def lead_nation(project: Project) -> str:
    """The nation a project's bookings count against: that of its lead organisation (the
    first to join of those still leading)."""
    leads = [p for p in project.participants if p.role is ParticipantRole.LEAD]
    current = [p for p in leads if p.withdrew_on is None] or leads or list(project.participants)
    return current[0].organisation.nation_code


def nations_of(session: Session, project_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = set(project_ids)
    if not ids:
        return {}
    projects = session.scalars(
        select(Project)
        .options(selectinload(Project.participants).selectinload(Participant.organisation))
        .where(Project.id.in_(ids))
    )
    return {p.id: lead_nation(p) for p in projects}


def _held(
    session: Session, facility_id: uuid.UUID, window: Slot, exclude: uuid.UUID | None
) -> list[tuple[Slot, uuid.UUID]]:
    """Occurrences holding time at the facility within ``window``, with their project."""
    query = (
        select(BookingOccurrence.starts_at, BookingOccurrence.ends_at, Booking.project_id)
        .join(Booking, Booking.id == BookingOccurrence.booking_id)
        .where(
            BookingOccurrence.facility_id == facility_id,
            BookingOccurrence.active.is_(True),
            Booking.status.in_(HELD),
            BookingOccurrence.starts_at < window.ends,
            BookingOccurrence.ends_at > window.starts,
        )
    )
    if exclude is not None:
        query = query.where(Booking.id != exclude)
    return [(Slot(s, e), p) for s, e, p in session.execute(query)]


def _span(slots: Sequence[Slot], period: QuotaPeriod, zone: ZoneInfo) -> Slot:
    """From the start of the period of the first slot to the end of that of the last."""
    first = usage.period_start(min(s.starts for s in slots).astimezone(zone).date(), period)
    last = usage.period_start(max(s.ends for s in slots).astimezone(zone).date(), period)
    return Slot(usage.midnight(first, zone), usage.midnight(usage.next_start(last, period), zone))


def _holder_name(quota: FacilityQuota, project_code: str | None) -> str:
    if quota.holder_kind is QuotaHolder.PROJECT:
        return f"project {project_code}"
    return f"nation {quota.nation_code}"


def check(
    session: Session,
    facility: Facility,
    project: Project,
    wanted: Sequence[Slot],
    *,
    field: str,
    exclude: uuid.UUID | None = None,
) -> None:
    """Raise Conflict at ``field`` if ``wanted`` would take ``project``, or the nation that
    leads it, over a quota at ``facility``; ``exclude`` is the booking being approved (its
    own time is in ``wanted``). The facility's row is locked by the caller."""
    if not wanted:
        return
    nation = lead_nation(project)
    quotas = session.scalars(
        select(FacilityQuota)
        .where(
            FacilityQuota.facility_id == facility.id,
            (
                (FacilityQuota.holder_kind == QuotaHolder.PROJECT)
                & (FacilityQuota.holder_key == str(project.id))
            )
            | (
                (FacilityQuota.holder_kind == QuotaHolder.NATION)
                & (FacilityQuota.holder_key == nation)
            ),
        )
        .order_by(FacilityQuota.holder_kind.desc(), FacilityQuota.period)
    ).all()
    zone = ZoneInfo(facility.time_zone)
    for quota in quotas:
        held = _held(session, facility.id, _span(wanted, quota.period, zone), exclude)
        if quota.holder_kind is QuotaHolder.PROJECT:
            mine = [slot for slot, owner in held if owner == project.id]
        else:
            nations = nations_of(session, {owner for _, owner in held})
            mine = [slot for slot, owner in held if nations.get(owner) == nation]
        excess = usage.first_excess(
            mine, wanted, quota.period, zone, timedelta(minutes=quota.minutes)
        )
        if excess is not None:
            raise Conflict(
                f"{field}: over the quota of {_holder_name(quota, project.code)} at "
                f"{facility.code} ({usage.hours(excess.allowed)} h a {quota.period}): in "
                f"{usage.period_name(excess.start, quota.period)} ({facility.time_zone}) "
                f"it holds {usage.hours(excess.used)} h and asks {usage.hours(excess.asked)} h; "
                f"{usage.hours(excess.allowed)} h are allowed"
            )


def _out(session: Session, facility: Facility, quota: FacilityQuota, now: datetime) -> QuotaOut:
    zone = ZoneInfo(facility.time_zone)
    start = usage.period_start(now.astimezone(zone).date(), quota.period)
    window = Slot(
        usage.midnight(start, zone), usage.midnight(usage.next_start(start, quota.period), zone)
    )
    held = _held(session, facility.id, window, None)
    project = session.get(Project, quota.project_id) if quota.project_id else None
    if project is not None:
        mine = [slot for slot, owner in held if owner == project.id]
    else:
        nations = nations_of(session, {owner for _, owner in held})
        mine = [slot for slot, owner in held if nations.get(owner) == quota.nation_code]
    return QuotaOut(
        id=quota.id,
        facility=facility.code,
        holder_kind=quota.holder_kind,
        project=project.code if project else None,
        nation=quota.nation_code,
        period=quota.period,
        hours=usage.hours(timedelta(minutes=quota.minutes)),
        current_period=usage.period_name(start, quota.period),
        held_hours=usage.hours(sum((usage.overlap(s, window) for s in mine), usage.ZERO)),
        set_by=quota.set_by,
        updated_at=quota.updated_at,
    )


def _quotas(session: Session, facility_id: uuid.UUID) -> list[FacilityQuota]:
    return list(
        session.scalars(
            select(FacilityQuota)
            .where(FacilityQuota.facility_id == facility_id)
            .order_by(FacilityQuota.holder_kind, FacilityQuota.holder_key, FacilityQuota.period)
        )
    )


def list_quotas(
    uow: UnitOfWork, actor: Principal, facility_id: uuid.UUID, now: datetime | None = None
) -> list[QuotaOut]:
    """A facility's quotas, with the hours each holder holds in the current period."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    moment = now or datetime.now(UTC)
    with uow:
        facility = _visible(uow, actor, facility_id)
        return [_out(uow.session, facility, q, moment) for q in _quotas(uow.session, facility_id)]


def set_quota(
    uow: UnitOfWork,
    actor: Principal,
    facility_id: uuid.UUID,
    data: QuotaIn,
    now: datetime | None = None,
) -> QuotaOut:
    """Set the quota of a project or nation for a period, replacing the one it had. What is
    already booked stays: the quota limits requests and approvals from now on."""
    with uow:
        uow.for_writing()
        session = uow.session
        facility = _visible(uow, actor, facility_id, lock=True)
        require(actor, Permission.FACILITY_MANAGE, _target(session, facility))
        project: Project | None = None
        if data.project is not None:
            project = session.scalar(select(Project).where(Project.code == data.project))
            if project is None:
                raise ValidationFailed.of("project", f"no project '{data.project}'")
            kind, key = QuotaHolder.PROJECT, str(project.id)
        else:
            assert data.nation is not None
            if session.get(Nation, data.nation) is None:
                raise ValidationFailed.of("nation", f"no nation '{data.nation}' on this node")
            kind, key = QuotaHolder.NATION, data.nation
        minutes = int(data.hours * 60)
        quota = session.scalar(
            select(FacilityQuota).where(
                FacilityQuota.facility_id == facility.id,
                FacilityQuota.holder_kind == kind,
                FacilityQuota.holder_key == key,
                FacilityQuota.period == data.period,
            )
        )
        previous = quota.minutes if quota is not None else None
        if quota is None:
            quota = FacilityQuota(
                facility_id=facility.id,
                holder_kind=kind,
                holder_key=key,
                project_id=project.id if project else None,
                nation_code=data.nation,
                period=data.period,
                minutes=minutes,
                set_by=actor.name,
            )
            uow.add(quota)
        else:
            quota.minutes, quota.set_by = minutes, actor.name
        uow.flush()
        record_event(
            uow,
            actor,
            "facilities:quota:set",
            facility,
            {
                **data.model_dump(),
                "quota_id": quota.id,
                "previous_hours": (
                    usage.hours(timedelta(minutes=previous)) if previous is not None else None
                ),
            },
        )
        uow.commit()
        return _out(session, facility, quota, now or datetime.now(UTC))


def remove_quota(
    uow: UnitOfWork, actor: Principal, facility_id: uuid.UUID, quota_id: uuid.UUID
) -> None:
    with uow:
        uow.for_writing()
        session = uow.session
        facility = _visible(uow, actor, facility_id, lock=True)
        require(actor, Permission.FACILITY_MANAGE, _target(session, facility))
        quota = session.get(FacilityQuota, quota_id)
        if quota is None or quota.facility_id != facility.id:
            raise NotFound(NOT_FOUND)
        project = session.get(Project, quota.project_id) if quota.project_id else None
        record_event(
            uow,
            actor,
            "facilities:quota:remove",
            facility,
            {
                "quota_id": quota.id,
                "project": project.code if project else None,
                "nation": quota.nation_code,
                "period": quota.period,
                "hours": usage.hours(timedelta(minutes=quota.minutes)),
            },
        )
        session.delete(quota)
        uow.commit()


def quota_id_for(
    uow: UnitOfWork,
    actor: Principal,
    facility_id: uuid.UUID,
    *,
    project: str | None,
    nation: str | None,
    period: QuotaPeriod,
) -> uuid.UUID:
    """The id of a facility's quota named by its holder and period (the CLI names it so)."""
    if (project is None) == (nation is None):
        raise ValidationFailed.of("project", "name a project or a nation, not both")
    for quota in list_quotas(uow, actor, facility_id):
        if quota.period is period and (
            (project is not None and quota.project == project)
            or (nation is not None and quota.nation == nation.upper())
        ):
            return quota.id
    holder = f"project {project}" if project else f"nation {nation}"
    raise NotFound(f"no {period} quota for {holder}")
