"""indexes and an item-bank version for the seeds' scale

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns item selection and the section supply read: an UPDATE touching only others
# (attempt_count, correct_rate after each answer) leaves the token alone.
ITEM_COLUMNS = (
    "section, sub_type, difficulty_irt, discrimination, guessing_param, "
    "is_reviewed, is_ambiguous, deleted_at"
)
# Searched with ILIKE '%…%' by the error list; trigram GIN indexes (PostgreSQL only; the
# names end in _trgm so alembic's model comparison leaves them out, see alembic/env.py).
ERROR_SEARCH_COLUMNS = ("error_message", "error_type", "endpoint", "error_stack_trace")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    # Last 100 chat messages and weekly counts read one student's rows newest first.
    op.drop_index("idx_chat_history_user", table_name="chat_history")
    op.create_index(
        "idx_chat_history_user_created", "chat_history", ["user_id", "created_at", "id"]
    )
    # Weak-area detection asks per (student, subject, topic) for the newest chat.
    op.create_index(
        "idx_chat_history_user_subject_topic",
        "chat_history",
        ["user_id", "subject_id", "topic", "created_at"],
    )

    # Item selection reads only the counts near the exposure cap, not a section's all.
    op.create_index("idx_item_exposure_count", "item_exposure", ["administered_count"])

    op.create_table(
        "item_bank_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_bank_versions")),
    )
    if _postgres():
        op.execute(
            """
            CREATE OR REPLACE FUNCTION nexus_bump_item_version() RETURNS trigger AS $$
            BEGIN
                INSERT INTO item_bank_versions (id, token)
                VALUES (1, (random() * 9.2e18 - 4.6e18)::bigint)
                ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        # Statement-level: a calibration or an import updating thousands of rows bumps once.
        op.execute(
            "CREATE TRIGGER trg_questions_item_version "
            f"AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF {ITEM_COLUMNS} ON questions "
            "FOR EACH STATEMENT EXECUTE FUNCTION nexus_bump_item_version()"
        )
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in ERROR_SEARCH_COLUMNS:
            op.execute(
                f"CREATE INDEX idx_error_logs_{column}_trgm ON error_logs "
                f"USING gin ({column} gin_trgm_ops)"
            )
    else:
        # SQLite keeps triggers with the table: a later batch migration that rebuilds
        # `questions` (copy and rename) must create these again, or the item cache goes
        # stale; tests/integration/repositories/test_questions.py
        # (test_cached_section_items_follow_every_item_change) fails if they are lost.
        bump = "INSERT OR REPLACE INTO item_bank_versions (id, token) VALUES (1, random());"
        for name, event in (
            ("insert", "INSERT"),
            ("delete", "DELETE"),
            ("update", f"UPDATE OF {ITEM_COLUMNS}"),
        ):
            op.execute(
                f"CREATE TRIGGER trg_questions_item_version_{name} AFTER {event} ON questions "
                f"BEGIN {bump} END"
            )


def downgrade() -> None:
    if _postgres():
        for column in ERROR_SEARCH_COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS idx_error_logs_{column}_trgm")
        op.execute("DROP TRIGGER IF EXISTS trg_questions_item_version ON questions")
        op.execute("DROP FUNCTION IF EXISTS nexus_bump_item_version()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_questions_item_version_{name}")
    op.drop_table("item_bank_versions")
    op.drop_index("idx_item_exposure_count", table_name="item_exposure")
    op.drop_index("idx_chat_history_user_subject_topic", table_name="chat_history")
    op.drop_index("idx_chat_history_user_created", table_name="chat_history")
    op.create_index("idx_chat_history_user", "chat_history", ["user_id"])
