"""review_queue: wrong answers re-served on a Leitner schedule (practice from mistakes)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from nexus_app.models.base import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("box", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("last_correct", sa.Boolean(), nullable=False),
        sa.Column("last_reviewed_at", UTCDateTime(), nullable=False),
        sa.Column(
            "created_at",
            UTCDateTime(),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.CheckConstraint("box >= 1", name=op.f("ck_review_queue_box")),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_review_queue_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_review_queue_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_queue")),
        sa.UniqueConstraint(
            "user_id", "question_id", name=op.f("uq_review_queue_user_id_question_id")
        ),
    )
    op.create_index("idx_review_queue_user_due", "review_queue", ["user_id", "due_at"])


def downgrade() -> None:
    op.drop_index("idx_review_queue_user_due", table_name="review_queue")
    op.drop_table("review_queue")
