"""The schema comes only from migrations, and they match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from coalition.store.all_models import metadata
from coalition.store.migrate import current_revision, head_revision, include_name


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_database_is_at_the_latest_revision(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
