"""Two changes to one project at the same time keep it consistent, on PostgreSQL.

SQLite runs one writer at a time (BEGIN IMMEDIATE), so these races exist only on
PostgreSQL, and the tests run only there. Each writer is held just after its check
passes until the other writer has passed its own check too (the race: both would commit
what each checked alone) or is waiting behind the first one's lock (the fix), and the
test then asserts the invariant and that the loser got a clear error.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Principal
from coalition.agreements import services as agreements
from coalition.agreements.models import Agreement
from coalition.agreements.schemas import (
    AgreementIn,
    AgreementUpdate,
    AmendmentIn,
    PartyIn,
    StatusChangeIn,
)
from coalition.errors import ValidationFailed
from coalition.projects import checks
from coalition.projects import services as projects
from coalition.projects.models import Member, Milestone, Participant, Project
from coalition.projects.schemas import (
    MemberIn,
    MilestoneIn,
    ParticipantIn,
    ProjectIn,
    ProjectOut,
    ProjectUpdate,
    WithdrawIn,
)
from coalition.registry.reference import load_reference
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import uow_factory
from tests.conftest import REFERENCE_DIR, UowFactory
from tests.factories import World, make_world

pytestmark = pytest.mark.postgres

OPERATOR = Principal.operator("tester")
HOLD_SECONDS = 5.0


@pytest.fixture(scope="module")
def committed(postgres_engine: Engine) -> Iterator[Engine]:
    """A schema of its own where commits are real; the shared schema's tests roll back
    and must never see these rows."""
    schema = f"coalition_race_{uuid.uuid4().hex[:8]}"
    with postgres_engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(
        postgres_engine.url.render_as_string(hide_password=False),
        connect_args={"options": f"-csearch_path={schema}"},
    )
    try:
        upgrade(engine)
        load_reference(uow_factory(engine)(), OPERATOR, REFERENCE_DIR)
        yield engine
    finally:
        engine.dispose()
        with postgres_engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="module")
def new(committed: Engine) -> UowFactory:
    return uow_factory(committed)


@pytest.fixture(scope="module")
def world(new: UowFactory) -> World:
    return make_world(new, OPERATOR)


def sense(
    new: UowFactory, world: World, code: str, agreement: uuid.UUID | None = None
) -> ProjectOut:
    """A project led by the USA lab from 2024-01-01 to 2028-01-01, by default under the MoU."""
    return projects.create_project(
        new(),
        OPERATOR,
        ProjectIn(
            code=code,
            title="Sensor fusion",
            agreement_id=agreement or world.mou,
            start_on=date(2024, 1, 1),
            end_on=date(2028, 1, 1),
            lead_organisation_id=world.usa_lab,
        ),
    )


def join(new: UowFactory, project: ProjectOut, organisation: uuid.UUID, role: str) -> uuid.UUID:
    data = ParticipantIn(organisation_id=organisation, role=role, joined_on=date(2024, 3, 1))
    return projects.add_participant(new(), OPERATOR, project.id, data).id


class Race:
    """Runs two use cases at once, each held right after one of ``checks_to_hold`` passes."""

    def __init__(
        self,
        engine: Engine,
        monkeypatch: pytest.MonkeyPatch,
        *checks_to_hold: tuple[ModuleType, str],
    ) -> None:
        self._engine = engine
        self._passed = 0
        self._count = threading.Lock()
        self._both_passed = threading.Event()
        for module, name in checks_to_hold:
            monkeypatch.setattr(module, name, self._held(getattr(module, name)))

    def _held(self, check: Callable[..., Any]) -> Callable[..., Any]:
        def held(*args: Any, **kwargs: Any) -> Any:
            result = check(*args, **kwargs)
            self._hold(_session_of(args))
            return result

        return held

    def _hold(self, session: Session) -> None:
        with self._count:
            self._passed += 1
            if self._passed == 2:
                self._both_passed.set()
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        deadline = time.monotonic() + HOLD_SECONDS
        while not self._both_passed.is_set() and not self._blocks_someone(pid):
            if time.monotonic() > deadline:
                raise AssertionError("the other writer neither passed its check nor waited")
            time.sleep(0.01)

    def _blocks_someone(self, pid: int) -> bool:
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
        )
        with self._engine.connect() as connection:
            return bool(connection.execute(query, {"pid": pid}).scalar_one())

    def run(self, *use_cases: Callable[[], object]) -> tuple[list[object], list[BaseException]]:
        """Both use cases' results and errors; a test expects one of each."""
        outcomes: list[object] = [None] * len(use_cases)

        def attempt(index: int, use_case: Callable[[], object]) -> None:
            try:
                outcomes[index] = use_case()
            except Exception as exc:
                outcomes[index] = exc

        threads = [
            threading.Thread(target=attempt, args=(i, use_case))
            for i, use_case in enumerate(use_cases)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=3 * HOLD_SECONDS)
            assert not thread.is_alive(), "a writer never finished"
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        return [o for o in outcomes if not isinstance(o, BaseException)], errors


def _session_of(args: tuple[Any, ...]) -> Session:
    for arg in args:
        if isinstance(arg, Session):
            return arg
        state = inspect(arg, raiseerr=False)
        if state is not None and getattr(state, "session", None) is not None:
            session: Session = state.session
            return session
    raise AssertionError("the held check was given no row of a session")


def one_refused(
    outcomes: tuple[list[object], list[BaseException]], message: str = ""
) -> ValidationFailed:
    """Exactly one writer succeeded; the other was refused with a ValidationFailed."""
    done, errors = outcomes
    assert (len(done), len(errors)) == (1, 1), outcomes
    refused = errors[0]
    assert isinstance(refused, ValidationFailed) and message in str(refused), refused
    return refused


def test_two_leads_withdrawing_at_once_leave_the_project_a_lead(
    new: UowFactory, world: World, committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sense(new, world, "RACE-LEADS")
    usa = project.participants[0].id
    gbr = join(new, project, world.gbr_lab, "lead")
    race = Race(committed, monkeypatch, (checks, "check_not_last_lead"))
    outcomes = race.run(
        *(
            lambda p=p: projects.withdraw_participant(
                new(), OPERATOR, p, WithdrawIn(withdrew_on=date(2025, 1, 1))
            )
            for p in (usa, gbr)
        )
    )
    with Session(committed) as session:
        current = session.scalars(
            select(Participant.role).where(
                Participant.project_id == project.id, Participant.withdrew_on.is_(None)
            )
        ).all()
    assert current == ["lead"]
    one_refused(outcomes, "appoint another lead first")


def test_overlapping_memberships_added_at_once_make_one(
    new: UowFactory, world: World, committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sense(new, world, "RACE-MEMBERS")
    join(new, project, world.gbr_lab, "partner")
    race = Race(committed, monkeypatch, (checks, "check_new_member"))
    outcomes = race.run(
        *(
            lambda on=on: projects.add_member(
                new(),
                OPERATOR,
                project.id,
                MemberIn(person_id=world.bob, role="researcher", joined_on=on),
            )
            for on in (date(2024, 4, 1), date(2024, 6, 1))
        )
    )
    with Session(committed) as session:
        count = session.scalar(select(func.count()).where(Member.project_id == project.id))
    assert count == 1
    one_refused(outcomes, "Bob Baker is already a member then")


def test_one_organisation_joining_twice_at_once_joins_once(
    new: UowFactory, world: World, committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sense(new, world, "RACE-JOIN")
    race = Race(committed, monkeypatch, (checks, "check_new_participation"))
    outcomes = race.run(
        lambda: join(new, project, world.gbr_lab, "partner"),
        lambda: join(new, project, world.gbr_lab, "observer"),
    )
    with Session(committed) as session:
        count = session.scalar(
            select(func.count())
            .where(Participant.organisation_id == world.gbr_lab)
            .where(Participant.project_id == project.id)
        )
    assert count == 1
    one_refused(outcomes, "UKSL already takes part in that period")


def test_a_withdrawal_and_a_later_joining_employee_at_once_leave_no_member_behind(
    new: UowFactory, world: World, committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sense(new, world, "RACE-WITHDRAW")
    gbr = join(new, project, world.gbr_lab, "partner")
    race = Race(committed, monkeypatch, (checks, "leaving_with"), (checks, "check_new_member"))
    outcomes = race.run(
        lambda: projects.withdraw_participant(
            new(), OPERATOR, gbr, WithdrawIn(withdrew_on=date(2025, 1, 1))
        ),
        lambda: projects.add_member(
            new(),
            OPERATOR,
            project.id,
            MemberIn(person_id=world.bob, role="researcher", joined_on=date(2025, 3, 1)),
        ),
    )
    with Session(committed) as session:
        withdrew_on = session.scalar(select(Participant.withdrew_on).where(Participant.id == gbr))
        members = session.execute(
            select(Member.joined_on, Member.left_on).where(Member.project_id == project.id)
        ).all()
    if withdrew_on is not None:
        assert all(
            joined <= withdrew_on and left is not None and left <= withdrew_on
            for joined, left in members
        ), members
    one_refused(outcomes)


def test_a_milestone_added_while_the_end_moves_earlier_stays_within_the_project(
    new: UowFactory, world: World, committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sense(new, world, "RACE-END")
    race = Race(committed, monkeypatch, (checks, "fit_team_and_plan"), (checks, "check_due"))
    outcomes = race.run(
        lambda: projects.update_project(
            new(), OPERATOR, project.id, ProjectUpdate(end_on=date(2026, 1, 1))
        ),
        lambda: projects.add_milestone(
            new(), OPERATOR, project.id, MilestoneIn(code="M1", title="T", due_on=date(2027, 1, 1))
        ),
    )
    with Session(committed) as session:
        end_on = session.scalar(select(Project.end_on).where(Project.id == project.id))
        due = session.scalars(select(Milestone.due_on).where(Milestone.project_id == project.id))
        assert end_on is not None and all(d <= end_on for d in due)
    one_refused(outcomes)


def test_a_project_set_up_while_its_agreement_is_shortened_does_not_outlast_it(
    new: UowFactory, world: World, committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    mou = agreements.create_agreement(
        new(),
        OPERATOR,
        AgreementIn(
            reference="MOU-RACE",
            title="Race MoU",
            kind="mou",
            effective_from=date(2020, 1, 1),
            expires_on=date(2030, 1, 1),
            classification_ceiling=3,
            parties=[PartyIn(organisation_id=world.usa_lab)],
        ),
    )
    agreements.change_status(
        new(), OPERATOR, mou.id, StatusChangeIn(to_status="in_force", reason="signed")
    )
    shorter = AgreementUpdate(
        expires_on=date(2027, 1, 1),
        amendment=AmendmentIn(
            title="Shorter", signed_on=date(2024, 1, 1), effective_from=date(2024, 1, 1)
        ),
    )
    race = Race(committed, monkeypatch, (checks, "check_project"), (agreements, "check_agreement"))
    outcomes = race.run(
        lambda: sense(new, world, "RACE-AGREEMENT", agreement=mou.id),
        lambda: agreements.update_agreement(new(), OPERATOR, mou.id, shorter),
    )
    with Session(committed) as session:
        expires_on = session.scalar(select(Agreement.expires_on).where(Agreement.id == mou.id))
        ends = session.scalars(select(Project.end_on).where(Project.agreement_id == mou.id))
        assert expires_on is not None and all(e is not None and e <= expires_on for e in ends)
    one_refused(outcomes)
