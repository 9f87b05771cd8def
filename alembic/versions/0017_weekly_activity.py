"""weekly_activity, weekly_active_counts: active students per UTC week, kept by triggers

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The Monday (UTC) of a timestamp's week: the same expressions as
# repositories/analytics.py `_utc_week`, so the table agrees with the reports.
PG_WEEK = "date_trunc('week', timezone('UTC', {ts}))::date"
SQLITE_WEEK = "date({ts}, 'weekday 0', '-6 days')"

# (table, counter column, whether the table has a soft delete)
SOURCES = (("attempts", "attempts", True), ("chat_history", "chats", False))


# A (student, week) row appearing or going away moves its week's count. One row per week:
# only a student's first answer or chat of a week (and their last one removed) touches it.
PG_COUNT_FUNCTION = """
    CREATE OR REPLACE FUNCTION nexus_weekly_active_count() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO weekly_active_counts (week, users) VALUES (NEW.week, 1)
            ON CONFLICT (week) DO UPDATE SET users = weekly_active_counts.users + 1;
        ELSE
            UPDATE weekly_active_counts SET users = users - 1 WHERE week = OLD.week;
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
"""


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _pg_function(table: str, counter: str, soft_delete: bool) -> str:
    old_live = "OLD.deleted_at IS NULL" if soft_delete else "true"
    new_live = "NEW.deleted_at IS NULL" if soft_delete else "true"
    old_week = PG_WEEK.format(ts="OLD.created_at")
    new_week = PG_WEEK.format(ts="NEW.created_at")
    return f"""
        CREATE OR REPLACE FUNCTION nexus_weekly_activity_{table}() RETURNS trigger AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND {old_live} THEN
                UPDATE weekly_activity SET {counter} = {counter} - 1
                WHERE week = {old_week} AND user_id = OLD.user_id;
                DELETE FROM weekly_activity
                WHERE week = {old_week} AND user_id = OLD.user_id
                  AND attempts <= 0 AND chats <= 0;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND {new_live} THEN
                INSERT INTO weekly_activity (week, user_id, attempts, chats)
                VALUES ({new_week}, NEW.user_id,
                        {1 if counter == "attempts" else 0}, {1 if counter == "chats" else 0})
                ON CONFLICT (user_id, week) DO UPDATE
                SET {counter} = weekly_activity.{counter} + 1;
            END IF;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
    """


def _sqlite_triggers(table: str, counter: str, soft_delete: bool) -> list[str]:
    old_live = "OLD.deleted_at IS NULL" if soft_delete else "1"
    new_live = "NEW.deleted_at IS NULL" if soft_delete else "1"
    old_week = SQLITE_WEEK.format(ts="OLD.created_at")
    new_week = SQLITE_WEEK.format(ts="NEW.created_at")
    add = (
        "INSERT INTO weekly_activity (week, user_id, attempts, chats) "
        f"SELECT {new_week}, NEW.user_id, {1 if counter == 'attempts' else 0}, "
        f"{1 if counter == 'chats' else 0} WHERE {new_live} "
        f"ON CONFLICT (user_id, week) DO UPDATE SET {counter} = {counter} + 1;"
    )
    remove = (
        f"UPDATE weekly_activity SET {counter} = {counter} - 1 "
        f"WHERE {old_live} AND week = {old_week} AND user_id = OLD.user_id; "
        f"DELETE FROM weekly_activity WHERE week = {old_week} AND user_id = OLD.user_id "
        "AND attempts <= 0 AND chats <= 0;"
    )
    moved = "UPDATE OF user_id, created_at" + (", deleted_at" if soft_delete else "")
    return [
        f"CREATE TRIGGER trg_{table}_weekly_activity_insert AFTER INSERT ON {table} "
        f"BEGIN {add} END",
        f"CREATE TRIGGER trg_{table}_weekly_activity_delete AFTER DELETE ON {table} "
        f"BEGIN {remove} END",
        f"CREATE TRIGGER trg_{table}_weekly_activity_update AFTER {moved} ON {table} "
        f"BEGIN {remove} {add} END",
    ]


def upgrade() -> None:
    op.create_table(
        "weekly_activity",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("chats", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "week", name=op.f("pk_weekly_activity")),
    )
    op.create_table(
        "weekly_active_counts",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_weekly_active_counts")),
    )
    week = PG_WEEK if _postgres() else SQLITE_WEEK
    # Existing answers and chats, grouped once (set-based; minutes at 5 M attempts).
    op.execute(
        f"""
        INSERT INTO weekly_activity (week, user_id, attempts, chats)
        SELECT week, user_id, sum(a), sum(c) FROM (
            SELECT {week.format(ts="created_at")} AS week, user_id, 1 AS a, 0 AS c
            FROM attempts WHERE deleted_at IS NULL
            UNION ALL
            SELECT {week.format(ts="created_at")}, user_id, 0, 1 FROM chat_history
        ) AS activity
        GROUP BY week, user_id
        """
    )
    op.execute(
        "INSERT INTO weekly_active_counts (week, users) "
        "SELECT week, count(*) FROM weekly_activity GROUP BY week"
    )
    if _postgres():
        op.execute(PG_COUNT_FUNCTION)
        op.execute(
            "CREATE TRIGGER trg_weekly_activity_count AFTER INSERT OR DELETE ON weekly_activity "
            "FOR EACH ROW EXECUTE FUNCTION nexus_weekly_active_count()"
        )
        for table, counter, soft_delete in SOURCES:
            op.execute(_pg_function(table, counter, soft_delete))
            columns = "user_id, created_at" + (", deleted_at" if soft_delete else "")
            # Row-level: one upsert per answer or chat, on the same (week, student) row,
            # so concurrent students never touch one another's rows.
            op.execute(
                f"CREATE TRIGGER trg_{table}_weekly_activity "
                f"AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION nexus_weekly_activity_{table}()"
            )
    else:
        op.execute(
            "CREATE TRIGGER trg_weekly_activity_count_insert AFTER INSERT ON weekly_activity "
            "BEGIN INSERT INTO weekly_active_counts (week, users) VALUES (NEW.week, 1) "
            "ON CONFLICT (week) DO UPDATE SET users = users + 1; END"
        )
        op.execute(
            "CREATE TRIGGER trg_weekly_activity_count_delete AFTER DELETE ON weekly_activity "
            "BEGIN UPDATE weekly_active_counts SET users = users - 1 WHERE week = OLD.week; END"
        )
        for table, counter, soft_delete in SOURCES:
            for statement in _sqlite_triggers(table, counter, soft_delete):
                op.execute(statement)


def downgrade() -> None:
    if _postgres():
        op.execute("DROP TRIGGER IF EXISTS trg_weekly_activity_count ON weekly_activity")
        op.execute("DROP FUNCTION IF EXISTS nexus_weekly_active_count()")
    else:
        for event in ("insert", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_weekly_activity_count_{event}")
    for table, _counter, _soft in SOURCES:
        if _postgres():
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_weekly_activity ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS nexus_weekly_activity_{table}()")
        else:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_weekly_activity_{event}")
    op.drop_table("weekly_active_counts")
    op.drop_table("weekly_activity")
