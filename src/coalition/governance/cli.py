"""`coalition governance`: oversight bodies, meetings, votes and action items from the
command line. Bodies are named by code; meetings, motions and action items by reference;
people by id or e-mail. `coalition governance tick` is meant for a scheduler (cron, a
systemd timer), every few minutes."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime
from typing import Annotated

import typer

from coalition.cli.context import build, emit, operator, settings, uow, uow_maker
from coalition.governance import services
from coalition.governance.models import BodyKind, MotionStatus
from coalition.governance.schemas import (
    ActionItemIn,
    ActionItemUpdateIn,
    AttachmentIn,
    BodyIn,
    MeetingCancelIn,
    MeetingChangeIn,
    MeetingIn,
    MemberIn,
    MemberLeaveIn,
    MinutesIn,
    MotionCloseIn,
    MotionIn,
    MotionWithdrawIn,
    VoteIn,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Text = Annotated[str | None, typer.Option()]
Moment = Annotated[str, typer.Option(help="ISO 8601 with an offset, e.g. 2027-01-12T09:00+00:00")]


def register(app: typer.Typer) -> None:
    from coalition.techdata.cli import person_id

    group = typer.Typer(
        help="Oversight bodies: members, meetings, votes, action items.", no_args_is_help=True
    )
    app.add_typer(group, name="governance")
    bodies = typer.Typer(help="Oversight bodies and their members.", no_args_is_help=True)
    meetings = typer.Typer(help="Meetings: agenda, minutes, papers.", no_args_is_help=True)
    motions = typer.Typer(help="Motions and votes.", no_args_is_help=True)
    actions = typer.Typer(help="Action items.", no_args_is_help=True)
    group.add_typer(bodies, name="bodies")
    group.add_typer(meetings, name="meetings")
    group.add_typer(motions, name="motions")
    group.add_typer(actions, name="actions")

    def _body(code: str) -> uuid.UUID:
        return services.body_id_for(uow(), operator(), code)

    @bodies.command("list")
    def bodies_list(
        agreement: Annotated[str | None, typer.Option(help="Agreement reference.")] = None,
        project: Annotated[str | None, typer.Option(help="Project code.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Oversight bodies with their rule and quorum."""
        emit(
            services.list_bodies(uow(), operator(), agreement=agreement, project=project),
            as_json,
            ["code", "name", "kind", "agreement", "project", "rule", "quorum_percent", "status"],
        )

    @bodies.command("show")
    def bodies_show(code: str, as_json: JsonOpt = False) -> None:
        """One body with its members."""
        found = services.get_body(uow(), operator(), _body(code))
        if as_json:
            emit(found, True)
            return
        emit(found.model_copy(update={"members": []}), False)
        emit(
            found.members,
            False,
            ["name", "organisation", "nation", "chair", "voting", "weight", "veto", "left_on"],
        )

    @bodies.command("create")
    def bodies_create(
        code: Annotated[str, typer.Option()],
        name: Annotated[str, typer.Option()],
        kind: Annotated[BodyKind, typer.Option()],
        agreement: Annotated[str, typer.Option(help="Agreement reference.")],
        project: Annotated[str | None, typer.Option(help="Project code (a project board).")] = None,
        rule: Annotated[
            str | None,
            typer.Option(
                help="unanimity, consensus, majority or qualified_majority; "
                "default: the agreement's."
            ),
        ] = None,
        qualified_majority: Annotated[int | None, typer.Option(help="Percent.")] = None,
        quorum: Annotated[int, typer.Option(help="Percent of the voting weight.")] = 50,
        terms_of_reference: Text = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Set up an oversight body of an agreement or of one of its projects."""
        data = build(
            BodyIn,
            code=code,
            name=name,
            kind=kind,
            agreement=agreement,
            project=project,
            decision_rule=rule,
            qualified_majority_percent=qualified_majority,
            quorum_percent=quorum,
            terms_of_reference=terms_of_reference,
        )
        emit(services.create_body(uow(), operator(), data), as_json)

    @bodies.command("add-member")
    def bodies_add_member(
        code: str,
        person: Annotated[str, typer.Option(help="Person id or e-mail.")],
        chair: Annotated[bool, typer.Option()] = False,
        voting: Annotated[
            bool, typer.Option("--voting/--observer", help="Observers do not vote.")
        ] = True,
        weight: Annotated[int, typer.Option()] = 1,
        veto: Annotated[bool, typer.Option()] = False,
        joined_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Seat a person of a party organisation on the body, for their nation."""
        data = build(
            MemberIn,
            person_id=person_id(person),
            chair=chair,
            voting=voting,
            weight=weight,
            veto=veto,
            joined_on=joined_on,
        )
        emit(services.add_member(uow(), operator(), _body(code), data), as_json)

    @bodies.command("remove-member")
    def bodies_remove_member(
        code: str,
        person: Annotated[str, typer.Option(help="Person id or e-mail.")],
        left_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """A member leaves the body (kept in its record)."""
        body_id = _body(code)
        who = person_id(person)
        body = services.get_body(uow(), operator(), body_id)
        member = next((m for m in body.members if m.person_id == who and m.left_on is None), None)
        if member is None:
            typer.echo(f"person: does not sit on {body.code}", err=True)
            raise typer.Exit(3)
        data = build(MemberLeaveIn, left_on=left_on)
        emit(services.remove_member(uow(), operator(), body_id, member.id, data), as_json)

    def _meeting(reference: str) -> uuid.UUID:
        return services.meeting_id_for(uow(), operator(), reference)

    @meetings.command("list")
    def meetings_list(
        body: Annotated[str | None, typer.Option(help="Body code.")] = None,
        upcoming: Annotated[bool, typer.Option(help="Only meetings still to come.")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Meetings, earliest first."""
        emit(
            services.list_meetings(
                uow(), operator(), body_id=_body(body) if body else None, upcoming=upcoming
            ),
            as_json,
            ["reference", "body", "title", "starts_at", "ends_at", "location", "status"],
        )

    @meetings.command("show")
    def meetings_show(reference: str, as_json: JsonOpt = False) -> None:
        """One meeting: agenda, attendance, minutes, papers, motions."""
        emit(services.get_meeting(uow(), operator(), _meeting(reference)), as_json)

    @meetings.command("schedule")
    def meetings_schedule(
        reference: Annotated[str, typer.Option()],
        body: Annotated[str, typer.Option(help="Body code.")],
        title: Annotated[str, typer.Option()],
        starts_at: Moment,
        ends_at: Moment,
        location: Text = None,
        agenda: Annotated[
            list[str] | None, typer.Option(help="An agenda item; repeat for each, in order.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Schedule a meeting and invite the body's members."""
        data = build(
            MeetingIn,
            reference=reference,
            body=body,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            location=location,
            agenda=agenda or [],
        )
        emit(services.schedule_meeting(uow(), operator(), data, settings()), as_json)

    @meetings.command("change")
    def meetings_change(
        reference: str,
        starts_at: Annotated[str | None, typer.Option()] = None,
        ends_at: Annotated[str | None, typer.Option()] = None,
        location: Text = None,
        agenda: Annotated[list[str] | None, typer.Option(help="Replaces the agenda.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Reschedule or move a meeting; members get the updated invitation."""
        values: dict[str, object] = {
            k: v
            for k, v in {
                "starts_at": starts_at,
                "ends_at": ends_at,
                "location": location,
                "agenda": agenda,
            }.items()
            if v is not None
        }
        data = build(MeetingChangeIn, **values)
        emit(
            services.change_meeting(uow(), operator(), _meeting(reference), data, settings()),
            as_json,
        )

    @meetings.command("cancel")
    def meetings_cancel(
        reference: str, reason: Annotated[str, typer.Option()], as_json: JsonOpt = False
    ) -> None:
        """Cancel a scheduled meeting."""
        data = build(MeetingCancelIn, reason=reason)
        emit(
            services.cancel_meeting(uow(), operator(), _meeting(reference), data, settings()),
            as_json,
        )

    @meetings.command("minutes")
    def meetings_minutes(
        reference: str,
        minutes_file: Annotated[
            typer.FileText, typer.Option("--file", help="The minutes as text ('-': stdin).")
        ],
        present: Annotated[
            list[str] | None, typer.Option(help="Person id or e-mail present; repeat.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record the minutes and who was present; the meeting is then held."""
        data = build(
            MinutesIn,
            minutes=minutes_file.read(),
            present=[person_id(p, "present") for p in present or []],
        )
        emit(services.record_minutes(uow(), operator(), _meeting(reference), data), as_json)

    @meetings.command("attach")
    def meetings_attach(
        reference: str,
        artifact: Annotated[str, typer.Option(help="Artifact reference.")],
        as_json: JsonOpt = False,
    ) -> None:
        """Attach an artifact (a paper, slides) to a meeting."""
        data = build(AttachmentIn, artifact=artifact)
        emit(services.attach(uow(), operator(), _meeting(reference), data), as_json)

    @meetings.command("invitation")
    def meetings_invitation(reference: str) -> None:
        """Print the meeting's iCalendar invitation (pipe it to a file or a mail program)."""
        sys.stdout.write(
            services.invitation(uow(), operator(), _meeting(reference)).decode("utf-8")
        )

    def _motion(reference: str) -> uuid.UUID:
        return services.motion_id_for(uow(), operator(), reference)

    motion_columns = ["reference", "body", "title", "procedure", "deadline", "status"]

    @motions.command("list")
    def motions_list(
        body: Annotated[str | None, typer.Option(help="Body code.")] = None,
        status: Annotated[MotionStatus | None, typer.Option()] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Motions, newest first, with their status."""
        emit(
            services.list_motions(
                uow(), operator(), body_id=_body(body) if body else None, status=status
            ),
            as_json,
            [*motion_columns, "explanation"],
        )

    @motions.command("show")
    def motions_show(reference: str, as_json: JsonOpt = False) -> None:
        """One motion: text, seats, votes, tally and outcome."""
        emit(services.get_motion(uow(), operator(), _motion(reference)), as_json)

    @motions.command("open")
    def motions_open(
        reference: Annotated[str, typer.Option()],
        body: Annotated[str, typer.Option(help="Body code.")],
        title: Annotated[str, typer.Option()],
        text: Annotated[str, typer.Option(help="The motion's text.")],
        procedure: Annotated[str, typer.Option(help="meeting or written")],
        meeting: Annotated[str | None, typer.Option(help="Meeting reference.")] = None,
        deadline: Annotated[str | None, typer.Option(help="Written procedure's deadline.")] = None,
        option: Annotated[
            list[str] | None,
            typer.Option(help="A choice put to the vote; repeat. Default: for, against."),
        ] = None,
        effective_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Put a motion to the vote; the body's voting members are told."""
        values: dict[str, object] = {
            "reference": reference,
            "body": body,
            "title": title,
            "text": text,
            "procedure": procedure,
            "meeting": meeting,
            "deadline": deadline,
            "effective_on": effective_on,
        }
        if option:
            values["options"] = option
        emit(
            services.open_motion(uow(), operator(), build(MotionIn, **values), settings()), as_json
        )

    @motions.command("vote")
    def motions_vote(
        reference: str,
        choice: Annotated[str, typer.Option(help="An option, or abstain.")],
        member: Annotated[str, typer.Option(help="The member (id or e-mail) whose vote it is.")],
        as_json: JsonOpt = False,
    ) -> None:
        """Record a member's vote cast in a meeting (the secretary's record)."""
        data = build(VoteIn, choice=choice, for_person=person_id(member, "member"))
        emit(services.cast_vote(uow(), operator(), _motion(reference), data, settings()), as_json)

    @motions.command("close")
    def motions_close(reference: str, note: Text = None, as_json: JsonOpt = False) -> None:
        """Close a vote in a meeting and compute its outcome by the body's rule."""
        data = build(MotionCloseIn, note=note)
        emit(
            services.close_motion(uow(), operator(), _motion(reference), data, settings()), as_json
        )

    @motions.command("withdraw")
    def motions_withdraw(
        reference: str, reason: Annotated[str, typer.Option()], as_json: JsonOpt = False
    ) -> None:
        """Withdraw an open motion."""
        data = build(MotionWithdrawIn, reason=reason)
        emit(
            services.withdraw_motion(uow(), operator(), _motion(reference), data, settings()),
            as_json,
        )

    def _action(reference: str) -> uuid.UUID:
        return services.action_id_for(uow(), operator(), reference)

    action_columns = ["reference", "body", "title", "owner", "due_on", "status", "overdue"]

    @actions.command("list")
    def actions_list(
        body: Annotated[str | None, typer.Option(help="Body code.")] = None,
        owner: Annotated[str | None, typer.Option(help="Person id or e-mail.")] = None,
        open_only: Annotated[bool, typer.Option("--open", help="Only open items.")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Action items, soonest due first."""
        emit(
            services.list_actions(
                uow(),
                operator(),
                body_id=_body(body) if body else None,
                owner_id=person_id(owner, "owner") if owner else None,
                open_only=open_only,
            ),
            as_json,
            action_columns,
        )

    @actions.command("assign")
    def actions_assign(
        reference: Annotated[str, typer.Option()],
        body: Annotated[str, typer.Option(help="Body code.")],
        title: Annotated[str, typer.Option()],
        owner: Annotated[str, typer.Option(help="Person id or e-mail.")],
        due_on: Annotated[str, typer.Option(help="YYYY-MM-DD.")],
        meeting: Annotated[str | None, typer.Option(help="Meeting reference.")] = None,
        motion: Annotated[str | None, typer.Option(help="Motion reference.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Assign an action item to a person of a party."""
        data = build(
            ActionItemIn,
            reference=reference,
            body=body,
            title=title,
            owner_id=person_id(owner, "owner"),
            due_on=due_on,
            meeting=meeting,
            motion=motion,
        )
        emit(services.assign_action(uow(), operator(), data, settings()), as_json)

    @actions.command("done")
    def actions_done(reference: str, note: Text = None, as_json: JsonOpt = False) -> None:
        """Mark an action item done."""
        data = build(ActionItemUpdateIn, status="done", note=note)
        emit(services.update_action(uow(), operator(), _action(reference), data), as_json)

    @actions.command("cancel")
    def actions_cancel(
        reference: str, note: Annotated[str, typer.Option()], as_json: JsonOpt = False
    ) -> None:
        """Cancel an action item."""
        data = build(ActionItemUpdateIn, status="cancelled", note=note)
        emit(services.update_action(uow(), operator(), _action(reference), data), as_json)

    @group.command("tick")
    def tick(
        now: Annotated[
            str | None, typer.Option(help="Run as of this moment (ISO 8601); default now.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Close written procedures past their deadline, escalate overdue disputes, generate
        the scheduled reports of ended periods and send the day's reminders."""
        moment = None
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError:
                typer.echo(f"now: '{now}' is not an ISO 8601 moment", err=True)
                raise typer.Exit(1) from None
            if moment.tzinfo is None:
                typer.echo("now: give a time zone offset", err=True)
                raise typer.Exit(1)
        emit(services.tick(uow_maker(), operator(), settings(), moment), as_json)
