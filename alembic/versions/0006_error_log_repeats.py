"""error_logs: occurrences and last_seen_at, so a repeated error bumps one row

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

import nexus_app.models.base
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows logged before this revision each stand for one occurrence.
    with op.batch_alter_table("error_logs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("occurrences", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "last_seen_at", nexus_app.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("error_logs", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("occurrences")
