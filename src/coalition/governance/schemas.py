"""Commands and views of oversight bodies, meetings, motions, votes and action items.
Agreements are named by reference, projects and bodies by code, meetings, motions and
action items by reference, people by id (the CLI and the pages also take an e-mail)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Self

from pydantic import Field, field_validator, model_validator

from coalition.agreements.models import DecisionRule
from coalition.governance.models import BodyKind
from coalition.governance.rules import ABSTAIN, NOT_VOTED, PLAIN_OPTIONS
from coalition.registry.schemas import Command, View

REFERENCE = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
_LONGEST_MEETING = timedelta(days=5)


class BodyIn(Command):
    code: str = Field(min_length=2, max_length=40, pattern=REFERENCE)
    name: str = Field(min_length=3, max_length=300)
    kind: BodyKind
    agreement: str = Field(min_length=1, max_length=80, description="Agreement reference.")
    project: str | None = Field(
        default=None, max_length=40, description="Project code, for a body of one project."
    )
    decision_rule: DecisionRule | None = Field(
        default=None, description="Default: the agreement's decision rule."
    )
    qualified_majority_percent: int | None = Field(default=None, ge=51, le=100)
    quorum_percent: int = Field(default=50, ge=0, le=100)
    terms_of_reference: str | None = Field(default=None, max_length=20000)


class MemberIn(Command):
    person_id: uuid.UUID
    chair: bool = False
    voting: bool = True
    weight: int = Field(default=1, ge=1, le=1000)
    veto: bool = False
    joined_on: date | None = None

    @model_validator(mode="after")
    def _veto_votes(self) -> Self:
        if self.veto and not self.voting:
            raise ValueError("veto: only a voting member can hold a veto")
        return self


class MemberLeaveIn(Command):
    left_on: date | None = None


class MemberOut(View):
    id: uuid.UUID
    person_id: uuid.UUID
    name: str
    organisation: str
    nation: str
    chair: bool
    voting: bool
    weight: int
    veto: bool
    joined_on: date
    left_on: date | None


class BodyOut(View):
    id: uuid.UUID
    code: str
    name: str
    kind: str
    agreement: str
    agreement_id: uuid.UUID
    project: str | None
    decision_rule: str
    rule: str
    qualified_majority_percent: int | None
    quorum_percent: int
    status: str
    terms_of_reference: str | None
    members: list[MemberOut]
    allowed_actions: list[str] = Field(default_factory=list)


class MeetingIn(Command):
    reference: str = Field(min_length=3, max_length=80, pattern=REFERENCE)
    body: str = Field(min_length=2, max_length=40, description="Body code.")
    title: str = Field(min_length=3, max_length=300)
    starts_at: datetime
    ends_at: datetime
    location: str | None = Field(default=None, max_length=300)
    agenda: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2027-01-12T09:00:00+00:00")
        return value

    @field_validator("agenda")
    @classmethod
    def _items(cls, value: list[str]) -> list[str]:
        items = [item.strip() for item in value if item.strip()]
        if any(len(item) > 500 for item in items):
            raise ValueError("an agenda item is longer than 500 characters")
        return items

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after starts_at")
        if self.ends_at - self.starts_at > _LONGEST_MEETING:
            raise ValueError("ends_at: a meeting lasts at most 5 days")
        return self


class MeetingChangeIn(Command):
    """Reschedule or move a meeting; every field left out stays."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = Field(default=None, max_length=300)
    agenda: list[str] | None = Field(default=None, max_length=100)


class MeetingCancelIn(Command):
    reason: str = Field(min_length=3, max_length=2000)


class MinutesIn(Command):
    minutes: str = Field(min_length=3, max_length=200000)
    present: list[uuid.UUID] = Field(
        default_factory=list, description="People present (members or guests)."
    )


class AttachmentIn(Command):
    artifact: str = Field(min_length=1, max_length=40, description="Artifact reference.")


class AttendeeOut(View):
    person_id: uuid.UUID
    name: str
    nation: str
    present: bool


class AttachmentOut(View):
    artifact_id: uuid.UUID
    reference: str
    title: str
    banner: str


class MeetingOut(View):
    id: uuid.UUID
    reference: str
    body: str
    body_id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str | None
    agenda: list[str]
    status: str
    minutes: str | None
    minutes_by: str | None
    attendees: list[AttendeeOut]
    #: Only the attachments the reader may see; the others are not counted.
    attachments: list[AttachmentOut]
    motions: list[MotionSummary] = Field(default_factory=list)
    allowed_actions: list[str] = Field(default_factory=list)


class MotionIn(Command):
    reference: str = Field(min_length=3, max_length=80, pattern=REFERENCE)
    body: str = Field(min_length=2, max_length=40, description="Body code.")
    title: str = Field(min_length=3, max_length=300)
    text: str = Field(min_length=3, max_length=50000)
    options: list[str] = Field(default_factory=lambda: list(PLAIN_OPTIONS), max_length=20)
    procedure: str = Field(pattern="^(meeting|written)$")
    meeting: str | None = Field(
        default=None, max_length=80, description="Meeting reference (meeting procedure)."
    )
    deadline: datetime | None = Field(
        default=None, description="When a written procedure closes (with a time zone offset)."
    )
    effective_on: date | None = None

    @field_validator("options")
    @classmethod
    def _options(cls, value: list[str]) -> list[str]:
        # "for" and "against" keep their meaning whatever their case: "against" never
        # carries (coalition.governance.rules).
        options = [
            o.strip().lower() if o.strip().lower() in PLAIN_OPTIONS else o.strip()
            for o in value
            if o.strip()
        ]
        if len(options) < 2:
            raise ValueError("give at least two options")
        if len({o.lower() for o in options}) != len(options):
            raise ValueError("an option is given twice")
        if any(o.lower() == ABSTAIN for o in options):
            raise ValueError("'abstain' is always allowed; it is not an option")
        if any(o.lower() == NOT_VOTED for o in options):
            raise ValueError("'not voted' names the seats that did not vote; it is not an option")
        if any(len(o) > 200 for o in options):
            raise ValueError("an option is longer than 200 characters")
        return options

    @model_validator(mode="after")
    def _procedure(self) -> Self:
        if self.procedure == "written":
            if self.deadline is None:
                raise ValueError("deadline: a written procedure needs a deadline")
            if self.deadline.tzinfo is None:
                raise ValueError("deadline: give a time zone offset")
            if self.meeting:
                raise ValueError("meeting: a written procedure is not held in a meeting")
        elif not self.meeting:
            raise ValueError("meeting: a vote in a meeting names the meeting")
        return self


class VoteIn(Command):
    choice: str = Field(min_length=1, max_length=200)
    for_person: uuid.UUID | None = Field(
        default=None,
        description="In a meeting, the secretary records a member's vote (a show of hands); "
        "in a written procedure every member votes for themselves.",
    )


class MotionCloseIn(Command):
    note: str | None = Field(default=None, max_length=2000)


class MotionWithdrawIn(Command):
    reason: str = Field(min_length=3, max_length=2000)


class VoteOut(View):
    nation: str
    name: str
    weight: int
    choice: str
    cast_at: datetime


class SeatOut(View):
    nation: str
    name: str
    weight: int
    veto: bool
    voted: bool


class MotionSummary(View):
    id: uuid.UUID
    reference: str
    title: str
    body: str
    procedure: str
    status: str
    deadline: datetime | None
    carried_option: str | None
    explanation: str | None


class MotionOut(MotionSummary):
    body_id: uuid.UUID
    meeting: str | None
    meeting_id: uuid.UUID | None
    text: str
    options: list[str]
    rule: str
    quorum_percent: int
    opened_at: datetime
    opened_by: str
    effective_on: date | None
    closed_at: datetime | None
    closed_by: str | None
    tally: dict[str, int]
    seats: list[SeatOut]
    votes: list[VoteOut]
    #: The reader's own vote, if they hold a seat and voted.
    my_choice: str | None = None
    allowed_actions: list[str] = Field(default_factory=list)


class ActionItemIn(Command):
    reference: str = Field(min_length=3, max_length=80, pattern=REFERENCE)
    body: str = Field(min_length=2, max_length=40, description="Body code.")
    title: str = Field(min_length=3, max_length=300)
    owner_id: uuid.UUID
    due_on: date
    meeting: str | None = Field(default=None, max_length=80)
    motion: str | None = Field(default=None, max_length=80)


class ActionItemUpdateIn(Command):
    status: str = Field(pattern="^(done|cancelled)$")
    note: str | None = Field(default=None, max_length=2000)


class ActionItemOut(View):
    id: uuid.UUID
    reference: str
    body: str
    body_id: uuid.UUID
    title: str
    owner_id: uuid.UUID
    owner: str
    due_on: date
    status: str
    done_on: date | None
    note: str | None
    overdue: bool
    meeting: str | None
    motion: str | None
    allowed_actions: list[str] = Field(default_factory=list)


class TickOut(View):
    """One run of the governance clock."""

    motions_closed: list[str]
    disputes_escalated: list[str]
    reports_generated: list[str]
    reminders: int


MeetingOut.model_rebuild()
