"""Commands and views of projects."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from coalition.common.validation import Code, Name, PlanCode
from coalition.projects.models import (
    DeliverableStatus,
    MemberRole,
    MilestoneStatus,
    ParticipantRole,
    ProjectStatus,
)
from coalition.registry.schemas import Command, OrganisationRef, Patch, View


class ProjectIn(Command):
    code: Code
    title: Name
    agreement_id: uuid.UUID
    start_on: date
    end_on: date | None = None
    classification_ceiling: int = Field(default=0, ge=0, le=4)
    description: str | None = Field(default=None, max_length=10000)
    lead_organisation_id: uuid.UUID = Field(description="Joins as the lead participant.")


class ProjectUpdate(Patch):
    clearable = frozenset({"end_on", "description"})

    title: Name | None = None
    start_on: date | None = None
    end_on: date | None = None
    classification_ceiling: int | None = Field(default=None, ge=0, le=4)
    description: str | None = Field(default=None, max_length=10000)
    status: ProjectStatus | None = None


class ParticipantIn(Command):
    organisation_id: uuid.UUID
    role: ParticipantRole
    joined_on: date
    withdrew_on: date | None = None


class ParticipantUpdate(Patch):
    role: ParticipantRole | None = None


class WithdrawIn(Command):
    withdrew_on: date


class MemberIn(Command):
    person_id: uuid.UUID
    role: MemberRole
    joined_on: date
    left_on: date | None = None


class MemberUpdate(Patch):
    clearable = frozenset({"left_on"})

    role: MemberRole | None = None
    left_on: date | None = None


class WorkPackageIn(Command):
    code: PlanCode
    title: Name
    lead_organisation_id: uuid.UUID
    description: str | None = Field(default=None, max_length=10000)


class WorkPackageUpdate(Patch):
    clearable = frozenset({"description"})

    title: Name | None = None
    lead_organisation_id: uuid.UUID | None = None
    description: str | None = Field(default=None, max_length=10000)


class DeliverableIn(Command):
    code: PlanCode
    title: Name
    due_on: date


class DeliverableUpdate(Patch):
    title: Name | None = None
    due_on: date | None = None
    status: DeliverableStatus | None = None


class MilestoneIn(Command):
    code: PlanCode
    title: Name
    due_on: date


class TrlIn(Command):
    level: int = Field(ge=1, le=9, description="Technology readiness level, 1 to 9.")
    assessed_on: date
    note: str | None = Field(default=None, max_length=2000)


class MilestoneUpdate(Patch):
    clearable = frozenset({"achieved_on"})

    title: Name | None = None
    due_on: date | None = None
    status: MilestoneStatus | None = None
    achieved_on: date | None = None


class ParticipantOut(View):
    id: uuid.UUID
    organisation: OrganisationRef
    role: ParticipantRole
    joined_on: date
    withdrew_on: date | None


class PersonRef(View):
    id: uuid.UUID
    given_name: str
    family_name: str


class MemberOut(View):
    id: uuid.UUID
    person: PersonRef
    participant_id: uuid.UUID = Field(
        description="The participation the member is on the team for: their employer's "
        "when they joined. The membership ends when it does."
    )
    role: MemberRole
    joined_on: date
    left_on: date | None


class DeliverableOut(View):
    id: uuid.UUID
    code: str
    title: str
    due_on: date
    status: DeliverableStatus


class WorkPackageOut(View):
    id: uuid.UUID
    code: str
    title: str
    description: str | None
    lead_organisation: OrganisationRef
    deliverables: list[DeliverableOut]


class MilestoneOut(View):
    id: uuid.UUID
    code: str
    title: str
    due_on: date
    status: MilestoneStatus
    achieved_on: date | None


class TrlOut(View):
    assessed_on: date
    level: int
    note: str | None
    recorded_by: str


class AgreementRef(View):
    id: uuid.UUID
    reference: str
    title: str


class ProjectSummary(View):
    id: uuid.UUID
    code: str
    title: str
    status: ProjectStatus
    agreement: AgreementRef
    start_on: date
    end_on: date | None
    classification_ceiling: int


class ProjectOut(ProjectSummary):
    description: str | None
    participants: list[ParticipantOut]
    members: list[MemberOut]
    work_packages: list[WorkPackageOut]
    milestones: list[MilestoneOut]
    trl_assessments: list[TrlOut] = Field(
        default_factory=list, description="Readiness levels as assessed, oldest first."
    )
    allowed_actions: list[str] = Field(
        default_factory=list, description="Permissions the caller holds on this project."
    )
    created_at: datetime
    updated_at: datetime
    version: int
