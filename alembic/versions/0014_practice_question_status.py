"""practice_questions.status: drafts of the local model wait for a teacher's approval

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every existing question was imported or typed by staff: approved.
    with op.batch_alter_table("practice_questions") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="approved")
        )
        batch.create_check_constraint(
            op.f("ck_practice_questions_status"), "status IN ('draft', 'approved')"
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_questions") as batch:
        batch.drop_constraint(op.f("ck_practice_questions_status"), type_="check")
        batch.drop_column("status")
