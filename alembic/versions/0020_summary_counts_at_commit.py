"""the whole school's summary rows (students active this week, chat users and tutor usage
per day) are updated at commit, not in the middle of an answer's or a chat's transaction

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 15:00:00.000000

On PostgreSQL, 0017's triggers upsert one shared row per week (or day) from inside the
transaction that saves an answer or a chat, and that row stays locked until the transaction
ends. On a Monday morning every student's first answer of the week went through that one row,
so a class's answers queued behind each other's whole transaction (issue 16: pg_locks showed
`INSERT INTO attempts` waiting on answers that were still choosing the next item). As
DEFERRABLE INITIALLY DEFERRED constraint triggers they run at COMMIT, holding the row for the
commit only. The counts are the same once committed; nothing reads them mid-transaction.
SQLite serialises writers anyway: its triggers stay as they are.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAT_USAGE_COLUMNS = (
    "user_id, created_at, model_used, token_count_input, token_count_output, generation_time_ms"
)
# (trigger, table, events, function): 0017's triggers that touch a row every student shares.
SHARED_ROW_TRIGGERS = (
    (
        "trg_weekly_activity_count",
        "weekly_activity",
        "INSERT OR DELETE",
        "nexus_weekly_active_count",
    ),
    (
        "trg_daily_chat_users_count",
        "daily_chat_users",
        "INSERT OR DELETE",
        "nexus_daily_chat_user_count",
    ),
    (
        "trg_chat_history_daily_usage",
        "chat_history",
        f"INSERT OR DELETE OR UPDATE OF {CHAT_USAGE_COLUMNS}",
        "nexus_daily_chat_usage",
    ),
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _recreate(*, at_commit: bool) -> None:
    if not _postgres():
        return
    kind = "CONSTRAINT TRIGGER" if at_commit else "TRIGGER"
    when = " DEFERRABLE INITIALLY DEFERRED" if at_commit else ""
    for trigger, table, events, function in SHARED_ROW_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute(
            f"CREATE {kind} {trigger} AFTER {events} ON {table}{when} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )


def upgrade() -> None:
    _recreate(at_commit=True)


def downgrade() -> None:
    _recreate(at_commit=False)
