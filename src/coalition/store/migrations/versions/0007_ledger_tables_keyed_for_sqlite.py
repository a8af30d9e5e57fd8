"""ledger tables keyed for SQLite: entries by rowid, nodes without a rowid

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 06:40:00

On SQLite a BIGINT primary key is a second B-tree beside the table, so every append wrote
and every proof read two. ``ledger_entries`` now keys by an INTEGER primary key (the rowid
itself) and ``ledger_nodes`` is a WITHOUT ROWID table. PostgreSQL is unchanged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("ledger_entries", recreate="always") as batch:
        batch.alter_column(
            "index",
            type_=sa.Integer(),
            existing_type=sa.BigInteger(),
            existing_nullable=False,
            autoincrement=False,
        )
    with op.batch_alter_table(
        "ledger_nodes", recreate="always", table_kwargs={"sqlite_with_rowid": False}
    ):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("ledger_nodes", recreate="always"):
        pass
    with op.batch_alter_table("ledger_entries", recreate="always") as batch:
        batch.alter_column(
            "index",
            type_=sa.BigInteger(),
            existing_type=sa.Integer(),
            existing_nullable=False,
            autoincrement=False,
        )
