"""Partner suspension: a partner node this node has stopped trusting for now.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-25 00:48:58.093265
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coalition.store.base

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("partner_nodes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "suspended_at", coalition.store.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("suspended_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("suspension_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partner_nodes", schema=None) as batch_op:
        batch_op.drop_column("suspension_reason")
        batch_op.drop_column("suspended_by")
        batch_op.drop_column("suspended_at")
