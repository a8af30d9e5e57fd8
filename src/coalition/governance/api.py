"""API routes of oversight bodies, meetings, votes and action items."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from starlette.responses import Response

from coalition.governance import services
from coalition.governance.dashboard import GovernanceBoard, governance_board
from coalition.governance.models import MotionStatus
from coalition.governance.schemas import (
    ActionItemIn,
    ActionItemOut,
    ActionItemUpdateIn,
    AttachmentIn,
    BodyIn,
    BodyOut,
    MeetingCancelIn,
    MeetingChangeIn,
    MeetingIn,
    MeetingOut,
    MemberIn,
    MemberLeaveIn,
    MinutesIn,
    MotionCloseIn,
    MotionIn,
    MotionOut,
    MotionWithdrawIn,
    TickOut,
    VoteIn,
)
from coalition.web.deps import ApiPrincipal, SettingsDep, UowDep

router = APIRouter(prefix="/governance", tags=["governance"])


@router.get("/dashboard")
def dashboard(request: Request, actor: ApiPrincipal, settings: SettingsDep) -> GovernanceBoard:
    """What waits for the caller: votes, action items, coming meetings, the risks they own;
    high risks if they keep a register; open disputes if they may act on them."""
    return governance_board(request.app.state.uow_factory, actor, settings)


@router.get("/bodies")
def list_bodies(
    actor: ApiPrincipal,
    uow: UowDep,
    agreement: str | None = None,
    project: str | None = None,
) -> list[BodyOut]:
    """The oversight bodies of the agreements whose records the caller may read."""
    return services.list_bodies(uow, actor, agreement=agreement, project=project)


@router.post("/bodies", status_code=status.HTTP_201_CREATED)
def create_body(actor: ApiPrincipal, uow: UowDep, data: BodyIn) -> BodyOut:
    """Set up a body of an agreement (or of one of its projects); its rule defaults to the
    agreement's."""
    return services.create_body(uow, actor, data)


@router.get("/bodies/{body_id}")
def get_body(body_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> BodyOut:
    return services.get_body(uow, actor, body_id)


@router.post("/bodies/{body_id}/members", status_code=status.HTTP_201_CREATED)
def add_member(body_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: MemberIn) -> BodyOut:
    return services.add_member(uow, actor, body_id, data)


@router.post("/bodies/{body_id}/members/{member_id}/leave")
def remove_member(
    body_id: uuid.UUID, member_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: MemberLeaveIn
) -> BodyOut:
    return services.remove_member(uow, actor, body_id, member_id, data)


@router.get("/meetings")
def list_meetings(
    actor: ApiPrincipal, uow: UowDep, body_id: uuid.UUID | None = None, upcoming: bool = False
) -> list[MeetingOut]:
    return services.list_meetings(uow, actor, body_id=body_id, upcoming=upcoming)


@router.post("/meetings", status_code=status.HTTP_201_CREATED)
def schedule_meeting(
    actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: MeetingIn
) -> MeetingOut:
    """Schedule a meeting and invite the body's members."""
    return services.schedule_meeting(uow, actor, data, settings)


@router.get("/meetings/{meeting_id}")
def get_meeting(meeting_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> MeetingOut:
    """The meeting; its attachments are only those the caller may see, uncounted otherwise."""
    return services.get_meeting(uow, actor, meeting_id)


@router.patch("/meetings/{meeting_id}")
def change_meeting(
    meeting_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: MeetingChangeIn,
) -> MeetingOut:
    return services.change_meeting(uow, actor, meeting_id, data, settings)


@router.post("/meetings/{meeting_id}/cancel")
def cancel_meeting(
    meeting_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: MeetingCancelIn,
) -> MeetingOut:
    return services.cancel_meeting(uow, actor, meeting_id, data, settings)


@router.post("/meetings/{meeting_id}/minutes")
def record_minutes(
    meeting_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: MinutesIn
) -> MeetingOut:
    return services.record_minutes(uow, actor, meeting_id, data)


@router.post("/meetings/{meeting_id}/attachments")
def attach(
    meeting_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: AttachmentIn
) -> MeetingOut:
    return services.attach(uow, actor, meeting_id, data)


@router.get("/meetings/{meeting_id}/invitation.ics", response_class=Response)
def invitation(meeting_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> Response:
    """The meeting as an iCalendar invitation (text/calendar; METHOD:REQUEST or CANCEL)."""
    return Response(
        services.invitation(uow, actor, meeting_id),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"'},
    )


@router.get("/motions")
def list_motions(
    actor: ApiPrincipal,
    uow: UowDep,
    body_id: uuid.UUID | None = None,
    status: MotionStatus | None = None,
    awaiting_my_vote: bool = False,
) -> list[MotionOut]:
    return services.list_motions(
        uow, actor, body_id=body_id, status=status, awaiting_my_vote=awaiting_my_vote
    )


@router.post("/motions", status_code=status.HTTP_201_CREATED)
def open_motion(
    actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: MotionIn
) -> MotionOut:
    """Put a motion to the vote, in a meeting or by written procedure with a deadline."""
    return services.open_motion(uow, actor, data, settings)


@router.get("/motions/{motion_id}")
def get_motion(motion_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> MotionOut:
    return services.get_motion(uow, actor, motion_id)


@router.post("/motions/{motion_id}/votes", status_code=status.HTTP_201_CREATED)
def cast_vote(
    motion_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: VoteIn
) -> MotionOut:
    """The caller votes on a motion, for their seat: refused to non-members, after the
    deadline and a second time."""
    return services.cast_vote(uow, actor, motion_id, data, settings)


@router.post("/motions/{motion_id}/close")
def close_motion(
    motion_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: MotionCloseIn,
) -> MotionOut:
    return services.close_motion(uow, actor, motion_id, data, settings)


@router.post("/motions/{motion_id}/withdraw")
def withdraw_motion(
    motion_id: uuid.UUID,
    actor: ApiPrincipal,
    uow: UowDep,
    settings: SettingsDep,
    data: MotionWithdrawIn,
) -> MotionOut:
    return services.withdraw_motion(uow, actor, motion_id, data, settings)


@router.get("/actions")
def list_actions(
    actor: ApiPrincipal,
    uow: UowDep,
    body_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
    open_only: bool = False,
) -> list[ActionItemOut]:
    return services.list_actions(
        uow, actor, body_id=body_id, owner_id=owner_id, open_only=open_only
    )


@router.post("/actions", status_code=status.HTTP_201_CREATED)
def assign_action(
    actor: ApiPrincipal, uow: UowDep, settings: SettingsDep, data: ActionItemIn
) -> ActionItemOut:
    return services.assign_action(uow, actor, data, settings)


@router.get("/actions/{action_id}")
def get_action(action_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> ActionItemOut:
    return services.get_action(uow, actor, action_id)


@router.post("/actions/{action_id}/status")
def update_action(
    action_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: ActionItemUpdateIn
) -> ActionItemOut:
    return services.update_action(uow, actor, action_id, data)


@router.post("/tick")
def tick(request: Request, actor: ApiPrincipal, settings: SettingsDep) -> TickOut:
    """Run the governance clock now (meant for a scheduler): close written procedures past
    their deadline, escalate overdue disputes, generate the scheduled reports of ended
    periods, send due reminders."""
    return services.tick(request.app.state.uow_factory, actor, settings)
