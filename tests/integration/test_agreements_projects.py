"""Agreement and project use cases on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from coalition.accounts.permissions import Principal
from coalition.agreements import services as agreements
from coalition.agreements.schemas import (
    AgreementIn,
    AgreementUpdate,
    AmendmentIn,
    PartyIn,
    StatusChangeIn,
)
from coalition.errors import Conflict, ValidationFailed
from coalition.projects import services as projects
from coalition.projects.schemas import (
    DeliverableIn,
    MemberIn,
    MilestoneIn,
    MilestoneUpdate,
    ParticipantIn,
    ProjectIn,
    ProjectUpdate,
    WithdrawIn,
    WorkPackageIn,
)
from tests.conftest import UowFactory
from tests.factories import World, make_world


@pytest.fixture
def world(uow: UowFactory, operator: Principal) -> World:
    return make_world(uow, operator)


def project_in(world: World, **changes: object) -> ProjectIn:
    values: dict[str, object] = {
        "code": "SENSE",
        "title": "Sensor fusion",
        "agreement_id": world.mou,
        "start_on": date(2024, 1, 1),
        "end_on": date(2028, 1, 1),
        "lead_organisation_id": world.usa_lab,
        "classification_ceiling": 2,
    }
    return ProjectIn.model_validate(values | changes)


def test_agreement_status_history_keeps_reasons(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    suspended = agreements.change_status(
        uow(),
        operator,
        world.mou,
        StatusChangeIn(to_status="suspended", reason="breach under review"),
    )
    assert [(c.from_status, c.to_status, c.reason) for c in suspended.status_changes] == [
        ("draft", "in_force", "signed"),
        ("in_force", "suspended", "breach under review"),
    ]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        (["terminated"], "in_force"),
        (["expired"], "suspended"),
        ([], "draft"),
    ],
)
def test_illegal_status_transitions_are_refused_with_the_allowed_ones(
    uow: UowFactory, operator: Principal, world: World, path: list[str], illegal: str
) -> None:
    for status in path:
        agreements.change_status(
            uow(), operator, world.mou, StatusChangeIn(to_status=status, reason="for the test")
        )
    with pytest.raises(ValidationFailed, match=r"cannot go from .* allowed"):
        agreements.change_status(
            uow(), operator, world.mou, StatusChangeIn(to_status=illegal, reason="for the test")
        )


def test_child_agreement_must_lie_within_its_parent(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        agreements.create_agreement(
            uow(),
            operator,
            AgreementIn(
                reference="PA-1",
                title="PA",
                kind="project_arrangement",
                parent_id=world.mou,
                effective_from=date(2019, 1, 1),
                expires_on=date(2031, 1, 1),
                classification_ceiling=4,
                parties=[PartyIn(organisation_id=world.usa_lab)],
            ),
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {"effective_from", "expires_on", "classification_ceiling"}


def test_fixed_cost_shares_must_add_up_to_100_among_party_nations(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    with pytest.raises(ValidationFailed, match="add up to 100") as caught:
        agreements.update_agreement(
            uow(),
            operator,
            world.mou,
            AgreementUpdate(cost_share_rule="fixed_shares", cost_shares={"USA": 60, "FRA": 30}),
        )
    assert "FRA is not a party nation" in str(caught.value)
    updated = agreements.update_agreement(
        uow(),
        operator,
        world.mou,
        AgreementUpdate(
            cost_share_rule="fixed_shares",
            cost_shares={"USA": 60, "GBR": 40},
            default_releasability=["fvey", "GBR"],
            amendment=AmendmentIn(
                title="Shares", signed_on=date(2024, 1, 1), effective_from=date(2024, 1, 1)
            ),
        ),
    )
    assert updated.cost_shares == {"USA": 60, "GBR": 40}
    assert updated.default_releasability == ["FVEY", "GBR"]


def test_unknown_releasability_marking_is_refused(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    with pytest.raises(ValidationFailed, match=r"default_releasability\[0\]"):
        agreements.update_agreement(
            uow(), operator, world.mou, AgreementUpdate(default_releasability=["XQZ"])
        )


def test_amendments_are_numbered(uow: UowFactory, operator: Principal, world: World) -> None:
    for title in ("Add FRA as observer", "Extend to 2030"):
        agreements.add_amendment(
            uow(),
            operator,
            world.mou,
            AmendmentIn(title=title, signed_on=date(2024, 1, 1), effective_from=date(2024, 2, 1)),
        )
    assert [a.number for a in agreements.get_agreement(uow(), operator, world.mou).amendments] == [
        1,
        2,
    ]


def test_duplicate_agreement_reference_is_a_conflict(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    with pytest.raises(Conflict, match="reference"):
        agreements.create_agreement(
            uow(),
            operator,
            AgreementIn(
                reference="MOU-USA-GBR",
                title="Again",
                kind="mou",
                effective_from=date(2020, 1, 1),
                parties=[PartyIn(organisation_id=world.usa_lab)],
            ),
        )


def test_project_set_up_with_team_and_plan(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    project = projects.create_project(uow(), operator, project_in(world))
    projects.add_participant(
        uow(),
        operator,
        project.id,
        ParticipantIn(organisation_id=world.gbr_lab, role="partner", joined_on=date(2024, 3, 1)),
    )
    projects.add_member(
        uow(),
        operator,
        project.id,
        MemberIn(person_id=world.bob, role="researcher", joined_on=date(2024, 3, 1)),
    )
    wp = projects.add_work_package(
        uow(),
        operator,
        project.id,
        WorkPackageIn(code="WP1", title="Fusion", lead_organisation_id=world.gbr_lab),
    )
    projects.add_deliverable(
        uow(), operator, wp.id, DeliverableIn(code="D1.1", title="Report", due_on=date(2025, 1, 1))
    )
    milestone = projects.add_milestone(
        uow(),
        operator,
        project.id,
        MilestoneIn(code="M1", title="Kick-off", due_on=date(2024, 2, 1)),
    )
    projects.update_milestone(
        uow(),
        operator,
        milestone.id,
        MilestoneUpdate(status="achieved", achieved_on=date(2024, 2, 2)),
    )
    active = projects.update_project(uow(), operator, project.id, ProjectUpdate(status="active"))
    assert active.status == "active"
    assert [p.role for p in active.participants] == ["lead", "partner"]
    assert active.work_packages[0].deliverables[0].code == "D1.1"
    assert active.milestones[0].achieved_on == date(2024, 2, 2)


def test_project_must_fit_its_agreement(uow: UowFactory, operator: Principal, world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        projects.create_project(
            uow(),
            operator,
            project_in(
                world, start_on=date(2019, 1, 1), end_on=date(2031, 1, 1), classification_ceiling=4
            ),
        )
    assert {p.field for p in caught.value.problems} == {
        "start_on",
        "end_on",
        "classification_ceiling",
    }


def test_participant_must_come_from_a_party_nation(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    project = projects.create_project(uow(), operator, project_in(world))
    with pytest.raises(ValidationFailed, match="FRA, which is not a party"):
        projects.add_participant(
            uow(),
            operator,
            project.id,
            ParticipantIn(
                organisation_id=world.fra_lab, role="partner", joined_on=date(2024, 3, 1)
            ),
        )


def test_participation_periods_of_one_organisation_must_not_overlap(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    project = projects.create_project(uow(), operator, project_in(world))
    first = projects.add_participant(
        uow(),
        operator,
        project.id,
        ParticipantIn(organisation_id=world.gbr_lab, role="partner", joined_on=date(2024, 3, 1)),
    )
    with pytest.raises(ValidationFailed, match="already takes part"):
        projects.add_participant(
            uow(),
            operator,
            project.id,
            ParticipantIn(
                organisation_id=world.gbr_lab, role="observer", joined_on=date(2025, 1, 1)
            ),
        )
    projects.withdraw_participant(
        uow(), operator, first.id, WithdrawIn(withdrew_on=date(2024, 12, 31))
    )
    again = projects.add_participant(
        uow(),
        operator,
        project.id,
        ParticipantIn(organisation_id=world.gbr_lab, role="observer", joined_on=date(2025, 1, 1)),
    )
    assert again.role == "observer"


def test_member_must_work_for_a_participant(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    project = projects.create_project(uow(), operator, project_in(world))
    with pytest.raises(ValidationFailed, match="does not take part"):
        projects.add_member(
            uow(),
            operator,
            project.id,
            MemberIn(person_id=world.bob, role="researcher", joined_on=date(2024, 3, 1)),
        )


def test_project_cannot_start_while_its_agreement_is_suspended(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    project = projects.create_project(uow(), operator, project_in(world))
    agreements.change_status(
        uow(), operator, world.mou, StatusChangeIn(to_status="suspended", reason="review")
    )
    with pytest.raises(ValidationFailed, match="not in force"):
        projects.update_project(uow(), operator, project.id, ProjectUpdate(status="active"))


def test_milestone_outside_the_project_is_refused(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    project = projects.create_project(uow(), operator, project_in(world))
    with pytest.raises(ValidationFailed, match="due_on"):
        projects.add_milestone(
            uow(),
            operator,
            project.id,
            MilestoneIn(code="M9", title="Late", due_on=date(2029, 1, 1)),
        )


def test_work_package_lead_must_participate(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    project = projects.create_project(uow(), operator, project_in(world))
    with pytest.raises(ValidationFailed, match="lead_organisation_id"):
        projects.add_work_package(
            uow(),
            operator,
            project.id,
            WorkPackageIn(code="WP1", title="x", lead_organisation_id=world.gbr_lab),
        )


def test_parties_can_be_changed_keeping_some(
    uow: UowFactory, operator: Principal, world: World
) -> None:
    agreements.update_agreement(
        uow(),
        operator,
        world.mou,
        AgreementUpdate(
            parties=[
                PartyIn(organisation_id=world.usa_lab),
                PartyIn(organisation_id=world.fra_lab),
            ],
            amendment=AmendmentIn(
                title="FRA joins", signed_on=date(2024, 1, 1), effective_from=date(2024, 1, 1)
            ),
        ),
    )
    shown = agreements.get_agreement(uow(), operator, world.mou)
    assert sorted(p.organisation.short_name for p in shown.parties) == ["LOPT", "USAPL"]
