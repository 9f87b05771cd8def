"""users.must_change_password (a generated password is replaced at the first login) and
school_settings (the school's own choices: default tier for new students, selling plans)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 01:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import nexus_app.models.base
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # True while the account's password is one an admin was shown (generated at creation,
    # in a CSV import or a reset): every page but the change-password page refuses until then.
    # A plain ADD COLUMN, not a batch copy: on SQLite a copied table loses its updated_at
    # trigger and the partial index's WHERE clause.
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "school_settings",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column(
            "updated_at",
            nexus_app.models.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_school_settings")),
    )


def downgrade() -> None:
    op.drop_table("school_settings")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
    if op.get_bind().dialect.name == "sqlite":
        # Dropping a column copies the table on SQLite, which loses its trigger: put it back.
        op.execute("DROP TRIGGER IF EXISTS trg_users_updated_at")
        op.execute(
            "CREATE TRIGGER trg_users_updated_at AFTER UPDATE ON users FOR EACH ROW WHEN "
            "NEW.updated_at IS OLD.updated_at BEGIN UPDATE users SET updated_at = "
            "strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END"
        )
