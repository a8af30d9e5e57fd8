"""Apply Alembic migrations: the only source of the schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Tables made by migrations in each backend's own dialect, outside the models: the
#: full-text index of expertise (an FTS5 virtual table and its shadow tables on SQLite, a
#: tsvector table on PostgreSQL). Comparisons of the schema with the models leave them out.
UNMODELLED_PREFIXES = ("expertise_search",)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter: everything but the backend-specific search tables."""
    return not (type_ == "table" and name is not None and name.startswith(UNMODELLED_PREFIXES))


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
