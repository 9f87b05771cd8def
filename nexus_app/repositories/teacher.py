"""What a teacher's class view reads: mastery grids, one student's topic history."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import Attempt, ChatHistory, Question, TopicMastery, WeakArea
from nexus_app.repositories._sql import select_columns


@dataclass(frozen=True)
class TopicAttempt:
    answered_at: datetime
    question_id: int
    text: str
    selected: str
    correct_answer: str
    is_correct: bool
    time_spent_seconds: int
    a: float | None
    b: float | None
    c: float | None
    theta_before: float | None


@dataclass(frozen=True)
class PracticeActivity:
    user_id: int
    answers: int
    correct: int
    sessions: int


def list_mastery_grid(
    *,
    session: Session,
    user_ids: Collection[int],
    section: str | None = None,
    subject_id: int | None = None,
) -> list[TopicMastery]:
    """Mastery rows of these students for one UTBK section or one subject."""
    if not user_ids:
        return []
    query = select(TopicMastery).where(col(TopicMastery.user_id).in_(list(user_ids)))
    if subject_id is not None:
        query = query.where(col(TopicMastery.subject_id) == subject_id)
    else:
        query = query.where(
            col(TopicMastery.subject_id).is_(None), col(TopicMastery.section) == section
        )
    return list(session.exec(query).all())


def list_topic_attempts(
    *, session: Session, user_id: int, section: str, topic: str, limit: int = 100
) -> list[TopicAttempt]:
    """A student's answers to items of one sub_type, oldest first."""
    rows = session.exec(
        select_columns(
            col(Attempt.created_at),
            col(Attempt.question_id),
            col(Question.text),
            col(Attempt.selected_answer),
            col(Question.correct_answer),
            col(Attempt.is_correct),
            col(Attempt.time_spent_seconds),
            col(Question.discrimination),
            col(Question.difficulty_irt),
            col(Question.guessing_param),
            col(Attempt.user_theta_before),
        )
        .join(Question, col(Question.id) == col(Attempt.question_id))
        .where(
            col(Attempt.user_id) == user_id,
            col(Question.section) == section,
            col(Question.sub_type) == topic,
            col(Attempt.deleted_at).is_(None),
        )
        .order_by(col(Attempt.created_at).desc(), col(Attempt.id).desc())
        .limit(limit)
    ).all()
    return [TopicAttempt(*row) for row in reversed(rows)]


def list_topic_chat(
    *, session: Session, user_id: int, topic: str, subject_id: int | None = None
) -> list[ChatHistory]:
    query = select(ChatHistory).where(ChatHistory.user_id == user_id, ChatHistory.topic == topic)
    if subject_id is not None:
        query = query.where(ChatHistory.subject_id == subject_id)
    return list(session.exec(query.order_by(col(ChatHistory.created_at).desc()).limit(50)).all())


def list_weak_area_history(
    *,
    session: Session,
    user_id: int,
    topic: str,
    section: str | None = None,
    subject_id: int | None = None,
) -> list[WeakArea]:
    """Every detection of this weak topic, open and resolved, newest first."""
    query = select(WeakArea).where(WeakArea.user_id == user_id, WeakArea.topic == topic)
    if subject_id is not None:
        query = query.where(col(WeakArea.subject_id) == subject_id)
    elif section is not None:
        query = query.where(col(WeakArea.section) == section)
    return list(session.exec(query.order_by(col(WeakArea.detected_at).desc())).all())


def practice_activity(
    *, session: Session, user_ids: Collection[int], since: datetime
) -> dict[int, PracticeActivity]:
    """Answers, right answers and sessions per student since a moment (weekly report)."""
    if not user_ids:
        return {}
    right = sa.func.sum(sa.case((col(Attempt.is_correct) == sa.true(), 1), else_=0))
    rows = session.exec(
        select(
            Attempt.user_id,
            sa.func.count(),
            right,
            sa.func.count(sa.distinct(col(Attempt.session_id))),
        )
        .where(
            col(Attempt.user_id).in_(list(user_ids)),
            col(Attempt.created_at) > since,
            col(Attempt.deleted_at).is_(None),
        )
        .group_by(col(Attempt.user_id))
    ).all()
    return {int(u): PracticeActivity(int(u), int(n), int(ok or 0), int(s)) for u, n, ok, s in rows}
