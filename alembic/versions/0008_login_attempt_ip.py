"""client address on login attempts, for per-client and server-wide login throttling

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 20:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: the attempts recorded before this revision have no known address.
    # Adding a nullable column is a plain ALTER TABLE on SQLite too (no table copy).
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ip_address", sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True)
        )
    # Failures per client in a window, failures server-wide per minute, and the pruning.
    op.create_index(
        "idx_login_attempts_ip_created",
        "login_attempts",
        ["ip_address", "created_at"],
        unique=False,
    )
    op.create_index("idx_login_attempts_created", "login_attempts", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("idx_login_attempts_created", table_name="login_attempts")
    op.drop_index("idx_login_attempts_ip_created", table_name="login_attempts")
    # login_attempts has no trigger, so SQLite's table copy loses nothing.
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_column("ip_address")
