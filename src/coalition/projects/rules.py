"""Pure rules of projects: status changes and whether a plan item is late."""

from __future__ import annotations

from datetime import date

from coalition.projects.models import MilestoneStatus, ProjectStatus

S = ProjectStatus

ALLOWED_TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    S.PROPOSED: frozenset({S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}


def transition_problem(current: ProjectStatus, wanted: ProjectStatus) -> str | None:
    if wanted == current or wanted in ALLOWED_TRANSITIONS[current]:
        return None
    allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "none (final status)"
    return f"cannot go from {current} to {wanted}; allowed from {current}: {allowed}"


def milestone_is_late(status: MilestoneStatus, due_on: date, today: date) -> bool:
    return status is MilestoneStatus.PLANNED and due_on < today
