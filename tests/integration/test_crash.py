"""Acknowledged writes survive `kill -9`, and a failed use case leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from sqlalchemy import func, select

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.errors import ValidationFailed
from coalition.ledger.log import audit, integrate
from coalition.ledger.models import LedgerEntry, LedgerPending
from coalition.registry import people
from coalition.registry.models import Organisation, Person
from coalition.registry.schemas import PersonIn
from coalition.store.db import make_engine
from coalition.store.uow import uow_factory
from tests.conftest import UowFactory
from tests.factories import make_world

WRITER = textwrap.dedent(
    """
    import sys
    from coalition.accounts.permissions import Principal
    from coalition.registry.schemas import OrganisationIn
    from coalition.registry.services import create_organisation
    from coalition.store.db import make_engine
    from coalition.store.uow import uow_factory

    uow = uow_factory(make_engine(sys.argv[1]))
    actor = Principal.operator("crash-test")
    for n in range(100000):
        created = create_organisation(uow(), actor, OrganisationIn(
            name=f"Lab {n}", short_name=f"L{n}", kind="lab", nation_code="GBR"))
        # Printed only after commit returned: this is the acknowledgement.
        print(created.id, flush=True)
    """
)


def test_acknowledged_writes_survive_kill_9(fresh_url: str, backend: str) -> None:
    url = fresh_url
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert writer.stdout is not None
    acknowledged: list[str] = []
    deadline = time.monotonic() + 60
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if not line:
            break
        acknowledged.append(line.strip())
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert len(acknowledged) >= 40, "the writer did not get going"

    engine = make_engine(url)
    with engine.connect() as connection:
        stored = {str(i) for i in connection.scalars(select(Organisation.id))}
        events = connection.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.tag == "registry:organisation:create")
        )
        integrity = (
            connection.exec_driver_sql("PRAGMA integrity_check").scalar()
            if backend == "sqlite"
            else "ok"
        )
    assert set(acknowledged) <= stored
    # Every organisation that exists has its event: the change and its record are one.
    assert events == len(stored)
    assert integrity == "ok"


def test_a_use_case_failing_half_way_writes_nothing(
    uow: UowFactory, operator: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(uow, operator)

    def count_people() -> int:
        with uow() as u:
            return u.session.scalar(select(func.count()).select_from(Person)) or 0

    before = count_people()

    def fail_after_flush(*args: object, **kwargs: object) -> None:
        raise ValidationFailed.of("simulated", "failure after the person was flushed")

    monkeypatch.setattr(people, "record_event", fail_after_flush)
    with pytest.raises(ValidationFailed):
        people.create_person(
            uow(),
            operator,
            PersonIn(
                given_name="Half",
                family_name="Written",
                email=f"{uuid.uuid4()}@x.example",
                employer_id=world.gbr_lab,
                citizenships=["GBR"],
            ),
        )
    assert count_people() == before


def test_the_ledger_survives_kill_9_twenty_times(fresh_url: str, backend: str) -> None:
    """Each acknowledged change has its entry, nothing else has one, and after the kills
    the tree integrates and verifies."""
    acknowledged: list[str] = []
    for run in range(20):
        writer = subprocess.Popen(
            [sys.executable, "-c", _writer_for(run), fresh_url],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert writer.stdout is not None
        for _ in range(3):
            line = writer.stdout.readline()
            if not line:
                break
            acknowledged.append(line.strip())
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    assert len(acknowledged) >= 40, "the writers did not get going"

    engine = make_engine(fresh_url)
    factory = uow_factory(engine)
    with factory() as unit:
        session = unit.session
        stored = {str(i) for i in session.scalars(select(Organisation.id))}
        events = session.scalar(select(func.count()).select_from(Event)) or 0
        entries = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
        pending = session.scalar(select(func.count()).select_from(LedgerPending)) or 0
    assert set(acknowledged) <= stored
    assert entries + pending == events  # no change without its entry, nor the reverse
    with factory() as unit:
        unit.for_writing()
        while integrate(unit.session):
            pass
        unit.commit()
    with factory() as unit:
        result = audit(unit.session)
    assert result.first_bad_index is None and result.size == events, result
    engine.dispose()


def _writer_for(run: int) -> str:
    """The writer with short names of its own: a change the last run committed but never
    acknowledged (killed in between) must not make this run's first write a conflict."""
    return WRITER.replace('short_name=f"L{n}"', f'short_name=f"R{run}-{{n}}"')
