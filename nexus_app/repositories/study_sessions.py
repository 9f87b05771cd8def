"""Study sessions (a run of consecutive practice answers): Genta's Query 7b and upkeep."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select, update
from sqlmodel.sql.expression import Select

from nexus_app.models import (
    Question,
    SubscriptionTier,
    User,
    UserReadiness,
    UserStudySession,
    utcnow,
)
from nexus_app.repositories._sql import keep_prefetched, select_columns, tiers_that_can_apply


def create_study_session(
    *,
    session: Session,
    session_id: str,
    user_id: int,
    section: str | None = None,
    mode: str = "practice",
    sub_type: str | None = None,
    started_at: datetime | None = None,
) -> UserStudySession:
    """A new session; the id is chosen by the service (an unguessable token)."""
    row = UserStudySession(
        id=session_id,
        user_id=user_id,
        section=section,
        mode=mode,
        sub_type=sub_type,
        started_at=started_at or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def get_study_session(
    *, session: Session, session_id: str, user_id: int | None = None
) -> UserStudySession | None:
    """The session, or None; with `user_id`, only if it belongs to that user."""
    query = select(UserStudySession).where(UserStudySession.id == session_id)
    if user_id is not None:
        query = query.where(UserStudySession.user_id == user_id)
    return session.exec(query).first()


def load_session_context(
    *, session: Session, session_id: str, user_id: int
) -> UserStudySession | None:
    """The user's session row, fetched together with what an answer or a served item reads
    next: the User row, the readiness row of the session's section, the tier rows that
    can apply (the user's own and "free") and the question on screen. All land in the
    session's identity map, so the callers' `session.get` of them (the quota check, the
    section belief, the answered item) cost no round trip. One indexed query, at most two
    rows (one per tier)."""
    rows = session.exec(
        _session_context_query(), params={"session_id": session_id, "user_id": user_id}
    ).all()
    keep_prefetched(session, rows)
    return rows[0][0] if rows else None


@cache
def _session_context_query() -> Select[*tuple[Any, ...]]:
    # Built once (_sql.py, "hot statements"): every answer and served item runs it.
    return (
        select_columns(UserStudySession, User, UserReadiness, SubscriptionTier, Question)
        .join(User, col(User.id) == col(UserStudySession.user_id))
        .outerjoin(
            UserReadiness,
            sa.and_(
                col(UserReadiness.user_id) == col(UserStudySession.user_id),
                col(UserReadiness.section) == col(UserStudySession.section),
            ),
        )
        .outerjoin(SubscriptionTier, tiers_that_can_apply())
        .outerjoin(Question, col(Question.id) == col(UserStudySession.current_question_id))
        .where(
            col(UserStudySession.id) == sa.bindparam("session_id"),
            col(UserStudySession.user_id) == sa.bindparam("user_id"),
        )
    )


def record_session_answer(
    *, session: Session, session_id: str, is_correct: bool, now: datetime
) -> None:
    """One answer in one UPDATE: the counters grow (atomically, so two quick submissions
    cannot lose a count) and the answered item leaves the screen. A row already loaded in
    the session keeps its old values."""
    session.exec(
        _session_answer_update(),
        params={"session_id": session_id, "correct": 1 if is_correct else 0, "now": now},
    )


@cache
def _session_answer_update() -> sa.Update:
    # Built once (_sql.py, "hot statements"); no session sync, which would evaluate the
    # placeholders as NULL.
    return (
        update(UserStudySession)
        .where(col(UserStudySession.id) == sa.bindparam("session_id"))
        .values(
            questions_attempted=col(UserStudySession.questions_attempted) + 1,
            questions_correct=col(UserStudySession.questions_correct)
            + sa.bindparam("correct", type_=sa.Integer),
            current_question_id=None,
            current_served_at=None,
            updated_at=sa.bindparam("now"),
        )
        .execution_options(synchronize_session=False)
    )


def list_user_study_sessions(
    *, session: Session, user_id: int, limit: int = 20, offset: int = 0
) -> list[UserStudySession]:
    """Query 7b "Get user study sessions": newest first, paginated."""
    return list(
        session.exec(
            select(UserStudySession)
            .where(UserStudySession.user_id == user_id)
            .order_by(col(UserStudySession.started_at).desc(), col(UserStudySession.id).desc())
            .limit(limit)
            .offset(offset)
        ).all()
    )


def increment_session_counters(*, session: Session, session_id: str, is_correct: bool) -> None:
    """Count one more answer (and one more right answer) in a single UPDATE, so two quick
    submissions cannot lose a count."""
    session.exec(
        update(UserStudySession)
        .where(col(UserStudySession.id) == session_id)
        .values(
            questions_attempted=col(UserStudySession.questions_attempted) + 1,
            questions_correct=col(UserStudySession.questions_correct) + (1 if is_correct else 0),
        )
    )


def set_current_question(*, session: Session, session_id: str, question_id: int | None) -> None:
    """Remember which item the student is looking at (answers to any other are refused)."""
    session.exec(
        update(UserStudySession)
        .where(col(UserStudySession.id) == session_id)
        .values(current_question_id=question_id)
    )


def end_study_session(
    *, session: Session, session_id: str, ended_at: datetime | None = None
) -> UserStudySession | None:
    """Close a session: ended_at, duration in whole minutes and accuracy (0–1, NULL with no
    answers). Ending an already-ended session changes nothing. Computed in Python from
    the row's timestamps, which is portable and exact."""
    row = session.get(UserStudySession, session_id, populate_existing=True)
    if row is None or row.ended_at is not None:
        return row
    end = ended_at or utcnow()
    row.ended_at = end
    row.duration_minutes = max(0, round((end - row.started_at).total_seconds() / 60))
    row.accuracy_in_session = (
        row.questions_correct / row.questions_attempted if row.questions_attempted else None
    )
    row.current_question_id = None
    session.add(row)
    session.flush()
    return row
