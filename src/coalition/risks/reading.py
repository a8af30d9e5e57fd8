"""What a reader sees of the risk register: which risks (the readers of the project's
agreement, :class:`coalition.governance.readers.Readers`), what they may do with each, and
the views: a risk with its history and trend, the filters of a list, the heat map."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TypeVarTuple

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, selectinload

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import allowed_actions
from coalition.governance.readers import Readers
from coalition.projects.models import Participant, Project, WorkPackage
from coalition.projects.services import project_target
from coalition.registry.models import Person
from coalition.risks import rules
from coalition.risks.models import Risk, RiskStatus
from coalition.risks.schemas import AssessmentOut, HeatMapCell, HeatMapOut, RiskOut

#: What an owner may do without ``project:risk:manage``.
ASSESS = "assess"
#: A risk's score, in SQL.
score_column = Risk.likelihood * Risk.impact
Columns = TypeVarTuple("Columns")


def query() -> Select[Risk]:
    return select(Risk).options(
        selectinload(Risk.project)
        .selectinload(Project.participants)
        .selectinload(Participant.organisation),
        selectinload(Risk.work_package),
        selectinload(Risk.owner).selectinload(Person.employer),
        selectinload(Risk.assessments),
    )


class Register:
    """Who reads and who manages, for one use case: the project targets are computed once
    per project, since a list shows many risks of few projects."""

    def __init__(self, session: Session, actor: Principal) -> None:
        self.session, self.actor = session, actor
        self.readers = Readers(session, actor)
        self._targets: dict[uuid.UUID, Target] = {}

    def sees(self, risk: Risk) -> bool:
        return self.readers.may_read(risk.project.agreement_id)

    def target(self, project: Project) -> Target:
        if project.id not in self._targets:
            self._targets[project.id] = project_target(self.session, project)
        return self._targets[project.id]

    def actions(self, risk: Risk) -> list[str]:
        if risk.status is RiskStatus.CLOSED:
            return []
        found = allowed_actions(self.actor, self.target(risk.project), (Permission.RISK_MANAGE,))
        if found or owns(self.actor, risk):
            found.append(ASSESS)
        return found

    def out(self, risk: Risk) -> RiskOut:
        scores = [a.score for a in risk.assessments]
        history = [
            AssessmentOut(
                assessed_on=a.assessed_on,
                at=a.at,
                by=a.by,
                likelihood=a.likelihood,
                impact=a.impact,
                score=a.score,
                band=rules.band(a.score).value,
                status=a.status.value,
                trend=mark.value,
                note=a.note,
            )
            for a, mark in zip(risk.assessments, rules.trends(scores), strict=True)
        ]
        return RiskOut(
            id=risk.id,
            reference=risk.reference,
            project=risk.project.code,
            project_id=risk.project_id,
            project_title=risk.project.title,
            work_package=risk.work_package.code if risk.work_package else None,
            title=risk.title,
            description=risk.description,
            category=risk.category.value,
            likelihood=risk.likelihood,
            impact=risk.impact,
            score=risk.score,
            band=rules.band(risk.score).value,
            trend=rules.trend(scores).value,
            status=risk.status.value,
            owner_id=risk.owner_id,
            owner=risk.owner.full_name,
            owner_organisation=risk.owner.employer.short_name,
            mitigation=risk.mitigation,
            raised_on=risk.raised_on,
            closed_on=risk.closed_on,
            history=history,
            next_statuses=[s.value for s in rules.next_statuses(risk.status)],
            allowed_actions=self.actions(risk),
        )


def owns(actor: Principal, risk: Risk) -> bool:
    return actor.person_id is not None and actor.person_id == risk.owner_id


def filtered(
    query: Select[*Columns],
    readers: Readers,
    *,
    project: str | None = None,
    work_package: str | None = None,
    status: RiskStatus | None = None,
    live: bool = False,
    min_score: int | None = None,
    owner_id: uuid.UUID | None = None,
    likelihood: int | None = None,
    impact: int | None = None,
) -> Select[*Columns]:
    """The risks of readable agreements' projects that pass every filter given."""
    query = query.join(Project, Project.id == Risk.project_id)
    conditions: list[ColumnElement[bool]] = []
    readable = readers.agreement_ids()
    if readable is not None:
        conditions.append(Project.agreement_id.in_(readable))
    if project:
        conditions.append(Project.code == project.strip())
    if work_package:
        query = query.join(WorkPackage, WorkPackage.id == Risk.work_package_id)
        conditions.append(WorkPackage.code == work_package.strip())
    if status is not None:
        conditions.append(Risk.status == status)
    if live:
        conditions.append(Risk.status != RiskStatus.CLOSED)
    if min_score is not None:
        conditions.append(score_column >= min_score)
    if owner_id is not None:
        conditions.append(Risk.owner_id == owner_id)
    if likelihood is not None:
        conditions.append(Risk.likelihood == likelihood)
    if impact is not None:
        conditions.append(Risk.impact == impact)
    return query.where(*conditions)


def heat_map_of(
    ratings: Iterable[tuple[int, int]],
    *,
    project: str | None = None,
    work_package: str | None = None,
) -> HeatMapOut:
    grid = rules.heat_map(ratings)
    by_band = {b.value: 0 for b in rules.Band}
    cells: list[HeatMapCell] = []
    for likelihood in reversed(rules.RATINGS):
        for impact in rules.RATINGS:
            value = rules.score(likelihood, impact)
            count = grid[likelihood - 1][impact - 1]
            band = rules.band(value)
            by_band[band.value] += count
            cells.append(
                HeatMapCell(
                    likelihood=likelihood,
                    impact=impact,
                    score=value,
                    band=band.value,
                    count=count,
                )
            )
    return HeatMapOut(
        project=project.strip() if project else None,
        work_package=work_package.strip() if work_package else None,
        total=sum(map(sum, grid)),
        counts=[list(row) for row in grid],
        by_band=by_band,
        cells=cells,
    )
