"""Commands and views of the risk register. Projects and work packages are named by code,
as in the CLI; people by id (the CLI and the pages also take an e-mail)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from coalition.registry.schemas import Command, View
from coalition.risks.models import RiskCategory, RiskStatus


class RiskIn(Command):
    reference: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
    project: str = Field(min_length=1, max_length=40, description="The project's code.")
    work_package: str | None = Field(
        default=None,
        max_length=20,
        description="The code of the project's work package the risk belongs to, if one.",
    )
    title: str = Field(min_length=3, max_length=300)
    description: str | None = Field(default=None, max_length=10000)
    category: RiskCategory
    likelihood: int = Field(ge=1, le=5, description="1 rare to 5 almost certain.")
    impact: int = Field(ge=1, le=5, description="1 negligible to 5 severe.")
    owner_id: uuid.UUID = Field(
        description="An active person employed by an organisation taking part in the project."
    )
    mitigation: str | None = Field(default=None, max_length=10000)


class AssessmentIn(Command):
    """A risk as assessed today: every assessment is kept in its history."""

    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    status: RiskStatus
    mitigation: str | None = Field(
        default=None, max_length=10000, description="Replaces the mitigation, when given."
    )
    note: str | None = Field(default=None, max_length=2000)


class ReassignIn(Command):
    owner_id: uuid.UUID
    note: str | None = Field(default=None, max_length=2000)


class AssessmentOut(View):
    assessed_on: date
    at: datetime
    by: str
    likelihood: int
    impact: int
    score: int
    band: str
    status: str
    #: Against the assessment before: new, rising, falling or steady.
    trend: str
    note: str | None


class RiskOut(View):
    id: uuid.UUID
    reference: str
    project: str
    project_id: uuid.UUID
    project_title: str
    work_package: str | None
    title: str
    description: str | None
    category: str
    likelihood: int
    impact: int
    score: int
    band: str
    trend: str
    status: str
    owner_id: uuid.UUID
    owner: str
    owner_organisation: str
    mitigation: str | None
    raised_on: date
    closed_on: date | None
    #: Oldest first.
    history: list[AssessmentOut]
    #: The statuses an assessment may give the risk now (none once closed).
    next_statuses: list[str] = Field(default_factory=list)
    #: "assess" (the owner may), "project:risk:manage" (assess and reassign).
    allowed_actions: list[str] = Field(default_factory=list)


class HeatMapCell(View):
    likelihood: int
    impact: int
    score: int
    band: str
    count: int


class HeatMapOut(View):
    """How many live (not closed) risks sit at each likelihood and impact."""

    project: str | None
    work_package: str | None
    total: int
    #: counts[likelihood - 1][impact - 1]
    counts: list[list[int]]
    by_band: dict[str, int]
    #: The 25 cells as a table shows them: likelihood 5 down to 1, impact 1 to 5.
    cells: list[HeatMapCell]
