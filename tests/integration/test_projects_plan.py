"""A project's team and plan stay consistent with each other and with its dates, on SQLite
and PostgreSQL: leads, withdrawals, memberships, work packages and date changes."""

from __future__ import annotations

import uuid
from datetime import date

import pydantic
import pytest

from coalition.accounts.permissions import Grant, Permission, Principal, Role, ScopeKind
from coalition.audit.services import list_events
from coalition.common.paging import PageRequest
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.projects import services as projects
from coalition.projects.schemas import (
    DeliverableIn,
    DeliverableUpdate,
    MemberIn,
    MemberUpdate,
    MilestoneIn,
    MilestoneUpdate,
    ParticipantIn,
    ParticipantOut,
    ParticipantUpdate,
    ProjectIn,
    ProjectOut,
    ProjectUpdate,
    WithdrawIn,
    WorkPackageIn,
    WorkPackageUpdate,
)
from coalition.registry.people import create_person, update_person
from coalition.registry.schemas import PersonIn, PersonUpdate
from tests.conftest import UowFactory
from tests.factories import World, make_world

START = date(2024, 1, 1)


@pytest.fixture
def world(uow: UowFactory, operator: Principal) -> World:
    return make_world(uow, operator)


@pytest.fixture
def project(uow: UowFactory, operator: Principal, world: World) -> ProjectOut:
    """SENSE, led by the USA lab from its start (2024-01-01) to 2028-01-01."""
    return projects.create_project(
        uow(),
        operator,
        ProjectIn(
            code="SENSE",
            title="Sensor fusion",
            agreement_id=world.mou,
            start_on=START,
            end_on=date(2028, 1, 1),
            lead_organisation_id=world.usa_lab,
        ),
    )


def join(
    uow: UowFactory,
    operator: Principal,
    project: ProjectOut,
    organisation_id: uuid.UUID,
    role: str = "partner",
    on: date = date(2024, 3, 1),
) -> ParticipantOut:
    return projects.add_participant(
        uow(),
        operator,
        project.id,
        ParticipantIn(organisation_id=organisation_id, role=role, joined_on=on),
    )


def add_member(
    uow: UowFactory,
    operator: Principal,
    project: ProjectOut,
    person_id: uuid.UUID,
    on: date = date(2024, 3, 1),
    left_on: date | None = None,
) -> uuid.UUID:
    member = projects.add_member(
        uow(),
        operator,
        project.id,
        MemberIn(person_id=person_id, role="researcher", joined_on=on, left_on=left_on),
    )
    return member.id


def move(uow: UowFactory, operator: Principal, person_id: uuid.UUID, employer: uuid.UUID) -> None:
    update_person(uow(), operator, person_id, PersonUpdate(employer_id=employer))


def lead_of(project: ProjectOut) -> uuid.UUID:
    return project.participants[0].id


def fields(caught: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {p.field for p in caught.value.problems}


def last_event(uow: UowFactory, operator: Principal, tag: str) -> dict[str, object]:
    events = list_events(uow(), operator, PageRequest(limit=1), tag=tag).items
    return dict(events[0].details)


# --- leads and withdrawals ------------------------------------------------------------------


def test_the_only_current_lead_cannot_withdraw(
    uow: UowFactory, operator: Principal, project: ProjectOut
) -> None:
    with pytest.raises(ValidationFailed, match="only current lead of SENSE") as caught:
        projects.withdraw_participant(
            uow(), operator, lead_of(project), WithdrawIn(withdrew_on=date(2025, 1, 1))
        )
    assert fields(caught) == {"withdrew_on"}
    assert "appoint another lead first" in str(caught.value)


def test_a_lead_may_withdraw_once_another_lead_is_appointed(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    partner = join(uow, operator, project, world.gbr_lab)
    promoted = projects.update_participant(
        uow(), operator, partner.id, ParticipantUpdate(role="lead")
    )
    assert promoted.role == "lead"
    gone = projects.withdraw_participant(
        uow(), operator, lead_of(project), WithdrawIn(withdrew_on=date(2025, 1, 1))
    )
    assert gone.withdrew_on == date(2025, 1, 1)


def test_demoting_the_last_current_lead_is_refused(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    with pytest.raises(ValidationFailed, match="appoint another lead first") as caught:
        projects.update_participant(
            uow(), operator, lead_of(project), ParticipantUpdate(role="partner")
        )
    assert fields(caught) == {"role"}
    join(uow, operator, project, world.gbr_lab, role="lead")
    demoted = projects.update_participant(
        uow(), operator, lead_of(project), ParticipantUpdate(role="partner")
    )
    assert demoted.role == "partner"


def test_withdrawing_an_organisation_ends_its_employees_memberships(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    partner = join(uow, operator, project, world.gbr_lab)
    open_ended = add_member(uow, operator, project, world.bob)
    usa_member = add_member(uow, operator, project, world.alice)
    projects.withdraw_participant(
        uow(), operator, partner.id, WithdrawIn(withdrew_on=date(2025, 6, 30))
    )
    shown = projects.get_project(uow(), operator, project.id)
    left = {m.id: m.left_on for m in shown.members}
    assert left == {open_ended: date(2025, 6, 30), usa_member: None}
    details = last_event(uow, operator, "projects:participant:withdraw")
    assert details["withdrew_on"] == "2025-06-30"
    assert details["memberships_ended"] == [{"member_id": str(open_ended), "person": "Bob Baker"}]


def test_withdrawal_shortens_a_membership_that_would_outlast_it_and_keeps_earlier_ends(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    partner = join(uow, operator, project, world.gbr_lab)
    carol = create_person(
        uow(),
        operator,
        PersonIn(
            given_name="Carol",
            family_name="Clark",
            email="carol@uksl.example",
            employer_id=world.gbr_lab,
            citizenships=["GBR"],
        ),
    )
    later = add_member(uow, operator, project, world.bob, left_on=date(2026, 1, 1))
    earlier = add_member(uow, operator, project, carol.id, left_on=date(2024, 6, 1))
    projects.withdraw_participant(
        uow(), operator, partner.id, WithdrawIn(withdrew_on=date(2025, 1, 1))
    )
    left = {m.id: m.left_on for m in projects.get_project(uow(), operator, project.id).members}
    assert left == {later: date(2025, 1, 1), earlier: date(2024, 6, 1)}


def test_withdrawal_before_an_employee_joins_is_refused_naming_them(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    partner = join(uow, operator, project, world.gbr_lab)
    add_member(uow, operator, project, world.bob, on=date(2025, 3, 1))
    with pytest.raises(ValidationFailed, match="Bob Baker joins the team on 2025-03-01"):
        projects.withdraw_participant(
            uow(), operator, partner.id, WithdrawIn(withdrew_on=date(2025, 1, 1))
        )
    assert projects.get_project(uow(), operator, project.id).participants[1].withdrew_on is None


def test_unknown_participant_is_not_found(uow: UowFactory, operator: Principal) -> None:
    with pytest.raises(NotFound, match="no participant"):
        projects.update_participant(uow(), operator, uuid.uuid4(), ParticipantUpdate(role="lead"))


def test_unknown_team_and_plan_rows_are_not_found(uow: UowFactory, operator: Principal) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match="no project"):
        projects.update_project(uow(), operator, missing, ProjectUpdate(title="Gone"))
    with pytest.raises(NotFound, match="no project"):
        projects.add_participant(
            uow(),
            operator,
            missing,
            ParticipantIn(organisation_id=uuid.uuid4(), role="partner", joined_on=START),
        )
    with pytest.raises(NotFound, match="no member"):
        projects.update_member(uow(), operator, missing, MemberUpdate(role="observer"))
    with pytest.raises(NotFound, match="no work package"):
        projects.add_deliverable(
            uow(), operator, missing, DeliverableIn(code="D1", title="R", due_on=START)
        )
    with pytest.raises(NotFound, match="no deliverable"):
        projects.update_deliverable(uow(), operator, missing, DeliverableUpdate(title="R"))
    with pytest.raises(NotFound, match="no milestone"):
        projects.update_milestone(uow(), operator, missing, MilestoneUpdate(title="M"))


def test_a_participant_cannot_join_after_the_project_ends(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    with pytest.raises(ValidationFailed, match=r"after the project ends \(2028-01-01\)") as caught:
        join(uow, operator, project, world.gbr_lab, on=date(2028, 1, 2))
    assert fields(caught) == {"joined_on"}
    assert join(uow, operator, project, world.gbr_lab, on=date(2028, 1, 1))


# --- members --------------------------------------------------------------------------------


def test_member_role_and_end_can_be_changed_and_the_end_cleared(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    member = add_member(uow, operator, project, world.alice)
    changed = projects.update_member(
        uow(),
        operator,
        member,
        MemberUpdate(role="technical_lead", left_on=date(2025, 1, 1)),
    )
    assert (changed.role, changed.left_on) == ("technical_lead", date(2025, 1, 1))
    assert last_event(uow, operator, "projects:member:update") == {
        "role": "technical_lead",
        "left_on": "2025-01-01",
    }
    reopened = projects.update_member(
        uow(), operator, member, MemberUpdate.model_validate({"left_on": None})
    )
    assert reopened.left_on is None


def test_member_cannot_leave_before_joining(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    member = add_member(uow, operator, project, world.alice)
    with pytest.raises(ValidationFailed, match=r"before joined_on \(2024-03-01\)") as caught:
        projects.update_member(uow(), operator, member, MemberUpdate(left_on=date(2024, 2, 1)))
    assert fields(caught) == {"left_on"}


def test_membership_cannot_be_stretched_over_the_next_one_of_the_same_person(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    first = add_member(uow, operator, project, world.alice, left_on=date(2024, 6, 1))
    add_member(uow, operator, project, world.alice, on=date(2025, 1, 1))
    with pytest.raises(ValidationFailed, match="member again from 2025-01-01") as caught:
        projects.update_member(uow(), operator, first, MemberUpdate(left_on=date(2025, 2, 1)))
    assert fields(caught) == {"left_on"}
    with pytest.raises(ValidationFailed, match="member again"):
        projects.update_member(
            uow(), operator, first, MemberUpdate.model_validate({"left_on": None})
        )
    ends_in_time = projects.update_member(
        uow(), operator, first, MemberUpdate(left_on=date(2025, 1, 1))
    )
    assert ends_in_time.left_on == date(2025, 1, 1)


def test_membership_cannot_outlast_the_employers_withdrawal(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    partner = join(uow, operator, project, world.gbr_lab)
    member = add_member(uow, operator, project, world.bob)
    projects.withdraw_participant(
        uow(), operator, partner.id, WithdrawIn(withdrew_on=date(2025, 1, 1))
    )
    with pytest.raises(ValidationFailed, match="UKSL withdrew on 2025-01-01") as caught:
        projects.update_member(
            uow(), operator, member, MemberUpdate.model_validate({"left_on": None})
        )
    assert fields(caught) == {"left_on"}


def test_a_new_membership_must_end_by_the_employers_planned_withdrawal(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    projects.add_participant(
        uow(),
        operator,
        project.id,
        ParticipantIn(
            organisation_id=world.gbr_lab,
            role="subcontractor",
            joined_on=date(2024, 3, 1),
            withdrew_on=date(2024, 12, 31),
        ),
    )
    with pytest.raises(ValidationFailed, match="UKSL withdrew on 2024-12-31") as caught:
        add_member(uow, operator, project, world.bob)
    assert fields(caught) == {"left_on"}
    assert add_member(uow, operator, project, world.bob, left_on=date(2024, 12, 31))


def test_a_member_cannot_join_after_the_project_ends(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    with pytest.raises(ValidationFailed, match=r"after the project ends \(2028-01-01\)") as caught:
        add_member(uow, operator, project, world.alice, on=date(2028, 1, 2))
    assert fields(caught) == {"joined_on"}


def test_a_member_is_on_the_team_for_the_participation_covering_the_day_they_joined(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    first = projects.add_participant(
        uow(),
        operator,
        project.id,
        ParticipantIn(
            organisation_id=world.gbr_lab,
            role="partner",
            joined_on=date(2024, 3, 1),
            withdrew_on=date(2024, 12, 31),
        ),
    )
    second = join(uow, operator, project, world.gbr_lab, on=date(2025, 6, 1))
    early = add_member(uow, operator, project, world.bob, left_on=date(2024, 12, 31))
    late = add_member(uow, operator, project, world.bob, on=date(2025, 7, 1))
    shown = projects.get_project(uow(), operator, project.id)
    assert {m.id: m.participant_id for m in shown.members} == {early: first.id, late: second.id}
    assert last_event(uow, operator, "projects:member:create")["participant_id"] == str(second.id)


def test_a_membership_ended_by_a_withdrawal_stays_ended_after_the_member_changes_employer(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    partner = join(uow, operator, project, world.gbr_lab)
    member = add_member(uow, operator, project, world.bob)
    projects.withdraw_participant(
        uow(), operator, partner.id, WithdrawIn(withdrew_on=date(2025, 1, 1))
    )
    move(uow, operator, world.bob, world.fra_lab)
    with pytest.raises(
        ValidationFailed, match="Bob Baker is on the team for UKSL; UKSL withdrew on 2025-01-01"
    ) as caught:
        projects.update_member(
            uow(), operator, member, MemberUpdate.model_validate({"left_on": None})
        )
    assert fields(caught) == {"left_on"}
    with pytest.raises(ValidationFailed, match="UKSL withdrew on 2025-01-01"):
        projects.update_member(uow(), operator, member, MemberUpdate(left_on=date(2025, 6, 1)))
    earlier = projects.update_member(
        uow(), operator, member, MemberUpdate(left_on=date(2024, 9, 1))
    )
    assert earlier.left_on == date(2024, 9, 1)


def test_withdrawal_ends_the_memberships_it_sponsors_after_their_members_changed_employer(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    partner = join(uow, operator, project, world.gbr_lab)
    member = add_member(uow, operator, project, world.bob)
    move(uow, operator, world.bob, world.fra_lab)
    projects.withdraw_participant(
        uow(), operator, partner.id, WithdrawIn(withdrew_on=date(2025, 1, 1))
    )
    shown = projects.get_project(uow(), operator, project.id)
    assert {m.id: m.left_on for m in shown.members} == {member: date(2025, 1, 1)}
    details = last_event(uow, operator, "projects:participant:withdraw")
    assert details["memberships_ended"] == [{"member_id": str(member), "person": "Bob Baker"}]


def test_withdrawal_leaves_alone_a_membership_for_another_participant_of_a_new_employee(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    """Alice joined the team for the USA lab before the UK lab hired her."""
    partner = join(uow, operator, project, world.gbr_lab)
    alice = add_member(uow, operator, project, world.alice)
    move(uow, operator, world.alice, world.gbr_lab)
    projects.withdraw_participant(
        uow(), operator, partner.id, WithdrawIn(withdrew_on=date(2025, 1, 1))
    )
    shown = projects.get_project(uow(), operator, project.id)
    assert {m.id: m.left_on for m in shown.members} == {alice: None}


# --- work packages --------------------------------------------------------------------------


def test_work_package_can_be_renamed_and_handed_to_another_participant(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    join(uow, operator, project, world.gbr_lab)
    wp = projects.add_work_package(
        uow(),
        operator,
        project.id,
        WorkPackageIn(code="WP1", title="Fusion", lead_organisation_id=world.usa_lab),
    )
    changed = projects.update_work_package(
        uow(),
        operator,
        wp.id,
        WorkPackageUpdate(title="Fusion trials", lead_organisation_id=world.gbr_lab),
    )
    assert (changed.title, changed.lead_organisation.short_name) == ("Fusion trials", "UKSL")
    shown = projects.get_project(uow(), operator, project.id).work_packages[0]
    assert shown.lead_organisation.id == world.gbr_lab


def test_work_package_lead_must_stay_a_participant(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    wp = projects.add_work_package(
        uow(),
        operator,
        project.id,
        WorkPackageIn(code="WP1", title="Fusion", lead_organisation_id=world.usa_lab),
    )
    with pytest.raises(ValidationFailed, match="is not a participant of SENSE") as caught:
        projects.update_work_package(
            uow(), operator, wp.id, WorkPackageUpdate(lead_organisation_id=world.gbr_lab)
        )
    assert fields(caught) == {"lead_organisation_id"}


def test_an_organisation_that_has_withdrawn_or_will_cannot_lead_a_work_package(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    partner = join(uow, operator, project, world.gbr_lab)
    projects.withdraw_participant(
        uow(), operator, partner.id, WithdrawIn(withdrew_on=date(2025, 1, 1))
    )
    gone = "the participation of UKSL in SENSE ends on 2025-01-01"
    with pytest.raises(ValidationFailed, match=gone) as caught:
        projects.add_work_package(
            uow(),
            operator,
            project.id,
            WorkPackageIn(code="WP1", title="Fusion", lead_organisation_id=world.gbr_lab),
        )
    assert fields(caught) == {"lead_organisation_id"}
    wp = projects.add_work_package(
        uow(),
        operator,
        project.id,
        WorkPackageIn(code="WP1", title="Fusion", lead_organisation_id=world.usa_lab),
    )
    with pytest.raises(ValidationFailed, match=gone):
        projects.update_work_package(
            uow(), operator, wp.id, WorkPackageUpdate(lead_organisation_id=world.gbr_lab)
        )
    projects.add_participant(
        uow(),
        operator,
        project.id,
        ParticipantIn(
            organisation_id=world.gbr_lab,
            role="partner",
            joined_on=date(2025, 6, 1),
            withdrew_on=date(2026, 1, 1),
        ),
    )
    with pytest.raises(ValidationFailed, match="UKSL in SENSE ends on 2026-01-01"):
        projects.update_work_package(
            uow(), operator, wp.id, WorkPackageUpdate(lead_organisation_id=world.gbr_lab)
        )


def test_an_organisation_that_rejoined_may_lead_a_work_package_again(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    partner = join(uow, operator, project, world.gbr_lab)
    projects.withdraw_participant(
        uow(), operator, partner.id, WithdrawIn(withdrew_on=date(2025, 1, 1))
    )
    join(uow, operator, project, world.gbr_lab, on=date(2025, 6, 1))
    wp = projects.add_work_package(
        uow(),
        operator,
        project.id,
        WorkPackageIn(code="WP1", title="Fusion", lead_organisation_id=world.gbr_lab),
    )
    assert wp.lead_organisation.short_name == "UKSL"


def test_a_work_package_whose_lead_withdrew_can_still_be_renamed(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    partner = join(uow, operator, project, world.gbr_lab)
    wp = projects.add_work_package(
        uow(),
        operator,
        project.id,
        WorkPackageIn(code="WP1", title="Fusion", lead_organisation_id=world.gbr_lab),
    )
    projects.withdraw_participant(
        uow(), operator, partner.id, WithdrawIn(withdrew_on=date(2025, 1, 1))
    )
    renamed = projects.update_work_package(
        uow(),
        operator,
        wp.id,
        WorkPackageUpdate(title="Fusion trials", lead_organisation_id=world.gbr_lab),
    )
    assert (renamed.title, renamed.lead_organisation.short_name) == ("Fusion trials", "UKSL")


# --- project dates --------------------------------------------------------------------------


def plan(uow: UowFactory, operator: Principal, project: ProjectOut) -> None:
    """M1 due 2025-01-01; D1.1 of WP1 due 2027-06-30."""
    projects.add_milestone(
        uow(), operator, project.id, MilestoneIn(code="M1", title="Trial", due_on=date(2025, 1, 1))
    )
    wp = projects.add_work_package(
        uow(),
        operator,
        project.id,
        WorkPackageIn(code="WP1", title="Fusion", lead_organisation_id=project_lead(project)),
    )
    projects.add_deliverable(
        uow(), operator, wp.id, DeliverableIn(code="D1.1", title="Report", due_on=date(2027, 6, 30))
    )


def project_lead(project: ProjectOut) -> uuid.UUID:
    return project.participants[0].organisation.id


def test_start_after_a_milestone_is_refused_naming_it(
    uow: UowFactory, operator: Principal, project: ProjectOut
) -> None:
    plan(uow, operator, project)
    with pytest.raises(ValidationFailed) as caught:
        projects.update_project(
            uow(), operator, project.id, ProjectUpdate(start_on=date(2025, 3, 1))
        )
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("start_on", "milestone M1 is due 2025-01-01, before the new start")
    ]


def test_end_before_a_deliverable_is_refused_naming_it(
    uow: UowFactory, operator: Principal, project: ProjectOut
) -> None:
    plan(uow, operator, project)
    with pytest.raises(ValidationFailed) as caught:
        projects.update_project(uow(), operator, project.id, ProjectUpdate(end_on=date(2027, 1, 1)))
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("end_on", "deliverable D1.1 of WP1 is due 2027-06-30, after the new end")
    ]


def test_start_after_a_later_joiner_is_refused_naming_participant_and_member(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    join(uow, operator, project, world.gbr_lab, on=date(2024, 3, 1))
    add_member(uow, operator, project, world.bob, on=date(2024, 4, 1))
    with pytest.raises(ValidationFailed) as caught:
        projects.update_project(
            uow(), operator, project.id, ProjectUpdate(start_on=date(2024, 6, 1))
        )
    assert [p.message for p in caught.value.problems] == [
        "participant UKSL joined on 2024-03-01, before the new start",
        "member Bob Baker joined on 2024-04-01, before the new start",
    ]
    assert fields(caught) == {"start_on"}


def test_end_before_a_later_joiner_is_refused_naming_participant_and_member(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    join(uow, operator, project, world.gbr_lab, on=date(2026, 3, 1))
    add_member(uow, operator, project, world.bob, on=date(2026, 4, 1))
    with pytest.raises(ValidationFailed) as caught:
        projects.update_project(
            uow(), operator, project.id, ProjectUpdate(end_on=date(2026, 3, 15))
        )
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("end_on", "member Bob Baker joins on 2026-04-01, after the new end"),
    ]
    with pytest.raises(ValidationFailed) as caught:
        projects.update_project(uow(), operator, project.id, ProjectUpdate(end_on=date(2026, 1, 1)))
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("end_on", "participant UKSL joins on 2026-03-01, after the new end"),
        ("end_on", "member Bob Baker joins on 2026-04-01, after the new end"),
    ]
    shorter = projects.update_project(
        uow(), operator, project.id, ProjectUpdate(end_on=date(2026, 4, 1))
    )
    assert shorter.end_on == date(2026, 4, 1)


def test_who_joined_at_the_start_moves_with_it(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    member = add_member(uow, operator, project, world.alice, on=START)
    moved = projects.update_project(
        uow(), operator, project.id, ProjectUpdate(start_on=date(2024, 6, 1))
    )
    assert moved.start_on == date(2024, 6, 1)
    assert [p.joined_on for p in moved.participants] == [date(2024, 6, 1)]
    assert {m.id: m.joined_on for m in moved.members} == {member: date(2024, 6, 1)}
    details = last_event(uow, operator, "projects:project:update")
    assert details["moved_with_start"] == ["participant USAPL", "member Alice Archer"]
    assert details["old_start_on"] == "2024-01-01"


def test_a_member_who_left_before_the_new_start_is_in_the_way(
    uow: UowFactory, operator: Principal, world: World, project: ProjectOut
) -> None:
    add_member(uow, operator, project, world.alice, on=START, left_on=date(2024, 2, 1))
    with pytest.raises(ValidationFailed, match="member Alice Archer left on 2024-02-01"):
        projects.update_project(
            uow(), operator, project.id, ProjectUpdate(start_on=date(2024, 6, 1))
        )


def test_an_earlier_start_keeps_team_and_plan_as_they_are(
    uow: UowFactory, operator: Principal, project: ProjectOut
) -> None:
    plan(uow, operator, project)
    earlier = projects.update_project(
        uow(), operator, project.id, ProjectUpdate(start_on=date(2023, 1, 1))
    )
    assert earlier.participants[0].joined_on == START
    assert earlier.milestones[0].due_on == date(2025, 1, 1)


def test_an_end_before_the_start_names_end_on_rather_than_clashing_in_the_database(
    uow: UowFactory, operator: Principal, project: ProjectOut
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        projects.update_project(uow(), operator, project.id, ProjectUpdate(end_on=START))
    assert fields(caught) == {"end_on"}


# --- who may open the edit form -------------------------------------------------------------


def test_project_for_editing_is_refused_without_the_update_permission(
    uow: UowFactory, operator: Principal, project: ProjectOut
) -> None:
    researcher = Principal(
        name="reader",
        account_id=uuid.uuid4(),
        active=True,
        grants=(Grant(Role.RESEARCHER, ScopeKind.NODE),),
    )
    assert projects.get_project(uow(), researcher, project.id).code == "SENSE"
    with pytest.raises(PermissionDenied, match="project:project:update"):
        projects.get_project(uow(), researcher, project.id, Permission.PROJECT_UPDATE)
    assert projects.get_project(uow(), operator, project.id, Permission.PROJECT_UPDATE)


def test_readiness_levels_are_recorded_once_a_day_within_the_project(
    uow: UowFactory, operator: Principal, project: ProjectOut
) -> None:
    from coalition.projects.schemas import TrlIn

    today = date(2026, 6, 1)
    made = projects.record_trl(
        uow(),
        operator,
        project.id,
        TrlIn(level=4, assessed_on=date(2026, 5, 1), note="bench"),
        today,
    )
    assert (made.level, made.recorded_by) == (4, "operator:tester")
    with pytest.raises(Conflict, match="already has a readiness level"):
        projects.record_trl(
            uow(), operator, project.id, TrlIn(level=5, assessed_on=date(2026, 5, 1)), today
        )
    for day, message in (
        (date(2026, 7, 1), "in the future"),
        (date(2023, 1, 1), "before SENSE started"),
    ):
        with pytest.raises(ValidationFailed, match=message):
            projects.record_trl(uow(), operator, project.id, TrlIn(level=5, assessed_on=day), today)
    with pytest.raises(pydantic.ValidationError):
        TrlIn(level=10, assessed_on=today)
    assert [t.level for t in projects.list_trl(uow(), operator, project.id)] == [4]
    assert last_event(uow, operator, "projects:trl:record")["level"] == 4
