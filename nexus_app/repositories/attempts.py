"""Practice attempts: Genta's Query 3 (record an attempt) and Query 4 (session statistics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select, update
from sqlmodel.sql.expression import Select

from nexus_app.models import Attempt, Question, User, utcnow
from nexus_app.repositories._sql import select_columns


@dataclass(frozen=True, slots=True)
class AttemptBreakdown:
    """One answered item inside a session review (the seed's json_build_object)."""

    attempt_id: int
    question_id: int
    attempt_number: int | None
    is_correct: bool
    user_answer: str
    correct_answer: str
    time_spent_seconds: int


@dataclass(frozen=True, slots=True)
class SessionSectionStats:
    """Query 4's row: one per section practised in the session."""

    section: str
    total_questions: int
    correct_count: int
    accuracy_percentage: float
    avg_time_seconds: float
    min_time_seconds: int
    max_time_seconds: int
    question_breakdown: tuple[AttemptBreakdown, ...]


def get_correct_answer(*, session: Session, question_id: int) -> str | None:
    """The item's key, so the service can compute `is_correct` before inserting."""
    return session.exec(select(Question.correct_answer).where(Question.id == question_id)).first()


def record_attempt(
    *,
    session: Session,
    user_id: int,
    question_id: int,
    selected_answer: str,
    is_correct: bool,
    time_spent_seconds: int,
    theta_before: float | None = None,
    session_id: str | None = None,
    attempt_number: int | None = None,
    created_at: datetime | None = None,
    theta_after: float | None = None,
) -> Attempt:
    """Query 3 step 1 "Insert attempt".

    The seed made is_correct a generated column with a subquery, which neither database
    allows; the service computes it (see `get_correct_answer`) and passes it here. A caller
    that knows the new ability already passes `theta_after`: steps 1 and 4 in one INSERT.
    """
    attempt = Attempt(
        user_id=user_id,
        question_id=question_id,
        selected_answer=selected_answer,
        is_correct=is_correct,
        time_spent_seconds=time_spent_seconds,
        user_theta_before=theta_before,
        session_id=session_id,
        attempt_number_in_session=attempt_number,
    )
    if theta_after is not None:
        attempt.user_theta_after = theta_after
        attempt.theta_change = theta_after - theta_before if theta_before is not None else None
    if created_at is not None:  # backdated history (demo data, imports)
        attempt.created_at = created_at
    session.add(attempt)
    session.flush()
    return attempt


def set_attempt_theta_after(*, session: Session, attempt_id: int, theta_after: float) -> None:
    """Query 3 step 4: store the new ability and the change (NULL if there was no before)."""
    session.exec(
        update(Attempt)
        .where(col(Attempt.id) == attempt_id)
        .values(
            user_theta_after=theta_after,
            theta_change=theta_after - col(Attempt.user_theta_before),
        )
    )


def update_user_theta(
    *,
    session: Session,
    user_id: int,
    theta: float,
    variance: float,
    now: datetime | None = None,
) -> None:
    """Query 3 step 3 "Update user's theta" (lives here because it is part of recording an
    attempt; users.py holds the account queries)."""
    session.exec(
        update(User)
        .where(col(User.id) == user_id)
        .values(irt_theta=theta, irt_variance=variance, irt_last_updated=now or utcnow())
    )


def get_attempt(*, session: Session, attempt_id: int) -> Attempt | None:
    return session.get(Attempt, attempt_id)


def list_recent_attempts(*, session: Session, user_id: int, limit: int = 20) -> list[Attempt]:
    """A user's latest (not deleted) attempts, newest first."""
    return list(
        session.exec(
            select(Attempt)
            .where(Attempt.user_id == user_id, col(Attempt.deleted_at).is_(None))
            .order_by(col(Attempt.created_at).desc(), col(Attempt.id).desc())
            .limit(limit)
        ).all()
    )


def count_session_attempts(*, session: Session, session_id: str) -> int:
    """How many (not deleted) attempts a study session holds; the next number is this + 1."""
    return int(
        session.exec(
            select(sa.func.count())
            .select_from(Attempt)
            .where(col(Attempt.session_id) == session_id, col(Attempt.deleted_at).is_(None))
        ).one()
    )


def get_session_statistics(
    *, session: Session, user_id: int, session_id: str
) -> list[SessionSectionStats]:
    """Query 4 "Get session statistics": totals per section plus the per-item breakdown.

    The aggregates are SQL (GROUP BY section, as in the seed); the breakdown, which the
    seed built with PostgreSQL-only json_agg, is a second ordered query grouped in
    Python, so both databases return the same structure. Soft-deleted attempts are left
    out. Filtering by user as well as session keeps one student from reading another's.
    """
    where = (
        col(Attempt.user_id) == user_id,
        col(Attempt.session_id) == session_id,
        col(Attempt.deleted_at).is_(None),
    )
    correct = sa.func.sum(sa.case((col(Attempt.is_correct) == sa.true(), 1), else_=0))
    totals = session.exec(
        select_columns(
            col(Question.section),
            sa.func.count(),
            correct,
            sa.func.avg(col(Attempt.time_spent_seconds)),
            sa.func.min(col(Attempt.time_spent_seconds)),
            sa.func.max(col(Attempt.time_spent_seconds)),
        )
        .join(Question, col(Question.id) == col(Attempt.question_id))
        .where(*where)
        .group_by(col(Question.section))
        .order_by(col(Question.section))
    ).all()
    details = session.exec(
        select_columns(
            col(Question.section),
            col(Attempt.id),
            col(Attempt.question_id),
            col(Attempt.attempt_number_in_session),
            col(Attempt.is_correct),
            col(Attempt.selected_answer),
            col(Question.correct_answer),
            col(Attempt.time_spent_seconds),
        )
        .join(Question, col(Question.id) == col(Attempt.question_id))
        .where(*where)
        .order_by(
            col(Attempt.attempt_number_in_session).asc().nulls_last(),
            col(Attempt.created_at),
            col(Attempt.id),
        )
    ).all()
    breakdown: dict[str, list[AttemptBreakdown]] = {}
    for section, aid, qid, number, ok, answer, key, seconds in details:
        breakdown.setdefault(section, []).append(
            AttemptBreakdown(
                attempt_id=int(aid),
                question_id=qid,
                attempt_number=number,
                is_correct=bool(ok),
                user_answer=answer,
                correct_answer=key,
                time_spent_seconds=seconds,
            )
        )
    return [
        SessionSectionStats(
            section=section,
            total_questions=int(total),
            correct_count=int(right or 0),
            accuracy_percentage=round(100.0 * int(right or 0) / int(total), 2),
            avg_time_seconds=float(avg),
            min_time_seconds=int(low),
            max_time_seconds=int(high),
            question_breakdown=tuple(breakdown.get(section, ())),
        )
        for section, total, right, avg, low, high in totals
    ]


@dataclass(frozen=True)
class SessionItem:
    """One answered item of a study session, with what the CAT engine needs."""

    attempt_id: int
    position: int | None
    question_id: int
    is_correct: bool
    selected_answer: str
    time_spent_seconds: int
    sub_type: str | None
    a: float | None
    b: float | None
    c: float | None


def get_attempt_at_position(*, session: Session, session_id: str, position: int) -> Attempt | None:
    """The attempt already stored at this position of a session (idempotent submits)."""
    return session.exec(
        select(Attempt).where(
            Attempt.session_id == session_id, Attempt.attempt_number_in_session == position
        )
    ).first()


@dataclass(frozen=True, slots=True)
class SessionPositions:
    """What a submit checks before recording: the id of the attempt already stored at the
    position (a repeated submit), and how many (not deleted) attempts the session holds."""

    stored_id: int | None
    count: int


def get_session_positions(*, session: Session, session_id: str, position: int) -> SessionPositions:
    """`get_attempt_at_position` and `count_session_attempts` in one aggregate round trip
    (the attempt itself is read only on a repeated submit)."""
    count, stored_id = session.exec(
        _session_positions_query(), params={"session_id": session_id, "position": position}
    ).one()
    return SessionPositions(int(stored_id) if stored_id is not None else None, int(count or 0))


@cache
def _session_positions_query() -> Select[*tuple[Any, ...]]:
    # Built once (_sql.py, "hot statements").
    live = sa.case((col(Attempt.deleted_at).is_(None), 1))
    at_position = sa.case(
        (col(Attempt.attempt_number_in_session) == sa.bindparam("position"), col(Attempt.id))
    )
    return select_columns(sa.func.count(live), sa.func.min(at_position)).where(
        col(Attempt.session_id) == sa.bindparam("session_id")
    )


def list_session_items(*, session: Session, session_id: str) -> list[SessionItem]:
    rows = session.exec(_session_items_query(), params={"session_id": session_id}).all()
    return [
        SessionItem(int(aid), pos, int(qid), bool(ok), ans, int(secs), sub, a, b, c)
        for aid, pos, qid, ok, ans, secs, sub, a, b, c in rows
    ]


@cache
def _session_items_query() -> Select[*tuple[Any, ...]]:
    # Built once (_sql.py, "hot statements").
    return (
        select_columns(
            col(Attempt.id),
            col(Attempt.attempt_number_in_session),
            col(Attempt.question_id),
            col(Attempt.is_correct),
            col(Attempt.selected_answer),
            col(Attempt.time_spent_seconds),
            col(Question.sub_type),
            col(Question.discrimination),
            col(Question.difficulty_irt),
            col(Question.guessing_param),
        )
        .join(Question, col(Question.id) == col(Attempt.question_id))
        .where(
            col(Attempt.session_id) == sa.bindparam("session_id"), col(Attempt.deleted_at).is_(None)
        )
        .order_by(col(Attempt.attempt_number_in_session), col(Attempt.id))
    )


@cache
def _theta_history_query() -> Select[datetime, float | None]:
    # Built once (_sql.py, "hot statements"): every forecast reads it.
    return (
        select(Attempt.created_at, Attempt.user_theta_after)
        .join(Question, col(Question.id) == col(Attempt.question_id))
        .where(
            col(Attempt.user_id) == sa.bindparam("user_id"),
            col(Question.section) == sa.bindparam("section"),
            col(Attempt.user_theta_after).is_not(None),
            col(Attempt.deleted_at).is_(None),
        )
        .order_by(col(Attempt.created_at).desc(), col(Attempt.id).desc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


def list_section_theta_history(
    *, session: Session, user_id: int, section: str, limit: int = 500
) -> list[tuple[datetime, float]]:
    """(time, ability after the answer) for a student's answers in one section, oldest
    first: the trend that forecasts the ready-by date."""
    rows = session.exec(
        _theta_history_query(),
        params={"user_id": user_id, "section": section, "limit": limit},
    ).all()
    # The query keeps only answers with a theta; the check narrows the column's type.
    return [(when, float(theta)) for when, theta in reversed(rows) if theta is not None]
