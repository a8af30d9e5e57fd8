"""Governance pages: the bodies the reader may see with the votes and action items waiting
for them, one body (members, meetings, motions, action items and the forms to run it), one
meeting, one motion (with the ballot for a seat holder) and one action item. People are
entered by e-mail, as elsewhere in the pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from coalition.accounts.permissions import Principal
from coalition.errors import CoalitionError, ValidationFailed
from coalition.facilities import services as facilities
from coalition.governance import services
from coalition.governance.models import BodyKind
from coalition.governance.schemas import (
    ActionItemIn,
    ActionItemUpdateIn,
    AttachmentIn,
    BodyIn,
    MeetingCancelIn,
    MeetingIn,
    MemberIn,
    MinutesIn,
    MotionCloseIn,
    MotionIn,
    MotionWithdrawIn,
    VoteIn,
)
from coalition.web.deps import CheckedForm, UowDep, WebPrincipal
from coalition.web.forms import form_errors, form_values, parse
from coalition.web.templating import flash, render

router = APIRouter(include_in_schema=False)
KINDS = [(k.value, k.value.replace("_", " ")) for k in BodyKind]
RULES = [
    ("", "the agreement's"),
    ("unanimity", "unanimity"),
    ("consensus", "consensus"),
    ("majority", "simple majority"),
    ("qualified_majority", "qualified majority"),
]


def _person(request: Request, actor: Principal, email: str | None, field: str) -> uuid.UUID | None:
    if not email:
        return None
    try:
        return facilities.people_by_email(request.app.state.uow_factory(), actor, [email])[0]
    except CoalitionError:
        raise ValidationFailed.of(field, f"no person with e-mail {email}") from None


def _uow(request: Request) -> Any:
    return request.app.state.uow_factory()


@router.get("/governance")
def governance_page(request: Request, actor: WebPrincipal, uow: UowDep) -> Response:
    bodies = services.list_bodies(uow, actor)
    waiting = services.list_motions(_uow(request), actor, awaiting_my_vote=True)
    actions = (
        services.list_actions(_uow(request), actor, owner_id=actor.person_id, open_only=True)
        if actor.person_id
        else []
    )
    meetings = services.list_meetings(_uow(request), actor, upcoming=True)
    return render(
        request,
        "governance/index.html",
        actor,
        {
            "section": "governance",
            "bodies": bodies,
            "waiting": waiting,
            "actions": actions,
            "meetings": meetings,
        },
    )


def _body_form(
    request: Request,
    actor: Principal,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "governance/body_form.html",
        actor,
        {
            "section": "governance",
            "kinds": KINDS,
            "rules": RULES,
            "errors": errors or {},
            "values": values or {"quorum_percent": 50},
        },
        status_code=status_code,
    )


@router.get("/governance/bodies/new")
def new_body_page(request: Request, actor: WebPrincipal) -> Response:
    return _body_form(request, actor)


@router.post("/governance/bodies/new")
def create_body_page(
    request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    try:
        made = services.create_body(uow, actor, parse(BodyIn, values))
    except CoalitionError as exc:
        return _body_form(request, actor, form_errors(exc), values, exc.status)
    flash(request, f"Body {made.code} set up; now seat its members.")
    return RedirectResponse(f"/governance/bodies/{made.id}", status_code=303)


def _body_detail(
    request: Request,
    actor: Principal,
    body_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    body = services.get_body(_uow(request), actor, body_id)
    return render(
        request,
        "governance/body.html",
        actor,
        {
            "section": "governance",
            "b": body,
            "meetings": services.list_meetings(_uow(request), actor, body_id=body_id),
            "motions": services.list_motions(_uow(request), actor, body_id=body_id),
            "actions": services.list_actions(_uow(request), actor, body_id=body_id),
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/governance/bodies/{body_id}")
def body_page(body_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _body_detail(request, actor, body_id)


def _on_body(
    request: Request,
    actor: Principal,
    body_id: uuid.UUID,
    form_name: str,
    values: dict[str, Any],
    act: Callable[[], Any],
    done: Callable[[Any], tuple[str, str]],
) -> Response:
    try:
        result = act()
    except CoalitionError as exc:
        return _body_detail(
            request, actor, body_id, {form_name: form_errors(exc)}, {form_name: values}, exc.status
        )
    message, target = done(result)
    flash(request, message)
    return RedirectResponse(target, status_code=303)


@router.post("/governance/bodies/{body_id}/members")
def add_member_page(
    body_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)

    def act() -> Any:
        command: dict[str, Any] = {
            "person_id": _person(request, actor, values.get("person"), "person"),
            "chair": values.get("chair") == "true",
            "voting": values.get("voting", "true") == "true",
            "veto": values.get("veto") == "true",
            "weight": values.get("weight", 1),
        }
        try:
            return services.add_member(uow, actor, body_id, parse(MemberIn, command))
        except ValidationFailed as exc:
            for problem in exc.problems:
                if problem.field == "person_id":
                    raise ValidationFailed.of("person", problem.message) from exc
            raise

    return _on_body(
        request,
        actor,
        body_id,
        "member",
        values,
        act,
        lambda body: (f"Member seated on {body.code}.", f"/governance/bodies/{body_id}"),
    )


@router.post("/governance/bodies/{body_id}/meetings")
def schedule_page(
    body_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    body = services.get_body(_uow(request), actor, body_id)

    def act() -> Any:
        command = {
            **values,
            "body": body.code,
            "starts_at": _utc(values.get("starts_at")),
            "ends_at": _utc(values.get("ends_at")),
            "agenda": (values.get("agenda") or "").splitlines(),
        }
        return services.schedule_meeting(
            uow, actor, parse(MeetingIn, command), request.app.state.settings
        )

    return _on_body(
        request,
        actor,
        body_id,
        "meeting",
        values,
        act,
        lambda m: (
            f"Meeting {m.reference} scheduled; members are invited.",
            f"/governance/meetings/{m.id}",
        ),
    )


@router.post("/governance/bodies/{body_id}/motions")
def open_motion_page(
    body_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    body = services.get_body(_uow(request), actor, body_id)

    def act() -> Any:
        command: dict[str, Any] = {**values, "body": body.code}
        if values.get("deadline"):
            command["deadline"] = _utc(values["deadline"])
        if values.get("options"):
            command["options"] = [o for o in values["options"].splitlines() if o.strip()]
        return services.open_motion(
            uow, actor, parse(MotionIn, command), request.app.state.settings
        )

    return _on_body(
        request,
        actor,
        body_id,
        "motion",
        values,
        act,
        lambda m: (f"Vote on {m.reference} opened.", f"/governance/motions/{m.id}"),
    )


@router.post("/governance/bodies/{body_id}/actions")
def assign_page(
    body_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    values = form_values(form)
    body = services.get_body(_uow(request), actor, body_id)

    def act() -> Any:
        command = {k: v for k, v in values.items() if k != "owner"}
        command["body"] = body.code
        command["owner_id"] = _person(request, actor, values.get("owner"), "owner")
        try:
            return services.assign_action(
                uow, actor, parse(ActionItemIn, command), request.app.state.settings
            )
        except ValidationFailed as exc:
            raise ValidationFailed(
                [
                    type(p)("owner" if p.field == "owner_id" else p.field, p.message)
                    for p in exc.problems
                ]
            ) from exc

    return _on_body(
        request,
        actor,
        body_id,
        "action",
        values,
        act,
        lambda a: (f"Action {a.reference} assigned to {a.owner}.", f"/governance/bodies/{body_id}"),
    )


def _utc(value: str | None) -> str | None:
    """A datetime-local field's value (no zone) is taken as UTC, as the form says."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # the command's validation names the field
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


# --- meetings -------------------------------------------------------------------------------


def _meeting_detail(
    request: Request,
    actor: Principal,
    meeting_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    meeting = services.get_meeting(_uow(request), actor, meeting_id)
    body = services.get_body(_uow(request), actor, meeting.body_id)
    return render(
        request,
        "governance/meeting.html",
        actor,
        {"section": "governance", "m": meeting, "b": body, "errors": errors or {}},
        status_code=status_code,
    )


@router.get("/governance/meetings/{meeting_id}")
def meeting_page(meeting_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _meeting_detail(request, actor, meeting_id)


@router.get("/governance/meetings/{meeting_id}/invitation.ics")
def invitation_page(
    meeting_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    return Response(
        services.invitation(uow, actor, meeting_id),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="invitation.ics"'},
    )


def _on_meeting(
    request: Request,
    actor: Principal,
    meeting_id: uuid.UUID,
    form_name: str,
    act: Callable[[], Any],
) -> Response:
    try:
        act()
    except CoalitionError as exc:
        return _meeting_detail(
            request, actor, meeting_id, {form_name: form_errors(exc)}, exc.status
        )
    flash(request, "Meeting updated.")
    return RedirectResponse(f"/governance/meetings/{meeting_id}", status_code=303)


@router.post("/governance/meetings/{meeting_id}/minutes")
def minutes_page(
    meeting_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    present = [uuid.UUID(str(p)) for p in form.getlist("present") if str(p)]
    values = form_values(form)
    return _on_meeting(
        request,
        actor,
        meeting_id,
        "minutes",
        lambda: services.record_minutes(
            uow,
            actor,
            meeting_id,
            parse(MinutesIn, {"minutes": values.get("minutes", ""), "present": present}),
        ),
    )


@router.post("/governance/meetings/{meeting_id}/attachments")
def attach_page(
    meeting_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    return _on_meeting(
        request,
        actor,
        meeting_id,
        "attach",
        lambda: services.attach(uow, actor, meeting_id, parse(AttachmentIn, form_values(form))),
    )


@router.post("/governance/meetings/{meeting_id}/cancel")
def cancel_meeting_page(
    meeting_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    return _on_meeting(
        request,
        actor,
        meeting_id,
        "cancel",
        lambda: services.cancel_meeting(
            uow,
            actor,
            meeting_id,
            parse(MeetingCancelIn, form_values(form)),
            request.app.state.settings,
        ),
    )


# --- motions --------------------------------------------------------------------------------


def _motion_detail(
    request: Request,
    actor: Principal,
    motion_id: uuid.UUID,
    errors: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    motion = services.get_motion(_uow(request), actor, motion_id)
    return render(
        request,
        "governance/motion.html",
        actor,
        {"section": "governance", "v": motion, "errors": errors or {}},
        status_code=status_code,
    )


@router.get("/governance/motions/{motion_id}")
def motion_page(motion_id: uuid.UUID, request: Request, actor: WebPrincipal) -> Response:
    return _motion_detail(request, actor, motion_id)


def _on_motion(
    request: Request,
    actor: Principal,
    motion_id: uuid.UUID,
    form_name: str,
    act: Callable[[], Any],
) -> Response:
    try:
        done = act()
    except CoalitionError as exc:
        return _motion_detail(request, actor, motion_id, {form_name: form_errors(exc)}, exc.status)
    flash(
        request,
        done.explanation
        if done.status != "open"
        else f"Your vote on {done.reference} is recorded.",
    )
    return RedirectResponse(f"/governance/motions/{motion_id}", status_code=303)


@router.post("/governance/motions/{motion_id}/vote")
def vote_page(
    motion_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    return _on_motion(
        request,
        actor,
        motion_id,
        "vote",
        lambda: services.cast_vote(
            uow, actor, motion_id, parse(VoteIn, form_values(form)), request.app.state.settings
        ),
    )


@router.post("/governance/motions/{motion_id}/close")
def close_page(
    motion_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    return _on_motion(
        request,
        actor,
        motion_id,
        "close",
        lambda: services.close_motion(
            uow,
            actor,
            motion_id,
            parse(MotionCloseIn, form_values(form)),
            request.app.state.settings,
        ),
    )


@router.post("/governance/motions/{motion_id}/withdraw")
def withdraw_page(
    motion_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    return _on_motion(
        request,
        actor,
        motion_id,
        "withdraw",
        lambda: services.withdraw_motion(
            uow,
            actor,
            motion_id,
            parse(MotionWithdrawIn, form_values(form)),
            request.app.state.settings,
        ),
    )


# --- action items ---------------------------------------------------------------------------


@router.get("/governance/actions/{action_id}")
def action_page(
    action_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep
) -> Response:
    item = services.get_action(uow, actor, action_id)
    return render(
        request, "governance/action.html", actor, {"section": "governance", "a": item, "errors": {}}
    )


@router.post("/governance/actions/{action_id}/status")
def action_status_page(
    action_id: uuid.UUID, request: Request, actor: WebPrincipal, uow: UowDep, form: CheckedForm
) -> Response:
    try:
        item = services.update_action(
            uow, actor, action_id, parse(ActionItemUpdateIn, form_values(form))
        )
    except CoalitionError as exc:
        current = services.get_action(_uow(request), actor, action_id)
        return render(
            request,
            "governance/action.html",
            actor,
            {"section": "governance", "a": current, "errors": form_errors(exc)},
            status_code=exc.status,
        )
    flash(request, f"Action {item.reference} {item.status}.")
    return RedirectResponse(f"/governance/actions/{action_id}", status_code=303)
