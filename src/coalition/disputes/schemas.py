"""Commands and views of disputes. Agreements are named by reference, projects by code,
organisations by short name or id, disputes by reference. Levels are numbered from 1, the
first rung of the agreement's ladder."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from coalition.common.validation import Reason
from coalition.disputes.models import DisputeSubject
from coalition.registry.schemas import Command, View

REFERENCE = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"


class DisputeIn(Command):
    reference: str = Field(min_length=3, max_length=80, pattern=REFERENCE)
    agreement: str = Field(min_length=1, max_length=80, description="Agreement reference.")
    project: str | None = Field(
        default=None, max_length=40, description="Code of a project under the agreement."
    )
    subject: DisputeSubject
    title: str = Field(min_length=3, max_length=300)
    description: str = Field(min_length=3, max_length=20000)
    raised_by: str = Field(
        min_length=1,
        max_length=40,
        description="The raising organisation (short name or id), a party to the agreement.",
    )
    parties: list[str] = Field(
        min_length=1,
        max_length=50,
        description="The other organisations in the dispute (short names or ids), parties "
        "to the agreement.",
    )


class EscalationIn(Command):
    to_level: int | None = Field(
        default=None,
        ge=1,
        description="The level to go to (from 1); default the next one. It may only be the next.",
    )
    reason: Reason


class SettlementIn(Command):
    outcome: str = Field(min_length=3, max_length=5000, description="What the parties agreed.")


class WithdrawalIn(Command):
    reason: Reason


class PartyOut(View):
    organisation_id: uuid.UUID
    short_name: str
    name: str
    nation: str
    raiser: bool


class LevelOut(View):
    """One rung of the dispute's ladder as the page draws it."""

    number: int
    level: str
    days: int
    #: "passed", "current" or "ahead".
    state: str
    #: Current level: when its time runs out; a level ahead: when it would, if nobody
    #: settles the dispute; a level passed or a settled dispute: None.
    due: datetime | None


class StepOut(View):
    at: datetime
    #: raised, escalated (by hand), escalated_by_time, exhausted, resolved, withdrawn.
    kind: str
    level: int
    level_name: str
    by: str
    note: str | None


class DisputeOut(View):
    id: uuid.UUID
    reference: str
    agreement: str
    agreement_id: uuid.UUID
    project: str | None
    subject: str
    title: str
    description: str
    raised_by: str
    raised_by_id: uuid.UUID
    raised_at: datetime
    parties: list[PartyOut]
    status: str
    ladder: list[LevelOut]
    #: The current level, from 1.
    level: int
    level_name: str
    level_since: datetime
    level_due: datetime | None
    #: Seconds until the current level's time runs out (negative once overdue).
    seconds_left: int | None
    time_left: str | None
    overdue: bool
    exhausted: bool
    outcome: str | None
    settled_at: datetime | None
    steps: list[StepOut]
    #: Of "escalate", "settle", "withdraw": what the caller may do now.
    allowed_actions: list[str] = Field(default_factory=list)


class EscalatedOut(View):
    """What one automatic run did to one dispute."""

    dispute_id: uuid.UUID
    reference: str
    agreement: str
    from_level: int
    to_level: int
    level_name: str
    levels_climbed: int
    exhausted: bool
    level_due: datetime | None


class LadderAgreementOut(View):
    """An agreement a dispute may be raised under: its ladder and its parties."""

    reference: str
    title: str
    ladder: list[str]
    parties: list[str]
