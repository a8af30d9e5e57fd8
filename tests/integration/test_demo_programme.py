"""The demo programme loads through the use cases, twice without change, and looks alive."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Executable, func, select

import coalition
from coalition.accounts.login import Throttling, log_in
from coalition.accounts.permissions import Principal
from coalition.agreements.models import Agreement, AgreementKind, AgreementStatus
from coalition.common.paging import PageRequest
from coalition.demo import DEMO_PASSWORD, DemoSummary, load_demo
from coalition.policy.facts import Action
from coalition.projects.models import Milestone, MilestoneStatus, Project, ProjectStatus
from coalition.registry.models import (
    Citizenship,
    Clearance,
    ClearanceStatus,
    Organisation,
    OrganisationKind,
    Person,
)
from coalition.registry.people import expiring_clearances
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import UnitOfWork, uow_factory
from coalition.techdata.schemas import ArtifactFilters
from coalition.techdata.services import explain, list_artifacts

REFERENCE_DIR = Path(coalition.__file__).parent / "reference"
TODAY = date.today()


@dataclass(frozen=True)
class DemoNode:
    uow: Callable[[], UnitOfWork]
    actor: Principal
    first: DemoSummary
    second: DemoSummary

    def count(self, query: Executable) -> int:
        with self.uow() as unit:
            return int(unit.session.scalar(query) or 0)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> DemoNode:
    # Loading hashes a password per account, so the module loads the demo once (twice,
    # to prove idempotency) and every test reads the result.
    database = tmp_path_factory.mktemp("demo") / "coalition.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    uow = uow_factory(engine)
    actor = Principal.operator("demo-test")
    first = load_demo(uow, actor, REFERENCE_DIR, today=TODAY)
    second = load_demo(uow, actor, REFERENCE_DIR, today=TODAY)
    return DemoNode(uow, actor, first, second)


def test_first_load_creates_a_programme_of_useful_size(node: DemoNode) -> None:
    summary = node.first
    assert summary.created > 0
    assert summary.nations >= 6
    assert summary.people >= 40
    assert summary.clearances >= 40
    assert summary.security_agreements >= 8
    assert summary.projects >= 4
    assert summary.work_packages >= 8
    assert summary.milestones >= 12
    assert summary.accounts >= 8
    labs = node.count(select(func.count()).where(Organisation.kind == OrganisationKind.LAB))
    assert labs >= 8


def test_second_load_creates_nothing_and_changes_no_count(node: DemoNode) -> None:
    assert node.second.created == 0
    assert {**vars(node.second), "created": 0} == {**vars(node.first), "created": 0}


def test_agreements_are_two_mous_and_three_project_arrangements_in_force(node: DemoNode) -> None:
    def in_force(kind: AgreementKind) -> int:
        return node.count(
            select(func.count()).where(
                Agreement.kind == kind, Agreement.status == AgreementStatus.IN_FORCE
            )
        )

    assert in_force(AgreementKind.MOU) == 2
    assert in_force(AgreementKind.PROJECT_ARRANGEMENT) == 3
    orphans = node.count(
        select(func.count()).where(
            Agreement.kind == AgreementKind.PROJECT_ARRANGEMENT, Agreement.parent_id.is_(None)
        )
    )
    assert orphans == 0


def test_projects_include_active_and_proposed_ones(node: DemoNode) -> None:
    def with_status(status: ProjectStatus) -> int:
        return node.count(select(func.count()).where(Project.status == status))

    assert with_status(ProjectStatus.ACTIVE) >= 3
    assert with_status(ProjectStatus.PROPOSED) >= 1


def test_milestones_are_achieved_late_and_upcoming(node: DemoNode) -> None:
    planned = Milestone.status == MilestoneStatus.PLANNED
    achieved = node.count(
        select(func.count()).where(
            Milestone.status == MilestoneStatus.ACHIEVED, Milestone.achieved_on < TODAY
        )
    )
    late = node.count(select(func.count()).where(planned, Milestone.due_on < TODAY))
    upcoming = node.count(
        select(func.count()).where(
            planned, Milestone.due_on >= TODAY, Milestone.due_on <= TODAY + timedelta(days=60)
        )
    )
    assert (achieved > 0, late > 0, upcoming > 0) == (True, True, True)


def test_some_people_hold_two_citizenships(node: DemoNode) -> None:
    dual = (
        select(Citizenship.person_id)
        .group_by(Citizenship.person_id)
        .having(func.count() >= 2)
        .subquery()
    )
    assert node.count(select(func.count()).select_from(dual)) >= 1


def test_clearances_include_expired_expiring_and_suspended(node: DemoNode) -> None:
    expired = node.count(select(func.count()).where(Clearance.valid_until < TODAY))
    suspended = node.count(
        select(func.count()).where(Clearance.status == ClearanceStatus.SUSPENDED)
    )
    expiring = expiring_clearances(node.uow(), node.actor, within_days=90, today=TODAY)
    assert expired >= 1
    assert suspended >= 1
    assert any(e.days_left <= 30 for e in expiring)
    assert any(60 < e.days_left <= 90 for e in expiring)


def test_every_demo_login_authenticates(node: DemoNode) -> None:
    assert len(DEMO_PASSWORD) >= 12
    for username, password, description in node.second.logins:
        assert password == DEMO_PASSWORD
        assert description
        principal = log_in(
            node.uow(),
            username,
            password,
            throttling=Throttling(max_failures=5, lockout_seconds=60),
            session_seconds=3600,
        ).principal
        assert principal.name == username
        assert principal.grants


def test_the_demo_shows_a_newcomer_permits_denials_and_their_reasons(node: DemoNode) -> None:
    assert node.first.artifacts >= 400
    with node.uow() as unit:
        people = {
            f"{p.given_name} {p.family_name}": p.id for p in unit.session.scalars(select(Person))
        }
    seen = {}
    for name in ("Sophie Tremaine", "Priya Raman", "Henrik Dahl", "Katrin Vogel"):
        page = list_artifacts(
            node.uow(),
            node.actor,
            PageRequest(limit=200),
            ArtifactFilters(),
            as_person=people[name],
            action=Action.READ,
        )
        seen[name] = page
        assert 0 < page.total < node.first.artifacts, name
    # Henrik (NOR, AUAL) is refused US ITAR data: the TAA covering his lab has lapsed.
    itar = list_artifacts(
        node.uow(),
        node.actor,
        PageRequest(limit=1),
        ArtifactFilters(label="USML XI(d)", project_id=seen["Priya Raman"].items[0].project_id),
        as_person=people["Priya Raman"],
    ).items
    assert itar
    why = explain(node.uow(), node.actor, itar[0].id, people["Henrik Dahl"], Action.READ)
    export = next(r for r in why.rules if r.id == "export")
    assert not export.passed and export.remedy


def test_the_demo_has_visits_waiting_for_each_office(node: DemoNode) -> None:
    from coalition.settings import Settings
    from coalition.visits.services import list_visits

    visits = {v.reference: v for v in list_visits(node.uow(), node.actor, Settings())}
    classified = visits["RFV-WMSL-CNSL-001"]
    assert (classified.waiting_for, classified.clearance_needed, classified.escort_required) == (
        "clearance",
        True,
        True,
    )
    short = visits["RFV-WMSL-HOSL-001"]
    assert (short.waiting_for, short.late, short.booking) == ("host", True, "BK-HOSL-BAR-001")


def test_the_demo_expertise_shows_each_reader_what_their_nations_may_know(
    node: DemoNode,
) -> None:
    from coalition.accounts.models import Account
    from coalition.common.access import principal_for_account
    from coalition.expertise.services import find_partners, search

    everything = search(node.uow(), node.actor, q="hypersonic")
    assert everything.total == 2
    with node.uow() as unit:
        account = unit.session.scalar(select(Account).where(Account.username == "katrin.vogel"))
        assert account is not None
        katrin = principal_for_account(unit.session, account.id)
    assert katrin is not None
    # A German reader: the AUKUS-only hypersonics profiles are neither shown nor counted.
    assert search(node.uow(), katrin, q="hypersonic").total == 0
    acoustics = search(node.uow(), katrin, capability="acoustics")
    assert {h.organisation for h in acoustics.items} >= {"CNSL", "HOSL"}
    partners = find_partners(node.uow(), node.actor, capability="acoustics", level="SECRET")
    assert "CNSL" in {p.organisation for p in partners}


def test_the_demo_governance_has_a_decided_and_a_pending_vote(node: DemoNode) -> None:
    from coalition.accounts.models import Account
    from coalition.common.access import principal_for_account
    from coalition.disputes.services import list_disputes
    from coalition.governance.services import list_meetings, list_motions
    from coalition.risks.services import heat_map
    from coalition.settings import Settings

    motions = {m.reference: m for m in list_motions(node.uow(), node.actor)}
    decided = motions["SC-CSAR-MAS/M7/1"]
    assert decided.status == "carried" and decided.tally["abstain"] == 1
    assert (decided.explanation or "").startswith("carried by qualified majority of 75%")
    pending = motions["SC-CSAR-MAS/WP/2"]
    assert pending.status == "open" and pending.tally["for"] == 2
    meetings = list_meetings(node.uow(), node.actor)
    assert [m.status for m in meetings] == ["held", "scheduled"]
    assert heat_map(node.uow(), node.actor, "CSAR-MAS").total == 3
    [dispute] = list_disputes(node.uow(), node.actor, Settings())
    assert dispute.level_name == "Project officers"
    with node.uow() as unit:
        account = unit.session.scalar(select(Account).where(Account.username == "sophie.tremaine"))
        assert account is not None
        sophie = principal_for_account(unit.session, account.id)
    assert sophie is not None
    waiting = list_motions(node.uow(), sophie, awaiting_my_vote=True)
    assert [m.reference for m in waiting] == ["SC-CSAR-MAS/WP/2"]
