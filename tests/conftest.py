"""Test harness.

Every test that touches the database runs on SQLite and on PostgreSQL (the `backend`
parameter). The schema comes from the Alembic migrations, built once per run; reference
data (schemes, groups) is loaded once and committed; each test then runs inside an outer
transaction that is rolled back, so tests never see each other's writes.

PostgreSQL: COALITION_TEST_POSTGRES_URL (default: the local server, database `test`).
Where it cannot be reached the PostgreSQL half skips with a reason, unless
COALITION_REQUIRE_POSTGRES=1 (CI), where it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from coalition.accounts.permissions import Principal
from coalition.registry.reference import load_reference
from coalition.registry.schemas import NationIn
from coalition.registry.services import create_nation
from coalition.settings import Settings
from coalition.store.db import make_engine
from coalition.store.migrate import upgrade
from coalition.store.uow import UnitOfWork, uow_factory


@pytest.fixture(autouse=True)
def _fresh_alert_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with the federation's per-process alert budget unspent: otherwise
    the unverified alerts of earlier tests on the same worker, within the same minute,
    would silently keep a later test's alert from being written."""
    from coalition.federation import alerts

    monkeypatch.setattr(alerts, "_THROTTLE", alerts._Throttle())


DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REFERENCE_DIR = Path(__file__).resolve().parents[1] / "src" / "coalition" / "reference"
SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"

UowFactory = Callable[[], UnitOfWork]


def require_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false", "no")


def _prepare(engine: Engine) -> None:
    upgrade(engine)
    load_reference(uow_factory(engine)(), Principal.operator("test-setup"), REFERENCE_DIR)


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("db") / "coalition.db"
    engine = make_engine(f"sqlite:///{path}")
    _prepare(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine(worker_id: str) -> Iterator[Engine]:
    url = os.environ.get("COALITION_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    # One schema per test worker, so parallel workers never meet.
    schema = f"coalition_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {url}: {type(exc).__name__}"
        if require_flag("COALITION_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        _prepare(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    # pytest-xdist provides worker_id; without xdist the run is one "master" worker.
    config = request.config
    workerinput: dict[str, str] = getattr(config, "workerinput", {})
    return workerinput.get("workerid", "master")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest) -> Engine:
    name = "sqlite_engine" if backend == "sqlite" else "postgres_engine"
    found: Engine = request.getfixturevalue(name)
    return found


@pytest.fixture
def uow(engine: Engine) -> Iterator[UowFactory]:
    """A unit-of-work factory whose commits land in savepoints of a rolled-back transaction."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield lambda: UnitOfWork(factory)
    outer.rollback()
    connection.close()


@pytest.fixture
def operator() -> Principal:
    return Principal.operator("tester")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, host="127.0.0.1", login_max_failures=3)


@pytest.fixture
def today() -> date:
    return date(2026, 6, 1)


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend under test (its own file or schema), migrated,
    with one nation; for tests that commit for real or run other processes."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        schema = None
    else:
        base = os.environ.get("COALITION_TEST_POSTGRES_URL", DEFAULT_PG_URL)
        schema = f"fresh_{uuid.uuid4().hex[:10]}"
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
