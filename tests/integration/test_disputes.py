"""Disputes through the use cases, on SQLite and PostgreSQL: raising one under an agreement's
ladder, taking it up by hand one level at a time, the automatic escalation at the exact due
moment, catching up over several levels and running out of ladder, settlement and
withdrawal, refusals that name the field and leave nothing behind, who may see and do what,
and the notices and ledger events each change leaves.

The world is tests/factories.py's, with an agreement (PA-SENSORS) between its three labs
that sets a three-level ladder, a project under it, and one person per lab who may manage
disputes; plus Olga, who manages disputes for a lab outside the agreement. Disputes are
raised at NOW."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal, Role, ScopeKind
from coalition.accounts.schemas import AccountIn, GrantIn
from coalition.accounts.services import create_account
from coalition.agreements.schemas import AgreementIn, DisputeStep, PartyIn
from coalition.agreements.services import create_agreement
from coalition.audit.models import Event
from coalition.common.access import principal_for_account
from coalition.disputes import services
from coalition.disputes.models import Dispute, DisputeStatus, DisputeSubject
from coalition.disputes.models import DisputeStep as StepRow
from coalition.disputes.schemas import (
    DisputeIn,
    DisputeOut,
    EscalationIn,
    SettlementIn,
    WithdrawalIn,
)
from coalition.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from coalition.ledger.models import LedgerEntry, LedgerPending
from coalition.notifications.models import Notification
from coalition.projects.schemas import ProjectIn
from coalition.projects.services import create_project
from coalition.registry.people import create_person
from coalition.registry.schemas import OrganisationIn, PersonIn
from coalition.registry.services import create_organisation
from coalition.settings import Settings
from tests.conftest import UowFactory
from tests.factories import PASSWORD, World, make_world

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
AGREEMENT = "PA-SENSORS"
PROJECT = "SENSE"
LADDER = [("Project officers", 30), ("Steering committee", 60), ("Ministers", 90)]
SETTINGS = Settings()


@dataclass
class DisputeWorld:
    base: World
    outside_lab: uuid.UUID
    agreement: uuid.UUID
    people: dict[str, uuid.UUID]
    accounts: dict[str, uuid.UUID]


def make_dispute_world(
    new: UowFactory, actor: Principal, base: World | None = None, *, admin: bool = True
) -> DisputeWorld:
    """PA-SENSORS between USAPL, UKSL and LOPT with a three-level ladder and project SENSE;
    accounts (password tests.factories.PASSWORD): alice (programme manager, USAPL), bob
    (finance officer, UKSL), fran (IP officer, LOPT), olga (programme manager of USNL, a lab
    outside the agreement), rita (researcher, UKSL: may read, not manage), admin (node)."""
    base = base or make_world(new, actor)
    outside = create_organisation(
        new(),
        actor,
        OrganisationIn(name="US Naval Lab", short_name="USNL", kind="lab", nation_code="USA"),
    ).id
    agreement = create_agreement(
        new(),
        actor,
        AgreementIn(
            reference=AGREEMENT,
            title="Sensors project arrangement",
            kind="project_arrangement",
            effective_from=date(2024, 1, 1),
            parties=[
                PartyIn(organisation_id=base.usa_lab),
                PartyIn(organisation_id=base.gbr_lab),
                PartyIn(organisation_id=base.fra_lab),
            ],
            dispute_ladder=[DisputeStep(level=name, days=days) for name, days in LADDER],
        ),
    ).id
    create_project(
        new(),
        actor,
        ProjectIn(
            code=PROJECT,
            title="Sensor fusion",
            agreement_id=agreement,
            start_on=date(2024, 2, 1),
            lead_organisation_id=base.usa_lab,
        ),
    )
    people = {"alice": base.alice, "bob": base.bob}
    people["fran"] = _person(new, actor, "Fran", "fran@lopt.example", base.fra_lab, "FRA")
    people["olga"] = _person(new, actor, "Olga", "olga@usnl.example", outside, "USA")
    grants: dict[str, tuple[Role, uuid.UUID | None]] = {
        "alice": (Role.PROGRAMME_MANAGER, base.usa_lab),
        "bob": (Role.FINANCE_OFFICER, base.gbr_lab),
        "fran": (Role.IP_OFFICER, base.fra_lab),
        "olga": (Role.PROGRAMME_MANAGER, outside),
        "rita": (Role.RESEARCHER, base.gbr_lab),
    }
    if admin:  # tests/api/conftest.py's world has its own
        grants["admin"] = (Role.NODE_ADMIN, None)
    accounts = {}
    for username, (role, scope) in grants.items():
        accounts[username] = create_account(
            new(),
            actor,
            AccountIn(
                username=username,
                display_name=username.title(),
                password=PASSWORD,
                person_id=people.get(username),
                grants=[
                    GrantIn(
                        role=role,
                        scope_kind=ScopeKind.ORGANISATION if scope else ScopeKind.NODE,
                        scope_id=scope,
                    )
                ],
            ),
        ).id
    return DisputeWorld(base, outside, agreement, people, accounts)


def _person(
    new: UowFactory, actor: Principal, name: str, email: str, employer: uuid.UUID, nation: str
) -> uuid.UUID:
    return create_person(
        new(),
        actor,
        PersonIn(
            given_name=name,
            family_name="Tester",
            email=email,
            employer_id=employer,
            citizenships=[nation],
        ),
    ).id


def actor_of(new: UowFactory, dw: DisputeWorld, username: str) -> Principal:
    with new() as unit:
        found = principal_for_account(unit.session, dw.accounts[username])
    assert found is not None
    return found


@pytest.fixture
def dw(uow: UowFactory, operator: Principal) -> DisputeWorld:
    return make_dispute_world(uow, operator)


def command(reference: str = "DSP-1", **changes: Any) -> DisputeIn:
    values: dict[str, Any] = {
        "reference": reference,
        "agreement": AGREEMENT,
        "project": PROJECT,
        "subject": "funding",
        "title": "Share of the trials' cost",
        "description": "UKSL has not paid its share of the February trials.",
        "raised_by": "USAPL",
        "parties": ["UKSL"],
    }
    return DisputeIn.model_validate(values | changes)


def raise_(
    uow: UowFactory,
    dw: DisputeWorld,
    who: str = "alice",
    reference: str = "DSP-1",
    *,
    now: datetime = NOW,
    **changes: Any,
) -> DisputeOut:
    return services.raise_dispute(
        uow(), actor_of(uow, dw, who), command(reference, **changes), SETTINGS, now=now
    )


def escalate(
    uow: UowFactory,
    dw: DisputeWorld,
    dispute: uuid.UUID,
    who: str = "bob",
    *,
    now: datetime = NOW,
    **changes: Any,
) -> DisputeOut:
    data = EscalationIn.model_validate({"reason": "no answer from UKSL's officer"} | changes)
    return services.escalate(uow(), actor_of(uow, dw, who), dispute, data, SETTINGS, now=now)


def tick(uow: UowFactory, at: datetime, actor: Principal | None = None) -> list[Any]:
    return services.escalate_due(uow(), actor or Principal.operator("clock"), SETTINGS, now=at)


def show(
    uow: UowFactory, dw: DisputeWorld, dispute: uuid.UUID, who: str = "alice", **kw: Any
) -> DisputeOut:
    return services.get_dispute(uow(), actor_of(uow, dw, who), dispute, SETTINGS, **kw)


def counts(uow: UowFactory) -> dict[str, int]:
    """Everything a dispute use case may write."""
    tables: dict[str, Any] = {
        "disputes": Dispute,
        "steps": StepRow,
        "notifications": Notification,
        "ledger": LedgerEntry,
        "pending": LedgerPending,
    }
    with uow() as unit:
        s = unit.session
        found = {k: s.scalar(select(func.count()).select_from(t)) or 0 for k, t in tables.items()}
        found["events"] = (
            s.scalar(select(func.count()).select_from(Event).where(Event.tag.like("disputes:%")))
            or 0
        )
        return found


def refused(uow: UowFactory, error: type[Exception], call: Any) -> Any:
    before = counts(uow)
    with pytest.raises(error) as raised:
        call()
    assert counts(uow) == before
    return raised.value


def problems(error: ValidationFailed) -> dict[str, str]:
    return {p.field: p.message for p in error.problems}


def tags(uow: UowFactory, dispute: uuid.UUID) -> list[str]:
    with uow() as unit:
        return list(
            unit.session.scalars(
                select(Event.tag).where(Event.object_id == str(dispute)).order_by(Event.id)
            )
        )


def notices(uow: UowFactory, dw: DisputeWorld, dispute: uuid.UUID) -> list[tuple[str, str]]:
    """(person, key suffix) of every notice about the dispute."""
    names = {v: k for k, v in dw.people.items()}
    with uow() as unit:
        rows = unit.session.execute(
            select(Notification.person_id, Notification.key, Notification.link)
            .where(Notification.key.like(f"dispute:{dispute}:%"))
            .order_by(Notification.key, Notification.person_id)
        ).all()
    assert all(row.link == f"/disputes/{dispute}" for row in rows)
    prefix = f"dispute:{dispute}:"
    return sorted((names[row.person_id], row.key.removeprefix(prefix)) for row in rows)


# --- raising ------------------------------------------------------------------------------------


def test_a_dispute_starts_at_the_first_level_with_its_days_from_now(
    uow: UowFactory, dw: DisputeWorld
) -> None:
    made = raise_(uow, dw)
    assert (made.status, made.level, made.level_name) == ("open", 1, "Project officers")
    assert (made.level_since, made.level_due) == (NOW, NOW + 30 * DAY)
    assert (made.agreement, made.project, made.raised_by, made.subject) == (
        AGREEMENT,
        PROJECT,
        "USAPL",
        "funding",
    )
    assert [(p.short_name, p.raiser) for p in made.parties] == [("USAPL", True), ("UKSL", False)]
    assert [(lv.number, lv.state, lv.due) for lv in made.ladder] == [
        (1, "current", NOW + 30 * DAY),
        (2, "ahead", NOW + 90 * DAY),
        (3, "ahead", NOW + 180 * DAY),
    ]
    assert [(s.kind, s.level, s.by) for s in made.steps] == [("raised", 1, "alice")]
    assert made.allowed_actions == ["escalate", "settle", "withdraw"]
    seen = show(uow, dw, made.id, now=NOW + 10 * DAY + 2 * 3600 * SECOND)
    assert (seen.time_left, seen.overdue, seen.seconds_left) == (
        "19 days left",
        False,
        (20 * DAY - 2 * 3600 * SECOND).total_seconds(),
    )
    assert show(uow, dw, made.id, now=NOW + 27 * DAY + 2 * 3600 * SECOND).time_left == (
        "2 days 22 hours left"
    )
    # The side it is raised against escalates; only the raising side settles or withdraws.
    assert show(uow, dw, made.id, "bob").allowed_actions == ["escalate"]
    assert show(uow, dw, made.id, "rita").allowed_actions == []
    assert tags(uow, made.id) == ["disputes:dispute:raised"]
    # The people who may act for each party are told; LOPT is not a party to this one.
    assert notices(uow, dw, made.id) == [("alice", "raised"), ("bob", "raised")]


def test_three_parties_and_the_raiser_named_again(uow: UowFactory, dw: DisputeWorld) -> None:
    made = raise_(uow, dw, parties=["uksl", "USAPL", str(dw.base.fra_lab), "UKSL"], project=None)
    assert [p.short_name for p in made.parties] == ["USAPL", "LOPT", "UKSL"]
    assert made.project is None
    assert notices(uow, dw, made.id) == [("alice", "raised"), ("bob", "raised"), ("fran", "raised")]
    # Any party's manager may escalate; the raising side alone settles or withdraws.
    assert show(uow, dw, made.id, "fran").allowed_actions == ["escalate"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"agreement": "PA-NONE"}, "agreement", "no agreement 'PA-NONE'"),
        ({"agreement": "MOU-USA-GBR", "project": None}, "agreement", services.NO_LADDER),
        ({"project": "NOPE"}, "project", f"no project 'NOPE' under {AGREEMENT}"),
        ({"raised_by": "NOBODY"}, "raised_by", "no organisation 'NOBODY'"),
        ({"parties": ["USNL"]}, "parties", f"USNL is not party to {AGREEMENT}"),
        ({"parties": ["NOBODY"]}, "parties", "no organisation 'NOBODY'"),
        ({"parties": ["USAPL"]}, "parties", "name at least one party other than the raiser"),
    ],
)
def test_raising_is_refused_naming_the_field_and_writes_nothing(
    uow: UowFactory, dw: DisputeWorld, changes: dict[str, Any], field: str, message: str
) -> None:
    error = refused(uow, ValidationFailed, lambda: raise_(uow, dw, "admin", **changes))
    assert problems(error) == {field: message}


def test_the_raiser_must_be_a_party_and_the_actors_own(uow: UowFactory, dw: DisputeWorld) -> None:
    error = refused(uow, ValidationFailed, lambda: raise_(uow, dw, "olga", raised_by="USNL"))
    # Olga may not read PA-SENSORS at all: for her it does not exist.
    assert problems(error) == {"agreement": f"no agreement '{AGREEMENT}'"}
    error = refused(uow, ValidationFailed, lambda: raise_(uow, dw, "admin", raised_by="USNL"))
    assert problems(error) == {"raised_by": f"USNL is not party to {AGREEMENT}"}
    refused(uow, PermissionDenied, lambda: raise_(uow, dw, "bob"))  # for USAPL
    refused(uow, PermissionDenied, lambda: raise_(uow, dw, "rita", raised_by="UKSL"))
    raise_(uow, dw)
    error = refused(uow, Conflict, lambda: raise_(uow, dw))
    assert "reference: a dispute 'DSP-1' already exists" in str(error)


def test_the_ladder_is_the_agreements_when_raised(uow: UowFactory, dw: DisputeWorld) -> None:
    from coalition.agreements.schemas import AgreementUpdate
    from coalition.agreements.services import update_agreement

    made = raise_(uow, dw)
    update_agreement(
        uow(),
        Principal.operator("t"),
        dw.agreement,
        AgreementUpdate(dispute_ladder=[DisputeStep(level="Arbitration", days=5)]),
    )
    assert [lv.level for lv in show(uow, dw, made.id).ladder] == [n for n, _ in LADDER]
    assert raise_(uow, dw, reference="DSP-2").ladder[0].level == "Arbitration"


# --- by hand ----------------------------------------------------------------------------------


def test_any_party_takes_it_up_one_level_by_hand(uow: UowFactory, dw: DisputeWorld) -> None:
    made = raise_(uow, dw)
    later = NOW + 3 * DAY
    up = escalate(uow, dw, made.id, now=later)
    assert (up.level, up.level_name, up.level_since, up.level_due) == (
        2,
        "Steering committee",
        later,
        later + 60 * DAY,
    )
    assert [(lv.state, lv.due) for lv in up.ladder] == [
        ("passed", None),
        ("current", later + 60 * DAY),
        ("ahead", later + 150 * DAY),
    ]
    assert [(s.kind, s.level, s.by, s.note) for s in up.steps][-1] == (
        "escalated",
        2,
        "bob",
        "no answer from UKSL's officer",
    )
    assert tags(uow, made.id) == ["disputes:dispute:raised", "disputes:dispute:escalated"]
    assert notices(uow, dw, made.id) == [
        ("alice", "level:2"),
        ("alice", "raised"),
        ("bob", "level:2"),
        ("bob", "raised"),
    ]
    # The next level by number is the same request.
    assert escalate(uow, dw, made.id, "alice", to_level=3).level == 3


def test_an_escalation_may_not_skip_a_level(uow: UowFactory, dw: DisputeWorld) -> None:
    made = raise_(uow, dw)
    error = refused(uow, ValidationFailed, lambda: escalate(uow, dw, made.id, to_level=3))
    assert "an escalation may not skip a level" in problems(error)["to_level"]
    assert "level 2 (Steering committee) only" in problems(error)["to_level"]
    error = refused(uow, ValidationFailed, lambda: escalate(uow, dw, made.id, to_level=1))
    assert "already at level 1 (Project officers)" in problems(error)["to_level"]
    escalate(uow, dw, made.id)
    escalate(uow, dw, made.id)
    error = refused(uow, ValidationFailed, lambda: escalate(uow, dw, made.id))
    assert problems(error) == {
        "to_level": "the dispute is at the last level, level 3 (Ministers): "
        "there is no level above it"
    }
    assert "escalate" not in show(uow, dw, made.id).allowed_actions


def test_who_may_escalate(uow: UowFactory, dw: DisputeWorld) -> None:
    made = raise_(uow, dw)
    refused(uow, PermissionDenied, lambda: escalate(uow, dw, made.id, "rita"))
    refused(uow, NotFound, lambda: escalate(uow, dw, made.id, "olga"))
    # LOPT is party to the agreement, not to this dispute.
    refused(uow, PermissionDenied, lambda: escalate(uow, dw, made.id, "fran"))


# --- by time ----------------------------------------------------------------------------------


def test_the_clock_escalates_at_the_due_moment_not_before(
    uow: UowFactory, dw: DisputeWorld
) -> None:
    made = raise_(uow, dw)
    due = NOW + 30 * DAY
    assert tick(uow, due - SECOND) == []
    assert show(uow, dw, made.id, now=due - SECOND).overdue is False
    at_due = show(uow, dw, made.id, now=due)
    assert (at_due.overdue, at_due.time_left) == (True, "overdue by 0 minutes")
    before = counts(uow)
    [done] = tick(uow, due)
    assert (done.reference, done.from_level, done.to_level, done.levels_climbed) == (
        "DSP-1",
        1,
        2,
        1,
    )
    assert (done.level_name, done.exhausted, done.level_due) == (
        "Steering committee",
        False,
        due + 60 * DAY,
    )
    after = counts(uow)
    assert after["steps"] - before["steps"] == 1 and after["events"] - before["events"] == 1
    assert after["ledger"] + after["pending"] > before["ledger"] + before["pending"]
    up = show(uow, dw, made.id, now=due + SECOND)
    assert (up.level, up.level_since, up.overdue) == (2, due, False)
    assert [(s.kind, s.level, s.at, s.by) for s in up.steps][-1] == (
        "escalated_by_time",
        2,
        due,
        "operator:clock",
    )
    assert ("bob", "level:2") in notices(uow, dw, made.id)
    # Idempotent: again at the same moment, or a little later, nothing changes.
    assert tick(uow, due) == []
    assert tick(uow, due + DAY) == []
    assert counts(uow) == after


def test_a_late_run_catches_up_level_by_level(uow: UowFactory, dw: DisputeWorld) -> None:
    made = raise_(uow, dw)
    [done] = tick(uow, NOW + 95 * DAY)  # levels 1 and 2 ran out on days 30 and 90
    assert (done.from_level, done.to_level, done.levels_climbed, done.exhausted) == (1, 3, 2, False)
    up = show(uow, dw, made.id, now=NOW + 95 * DAY)
    assert (up.level, up.level_since, up.level_due) == (3, NOW + 90 * DAY, NOW + 180 * DAY)
    assert [(s.kind, s.level, s.at) for s in up.steps] == [
        ("raised", 1, NOW),
        ("escalated_by_time", 2, NOW + 30 * DAY),
        ("escalated_by_time", 3, NOW + 90 * DAY),
    ]
    assert tags(uow, made.id)[1:] == ["disputes:dispute:escalated_by_time"] * 2
    # One notice for the level reached, not one per level passed.
    assert notices(uow, dw, made.id) == [
        ("alice", "level:3"),
        ("alice", "raised"),
        ("bob", "level:3"),
        ("bob", "raised"),
    ]


def test_the_top_level_runs_out_exhausted_and_stays_open(uow: UowFactory, dw: DisputeWorld) -> None:
    made = raise_(uow, dw)
    other = raise_(uow, dw, reference="DSP-2", now=NOW + 100 * DAY)
    [first] = tick(uow, NOW + 90 * DAY)
    assert first.to_level == 3
    second, done = tick(uow, NOW + 180 * DAY)  # the longest overdue first
    assert (done.reference, done.from_level, done.to_level, done.exhausted) == ("DSP-1", 3, 3, True)
    assert done.levels_climbed == 0
    assert (second.reference, second.to_level, second.exhausted) == ("DSP-2", 2, False)
    ended = show(uow, dw, made.id, now=NOW + 181 * DAY)
    assert (ended.status, ended.exhausted, ended.overdue, ended.level) == ("open", True, True, 3)
    assert ended.level_due == NOW + 180 * DAY
    assert ended.steps[-1].kind == "exhausted"
    assert ended.allowed_actions == ["settle", "withdraw"]
    assert ("alice", "exhausted") in notices(uow, dw, made.id)
    before = counts(uow)
    assert [d.reference for d in tick(uow, NOW + 400 * DAY)] == ["DSP-2"]  # DSP-1 untouched
    assert counts(uow)["steps"] - before["steps"] == 2  # DSP-2: level 3, then exhausted
    assert show(uow, dw, other.id, now=NOW + 400 * DAY).exhausted
    settled = services.settle(
        uow(),
        actor_of(uow, dw, "alice"),
        made.id,
        SettlementIn(outcome="referred to the ministers' joint letter"),
        SETTINGS,
        now=NOW + 401 * DAY,
    )
    assert (settled.status, settled.overdue, settled.level_due, settled.exhausted) == (
        "resolved",
        False,
        None,
        True,
    )


def test_the_clock_needs_its_permission(uow: UowFactory, dw: DisputeWorld) -> None:
    raise_(uow, dw)
    refused(uow, PermissionDenied, lambda: tick(uow, NOW + 40 * DAY, actor_of(uow, dw, "alice")))
    assert len(tick(uow, NOW + 40 * DAY, actor_of(uow, dw, "admin"))) == 1


# --- ending ---------------------------------------------------------------------------------------


def test_settlement_by_the_raising_side_ends_the_clock(uow: UowFactory, dw: DisputeWorld) -> None:
    made = raise_(uow, dw)
    # The side it is raised against cannot end it (and stop its clock) by itself.
    refused(
        uow,
        PermissionDenied,
        lambda: services.settle(
            uow(),
            actor_of(uow, dw, "bob"),
            made.id,
            SettlementIn(outcome="nothing is owed"),
            SETTINGS,
            now=NOW + 4 * DAY,
        ),
    )
    settled = services.settle(
        uow(),
        actor_of(uow, dw, "alice"),
        made.id,
        SettlementIn(outcome="UKSL pays in March"),
        SETTINGS,
        now=NOW + 5 * DAY,
    )
    assert (settled.status, settled.outcome, settled.settled_at) == (
        "resolved",
        "UKSL pays in March",
        NOW + 5 * DAY,
    )
    assert (settled.level_due, settled.time_left, settled.allowed_actions) == (None, None, [])
    assert all(lv.due is None for lv in settled.ladder)
    assert settled.steps[-1].kind == "resolved"
    assert tick(uow, NOW + 400 * DAY) == []
    assert ("bob", "settled") in notices(uow, dw, made.id)
    assert tags(uow, made.id)[-1] == "disputes:dispute:settled"
    error = refused(uow, Conflict, lambda: escalate(uow, dw, made.id))
    assert str(error) == "status: the dispute is resolved"
    error = refused(
        uow,
        Conflict,
        lambda: services.withdraw(
            uow(), actor_of(uow, dw, "alice"), made.id, WithdrawalIn(reason="moot"), SETTINGS
        ),
    )
    assert str(error) == "status: the dispute is resolved"


def test_only_the_raising_side_withdraws(uow: UowFactory, dw: DisputeWorld) -> None:
    made = raise_(uow, dw)

    def withdraw(who: str) -> DisputeOut:
        data = WithdrawalIn(reason="paid after all")
        return services.withdraw(uow(), actor_of(uow, dw, who), made.id, data, SETTINGS, now=NOW)

    refused(uow, PermissionDenied, lambda: withdraw("bob"))
    done = withdraw("alice")
    assert (done.status, done.outcome, done.steps[-1].kind) == (
        "withdrawn",
        "paid after all",
        "withdrawn",
    )
    assert ("bob", "withdrawn") in notices(uow, dw, made.id)


# --- reading ----------------------------------------------------------------------------------


def test_outsiders_are_told_not_found_and_lists_leave_it_out(
    uow: UowFactory, dw: DisputeWorld
) -> None:
    made = raise_(uow, dw)
    olga = actor_of(uow, dw, "olga")
    with pytest.raises(NotFound, match="no dispute with this id"):
        services.get_dispute(uow(), olga, made.id, SETTINGS)
    with pytest.raises(NotFound, match="no dispute with this id"):
        services.get_dispute(uow(), olga, uuid.uuid4(), SETTINGS)
    with pytest.raises(NotFound, match="no dispute 'DSP-1'"):
        services.dispute_id_for(uow(), olga, "DSP-1")
    assert services.list_disputes(uow(), olga, SETTINGS) == []
    assert services.ladder_agreements(uow(), olga) == []
    # Anyone of a party, even without the permission to act, may read it.
    rita = actor_of(uow, dw, "rita")
    assert [d.reference for d in services.list_disputes(uow(), rita, SETTINGS)] == ["DSP-1"]
    assert services.dispute_id_for(uow(), rita, "DSP-1") == made.id
    assert [a.reference for a in services.ladder_agreements(uow(), rita)] == [AGREEMENT]


def test_lists_filter_by_agreement_status_subject_and_overdue(
    uow: UowFactory, dw: DisputeWorld
) -> None:
    raise_(uow, dw, "alice", "DSP-1")
    raise_(uow, dw, "bob", "DSP-2", raised_by="UKSL", parties=["USAPL"], subject="ip")
    third = raise_(uow, dw, "alice", "DSP-3", now=NOW + 20 * DAY)
    services.settle(
        uow(), actor_of(uow, dw, "alice"), third.id, SettlementIn(outcome="agreed"), SETTINGS
    )
    alice = actor_of(uow, dw, "alice")

    def refs(**filters: Any) -> list[str]:
        found = services.list_disputes(uow(), alice, SETTINGS, now=NOW + 30 * DAY, **filters)
        return [d.reference for d in found]

    assert refs() == ["DSP-1", "DSP-2", "DSP-3"]
    assert refs(agreement=AGREEMENT) == ["DSP-1", "DSP-2", "DSP-3"]
    assert refs(agreement="MOU-USA-GBR") == []
    assert refs(status=DisputeStatus.OPEN) == ["DSP-1", "DSP-2"]
    assert refs(subject=DisputeSubject.IP) == ["DSP-2"]
    assert refs(overdue=True) == ["DSP-1", "DSP-2"]
    late = services.list_disputes(uow(), alice, SETTINGS, overdue=True, now=NOW + 30 * DAY - SECOND)
    assert late == []


def test_a_use_case_failing_half_way_writes_nothing(
    uow: UowFactory, dw: DisputeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = raise_(uow, dw)

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the inbox is on fire")

    # The notices are written last, after the level, the step and the event.
    monkeypatch.setattr(services, "notify", broken)
    for call in (
        lambda: escalate(uow, dw, made.id),
        lambda: tick(uow, NOW + 100 * DAY),
        lambda: raise_(uow, dw, reference="DSP-2"),
    ):
        refused(uow, RuntimeError, call)
    assert show(uow, dw, made.id).level == 1
