"""model, token counts and generation time on tutor chat history

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 07:19:04.748601
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, so the rows saved before this revision stay valid (their usage is unknown).
    # Adding nullable columns is a plain ALTER TABLE on SQLite too (no table copy).
    with op.batch_alter_table("chat_history", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("model_used", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
        batch_op.add_column(sa.Column("generation_time_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("token_count_input", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("token_count_output", sa.Integer(), nullable=True))


def downgrade() -> None:
    # chat_history has no trigger, so SQLite's table copy loses nothing.
    with op.batch_alter_table("chat_history", schema=None) as batch_op:
        batch_op.drop_column("token_count_output")
        batch_op.drop_column("token_count_input")
        batch_op.drop_column("generation_time_ms")
        batch_op.drop_column("model_used")
