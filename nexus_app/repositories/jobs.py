"""Scheduled jobs: the `job_runs` log, the cross-process single-run lock, and the bulk SQL
the jobs run (readiness forecasts, database facts for backups).

The lock differs by database:

- PostgreSQL: `pg_try_advisory_xact_lock(key)` in a transaction that stays open for the
  whole run, so the lock dies with the process (a crashed worker never blocks the job).
- SQLite: `BEGIN IMMEDIATE` serialises the check-and-claim across processes; the claim
  itself is the committed `running` row (one that is older than the job's limit is
  treated as abandoned).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from nexus_app.models import Attempt, JobRun, Question, User, UserReadiness
from nexus_app.models.base import UTCDateTime
from nexus_app.repositories._dialect import dialect_name
from nexus_app.repositories._sql import select_columns, table_of

FINISHED_OR_RUNNING = ("running", "success", "failed")


# --- the single-run lock ----------------------------------------------------------------


def job_lock_key(name: str) -> int:
    """A stable signed 64-bit key for the advisory lock (Python's hash() is salted)."""
    digest = hashlib.blake2b(f"nexus-job:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def acquire_job_lock(*, session: Session, name: str) -> bool:
    """Take the job's lock as the first statement of `session`'s transaction.

    PostgreSQL: non-blocking; False when another process holds it. The lock lasts until
    this transaction ends. SQLite: waits (busy_timeout) for the database write lock and
    returns True; the caller then decides from the `running` rows.
    """
    if dialect_name(session) == "postgresql":
        got = session.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": job_lock_key(name)}
        ).scalar()
        return bool(got)
    # pysqlite has not begun a transaction yet (it does so lazily before DML), so this
    # explicit BEGIN IMMEDIATE becomes the transaction and takes the write lock now.
    session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    return True


def holds_lock_for_whole_run(*, session: Session) -> bool:
    """True where the lock itself proves no other run is alive (PostgreSQL)."""
    return dialect_name(session) == "postgresql"


# --- job_runs -----------------------------------------------------------------------------


def find_running(*, session: Session, name: str, since: datetime | None = None) -> JobRun | None:
    """The newest `running` row of a job (started after `since` when given)."""
    stmt = select(JobRun).where(JobRun.job_name == name, JobRun.status == "running")
    if since is not None:
        stmt = stmt.where(col(JobRun.started_at) >= since)
    return session.exec(stmt.order_by(col(JobRun.started_at).desc()).limit(1)).first()


ABANDONED = "abandoned: the process stopped before recording an outcome"


def abandon_running(
    *,
    session: Session,
    name: str | None,
    now: datetime,
    before: datetime | None = None,
    detail: str = ABANDONED,
) -> int:
    """Mark `running` rows (of one job, or all with name=None) as failed: no live process
    will finish them."""
    stmt = update(JobRun).where(
        col(JobRun.status) == "running",
        *([col(JobRun.job_name) == name] if name is not None else []),
        *([col(JobRun.started_at) < before] if before is not None else []),
    )
    result = session.exec(stmt.values(status="failed", finished_at=now, detail=detail))
    return int(result.rowcount or 0)


def latest_run_since(
    *,
    session: Session,
    name: str,
    since: datetime,
    statuses: Sequence[str] = FINISHED_OR_RUNNING,
) -> JobRun | None:
    return session.exec(
        select(JobRun)
        .where(
            JobRun.job_name == name,
            col(JobRun.status).in_(statuses),
            col(JobRun.started_at) >= since,
        )
        .order_by(col(JobRun.started_at).desc())
        .limit(1)
    ).first()


def insert_run(
    *,
    session: Session,
    job_id: str,
    name: str,
    status: str,
    started_at: datetime,
    finished_at: datetime | None = None,
    duration_ms: int | None = None,
    detail: str | None = None,
) -> JobRun:
    row = JobRun(
        job_id=job_id,
        job_name=name,
        status=status,
        started_at=started_at,
        finished_at=finished_at,
        duration_ms=duration_ms,
        detail=detail,
    )
    session.add(row)
    session.flush()
    return row


def finish_run(
    *,
    session: Session,
    job_id: str,
    status: str,
    finished_at: datetime,
    duration_ms: int,
    detail: str | None,
) -> int:
    result = session.exec(
        update(JobRun)
        .where(col(JobRun.job_id) == job_id, col(JobRun.status) == "running")
        .values(status=status, finished_at=finished_at, duration_ms=duration_ms, detail=detail)
    )
    return int(result.rowcount or 0)


def list_runs(*, session: Session, limit: int = 20, name: str | None = None) -> list[JobRun]:
    stmt = select(JobRun)
    if name is not None:
        stmt = stmt.where(JobRun.job_name == name)
    stmt = stmt.order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc()).limit(limit)
    return list(session.exec(stmt).all())


# --- readiness forecasts for every row (the refresh_readiness job) ---------------------------


@dataclass(frozen=True, slots=True)
class ReadinessInputRow:
    """One readiness row with what its forecast needs.

    The theta history (the last `history_limit` answers with a theta_after, like the
    practice service reads it) is summarised for an ordinary least-squares trend over
    its points except the oldest `settle`: n_trend, Σx, Σy, Σx², Σxy and the x range,
    with x = days relative to the row's newest answer (centring keeps the sums well
    conditioned). `n_history` counts all the points and `last_theta` is the newest one.
    """

    user_id: int
    section: str
    current_theta: float
    theta_variance: float | None
    target_score: int | None
    n_history: int
    last_theta: float | None
    n_trend: int
    sum_x: float | None
    sum_y: float | None
    sum_xx: float | None
    sum_xy: float | None
    min_x: float | None
    max_x: float | None


def _days_from_now(session: Session, column: Any, now: datetime) -> Any:
    """(column − now) in fractional days, as a float expression on either database."""
    when = sa.bindparam("now_days", now, type_=UTCDateTime)
    if dialect_name(session) == "postgresql":
        return sa.cast(sa.extract("epoch", column - when), sa.Float) / 86400.0
    return sa.func.julianday(column) - sa.func.julianday(when)


def select_readiness_inputs(
    *, session: Session, now: datetime, history_limit: int = 500, settle: int = 0
) -> list[ReadinessInputRow]:
    """Every readiness row that has a current_theta, with its history sums, in ONE query."""
    theta = col(Attempt.user_theta_after)
    partition = (col(Attempt.user_id), col(Question.section))
    x_abs = _days_from_now(session, col(Attempt.created_at), now)
    points = (
        select_columns(
            col(Attempt.user_id).label("user_id"),
            col(Question.section).label("section"),
            x_abs.label("x_abs"),
            theta.label("y"),
            sa.func.max(x_abs).over(partition_by=partition).label("x_last"),
            sa.func.count().over(partition_by=partition).label("total"),
            sa.func.row_number()
            .over(
                partition_by=partition,
                order_by=(col(Attempt.created_at).desc(), col(Attempt.id).desc()),
            )
            .label("rn"),
        )
        .join(Question, col(Question.id) == col(Attempt.question_id))
        .where(theta.is_not(None), col(Attempt.deleted_at).is_(None))
        .cte("theta_points")
    )
    kept = sa.case((points.c.total > history_limit, history_limit), else_=points.c.total)
    # The trend leaves out the oldest `settle` kept points (rn counts from the newest).
    trend = points.c.rn <= kept - settle
    xr = points.c.x_abs - points.c.x_last

    def over_trend(value: Any) -> Any:
        return sa.case((trend, value))

    sums = (
        select_columns(
            points.c.user_id,
            points.c.section,
            sa.func.count().label("n_history"),
            sa.func.max(sa.case((points.c.rn == 1, points.c.y))).label("last_theta"),
            sa.func.count(over_trend(1)).label("n_trend"),
            sa.func.sum(over_trend(xr)).label("sum_x"),
            sa.func.sum(over_trend(points.c.y)).label("sum_y"),
            sa.func.sum(over_trend(xr * xr)).label("sum_xx"),
            sa.func.sum(over_trend(xr * points.c.y)).label("sum_xy"),
            sa.func.min(over_trend(xr)).label("min_x"),
            sa.func.max(over_trend(xr)).label("max_x"),
        )
        .where(points.c.rn <= history_limit)
        .group_by(points.c.user_id, points.c.section)
        .cte("theta_sums")
    )
    r = table_of(UserReadiness).c
    rows = session.execute(
        select_columns(
            r.user_id,
            r.section,
            r.current_theta,
            r.theta_variance,
            col(User.target_score),
            sa.func.coalesce(sums.c.n_history, 0),
            sums.c.last_theta,
            sa.func.coalesce(sums.c.n_trend, 0),
            sums.c.sum_x,
            sums.c.sum_y,
            sums.c.sum_xx,
            sums.c.sum_xy,
            sums.c.min_x,
            sums.c.max_x,
        )
        .join(User, col(User.id) == r.user_id)
        .outerjoin(sums, sa.and_(sums.c.user_id == r.user_id, sums.c.section == r.section))
    ).all()
    # Filtered here, not in SQL: right after the bulk UPDATE the planner's statistics
    # still say "no row has a theta" and a WHERE on it made PostgreSQL pick a nested loop
    # that re-ran the aggregate per row (minutes instead of seconds).
    return [ReadinessInputRow(*row) for row in rows if row[2] is not None]


# Columns of the temporary table the forecasts are loaded into before ONE UPDATE … FROM.
FORECAST_COLUMNS = (
    "user_id",
    "section",
    "target_theta",
    "readiness_percentage",
    "predicted_score_low",
    "predicted_score_high",
    "ready_by_date",
    "improvement_rate_per_week",
    "days_to_ready",
)
ForecastRow = tuple[int, str, float, float, int, int, date | None, float, int | None]

_FORECAST_DDL = {
    "postgresql": (
        "CREATE TEMPORARY TABLE nexus_readiness_forecast (user_id integer NOT NULL, "
        "section varchar(10) NOT NULL, target_theta double precision, "
        "readiness_percentage double precision, predicted_score_low integer, "
        "predicted_score_high integer, ready_by_date date, "
        "improvement_rate_per_week double precision, days_to_ready integer) ON COMMIT DROP"
    ),
    "sqlite": (
        "CREATE TEMPORARY TABLE nexus_readiness_forecast (user_id INTEGER NOT NULL, "
        "section VARCHAR(10) NOT NULL, target_theta FLOAT, readiness_percentage FLOAT, "
        "predicted_score_low INTEGER, predicted_score_high INTEGER, ready_by_date DATE, "
        "improvement_rate_per_week FLOAT, days_to_ready INTEGER)"
    ),
}


def write_readiness_forecasts(
    *, session: Session, rows: Sequence[ForecastRow], job_id: str, now: datetime
) -> int:
    """Load the forecasts into a temp table (COPY on PostgreSQL), then one UPDATE … FROM.

    Every forecast column is written, NULLs included: a ready-by date that no longer
    follows from the trend is cleared rather than left stale.
    """
    if not rows:
        return 0
    dialect = dialect_name(session)
    conn = session.connection()
    # Schema-qualified, so a real table of that name could never be dropped by mistake.
    temp_schema = "pg_temp" if dialect == "postgresql" else "temp"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {temp_schema}.nexus_readiness_forecast")
    conn.exec_driver_sql(_FORECAST_DDL[dialect])
    columns = ", ".join(FORECAST_COLUMNS)
    if dialect == "postgresql":
        raw = conn.connection.driver_connection
        if not isinstance(raw, psycopg.Connection):  # COPY is psycopg's, not the DBAPI's
            raise TypeError(f"PostgreSQL through {type(raw).__name__}, not psycopg")
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY nexus_readiness_forecast ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        # A fresh temp table has no statistics; give the planner some for the join.
        conn.exec_driver_sql("ANALYZE nexus_readiness_forecast")
    else:
        marks = ", ".join("?" for _ in FORECAST_COLUMNS)
        conn.exec_driver_sql(
            f"INSERT INTO nexus_readiness_forecast ({columns}) VALUES ({marks})",
            # sqlite3's implicit date adapter is deprecated: send ISO text, as SQLAlchemy does.
            [(*row[:6], row[6].isoformat() if row[6] else None, *row[7:]) for row in rows],
        )
    assignments = ", ".join(f"{name} = f.{name}" for name in FORECAST_COLUMNS[2:])
    result = conn.execute(
        sa.text(
            f"UPDATE user_readiness SET {assignments}, last_updated = :now, "
            "updated_by_job_id = :job_id FROM nexus_readiness_forecast AS f "
            "WHERE user_readiness.user_id = f.user_id AND user_readiness.section = f.section"
        ).bindparams(sa.bindparam("now", type_=UTCDateTime)),
        {"now": now, "job_id": job_id},
    )
    if dialect == "sqlite":
        conn.exec_driver_sql("DROP TABLE temp.nexus_readiness_forecast")
    return int(result.rowcount or 0)


# --- database facts for backups -------------------------------------------------------------


def table_row_counts(*, session: Session) -> dict[str, int]:
    """Rows in every table of the database (as it is, not as the models say), by name."""
    bind = session.connection()
    names = sorted(
        name for name in sa.inspect(bind).get_table_names() if not name.startswith("sqlite_")
    )
    quote = bind.dialect.identifier_preparer.quote
    counts: dict[str, int] = {}
    for name in names:
        # Identifiers cannot be bound parameters; these come from the catalogue, quoted.
        counts[name] = int(
            session.execute(sa.text(f"SELECT count(*) FROM {quote(name)}")).scalar_one()
        )
    return counts


def alembic_revision(*, session: Session) -> str | None:
    bind = session.connection()
    if not sa.inspect(bind).has_table("alembic_version"):
        return None
    return session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
