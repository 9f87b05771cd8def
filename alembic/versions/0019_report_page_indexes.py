"""indexes for the all-students report pages at the seeds' scale: chats counted per student
from the created_at index alone, and the accounts the student lists leave out

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNLISTED = "role <> 'siswa' OR deleted_at IS NOT NULL"


def upgrade() -> None:
    # Every student's weekly activity counts the window's chats per student: with user_id
    # in the index that is an index-only scan, not ~78,000 random heap reads.
    op.drop_index("idx_chat_history_created", table_name="chat_history")
    op.create_index("idx_chat_history_created", "chat_history", ["created_at", "user_id"])
    # Teachers, admins and deleted accounts: the few ids "every class" lists exclude.
    op.create_index(
        "idx_users_unlisted",
        "users",
        ["id"],
        postgresql_where=sa.text(UNLISTED),
        sqlite_where=sa.text(UNLISTED),
    )


def downgrade() -> None:
    op.drop_index("idx_users_unlisted", table_name="users")
    op.drop_index("idx_chat_history_created", table_name="chat_history")
    op.create_index("idx_chat_history_created", "chat_history", ["created_at"])
