"""Reports: OpenClass's weekly report and class mastery, Genta's Queries 8 and 10."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import (
    Attempt,
    AttemptFeedback,
    ChatHistory,
    DailyChatUsage,
    DailyChatUserCount,
    Subject,
    TopicMastery,
    User,
    WeeklyActiveCount,
    WeeklyActivity,
    utcnow,
)
from nexus_app.repositories._dialect import dialect_name
from nexus_app.repositories._sql import listed_student_probe, select_columns

CLASS_MASTERY_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class StudentActivityRow:
    user_id: int
    username: str
    full_name: str | None
    total_questions: int
    subjects_covered: int
    avg_confidence: float | None


@dataclass(frozen=True, slots=True)
class ClassMasteryRow:
    subject_id: int
    subject: str
    topic: str
    student_count: int
    avg_mastery: float
    min_mastery: float
    max_mastery: float


@dataclass(frozen=True, slots=True)
class WeeklyGrowthRow:
    signup_week: date  # the Monday (UTC) starting the week
    new_users: int
    premium_count: int
    premium_plus_count: int
    free_count: int
    active_last_7d: int


@dataclass(frozen=True, slots=True)
class GenerationStatsRow:
    day: date  # UTC
    model_used: str
    generations: int
    avg_generation_ms: float | None
    avg_tokens: float | None
    total_compute_seconds: float


def _as_date(value: date | str) -> date:
    # PostgreSQL returns a date; SQLite's date() returns ISO text.
    return value if isinstance(value, date) else date.fromisoformat(value)


def _utc_day(session: Session, column: Any) -> Any:
    if dialect_name(session) == "postgresql":
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.date(column)  # SQLite stores UTC text


def _utc_week(session: Session, column: Any) -> Any:
    """The Monday of the column's ISO week, in UTC (the seed's DATE_TRUNC('week', …))."""
    if dialect_name(session) == "postgresql":
        return sa.cast(sa.func.date_trunc("week", sa.func.timezone("UTC", column)), sa.Date)
    # 'weekday 0' moves forward to Sunday (or stays), '-6 days' lands on that week's Monday.
    return sa.func.date(column, "weekday 0", "-6 days")


def _activity_rows(rows: Sequence[Any]) -> list[StudentActivityRow]:
    """(user id, username, full name, chats, subjects, mean confidence) rows as report rows."""
    return [
        StudentActivityRow(
            user_id=int(uid),
            username=username,
            full_name=full_name,
            total_questions=int(n),
            subjects_covered=int(subjects),
            avg_confidence=None if confidence is None else float(confidence),
        )
        for uid, username, full_name, n, subjects, confidence in rows
    ]


def weekly_student_activity(
    *,
    session: Session,
    days: int = 7,
    now: datetime | None = None,
    class_name: str | None = None,
    class_names: Collection[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[StudentActivityRow]:
    """OpenClass "Weekly report: student activity summary".

    The seed filtered `ch.created_at` in WHERE after a LEFT JOIN, which turns it into an
    inner join and hides exactly the students a teacher should see: those who asked
    nothing. The date window is moved into the JOIN condition, so every (not deleted)
    student appears, with 0 questions if idle. The window is (now − days, now].
    `limit`/`offset` page through the (total desc, username) order: over all 100,000
    students of the seeds' scale the whole list is 100,000 rows, a page is what a screen
    shows.
    """
    end = now or utcnow()
    since = end - timedelta(days=days)
    everyone = class_name is None and class_names is None
    if everyone and limit is not None and dialect_name(session) == "postgresql":
        page = _weekly_activity_page(session, since=since, end=end, limit=limit, offset=offset)
        if len(page) == limit:
            return page
        # The page reaches the students who asked nothing: the whole ordering below.
    total = sa.func.count(col(ChatHistory.id))
    filters: list[Any] = [col(User.role) == "siswa", col(User.deleted_at).is_(None)]
    if class_name is not None:
        filters.append(col(User.class_name) == class_name)
    if class_names is not None:
        # A teacher's classes only: the page shows 40 students, not all 100,000.
        filters.append(col(User.class_name).in_(list(class_names)))
    query: Any
    if everyone:
        # Every student: group the window's chats first (one pass over the created_at
        # index) and join the totals to the students, instead of joining every student to
        # their chats and grouping 100,000 groups (seconds, spilling to disk).
        per_user = (
            select_columns(
                col(ChatHistory.user_id).label("user_id"),
                sa.func.count().label("n"),
                sa.func.count(sa.distinct(col(ChatHistory.subject_id))).label("subjects"),
                _avg_confidence(session).label("confidence"),
            )
            .where(col(ChatHistory.created_at) > since, col(ChatHistory.created_at) <= end)
            .group_by(col(ChatHistory.user_id))
            .subquery()
        )
        n = sa.func.coalesce(per_user.c.n, 0)
        query = (
            select_columns(
                col(User.id),
                col(User.username),
                col(User.full_name),
                n,
                sa.func.coalesce(per_user.c.subjects, 0),
                per_user.c.confidence,
            )
            .outerjoin(per_user, per_user.c.user_id == col(User.id))
            .where(*filters)
            .order_by(n.desc(), col(User.username))
        )
    else:
        # A class or a teacher's classes: probe each student's chats (40 index lookups).
        query = (
            select_columns(
                col(User.id),
                col(User.username),
                col(User.full_name),
                total,
                sa.func.count(sa.distinct(col(ChatHistory.subject_id))),
                _avg_confidence(session),
            )
            .outerjoin(
                ChatHistory,
                sa.and_(
                    col(ChatHistory.user_id) == col(User.id),
                    col(ChatHistory.created_at) > since,
                    col(ChatHistory.created_at) <= end,
                ),
            )
            .where(*filters)
            .group_by(col(User.id), col(User.username), col(User.full_name))
            .order_by(total.desc(), col(User.username))
        )
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return _activity_rows(session.exec(query).all())


def _avg_confidence(session: Session) -> Any:
    """The mean confidence of a student's chats, independent of the order rows are read in.

    On PostgreSQL the mean is taken over `numeric` (a float8 → numeric cast keeps 15
    significant digits, the sum is exact), so the paged path, which reads a student's
    chats through their (user_id, created_at) index, and the grouping paths, which read
    them in whatever order the plan gives, return the same float to the last bit.
    """
    if dialect_name(session) == "postgresql":
        return sa.cast(sa.func.avg(sa.cast(col(ChatHistory.confidence), sa.Numeric)), sa.Float)
    return sa.func.avg(col(ChatHistory.confidence))


def _weekly_activity_page(
    session: Session, *, since: datetime, end: datetime, limit: int, offset: int
) -> list[StudentActivityRow]:
    """A page of every student's activity on PostgreSQL, without joining all 100,000.

    The window's chats are counted per student through `idx_chat_history_created
    (created_at, user_id)` (index-only) and sorted by count; each student is then looked
    up by primary key in that order (`LIMIT 1` keeps the lookup a per-row probe instead of
    a hash join over every user), so an incremental sort on (count, username) stops once
    the page is full: a few hundred probes. Subjects and mean confidence are read for the
    page's students only. Students without a chat in the window are not in this list;
    when the page reaches them (fewer rows than `limit`) the caller runs the full query.
    """
    window = (col(ChatHistory.created_at) > since, col(ChatHistory.created_at) <= end)
    n = sa.func.count().label("n")
    counted = (
        select_columns(col(ChatHistory.user_id).label("user_id"), n)
        .where(*window)
        .group_by(col(ChatHistory.user_id))
        .order_by(n.desc())  # the order the join below keeps for the incremental sort
        .subquery("counted")
    )
    student = listed_student_probe(counted.c.user_id)
    page = (
        select_columns(counted.c.user_id, counted.c.n, student.c.username, student.c.full_name)
        .select_from(counted.join(student, sa.true()))
        .order_by(counted.c.n.desc(), student.c.username)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    detail = (
        select_columns(
            sa.func.count(sa.distinct(col(ChatHistory.subject_id))).label("subjects"),
            _avg_confidence(session).label("confidence"),
        )
        .where(col(ChatHistory.user_id) == page.c.user_id, *window)
        .lateral("detail")
    )
    query = (
        select_columns(
            page.c.user_id,
            page.c.username,
            page.c.full_name,
            page.c.n,
            detail.c.subjects,
            detail.c.confidence,
        )
        .select_from(page.join(detail, sa.true()))
        .order_by(page.c.n.desc(), page.c.username)
    )
    return _activity_rows(session.exec(query).all())


def class_mastery_summary(
    *,
    session: Session,
    grade: int,
    threshold: float = CLASS_MASTERY_THRESHOLD,
    class_name: str | None = None,
) -> list[ClassMasteryRow]:
    """OpenClass "Class mastery summary": topics of a grade whose average mastery is below
    `threshold` (HAVING AVG < threshold), weakest first. Deleted accounts are left out;
    `class_name` narrows to one class."""
    avg = sa.func.avg(col(TopicMastery.mastery_level))
    filters: list[Any] = [col(Subject.grade) == grade, col(User.deleted_at).is_(None)]
    if class_name is not None:
        filters.append(col(User.class_name) == class_name)
    rows = session.exec(
        select_columns(
            col(Subject.id),
            col(Subject.name),
            col(TopicMastery.topic),
            sa.func.count(sa.distinct(col(TopicMastery.user_id))),
            avg,
            sa.func.min(col(TopicMastery.mastery_level)),
            sa.func.max(col(TopicMastery.mastery_level)),
        )
        .join(Subject, col(Subject.id) == col(TopicMastery.subject_id))
        .join(User, col(User.id) == col(TopicMastery.user_id))
        .where(*filters)
        .group_by(col(Subject.id), col(Subject.name), col(TopicMastery.topic))
        .having(avg < threshold)
        .order_by(avg, col(Subject.name), col(TopicMastery.topic))
    ).all()
    return [
        ClassMasteryRow(
            subject_id=int(sid),
            subject=name,
            topic=topic,
            student_count=int(n),
            avg_mastery=float(mean),
            min_mastery=float(low),
            max_mastery=float(high),
        )
        for sid, name, topic, n, mean, low, high in rows
    ]


def user_growth_by_week(
    *,
    session: Session,
    limit: int = 52,
    now: datetime | None = None,
    signed_up_since: datetime | None = None,
) -> list[WeeklyGrowthRow]:
    """Genta Query 8 "User growth & retention": per signup week (Monday, UTC), newest first.

    Week truncation is dialect-specific (date_trunc on PostgreSQL, date modifiers on
    SQLite) and done in a subquery, so GROUP BY names a plain column on both databases.
    premium_plus is counted separately (the seed's users had no such tier).
    `signed_up_since` keeps only accounts created at or after it (the admin's chart window).
    """
    since = (now or utcnow()) - timedelta(days=7)
    filters: list[Any] = [col(User.deleted_at).is_(None)]
    if signed_up_since is not None:
        filters.append(col(User.created_at) >= signed_up_since)
    tier = col(User.subscription_tier)
    per_user = (
        select_columns(
            _utc_week(session, col(User.created_at)).label("signup_week"),
            sa.case((tier == "premium", 1), else_=0).label("premium"),
            sa.case((tier == "premium_plus", 1), else_=0).label("premium_plus"),
            sa.case((tier == "free", 1), else_=0).label("free"),
            sa.case((col(User.last_login) > since, 1), else_=0).label("active"),
        )
        .where(*filters)
        .subquery()
    )
    rows = session.exec(
        select_columns(
            per_user.c.signup_week,
            sa.func.count(),
            sa.func.sum(per_user.c.premium),
            sa.func.sum(per_user.c.premium_plus),
            sa.func.sum(per_user.c.free),
            sa.func.sum(per_user.c.active),
        )
        .group_by(per_user.c.signup_week)
        .order_by(per_user.c.signup_week.desc())
        .limit(limit)
    ).all()
    return [
        WeeklyGrowthRow(
            signup_week=_as_date(week),
            new_users=int(n),
            premium_count=int(premium),
            premium_plus_count=int(premium_plus),
            free_count=int(free),
            active_last_7d=int(active),
        )
        for week, n, premium, premium_plus, free, active in rows
    ]


def feedback_generation_stats(
    *, session: Session, days: int = 30, now: datetime | None = None
) -> list[GenerationStatsRow]:
    """Genta Query 10 "LLM cost analysis", for a local model: per UTC day and model, the
    number of feedback generations, mean generation time, mean tokens (input + output,
    over rows that recorded both) and total compute seconds. There is no dollar cost:
    the model runs on the school's server. Newest day first (the seed ordered by a
    column that is not grouped, which PostgreSQL rejects)."""
    since = (now or utcnow()) - timedelta(days=days)
    per_row = (
        select(
            _utc_day(session, col(AttemptFeedback.created_at)).label("day"),
            col(AttemptFeedback.model_used).label("model_used"),
            col(AttemptFeedback.generation_time_ms).label("ms"),
            (
                col(AttemptFeedback.token_count_input) + col(AttemptFeedback.token_count_output)
            ).label("tokens"),
        )
        .where(col(AttemptFeedback.created_at) > since)
        .subquery()
    )
    rows = session.exec(
        select_columns(
            per_row.c.day,
            per_row.c.model_used,
            sa.func.count(),
            sa.func.avg(per_row.c.ms),
            sa.func.avg(per_row.c.tokens),
            sa.func.sum(per_row.c.ms),
        )
        .group_by(per_row.c.day, per_row.c.model_used)
        .order_by(per_row.c.day.desc(), per_row.c.model_used)
    ).all()
    return [
        GenerationStatsRow(
            day=_as_date(day),
            model_used=model,
            generations=int(n),
            avg_generation_ms=None if avg_ms is None else float(avg_ms),
            avg_tokens=None if avg_tokens is None else float(avg_tokens),
            total_compute_seconds=float(total_ms or 0) / 1000.0,
        )
        for day, model, n, avg_ms, avg_tokens, total_ms in rows
    ]


# --- the admin's analytics page -------------------------------------------------------------
# Windows are half-open, [since, until), so consecutive windows never count a row twice.


@dataclass(frozen=True, slots=True)
class WeeklyActiveRow:
    week: date  # the Monday (UTC) starting the week
    active_users: int


@dataclass(frozen=True, slots=True)
class HelpfulnessRow:
    model_used: str
    prompt_version: str | None
    feedback_count: int
    rated_count: int
    helpful_count: int


@dataclass(frozen=True, slots=True)
class FeedbackUsageRow:
    day: date  # UTC
    model_used: str
    feedback_count: int
    reused_count: int  # copies of earlier feedback (0 ms): no model run
    tokens_in: int
    tokens_out: int
    compute_ms: int


@dataclass(frozen=True, slots=True)
class ChatUsageRow:
    day: date  # UTC
    answers: int
    users: int
    model_answers: int  # answers for which the model ran (recorded since migration 0005)
    tokens_in: int
    tokens_out: int
    compute_ms: int


def weekly_active_users(
    *, session: Session, since: datetime, until: datetime
) -> list[WeeklyActiveRow]:
    """Distinct (not deleted) users per UTC week who answered a practice item or asked the
    tutor: the "active users" beside Query 8's signups. The seed only keeps `last_login`,
    which cannot say who was active in an earlier week; attempts and chats can."""
    activity = sa.union_all(
        select(col(Attempt.user_id).label("user_id"), col(Attempt.created_at).label("at")).where(
            col(Attempt.created_at) >= since,
            col(Attempt.created_at) < until,
            col(Attempt.deleted_at).is_(None),
        ),
        select(
            col(ChatHistory.user_id).label("user_id"), col(ChatHistory.created_at).label("at")
        ).where(col(ChatHistory.created_at) >= since, col(ChatHistory.created_at) < until),
    ).subquery()
    # One row per (week, user) first: the deleted-user check then sees thousands of pairs,
    # not every answer, and stays cheap even before PostgreSQL has table statistics.
    # DISTINCT rather than GROUP BY: the week expression carries bound parameters, which
    # PostgreSQL would not match between SELECT and GROUP BY.
    pairs = (
        select(_utc_week(session, activity.c.at).label("week"), activity.c.user_id)
        .distinct()
        .subquery()
    )
    live = select(User.id).where(col(User.deleted_at).is_(None))
    rows = session.exec(
        select(pairs.c.week, sa.func.count())
        .where(pairs.c.user_id.in_(live))
        .group_by(pairs.c.week)
        .order_by(pairs.c.week)
    ).all()
    return [WeeklyActiveRow(week=_as_date(week), active_users=int(n)) for week, n in rows]


def weekly_active_users_summary(
    *, session: Session, first_week: date, until: datetime
) -> list[WeeklyActiveRow]:
    """`weekly_active_users(since=<first_week's Monday 00:00 UTC>, until=until)`, read from
    migration 0017's trigger-kept tables instead of regrouping every attempt and chat of
    the window (5.4 M rows at the seeds' scale): the per-week counts of `weekly_active_counts`
    less the weeks of deleted accounts in `weekly_activity`.

    `first_week` must be a Monday. The table counts whole weeks; when `until` falls inside
    a week, students whose only activity that week lies at or after `until` (rows dated in
    the future) are taken off again, so the result equals the raw query's.
    """
    if first_week.weekday() != 0:
        raise ValueError("first_week must be a Monday")
    until_utc = until.astimezone(UTC)
    last_monday = until_utc.date() - timedelta(days=until_utc.weekday())
    last_start = datetime.combine(last_monday, time(0, 0), tzinfo=UTC)
    last_included = (
        col(WeeklyActiveCount.week) <= last_monday
        if until_utc > last_start
        else col(WeeklyActiveCount.week) < last_monday
    )
    counts = {
        _as_date(week): int(n)
        for week, n in session.exec(
            select_columns(col(WeeklyActiveCount.week), col(WeeklyActiveCount.users)).where(
                col(WeeklyActiveCount.week) >= first_week, last_included
            )
        ).all()
    }
    # The counts include deleted accounts (few): take their weeks off.
    wa = WeeklyActivity
    for week, n in session.exec(
        select_columns(col(wa.week), sa.func.count())
        .join(User, col(User.id) == col(wa.user_id))
        .where(
            col(User.deleted_at).is_not(None),
            col(wa.week) >= first_week,
            col(wa.week) <= last_monday,
        )
        .group_by(col(wa.week))
    ).all():
        if _as_date(week) in counts:
            counts[_as_date(week)] -= int(n)
    if until_utc > last_start and last_monday >= first_week and last_monday in counts:
        late = _only_late_in_week(session, last_start, until_utc)
        if late:
            counts[last_monday] -= late
    return [WeeklyActiveRow(week=w, active_users=n) for w, n in sorted(counts.items()) if n > 0]


def _only_late_in_week(session: Session, week_start: datetime, until: datetime) -> int:
    """Live students active in [until, week_start + 7 days) but not in [week_start, until):
    in the summary's week, absent from the raw query's window. Normally none (those are
    future-dated rows); read through the created_at and (user_id, created_at) indexes."""
    week_end = week_start + timedelta(days=7)
    late = sa.union(
        select(col(Attempt.user_id)).where(
            col(Attempt.created_at) >= until,
            col(Attempt.created_at) < week_end,
            col(Attempt.deleted_at).is_(None),
        ),
        select(col(ChatHistory.user_id)).where(
            col(ChatHistory.created_at) >= until, col(ChatHistory.created_at) < week_end
        ),
    ).subquery()
    ids = [int(u) for u in session.exec(select(late.c.user_id)).all()]
    if not ids:
        return 0
    early = sa.union(
        select(col(Attempt.user_id)).where(
            col(Attempt.user_id).in_(ids),
            col(Attempt.created_at) >= week_start,
            col(Attempt.created_at) < until,
            col(Attempt.deleted_at).is_(None),
        ),
        select(col(ChatHistory.user_id)).where(
            col(ChatHistory.user_id).in_(ids),
            col(ChatHistory.created_at) >= week_start,
            col(ChatHistory.created_at) < until,
        ),
    ).subquery()
    seen = {int(u) for u in session.exec(select(early.c.user_id)).all()}
    live = set(
        session.exec(
            select(User.id).where(col(User.id).in_(ids), col(User.deleted_at).is_(None))
        ).all()
    )
    return len({u for u in ids if u in live and u not in seen})


def feedback_helpfulness(
    *, session: Session, since: datetime, until: datetime
) -> list[HelpfulnessRow]:
    """Feedback written in the window, per model and prompt version, with how many were
    rated and how many of those were rated helpful (the seed's `is_helpful` thumbs)."""
    helpful = col(AttemptFeedback.is_helpful)
    model, version = col(AttemptFeedback.model_used), col(AttemptFeedback.prompt_version)
    total = sa.func.count()
    rows = session.exec(
        select_columns(
            model,
            version,
            total,
            sa.func.count(helpful),  # COUNT(column) skips the unrated NULLs
            sa.func.sum(sa.case((helpful == sa.true(), 1), else_=0)),
        )
        .where(
            col(AttemptFeedback.created_at) >= since,
            col(AttemptFeedback.created_at) < until,
        )
        .group_by(model, version)
        .order_by(total.desc(), model, version)
    ).all()
    return [
        HelpfulnessRow(
            model_used=m,
            prompt_version=v,
            feedback_count=int(n),
            rated_count=int(rated),
            helpful_count=int(good or 0),
        )
        for m, v, n, rated, good in rows
    ]


def feedback_usage_by_day(
    *, session: Session, since: datetime, until: datetime
) -> list[FeedbackUsageRow]:
    """Genta Query 10 as totals: per UTC day and model, feedback rows, how many were reused
    copies (generation_time_ms = 0, see services.feedback), tokens in and out and compute
    milliseconds. Unknown token counts or times add nothing. Oldest day first."""
    ms = col(AttemptFeedback.generation_time_ms)
    per_row = (
        select_columns(
            _utc_day(session, col(AttemptFeedback.created_at)).label("day"),
            col(AttemptFeedback.model_used).label("model_used"),
            sa.case((ms == 0, 1), else_=0).label("reused"),
            sa.func.coalesce(col(AttemptFeedback.token_count_input), 0).label("tokens_in"),
            sa.func.coalesce(col(AttemptFeedback.token_count_output), 0).label("tokens_out"),
            sa.func.coalesce(ms, 0).label("ms"),
        )
        .where(
            col(AttemptFeedback.created_at) >= since,
            col(AttemptFeedback.created_at) < until,
        )
        .subquery()
    )
    rows = session.exec(
        select_columns(
            per_row.c.day,
            per_row.c.model_used,
            sa.func.count(),
            sa.func.sum(per_row.c.reused),
            sa.func.sum(per_row.c.tokens_in),
            sa.func.sum(per_row.c.tokens_out),
            sa.func.sum(per_row.c.ms),
        )
        .group_by(per_row.c.day, per_row.c.model_used)
        .order_by(per_row.c.day, per_row.c.model_used)
    ).all()
    return [
        FeedbackUsageRow(
            day=_as_date(day),
            model_used=model,
            feedback_count=int(n),
            reused_count=int(reused or 0),
            tokens_in=int(tin or 0),
            tokens_out=int(tout or 0),
            compute_ms=int(total_ms or 0),
        )
        for day, model, n, reused, tin, tout, total_ms in rows
    ]


def chat_usage_by_day(
    *,
    session: Session,
    since: datetime,
    until: datetime,
    no_model: Collection[str] = (),
) -> list[ChatUsageRow]:
    """Tutor answers per UTC day: how many, how many users asked, how many the model
    generated, and their tokens in and out and compute milliseconds. `no_model` names the
    `model_used` values that mean no model ran (the tutor's answer modes). Rows saved before
    chat_history recorded usage (NULL model and counts) are answers with no known usage.
    Oldest day first."""
    model = col(ChatHistory.model_used)
    ran: sa.ColumnElement[bool] = model.is_not(None)
    if no_model:
        ran = sa.and_(ran, model.not_in(list(no_model)))
    per_row = (
        select_columns(
            _utc_day(session, col(ChatHistory.created_at)).label("day"),
            col(ChatHistory.user_id).label("user_id"),
            sa.case((ran, 1), else_=0).label("ran"),
            sa.func.coalesce(col(ChatHistory.token_count_input), 0).label("tokens_in"),
            sa.func.coalesce(col(ChatHistory.token_count_output), 0).label("tokens_out"),
            sa.func.coalesce(col(ChatHistory.generation_time_ms), 0).label("ms"),
        )
        .where(col(ChatHistory.created_at) >= since, col(ChatHistory.created_at) < until)
        .subquery()
    )
    rows = session.exec(
        select_columns(
            per_row.c.day,
            sa.func.count(),
            sa.func.count(sa.distinct(per_row.c.user_id)),
            sa.func.sum(per_row.c.ran),
            sa.func.sum(per_row.c.tokens_in),
            sa.func.sum(per_row.c.tokens_out),
            sa.func.sum(per_row.c.ms),
        )
        .group_by(per_row.c.day)
        .order_by(per_row.c.day)
    ).all()
    return [
        ChatUsageRow(
            day=_as_date(day),
            answers=int(n),
            users=int(u),
            model_answers=int(ran or 0),
            tokens_in=int(tin or 0),
            tokens_out=int(tout or 0),
            compute_ms=int(ms or 0),
        )
        for day, n, u, ran, tin, tout, ms in rows
    ]


def chat_usage_by_day_summary(
    *,
    session: Session,
    since: datetime,
    until: datetime,
    no_model: Collection[str] = (),
) -> list[ChatUsageRow]:
    """`chat_usage_by_day` read from migration 0017's trigger-kept day tables (a row per day
    and model, and the distinct askers per day) instead of every chat of the window (a
    month is ~330,000 rows at the seeds' scale). `since` and `until` must be UTC midnights:
    the tables count whole days. A model_used of '' reads as no model (the key of NULL)."""
    for bound in (since, until):
        b = bound.astimezone(UTC)
        if (b.hour, b.minute, b.second, b.microsecond) != (0, 0, 0, 0):
            raise ValueError("since and until must be UTC midnights")
    first, end = since.astimezone(UTC).date(), until.astimezone(UTC).date()
    usage = session.exec(
        select(DailyChatUsage)
        .where(col(DailyChatUsage.day) >= first, col(DailyChatUsage.day) < end)
        .order_by(col(DailyChatUsage.day))
    ).all()
    users = {
        _as_date(day): int(n)
        for day, n in session.exec(
            select_columns(col(DailyChatUserCount.day), col(DailyChatUserCount.users)).where(
                col(DailyChatUserCount.day) >= first, col(DailyChatUserCount.day) < end
            )
        ).all()
    }
    skipped = set(no_model)
    totals: dict[date, list[int]] = {}
    for u in usage:
        if u.answers <= 0:
            continue
        t = totals.setdefault(_as_date(u.day), [0, 0, 0, 0, 0])
        t[0] += u.answers
        if u.model_key != "" and u.model_key not in skipped:
            t[1] += u.answers
        t[2] += u.tokens_in
        t[3] += u.tokens_out
        t[4] += u.compute_ms
    return [
        ChatUsageRow(
            day=day,
            answers=n,
            users=users.get(day, 0),
            model_answers=ran,
            tokens_in=tin,
            tokens_out=tout,
            compute_ms=ms,
        )
        for day, (n, ran, tin, tout, ms) in sorted(totals.items())
    ]
