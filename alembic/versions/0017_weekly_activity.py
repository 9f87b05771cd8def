"""weekly activity and daily tutor usage summaries for the analytics page, kept by triggers

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


# Tutor usage per UTC day (the same day expressions as `_utc_day`).
PG_DAY = "timezone('UTC', {ts})::date"
SQLITE_DAY = "date({ts})"
CHAT_USAGE_COLUMNS = (
    "user_id, created_at, model_used, token_count_input, token_count_output, generation_time_ms"
)


PG_DAY_COUNT_FUNCTION = """
    CREATE OR REPLACE FUNCTION nexus_daily_chat_user_count() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO daily_chat_user_counts (day, users) VALUES (NEW.day, 1)
            ON CONFLICT (day) DO UPDATE SET users = daily_chat_user_counts.users + 1;
        ELSE
            UPDATE daily_chat_user_counts SET users = users - 1 WHERE day = OLD.day;
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
"""


def _chat_usage_statements(day: str, old: str, new: str) -> tuple[str, str]:
    """(remove OLD, add NEW) for one chat row: its day's model row and its (student, day)."""
    d_old, d_new = day.format(ts=f"{old}.created_at"), day.format(ts=f"{new}.created_at")
    remove = f"""
        UPDATE daily_chat_usage SET answers = answers - 1,
            tokens_in = tokens_in - coalesce({old}.token_count_input, 0),
            tokens_out = tokens_out - coalesce({old}.token_count_output, 0),
            compute_ms = compute_ms - coalesce({old}.generation_time_ms, 0)
        WHERE day = {d_old} AND model_key = coalesce({old}.model_used, '');
        DELETE FROM daily_chat_usage
        WHERE day = {d_old} AND model_key = coalesce({old}.model_used, '') AND answers <= 0;
        UPDATE daily_chat_users SET chats = chats - 1
        WHERE user_id = {old}.user_id AND day = {d_old};
        DELETE FROM daily_chat_users
        WHERE user_id = {old}.user_id AND day = {d_old} AND chats <= 0;
    """
    add = f"""
        INSERT INTO daily_chat_usage (day, model_key, answers, tokens_in, tokens_out, compute_ms)
        SELECT {d_new}, coalesce({new}.model_used, ''), 1,
               coalesce({new}.token_count_input, 0), coalesce({new}.token_count_output, 0),
               coalesce({new}.generation_time_ms, 0)
        WHERE true
        ON CONFLICT (day, model_key) DO UPDATE SET answers = daily_chat_usage.answers + 1,
            tokens_in = daily_chat_usage.tokens_in + excluded.tokens_in,
            tokens_out = daily_chat_usage.tokens_out + excluded.tokens_out,
            compute_ms = daily_chat_usage.compute_ms + excluded.compute_ms;
        INSERT INTO daily_chat_users (user_id, day, chats) SELECT {new}.user_id, {d_new}, 1
        WHERE true
        ON CONFLICT (user_id, day) DO UPDATE SET chats = daily_chat_users.chats + 1;
    """
    return remove, add


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
    op.create_table(
        "daily_chat_usage",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("model_key", sa.String(length=100), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("tokens_in", sa.BigInteger(), nullable=False),
        sa.Column("tokens_out", sa.BigInteger(), nullable=False),
        sa.Column("compute_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "model_key", name=op.f("pk_daily_chat_usage")),
    )
    op.create_table(
        "daily_chat_users",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("chats", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_daily_chat_users")),
    )
    op.create_table(
        "daily_chat_user_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_daily_chat_user_counts")),
    )
    day = (PG_DAY if _postgres() else SQLITE_DAY).format(ts="created_at")
    op.execute(
        f"""
        INSERT INTO daily_chat_usage (day, model_key, answers, tokens_in, tokens_out, compute_ms)
        SELECT {day}, coalesce(model_used, ''), count(*), sum(coalesce(token_count_input, 0)),
               sum(coalesce(token_count_output, 0)), sum(coalesce(generation_time_ms, 0))
        FROM chat_history GROUP BY {day}, coalesce(model_used, '')
        """
    )
    op.execute(
        f"INSERT INTO daily_chat_users (user_id, day, chats) "
        f"SELECT user_id, {day}, count(*) FROM chat_history GROUP BY user_id, {day}"
    )
    op.execute(
        "INSERT INTO daily_chat_user_counts (day, users) "
        "SELECT day, count(*) FROM daily_chat_users GROUP BY day"
    )
    if _postgres():
        remove, add = _chat_usage_statements(PG_DAY, "OLD", "NEW")
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION nexus_daily_chat_usage() RETURNS trigger AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN {remove} END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN {add} END IF;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER trg_chat_history_daily_usage "
            f"AFTER INSERT OR DELETE OR UPDATE OF {CHAT_USAGE_COLUMNS} ON chat_history "
            "FOR EACH ROW EXECUTE FUNCTION nexus_daily_chat_usage()"
        )
        op.execute(PG_DAY_COUNT_FUNCTION)
        op.execute(
            "CREATE TRIGGER trg_daily_chat_users_count AFTER INSERT OR DELETE "
            "ON daily_chat_users FOR EACH ROW EXECUTE FUNCTION nexus_daily_chat_user_count()"
        )
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
        remove, add = _chat_usage_statements(SQLITE_DAY, "OLD", "NEW")
        for event, body in (
            ("insert", add),
            ("delete", remove),
            ("update", remove + add),
        ):
            when = "UPDATE OF " + CHAT_USAGE_COLUMNS if event == "update" else event.upper()
            op.execute(
                f"CREATE TRIGGER trg_chat_history_daily_usage_{event} AFTER {when} "
                f"ON chat_history BEGIN {body} END"
            )
        op.execute(
            "CREATE TRIGGER trg_daily_chat_users_count_insert AFTER INSERT ON daily_chat_users "
            "BEGIN INSERT INTO daily_chat_user_counts (day, users) VALUES (NEW.day, 1) "
            "ON CONFLICT (day) DO UPDATE SET users = users + 1; END"
        )
        op.execute(
            "CREATE TRIGGER trg_daily_chat_users_count_delete AFTER DELETE ON daily_chat_users "
            "BEGIN UPDATE daily_chat_user_counts SET users = users - 1 WHERE day = OLD.day; END"
        )
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
        op.execute("DROP TRIGGER IF EXISTS trg_chat_history_daily_usage ON chat_history")
        op.execute("DROP FUNCTION IF EXISTS nexus_daily_chat_usage()")
        op.execute("DROP TRIGGER IF EXISTS trg_daily_chat_users_count ON daily_chat_users")
        op.execute("DROP FUNCTION IF EXISTS nexus_daily_chat_user_count()")
    else:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_chat_history_daily_usage_{event}")
        for event in ("insert", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_daily_chat_users_count_{event}")
    op.drop_table("daily_chat_user_counts")
    op.drop_table("daily_chat_users")
    op.drop_table("daily_chat_usage")
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
