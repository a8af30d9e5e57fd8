"""Engine creation with the connection settings each backend needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import make_url

#: Execution option a write use case sets so SQLite takes the write lock at BEGIN.
SQLITE_BEGIN = "coalition_sqlite_begin"


def _sqlite_table_hint(compiler: SQLiteCompiler, table: Any, text: str | None) -> str | None:
    return text


# SQLite's INDEXED BY is a table hint, but SQLAlchemy renders no table hints for SQLite:
# render the text given to ``Select.with_hint(table, text, "sqlite")`` after the table.
# Nothing else in Coalition uses SQLite hints.
SQLiteCompiler.get_from_hint_text = _sqlite_table_hint  # type: ignore[method-assign,assignment]


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, **kwargs)
    if parsed.drivername == "postgresql":
        # Ask for psycopg 3 explicitly: plain "postgresql://" would look for psycopg2.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_engine(url: str, database: str | None, **kwargs: Any) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (the pysqlite recipe), so we can
        # choose BEGIN IMMEDIATE for writers and avoid lock-upgrade failures.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers run beside the writer; FULL makes an acknowledged commit
        # survive power loss, which the ledger relies on.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
