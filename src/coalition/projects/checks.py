"""Rules that keep a project consistent with its agreement, team and plan.

Each check reads rows already loaded and raises ValidationFailed naming the field in the
way; the use cases in services.py call them before they change anything, so no
half-changed row is flushed early.
"""

from __future__ import annotations

import uuid
from datetime import date

from coalition.agreements.models import Agreement, AgreementStatus
from coalition.common.validation import ranges_overlap
from coalition.errors import Problems, ValidationFailed
from coalition.projects.models import Member, Participant, ParticipantRole, Project, ProjectStatus
from coalition.projects.rules import transition_problem
from coalition.registry.models import Organisation, Person

CLOSED_AGREEMENT = {AgreementStatus.TERMINATED, AgreementStatus.EXPIRED}


def check_project(project: Project, agreement: Agreement) -> None:
    problems = Problems()
    if project.end_on is not None and project.end_on <= project.start_on:
        problems.add("end_on", "must be after start_on")
    if agreement.status in CLOSED_AGREEMENT:
        problems.add("agreement_id", f"the agreement is {agreement.status}")
    if project.start_on < agreement.effective_from:
        problems.add(
            "start_on", f"is before the agreement takes effect ({agreement.effective_from})"
        )
    if agreement.expires_on and (project.end_on is None or project.end_on > agreement.expires_on):
        problems.add("end_on", f"must not be after the agreement expires ({agreement.expires_on})")
    if project.classification_ceiling > agreement.classification_ceiling:
        problems.add(
            "classification_ceiling",
            f"exceeds the agreement's ceiling ({agreement.classification_ceiling})",
        )
    problems.raise_if_any()


def check_status_change(project: Project, wanted: ProjectStatus) -> None:
    problem = transition_problem(project.status, wanted)
    if problem:
        raise ValidationFailed.of("status", problem)
    agreement = project.agreement
    if wanted is ProjectStatus.ACTIVE and agreement.status is not AgreementStatus.IN_FORCE:
        raise ValidationFailed.of(
            "status", f"the agreement {agreement.reference} is {agreement.status}, not in force"
        )


def fit_team_and_plan(
    project: Project, start: date, end: date | None
) -> list[Participant | Member]:
    """Check that the plan and team fit new dates; return who moves with the start.

    Plan items must fall due within the dates, and nobody may join after the end.
    Participants and members who joined on the old start joined "from the start" and move
    with it (the lead joins so when the project is set up); anyone else who joined before
    the new start is in the way.
    """
    problems = Problems()
    plan = [(f"milestone {m.code}", m.due_on) for m in project.milestones] + [
        (f"deliverable {d.code} of {wp.code}", d.due_on)
        for wp in project.work_packages
        for d in wp.deliverables
    ]
    for label, due_on in plan:
        if due_on < start:
            problems.add("start_on", f"{label} is due {due_on}, before the new start")
        if end is not None and due_on > end:
            problems.add("end_on", f"{label} is due {due_on}, after the new end")
    moving: list[Participant | Member] = []
    team: list[tuple[Participant | Member, date | None]] = [
        *((p, p.withdrew_on) for p in project.participants),
        *((m, m.left_on) for m in project.members),
    ]
    for row, ended_on in team:
        if end is not None and row.joined_on > end:
            problems.add("end_on", f"{team_label(row)} joins on {row.joined_on}, after the new end")
        if row.joined_on >= start:
            continue
        if ended_on is not None and ended_on < start:
            problems.add("start_on", f"{team_label(row)} left on {ended_on}, before the new start")
        elif row.joined_on == project.start_on:
            moving.append(row)
        else:
            problems.add(
                "start_on", f"{team_label(row)} joined on {row.joined_on}, before the new start"
            )
    problems.raise_if_any()
    return moving


def team_label(row: Participant | Member) -> str:
    if isinstance(row, Participant):
        return f"participant {row.organisation.short_name}"
    return f"member {row.person.full_name}"


def check_due(project: Project, due_on: date) -> None:
    if due_on < project.start_on:
        raise ValidationFailed.of("due_on", f"is before the project starts ({project.start_on})")
    if project.end_on is not None and due_on > project.end_on:
        raise ValidationFailed.of("due_on", f"is after the project ends ({project.end_on})")


# --- participants ---------------------------------------------------------------------------


def check_participant_nation(agreement: Agreement, organisation: Organisation, field: str) -> None:
    nations = {p.organisation.nation_code for p in agreement.parties}
    if organisation.nation_code not in nations:
        raise ValidationFailed.of(
            field,
            f"{organisation.short_name} is from {organisation.nation_code}, which is not a party "
            f"to {agreement.reference} ({', '.join(sorted(nations))})",
        )


def check_new_participation(
    project: Project, organisation: Organisation, joined_on: date, withdrew_on: date | None
) -> None:
    problems = Problems()
    if withdrew_on is not None and withdrew_on < joined_on:
        problems.add("withdrew_on", "must not be before joined_on")
    if joined_on < project.start_on:
        problems.add("joined_on", f"is before the project starts ({project.start_on})")
    if project.end_on is not None and joined_on > project.end_on:
        problems.add("joined_on", f"is after the project ends ({project.end_on})")
    problems.raise_if_any()
    for other in project.participants:
        if other.organisation_id == organisation.id and ranges_overlap(
            joined_on, withdrew_on, other.joined_on, other.withdrew_on
        ):
            raise ValidationFailed.of(
                "joined_on", f"{organisation.short_name} already takes part in that period"
            )


def check_not_last_lead(project: Project, participant: Participant, field: str) -> None:
    """The current leads are who governs the project at organisation level: keep one."""

    def current_lead(p: Participant) -> bool:
        return p.role is ParticipantRole.LEAD and p.withdrew_on is None

    if current_lead(participant) and not any(
        current_lead(p) for p in project.participants if p is not participant
    ):
        raise ValidationFailed.of(
            field,
            f"{participant.organisation.short_name} is the only current lead of {project.code}; "
            "appoint another lead first",
        )


def leaving_with(project: Project, participant: Participant, on: date) -> list[Member]:
    """The memberships this participation sponsors that are still open on the day it
    withdraws, whoever employs the members now."""
    employees = [
        m
        for m in project.members
        if m.participant_id == participant.id and (m.left_on is None or m.left_on > on)
    ]
    for member in employees:
        if member.joined_on > on:
            raise ValidationFailed.of(
                "withdrew_on",
                f"{member.person.full_name} joins the team on {member.joined_on}, after this date",
            )
    return employees


# --- members --------------------------------------------------------------------------------


def check_new_member(
    project: Project, person: Person, joined_on: date, left_on: date | None
) -> Participant:
    """Check a new membership; return the participation that sponsors it: the one of the
    person's employer on the day they join."""
    if left_on is not None and left_on < joined_on:
        raise ValidationFailed.of("left_on", "must not be before joined_on")
    if project.end_on is not None and joined_on > project.end_on:
        raise ValidationFailed.of("joined_on", f"is after the project ends ({project.end_on})")
    participation = _employer_participation(project, person, joined_on)
    if participation is None:
        raise ValidationFailed.of(
            "person_id",
            f"{person.full_name}'s employer {person.employer.short_name} does not take part "
            f"in {project.code} on {joined_on}",
        )
    _check_ends_by_withdrawal(person, participation, left_on)
    for other in project.members:
        if other.person_id == person.id and ranges_overlap(
            joined_on, left_on, other.joined_on, other.left_on
        ):
            raise ValidationFailed.of("joined_on", f"{person.full_name} is already a member then")
    return participation


def check_membership_end(project: Project, member: Member, left_on: date | None) -> None:
    """A membership ends on or after it began, before the person's next one, and no later
    than the withdrawal of the participation that sponsors it (even if the person has
    changed employer since)."""
    person = member.person
    if left_on is not None and left_on < member.joined_on:
        raise ValidationFailed.of("left_on", f"must not be before joined_on ({member.joined_on})")
    for other in project.members:
        if (
            other is not member
            and other.person_id == person.id
            and ranges_overlap(member.joined_on, left_on, other.joined_on, other.left_on)
        ):
            raise ValidationFailed.of(
                "left_on",
                f"{person.full_name} is a member again from {other.joined_on}; end this one then",
            )
    _check_ends_by_withdrawal(person, member.participant, left_on)


def _employer_participation(project: Project, person: Person, on: date) -> Participant | None:
    for p in project.participants:
        if (
            p.organisation_id == person.employer_id
            and p.joined_on <= on
            and (p.withdrew_on is None or on < p.withdrew_on)
        ):
            return p
    return None


def _check_ends_by_withdrawal(
    person: Person, participation: Participant, left_on: date | None
) -> None:
    withdrew_on = participation.withdrew_on
    if withdrew_on is not None and (left_on is None or left_on > withdrew_on):
        sponsor = participation.organisation.short_name
        raise ValidationFailed.of(
            "left_on",
            f"{person.full_name} is on the team for {sponsor}; {sponsor} withdrew on "
            f"{withdrew_on}, so the membership must end by then",
        )


# --- plan -----------------------------------------------------------------------------------


def work_package_lead(project: Project, organisation_id: uuid.UUID) -> Organisation:
    """A work package is led by a current participant: one that has neither withdrawn nor
    set a date to withdraw."""
    participations = [p for p in project.participants if p.organisation_id == organisation_id]
    for participant in participations:
        if participant.withdrew_on is None:
            return participant.organisation
    if not participations:
        raise ValidationFailed.of("lead_organisation_id", f"is not a participant of {project.code}")
    last = participations[-1]
    raise ValidationFailed.of(
        "lead_organisation_id",
        f"the participation of {last.organisation.short_name} in {project.code} ends on "
        f"{last.withdrew_on}; a work package needs a current participant to lead it",
    )
