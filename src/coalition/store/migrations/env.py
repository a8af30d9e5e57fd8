"""Alembic environment: runs on the connection handed over by coalition.store.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from coalition.settings import Settings
from coalition.store.all_models import metadata
from coalition.store.db import make_engine
from coalition.store.migrate import include_name


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # `alembic` run by a developer from the repository root
    with make_engine(Settings().effective_database_url).begin() as own_connection:
        _run(own_connection)
