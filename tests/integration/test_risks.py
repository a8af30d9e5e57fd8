"""The risk register through the use cases, on SQLite and PostgreSQL: raising with the first
assessment, assessments making the history and the trend, the owner's self-assessment, who
may read and who may change a risk, refusals that name the field and leave nothing behind,
the status transitions, the owner's notifications and the ledger.

The world is tests/factories.py's two-nation one with a project SENSE under the USA-GBR
MoU (USAPL leads, UKSL takes part) and its work package WP1, and four accounts: "paula", a
programme manager of USAPL (Paula, of USAPL); "alice" and "bob", researchers of USAPL and
UKSL linked to Alice and Bob; "fred", a researcher of LOPT (France, outside the MoU)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.audit.models import Event
from coalition.common.access import principal_for_account
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.ledger.models import LedgerEntry, LedgerPending
from coalition.notifications.models import Notification
from coalition.projects.schemas import ParticipantIn, ProjectIn, WithdrawIn, WorkPackageIn
from coalition.projects.services import (
    add_participant,
    add_work_package,
    create_project,
    withdraw_participant,
)
from coalition.registry.people import create_person, update_person
from coalition.registry.schemas import PersonIn, PersonUpdate
from coalition.risks import services
from coalition.risks.models import Risk, RiskAssessment
from coalition.risks.schemas import AssessmentIn, ReassignIn, RiskIn, RiskOut
from coalition.settings import Settings
from coalition.store.uow import UnitOfWork
from tests.conftest import UowFactory
from tests.factories import PASSWORD, World, make_world

PROJECT, WP = "SENSE", "WP1"
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
SETTINGS = Settings()


@dataclass
class RiskWorld:
    base: World
    project_id: uuid.UUID
    paula: uuid.UUID
    fred: uuid.UUID
    participation: dict[str, uuid.UUID]
    accounts: dict[str, uuid.UUID] = field(default_factory=dict)


def make_risk_world(
    new: Callable[[], UnitOfWork], actor: Principal, base: World | None = None
) -> RiskWorld:
    base = base or make_world(new, actor)
    project = create_project(
        new(),
        actor,
        ProjectIn(
            code=PROJECT,
            title="Sensor fusion demonstrator",
            agreement_id=base.mou,
            start_on=date(2025, 1, 1),
            end_on=date(2029, 1, 1),
            lead_organisation_id=base.usa_lab,
        ),
    )
    uksl = add_participant(
        new(),
        actor,
        project.id,
        ParticipantIn(organisation_id=base.gbr_lab, role="partner", joined_on=date(2025, 1, 1)),
    )
    add_work_package(
        new(),
        actor,
        project.id,
        WorkPackageIn(code=WP, title="Fusion baseline", lead_organisation_id=base.usa_lab),
    )

    def person(given: str, family: str, email: str, employer: uuid.UUID, nation: str) -> uuid.UUID:
        made = create_person(
            new(),
            actor,
            PersonIn(
                given_name=given,
                family_name=family,
                email=email,
                employer_id=employer,
                citizenships=[nation],
            ),
        )
        return made.id

    paula = person("Paula", "Price", "paula@usapl.example", base.usa_lab, "USA")
    fred = person("Fred", "Fournier", "fred@lopt.example", base.fra_lab, "FRA")
    world = RiskWorld(base, project.id, paula, fred, {"UKSL": uksl.id})
    for username, person_id, role, organisation in (
        ("paula", paula, Role.PROGRAMME_MANAGER, base.usa_lab),
        ("alice", base.alice, Role.RESEARCHER, base.usa_lab),
        ("bob", base.bob, Role.RESEARCHER, base.gbr_lab),
        ("fred", fred, Role.RESEARCHER, base.fra_lab),
    ):
        world.accounts[username] = create_account(
            new(),
            actor,
            AccountIn(
                username=username,
                display_name=username.title(),
                password=PASSWORD,
                person_id=person_id,
                grants=[
                    GrantIn(role=role, scope_kind=ScopeKind.ORGANISATION, scope_id=organisation)
                ],
            ),
        ).id
    return world


def actor_of(new: UowFactory, world: RiskWorld, username: str) -> Principal:
    with new() as unit:
        found = principal_for_account(unit.session, world.accounts[username])
    assert found is not None
    return found


@pytest.fixture
def rw(uow: UowFactory, operator: Principal) -> RiskWorld:
    return make_risk_world(uow, operator)


def command(rw: RiskWorld, reference: str = "RSK-1", **changes: Any) -> RiskIn:
    values: dict[str, Any] = {
        "reference": reference,
        "project": PROJECT,
        "work_package": WP,
        "title": "Fusion library licence may lapse",
        "category": "technical",
        "likelihood": 3,
        "impact": 3,
        "owner_id": rw.base.alice,
        "mitigation": "Ask for a perpetual licence",
    }
    return RiskIn.model_validate(values | changes)


def raise_(
    uow: UowFactory, rw: RiskWorld, reference: str = "RSK-1", who: str = "paula", **changes: Any
) -> RiskOut:
    return services.raise_risk(
        uow(), actor_of(uow, rw, who), command(rw, reference, **changes), SETTINGS, now=NOW
    )


def assess(
    uow: UowFactory, rw: RiskWorld, risk: uuid.UUID, who: str = "paula", **values: Any
) -> RiskOut:
    data = AssessmentIn.model_validate({"status": "open"} | values)
    return services.assess_risk(uow(), actor_of(uow, rw, who), risk, data, SETTINGS, now=NOW)


def counts(uow: UowFactory) -> tuple[int, int, int, int]:
    """Risks, assessments, risk events and notifications."""
    with uow() as unit:
        s = unit.session
        return (
            s.scalar(select(func.count()).select_from(Risk)) or 0,
            s.scalar(select(func.count()).select_from(RiskAssessment)) or 0,
            s.scalar(select(func.count()).select_from(Event).where(Event.tag.like("risks:%"))) or 0,
            s.scalar(select(func.count()).select_from(Notification)) or 0,
        )


def problems(error: ValidationFailed) -> dict[str, str]:
    return {p.field: p.message for p in error.problems}


def notices(uow: UowFactory, person: uuid.UUID) -> list[tuple[str, str, str | None]]:
    with uow() as unit:
        rows = unit.session.execute(
            select(Notification.kind, Notification.title, Notification.link)
            .where(Notification.person_id == person)
            .order_by(Notification.created_at, Notification.title)
        )
        return [(r.kind, r.title, r.link) for r in rows]


def test_raising_records_the_first_assessment_and_tells_the_owner(
    uow: UowFactory, rw: RiskWorld
) -> None:
    made = raise_(uow, rw, likelihood=3, impact=4)
    assert (made.score, made.band, made.trend, made.status) == (12, "high", "new", "open")
    assert (made.project, made.work_package, made.owner, made.owner_organisation) == (
        PROJECT,
        WP,
        "Alice Archer",
        "USAPL",
    )
    assert made.raised_on == TODAY and made.closed_on is None
    assert [(a.score, a.status, a.trend, a.by, a.note) for a in made.history] == [
        (12, "open", "new", "paula", "raised")
    ]
    assert made.allowed_actions == ["project:risk:manage", "assess"]
    assert made.next_statuses == ["open", "mitigating", "occurred"]
    assert notices(uow, rw.base.alice) == [
        ("risk", "Risk RSK-1 of SENSE is yours to manage", f"/risks/{made.id}")
    ]
    assert notices(uow, rw.paula) == []  # nobody is told of their own act


def test_every_change_is_an_event_in_the_ledger(uow: UowFactory, rw: RiskWorld) -> None:
    made = raise_(uow, rw)
    assess(uow, rw, made.id, likelihood=4, impact=3, status="mitigating", note="supplier slow")
    services.reassign_risk(
        uow(),
        actor_of(uow, rw, "paula"),
        made.id,
        ReassignIn(owner_id=rw.base.bob),
        SETTINGS,
        now=NOW,
    )
    with uow() as unit:
        s = unit.session
        events = s.execute(
            select(Event.id, Event.tag, Event.details)
            .where(Event.object_id == str(made.id))
            .order_by(Event.id)
        ).all()
        ids = [e.id for e in events]
        entered = (
            s.scalar(
                select(func.count()).select_from(LedgerEntry).where(LedgerEntry.event_id.in_(ids))
            )
            or 0
        ) + (
            s.scalar(
                select(func.count())
                .select_from(LedgerPending)
                .where(LedgerPending.event_id.in_(ids))
            )
            or 0
        )
    assert [e.tag for e in events] == [
        "risks:risk:raised",
        "risks:risk:assessed",
        "risks:risk:reassigned",
    ]
    assert entered == 3
    assessed = events[1].details
    assert (assessed["likelihood"], assessed["status"], assessed["score"], assessed["trend"]) == (
        4,
        "mitigating",
        12,
        "rising",
    )
    assert "impact" not in assessed  # only what changed
    assert events[2].details["owner_id"] == str(rw.base.bob)


def test_assessments_make_the_history_and_the_trend(uow: UowFactory, rw: RiskWorld) -> None:
    made = raise_(uow, rw, likelihood=3, impact=3)
    assess(uow, rw, made.id, likelihood=2, impact=3, status="mitigating")
    assess(uow, rw, made.id, likelihood=4, impact=3, status="mitigating")
    last = assess(uow, rw, made.id, likelihood=3, impact=4, status="mitigating", note="same")
    assert [(a.score, a.trend) for a in last.history] == [
        (9, "new"),
        (6, "falling"),
        (12, "rising"),
        (12, "steady"),
    ]
    assert (last.score, last.band, last.trend) == (12, "high", "steady")
    closed = assess(uow, rw, made.id, likelihood=1, impact=3, status="closed", mitigation="done")
    assert (closed.status, closed.closed_on, closed.trend, closed.mitigation) == (
        "closed",
        TODAY,
        "falling",
        "done",
    )
    assert closed.allowed_actions == [] and closed.next_statuses == []
    assert len(services.get_risk(uow(), actor_of(uow, rw, "bob"), made.id).history) == 5


def test_the_owner_assesses_their_own_risk_without_the_permission(
    uow: UowFactory, rw: RiskWorld
) -> None:
    made = raise_(uow, rw, likelihood=2, impact=2)
    alice = actor_of(uow, rw, "alice")
    assert services.get_risk(uow(), alice, made.id).allowed_actions == ["assess"]
    before = len(notices(uow, rw.base.alice))
    mine = assess(uow, rw, made.id, who="alice", likelihood=5, impact=5, status="occurred")
    assert (mine.score, mine.band, mine.status, mine.history[-1].by) == (
        25,
        "critical",
        "occurred",
        "alice",
    )
    assert len(notices(uow, rw.base.alice)) == before  # her own act
    with pytest.raises(PermissionDenied):  # handing it on is the managers' business
        services.reassign_risk(
            uow(), alice, made.id, ReassignIn(owner_id=rw.base.bob), SETTINGS, now=NOW
        )


def test_others_without_the_permission_may_not_change_a_risk(
    uow: UowFactory, rw: RiskWorld
) -> None:
    made = raise_(uow, rw)
    bob = actor_of(uow, rw, "bob")
    assert services.get_risk(uow(), bob, made.id).allowed_actions == []
    before = counts(uow)
    with pytest.raises(PermissionDenied) as refused:
        assess(uow, rw, made.id, who="bob", likelihood=5, impact=5)
    assert "project:risk:manage" in refused.value.detail
    with pytest.raises(PermissionDenied):
        services.reassign_risk(
            uow(), bob, made.id, ReassignIn(owner_id=rw.base.bob), SETTINGS, now=NOW
        )
    with pytest.raises(PermissionDenied):
        raise_(uow, rw, "RSK-2", who="bob")
    assert counts(uow) == before


def test_a_reader_outside_the_agreement_is_told_not_found(uow: UowFactory, rw: RiskWorld) -> None:
    made = raise_(uow, rw)
    raise_(uow, rw, "RSK-2", likelihood=5, impact=5)
    fred = actor_of(uow, rw, "fred")
    with pytest.raises(NotFound) as missing:
        services.get_risk(uow(), fred, made.id)
    assert missing.value.detail == services.NOT_FOUND
    with pytest.raises(NotFound):
        services.get_risk(uow(), fred, uuid.uuid4())
    with pytest.raises(NotFound):
        services.risk_id_for(uow(), fred, "RSK-1")
    with pytest.raises(NotFound):
        assess(uow, rw, made.id, who="fred", likelihood=1, impact=1)
    assert services.list_risks(uow(), fred) == []
    assert services.list_risks(uow(), fred, project=PROJECT) == []
    with pytest.raises(NotFound):
        services.heat_map(uow(), fred, PROJECT)
    assert services.heat_map(uow(), fred).total == 0
    with pytest.raises(ValidationFailed) as hidden:
        raise_(uow, rw, "RSK-3", who="fred")
    assert problems(hidden.value) == {"project": "no project 'SENSE'"}
    # Bob's UKSL takes part: he reads the register.
    bob = actor_of(uow, rw, "bob")
    assert [r.reference for r in services.list_risks(uow(), bob)] == ["RSK-2", "RSK-1"]
    assert services.heat_map(uow(), bob, PROJECT).total == 2


def test_refusals_name_their_field_and_write_nothing(uow: UowFactory, rw: RiskWorld) -> None:
    raise_(uow, rw)
    before = counts(uow)

    def refused(error: type[Exception], **changes: Any) -> Any:
        with pytest.raises(error) as raised:
            raise_(uow, rw, changes.pop("reference", "RSK-X"), **changes)
        assert counts(uow) == before
        return raised.value

    assert problems(refused(ValidationFailed, work_package="WP9")) == {
        "work_package": "SENSE has no work package 'WP9'"
    }
    assert problems(refused(ValidationFailed, owner_id=rw.fred)) == {
        "owner_id": "Fred Fournier works for LOPT, which does not take part in SENSE"
    }
    assert problems(refused(ValidationFailed, owner_id=uuid.uuid4())) == {
        "owner_id": "no person with this id"
    }
    both = problems(refused(ValidationFailed, work_package="WP9", owner_id=rw.fred))
    assert set(both) == {"work_package", "owner_id"}
    assert problems(refused(ValidationFailed, project="NOPE")) == {"project": "no project 'NOPE'"}
    duplicate = refused(Conflict, reference="RSK-1")
    assert duplicate.detail == "reference: a risk 'RSK-1' already exists"


def test_an_organisation_that_withdrew_no_longer_owns_risks(
    uow: UowFactory, rw: RiskWorld, operator: Principal
) -> None:
    assert raise_(uow, rw, owner_id=rw.base.bob).owner == "Bob Baker"
    withdraw_participant(
        uow(), operator, rw.participation["UKSL"], WithdrawIn(withdrew_on=date(2026, 6, 30))
    )
    with pytest.raises(ValidationFailed) as refused:
        raise_(uow, rw, "RSK-2", owner_id=rw.base.bob)
    assert problems(refused.value) == {
        "owner_id": "Bob Baker works for UKSL, which does not take part in SENSE"
    }


def test_status_transitions_and_a_closed_risk_is_final(uow: UowFactory, rw: RiskWorld) -> None:
    made = raise_(uow, rw)
    before = counts(uow)
    with pytest.raises(Conflict) as early:
        assess(uow, rw, made.id, likelihood=1, impact=1, status="closed")
    assert early.value.detail.startswith("status: an open risk is closed once its mitigation")
    assert counts(uow) == before
    assess(uow, rw, made.id, likelihood=3, impact=3, status="occurred")
    with pytest.raises(Conflict) as back:
        assess(uow, rw, made.id, likelihood=3, impact=3, status="mitigating")
    assert (
        back.value.detail
        == "status: a risk that is occurred may stay or become closed, not mitigating"
    )
    assess(uow, rw, made.id, likelihood=3, impact=3, status="closed")
    for status in ("open", "closed"):
        with pytest.raises(Conflict) as reopened:
            assess(uow, rw, made.id, likelihood=3, impact=3, status=status)
        assert "a closed risk is final" in reopened.value.detail
    with pytest.raises(Conflict) as handed:
        services.reassign_risk(
            uow(),
            actor_of(uow, rw, "paula"),
            made.id,
            ReassignIn(owner_id=rw.base.bob),
            SETTINGS,
            now=NOW,
        )
    assert handed.value.detail == f"status: RSK-1 was closed on {TODAY}"


def test_the_owner_is_told_when_the_score_rises_into_high_or_critical(
    uow: UowFactory, rw: RiskWorld
) -> None:
    made = raise_(uow, rw, likelihood=2, impact=2)
    assess(uow, rw, made.id, likelihood=3, impact=3)  # medium: no notice
    assess(uow, rw, made.id, likelihood=4, impact=3)  # high
    assess(uow, rw, made.id, likelihood=4, impact=4)  # still high: no notice
    assess(uow, rw, made.id, likelihood=2, impact=2)  # down
    assess(uow, rw, made.id, likelihood=5, impact=4)  # critical
    assert [title for _, title, _ in notices(uow, rw.base.alice)] == [
        "Risk RSK-1 of SENSE is yours to manage",
        "Risk RSK-1 of SENSE rose to high (score 9 to 12)",
        "Risk RSK-1 of SENSE rose to critical (score 4 to 20)",
    ]


def test_reassigning_tells_the_new_owner_who_may_then_assess(
    uow: UowFactory, rw: RiskWorld
) -> None:
    made = raise_(uow, rw)
    pm = actor_of(uow, rw, "paula")
    handed = services.reassign_risk(
        uow(), pm, made.id, ReassignIn(owner_id=rw.base.bob, note="UKSL runs WP1"), SETTINGS
    )
    assert (handed.owner, handed.owner_organisation) == ("Bob Baker", "UKSL")
    assert notices(uow, rw.base.bob) == [
        ("risk", "Risk RSK-1 of SENSE is now yours to manage", f"/risks/{made.id}")
    ]
    assert len(handed.history) == 1  # no reassessment
    assess(uow, rw, made.id, who="bob", likelihood=1, impact=1, status="mitigating")
    before = counts(uow)
    with pytest.raises(ValidationFailed) as again:
        services.reassign_risk(uow(), pm, made.id, ReassignIn(owner_id=rw.base.bob), SETTINGS)
    assert problems(again.value) == {"owner_id": "Bob Baker already owns RSK-1"}
    with pytest.raises(ValidationFailed) as outsider:
        services.reassign_risk(uow(), pm, made.id, ReassignIn(owner_id=rw.fred), SETTINGS)
    assert set(problems(outsider.value)) == {"owner_id"}
    assert counts(uow) == before


def test_lists_filter_and_sort_by_score_then_reference(uow: UowFactory, rw: RiskWorld) -> None:
    raise_(uow, rw, "RSK-B", likelihood=2, impact=3)
    raise_(uow, rw, "RSK-A", likelihood=3, impact=2, work_package=None)
    high = raise_(uow, rw, "RSK-C", likelihood=4, impact=4, owner_id=rw.base.bob)
    gone = raise_(uow, rw, "RSK-D", likelihood=5, impact=5)
    assess(uow, rw, gone.id, likelihood=5, impact=5, status="occurred")
    assess(uow, rw, gone.id, likelihood=1, impact=1, status="closed")
    pm = actor_of(uow, rw, "paula")

    def listed(**filters: Any) -> list[str]:
        return [r.reference for r in services.list_risks(uow(), pm, **filters)]

    assert listed() == ["RSK-C", "RSK-A", "RSK-B", "RSK-D"]
    assert listed(project=PROJECT, live=True) == ["RSK-C", "RSK-A", "RSK-B"]
    assert listed(work_package=WP) == ["RSK-C", "RSK-B", "RSK-D"]
    assert listed(status="closed") == ["RSK-D"]
    assert listed(min_score=6) == ["RSK-C", "RSK-A", "RSK-B"]
    assert listed(min_score=7) == ["RSK-C"]
    assert listed(owner_id=rw.base.bob) == ["RSK-C"]
    assert listed(likelihood=4, impact=4) == ["RSK-C"]
    assert listed(project="OTHER") == []
    assert services.risk_id_for(uow(), pm, "RSK-C") == high.id


def test_the_heat_map_counts_the_live_risks_in_their_cells(uow: UowFactory, rw: RiskWorld) -> None:
    raise_(uow, rw, "RSK-1", likelihood=4, impact=5)
    raise_(uow, rw, "RSK-2", likelihood=4, impact=5, work_package=None)
    raise_(uow, rw, "RSK-3", likelihood=1, impact=2)
    gone = raise_(uow, rw, "RSK-4", likelihood=2, impact=2)
    assess(uow, rw, gone.id, likelihood=2, impact=2, status="mitigating")
    assess(uow, rw, gone.id, likelihood=2, impact=2, status="closed")
    pm = actor_of(uow, rw, "paula")
    heat = services.heat_map(uow(), pm, PROJECT)
    assert (heat.project, heat.total) == (PROJECT, 3)
    assert heat.counts[3][4] == 2 and heat.counts[0][1] == 1
    assert heat.by_band == {"low": 1, "medium": 0, "high": 0, "critical": 2}
    assert [(c.likelihood, c.impact) for c in heat.cells[:2]] == [(5, 1), (5, 2)]
    assert services.heat_map(uow(), pm, PROJECT, work_package=WP).total == 2
    assert services.heat_map(uow(), pm).total == 3
    with pytest.raises(NotFound):
        services.heat_map(uow(), pm, "NOPE")


def test_a_person_who_departed_is_refused_as_owner(
    uow: UowFactory, rw: RiskWorld, operator: Principal
) -> None:
    update_person(uow(), operator, rw.base.alice, PersonUpdate(status="departed"))
    before = counts(uow)
    with pytest.raises(ValidationFailed) as refused:
        raise_(uow, rw)
    assert problems(refused.value) == {"owner_id": "Alice Archer is departed"}
    assert counts(uow) == before
