"""Commands and views of requests for visit. Facilities are named by code, projects by code
and bookings by reference, as in the CLI; people by id (the CLI also takes an e-mail)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Self

from pydantic import Field, model_validator

from coalition.registry.schemas import Command, View
from coalition.visits.rules import LONGEST_VISIT


class VisitIn(Command):
    reference: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
    visitor_id: uuid.UUID
    facility: str = Field(min_length=2, max_length=40, description="Host facility code.")
    project: str | None = Field(
        default=None,
        max_length=40,
        description="Project the visit serves; needed for classified access.",
    )
    booking: str | None = Field(
        default=None, max_length=80, description="Reference of a booking the visit serves."
    )
    first_day: date
    last_day: date
    purpose: str = Field(min_length=3, max_length=2000)
    classified_access: bool = Field(
        default=False,
        description="The visitor needs access to the facility's classified or "
        "export-controlled information (its label), not only to its premises.",
    )
    late_justification: str | None = Field(
        default=None,
        min_length=10,
        max_length=2000,
        description="Why the visit cannot wait for the host nation's lead time.",
    )

    @model_validator(mode="after")
    def _days(self) -> Self:
        if self.last_day < self.first_day:
            raise ValueError("last_day: is before first_day")
        if self.last_day - self.first_day >= LONGEST_VISIT:
            raise ValueError(
                f"last_day: a visit lasts at most {LONGEST_VISIT.days} days; "
                "longer stays are assignments"
            )
        return self


class ClearanceConfirmationIn(Command):
    """The home security office's answer: the clearance is confirmed (the engine must agree
    that it covers the facility's label on every day of the visit) or refused."""

    outcome: str = Field(pattern="^(confirmed|refused)$")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _why(self) -> Self:
        if self.outcome == "refused" and not (self.note or "").strip():
            raise ValueError("note: say why the clearance is not confirmed")
        return self


class VisitDecisionIn(Command):
    """The host nation's answer; an approval names the escort when one is required."""

    outcome: str = Field(pattern="^(approved|rejected)$")
    escort_id: uuid.UUID | None = None
    note: str | None = Field(default=None, max_length=2000)


class VisitCancelIn(Command):
    reason: str = Field(min_length=3, max_length=2000)


class VisitOut(View):
    id: uuid.UUID
    reference: str
    visitor_id: uuid.UUID
    visitor: str
    visitor_organisation: str
    home_nation: str
    facility: str
    facility_id: uuid.UUID
    facility_name: str
    host_nation: str
    time_zone: str
    project: str | None
    booking: str | None
    booking_id: uuid.UUID | None
    booking_status: str | None
    first_day: date
    last_day: date
    purpose: str
    classified_access: bool
    status: str
    #: Who the request waits for: "clearance" (home office) or "host"; None once decided.
    waiting_for: str | None
    due: date | None
    standing: str | None
    requested_by: str
    requested_on: date
    late: bool
    late_justification: str | None
    clearance_needed: bool
    clearance_due: date | None
    decision_due: date
    clearance: str | None
    clearance_confirmed_by: str | None
    clearance_confirmed_at: datetime | None
    escort_required: bool
    escort_reason: str | None
    escort_id: uuid.UUID | None
    escort: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    allowed_actions: list[str] = Field(default_factory=list)


class ReminderOut(View):
    visit_id: uuid.UUID
    reference: str
    waiting_for: str
    office: str
    due: date
    standing: str
