"""Per-section readiness: Genta's Query 0 step 2, Query 1 and Query 5."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from nexus_app.models import Attempt, Question, User, UserReadiness, UtbkSection, utcnow
from nexus_app.repositories._dialect import upsert_insert
from nexus_app.repositories._sql import select_columns, table_of

RECENT_WINDOW = 10  # the seed's "accuracy metrics (last 10 attempts)"


@dataclass(frozen=True, slots=True)
class DashboardReadinessRow:
    """Query 1's row: one per section, with the user's target and exam date."""

    section: str
    section_name: str
    overall_accuracy: float | None
    recent_accuracy: float | None
    total_attempts_count: int
    current_theta: float | None
    readiness_percentage: float | None
    predicted_score_low: int | None
    predicted_score_high: int | None
    ready_by_date: date | None
    improvement_rate_per_week: float | None
    days_to_ready: int | None
    target_score: int | None
    exam_date: date | None
    last_updated: datetime
    theta_variance: float | None = None
    # Which job wrote the row last: the dashboard sees a forecast left stale by the
    # practice throttle without reading the rows a second time.
    updated_by_job_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReadinessValues:
    """Columns the readiness service computes; a None field is left as it is."""

    current_theta: float | None = None
    theta_variance: float | None = None
    target_theta: float | None = None
    readiness_percentage: float | None = None
    predicted_score_low: int | None = None
    predicted_score_high: int | None = None
    ready_by_date: date | None = None
    improvement_rate_per_week: float | None = None
    days_to_ready: int | None = None


def create_initial_readiness(
    *,
    session: Session,
    user_id: int,
    sections: Sequence[str],
    target_theta: float | None = None,
) -> list[str]:
    """Query 0 step 2: one readiness row per section, ON CONFLICT DO NOTHING.

    Returns the sections that were new. Unlike the seed, no readiness 0 % and no
    500-550 predicted score are written: with no answers yet those numbers would be
    invented, so they stay NULL until the readiness service has data.
    """
    if not sections:
        return []
    rows: list[dict[str, Any]] = [
        {"user_id": user_id, "section": section}
        | ({} if target_theta is None else {"target_theta": target_theta})
        for section in dict.fromkeys(sections)  # de-duplicate, keep order
    ]
    table: sa.Table = table_of(UserReadiness)
    stmt = (
        upsert_insert(session, table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["user_id", "section"])
        .returning(table.c.section)
    )
    return list(session.exec(stmt).scalars().all())


def get_readiness(*, session: Session, user_id: int, section: str) -> UserReadiness | None:
    return session.get(UserReadiness, (user_id, section))


def upsert_readiness(
    *,
    session: Session,
    user_id: int,
    section: str,
    values: ReadinessValues,
    job_id: str | None = None,
    now: datetime | None = None,
    forecast: bool = False,
) -> UserReadiness:
    """Create or update one readiness row with the service's numbers (None = unchanged).

    With `forecast`, the ready-by date and days to ready are written even when None: a
    trend that no longer promises a date must clear the old one.
    """
    when = now or utcnow()
    forecast_fields = ("ready_by_date", "days_to_ready") if forecast else ()
    fields = {
        name: value
        for name, value in asdict(values).items()
        if value is not None or name in forecast_fields
    }
    insert = upsert_insert(session, UserReadiness).values(
        user_id=user_id,
        section=section,
        last_updated=when,
        updated_by_job_id=job_id,
        **fields,
    )
    stmt = insert.on_conflict_do_update(
        index_elements=["user_id", "section"],
        set_={
            name: insert.excluded[name] for name in [*fields, "last_updated", "updated_by_job_id"]
        },
    ).returning(UserReadiness)
    return session.scalars(stmt, execution_options={"populate_existing": True}).one()


def update_section_belief(
    *, session: Session, user_id: int, section: str, theta: float, variance: float, job_id: str
) -> None:
    """The cheap per-answer write: a section's new ability and its variance, stamped with
    `job_id` (which marks the other columns as older than the ability). `last_updated`
    becomes now (the ORM's onupdate and the table's trigger): the belief's time. A row
    already loaded in the session keeps its old values."""
    session.exec(
        _section_belief_update(),
        params={
            "owner": user_id,
            "section_code": section,
            "theta": theta,
            "variance": variance,
            "job_id": job_id,
        },
    )


@cache
def _section_belief_update() -> sa.Update:
    # Built once (_sql.py, "hot statements"); no session sync, which would evaluate the
    # placeholders as NULL.
    return (
        update(UserReadiness)
        .where(
            # Not named after a column: an UPDATE reserves those names for its SET clause.
            col(UserReadiness.user_id) == sa.bindparam("owner"),
            col(UserReadiness.section) == sa.bindparam("section_code"),
        )
        .values(
            current_theta=sa.bindparam("theta"),
            theta_variance=sa.bindparam("variance"),
            updated_by_job_id=sa.bindparam("job_id"),
        )
        .execution_options(synchronize_session=False)
    )


def get_dashboard_readiness(*, session: Session, user_id: int) -> list[DashboardReadinessRow]:
    """Query 1 "Get student's current readiness (dashboard)".

    Ordered by the official subtest order (utbk_sections.sort_order: PU, PPU, PBM, PK, …)
    rather than alphabetically, and carrying the section's name for the page.
    """
    r = UserReadiness
    rows = session.exec(
        select_columns(
            col(r.section),
            col(UtbkSection.name),
            col(r.overall_accuracy),
            col(r.recent_accuracy),
            col(r.total_attempts_count),
            col(r.current_theta),
            col(r.readiness_percentage),
            col(r.predicted_score_low),
            col(r.predicted_score_high),
            col(r.ready_by_date),
            col(r.improvement_rate_per_week),
            col(r.days_to_ready),
            col(User.target_score),
            col(User.exam_date),
            col(r.last_updated),
            col(r.theta_variance),
            col(r.updated_by_job_id),
        )
        .join(User, col(User.id) == col(r.user_id))
        .join(UtbkSection, col(UtbkSection.code) == col(r.section))
        .where(r.user_id == user_id)
        .order_by(col(UtbkSection.sort_order), col(UtbkSection.code))
    ).all()
    return [DashboardReadinessRow(*row) for row in rows]


def refresh_readiness_batch(
    *,
    session: Session,
    job_id: str,
    recent_window: int = RECENT_WINDOW,
    now: datetime | None = None,
    user_id: int | None = None,
    section: str | None = None,
) -> int:
    """Query 5 "Calculate readiness (batch job)" as one set-based UPDATE … FROM (CTE).

    The same statement runs on PostgreSQL and on SQLite (UPDATE … FROM needs SQLite ≥
    3.33; the project's is newer). For every existing readiness row whose user has
    (not deleted) attempts in that section it writes:

    - total_attempts_count, total_correct_count, overall_accuracy (a 0–1 fraction, as the
      column is documented; the seed wrote a percentage into it);
    - recent_attempts_count, recent_correct_count, recent_accuracy over the last
      `recent_window` attempts (the seed never filled these);
    - current_theta = the latest non-NULL theta_after for that user and section (the seed
      averaged every theta_after, which lags far behind a learner's current ability);
      kept as is when no attempt has one;
    - last_updated and updated_by_job_id = `job_id`.

    Fixed seed bugs: the seed joined `attempts.section`, which does not exist (the section
    is the question's), to compute a `weeks_studying` it never used; and its percentage
    overflowed the DECIMAL(5,3) accuracy column at 100 %. It also derived
    readiness_percentage from a fixed 75 % accuracy target and score bands from accuracy;
    here readiness_percentage, predicted scores, ready_by_date, improvement rate and
    days_to_ready are NOT touched: the readiness service computes them from theta and the
    user's own target (engine code) and writes them with `upsert_readiness`.

    `user_id` / `section` narrow the same statement to one student (and subtest): the
    practice service refreshes a row this way after every answer.

    Returns the number of readiness rows updated. Rows are not created here; onboarding
    (`create_initial_readiness`) or `upsert_readiness` creates them.
    """
    when = now or utcnow()
    correct_flag = sa.case((col(Attempt.is_correct) == sa.true(), 1), else_=0)
    theta_after = col(Attempt.user_theta_after)
    partition = (col(Attempt.user_id), col(Question.section))
    ranked = (
        select_columns(
            col(Attempt.user_id).label("user_id"),
            col(Question.section).label("section"),
            correct_flag.label("correct"),
            theta_after.label("theta_after"),
            sa.func.row_number()
            .over(
                partition_by=partition,
                order_by=(col(Attempt.created_at).desc(), col(Attempt.id).desc()),
            )
            .label("recency"),
            # Rank 1 = newest attempt that has a theta_after (NULLs ranked behind).
            sa.func.row_number()
            .over(
                partition_by=partition,
                order_by=(
                    sa.case((theta_after.is_(None), 1), else_=0),
                    col(Attempt.created_at).desc(),
                    col(Attempt.id).desc(),
                ),
            )
            .label("theta_rank"),
        )
        .join(Question, col(Question.id) == col(Attempt.question_id))
        .where(
            col(Attempt.deleted_at).is_(None),
            *([col(Attempt.user_id) == user_id] if user_id is not None else []),
            *([col(Question.section) == section] if section is not None else []),
        )
        .cte("ranked_attempts")
    )
    recent = ranked.c.recency <= recent_window
    stats = (
        select_columns(
            ranked.c.user_id,
            ranked.c.section,
            sa.func.count().label("total"),
            sa.func.sum(ranked.c.correct).label("correct"),
            sa.func.sum(sa.case((recent, 1), else_=0)).label("recent_total"),
            sa.func.sum(sa.case((recent, ranked.c.correct), else_=0)).label("recent_correct"),
            sa.func.max(sa.case((ranked.c.theta_rank == 1, ranked.c.theta_after))).label(
                "latest_theta"
            ),
        )
        .group_by(ranked.c.user_id, ranked.c.section)
        .cte("attempt_stats")
    )
    r = table_of(UserReadiness).c
    result = session.exec(
        update(UserReadiness)
        .where(r.user_id == stats.c.user_id, r.section == stats.c.section)
        .values(
            total_attempts_count=stats.c.total,
            total_correct_count=stats.c.correct,
            overall_accuracy=sa.cast(stats.c.correct, sa.Float) / stats.c.total,
            recent_attempts_count=stats.c.recent_total,
            recent_correct_count=stats.c.recent_correct,
            recent_accuracy=sa.cast(stats.c.recent_correct, sa.Float) / stats.c.recent_total,
            current_theta=sa.func.coalesce(stats.c.latest_theta, r.current_theta),
            last_updated=when,
            updated_by_job_id=job_id,
        )
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)


def list_user_readiness(*, session: Session, user_id: int) -> list[UserReadiness]:
    return list(session.exec(select(UserReadiness).where(UserReadiness.user_id == user_id)).all())
