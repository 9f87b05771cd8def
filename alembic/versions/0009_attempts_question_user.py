"""partial index on attempts (question_id, user_id) for the live answers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 01:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Per-item distinct students (calibration page counts, "top questions") read the index
    # alone instead of visiting one random heap page per answer. The predicate must match
    # the queries' `deleted_at IS NULL` exactly for the planner to use it; SQLite supports
    # partial indexes too, so both databases get the same index.
    op.create_index(
        "idx_attempts_question_user",
        "attempts",
        ["question_id", "user_id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
        sqlite_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "idx_attempts_question_user",
        table_name="attempts",
        postgresql_where=sa.text("deleted_at IS NULL"),
        sqlite_where=sa.text("deleted_at IS NULL"),
    )
