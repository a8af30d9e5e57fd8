"""Acknowledged writes survive `kill -9`, and a failed use case leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from coalition.accounts.permissions import Principal
from coalition.audit.models import Event
from coalition.errors import ValidationFailed
from coalition.registry import people
from coalition.registry.models import Organisation, Person
from coalition.registry.schemas import NationIn, PersonIn
from coalition.registry.services import create_nation
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import uow_factory
from tests.conftest import DEFAULT_PG_URL, UowFactory, require_flag
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


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend under test, migrated, with one nation."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.db'}"
        schema = None
    else:
        base = os.environ.get("COALITION_TEST_POSTGRES_URL", DEFAULT_PG_URL)
        schema = f"crash_{uuid.uuid4().hex[:10]}"
        try:
            with make_engine(base).begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:
            if require_flag("COALITION_REQUIRE_POSTGRES"):
                pytest.fail(f"PostgreSQL not reachable: {exc}")
            pytest.skip(f"PostgreSQL not reachable: {type(exc).__name__}")
        url = f"{base}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    create_nation(
        uow_factory(engine)(), Principal.operator("t"), NationIn(code="GBR", currency="GBP")
    )
    engine.dispose()
    yield url
    if schema:
        with make_engine(
            os.environ.get("COALITION_TEST_POSTGRES_URL", DEFAULT_PG_URL)
        ).begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


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
