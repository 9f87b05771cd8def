"""AI feedback on attempts: Genta's Query 7 plus saving, rating and reusing feedback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select, update
from sqlmodel.sql.expression import Select, SelectOfScalar

from nexus_app.models import Attempt, AttemptFeedback, Question, SubscriptionTier, User
from nexus_app.repositories._sql import keep_prefetched, select_columns, tiers_that_can_apply


@dataclass(frozen=True, slots=True)
class FeedbackHistoryRow:
    """Query 7's row: a rated feedback with its attempt and item."""

    feedback_id: int
    feedback_text: str
    is_helpful: bool
    model_used: str
    generation_time_ms: int | None
    selected_answer: str
    correct_answer: str
    question_text: str
    section: str
    is_correct: bool
    time_spent_seconds: int
    attempt_date: datetime


def save_feedback(
    *,
    session: Session,
    attempt_id: int,
    feedback_text: str,
    model_used: str,
    feedback_lang: str = "id",
    prompt_version: str | None = None,
    generation_time_ms: int | None = None,
    token_count_input: int | None = None,
    token_count_output: int | None = None,
) -> AttemptFeedback:
    """Store the feedback and mirror the seed's denormalised flags on the attempt."""
    row = AttemptFeedback(
        attempt_id=attempt_id,
        feedback_text=feedback_text,
        feedback_lang=feedback_lang,
        model_used=model_used,
        prompt_version=prompt_version,
        generation_time_ms=generation_time_ms,
        token_count_input=token_count_input,
        token_count_output=token_count_output,
    )
    session.add(row)
    session.exec(
        update(Attempt)
        .where(col(Attempt.id) == attempt_id)
        .values(
            feedback_generated=True,
            feedback_model_used=model_used,
            feedback_generation_ms=generation_time_ms,
        )
    )
    session.flush()
    return row


def load_attempt_for_feedback(
    *, session: Session, attempt_id: int
) -> tuple[Attempt, Question | None, AttemptFeedback | None] | None:
    """The attempt, its question (a deleted one too) and its feedback if written, in one
    query: what a wrong answer's feedback reads first. The same round trip brings the
    student's User row and the tier rows that can apply (their own and "free") into the
    session's identity map, so the quota check that follows reads them without SQL (issue
    16: they were two more statements per wrong answer). At most two rows (one per tier)."""
    rows = session.exec(_attempt_for_feedback_query(), params={"attempt_id": attempt_id}).all()
    if not rows:
        return None
    keep_prefetched(session, rows)
    attempt, question, existing, _user, _tier = rows[0]
    return attempt, question, existing


@cache
def _attempt_for_feedback_query() -> Select[*tuple[Any, ...]]:
    # Built once (_sql.py, "hot statements").
    return (
        select_columns(Attempt, Question, AttemptFeedback, User, SubscriptionTier)
        .outerjoin(Question, col(Question.id) == col(Attempt.question_id))
        .outerjoin(AttemptFeedback, col(AttemptFeedback.attempt_id) == col(Attempt.id))
        .outerjoin(User, col(User.id) == col(Attempt.user_id))
        .outerjoin(SubscriptionTier, tiers_that_can_apply())
        .where(col(Attempt.id) == sa.bindparam("attempt_id"))
    )


def get_feedback_for_attempt(*, session: Session, attempt_id: int) -> AttemptFeedback | None:
    return session.exec(
        select(AttemptFeedback).where(AttemptFeedback.attempt_id == attempt_id)
    ).first()


def rate_feedback(
    *,
    session: Session,
    feedback_id: int,
    user_id: int,
    is_helpful: bool,
    helpful_rating: int | None = None,
) -> bool:
    """The student's thumbs up/down; False unless the feedback is on the user's own attempt.

    The rating is copied to attempts.feedback_helpful, the seed's denormalised flag.
    """
    attempt_id = session.exec(
        select(Attempt.id)
        .join(AttemptFeedback, col(AttemptFeedback.attempt_id) == col(Attempt.id))
        .where(AttemptFeedback.id == feedback_id, Attempt.user_id == user_id)
    ).first()
    if attempt_id is None:
        return False
    session.exec(
        update(AttemptFeedback)
        .where(col(AttemptFeedback.id) == feedback_id)
        .values(is_helpful=is_helpful, helpful_rating=helpful_rating)
    )
    session.exec(
        update(Attempt).where(col(Attempt.id) == attempt_id).values(feedback_helpful=is_helpful)
    )
    return True


def list_feedback_history(
    *, session: Session, user_id: int, limit: int = 20
) -> list[FeedbackHistoryRow]:
    """Query 7 "Get feedback history for user": rated feedback only, newest first."""
    rows = session.exec(
        select_columns(
            col(AttemptFeedback.id),
            col(AttemptFeedback.feedback_text),
            col(AttemptFeedback.is_helpful),
            col(AttemptFeedback.model_used),
            col(AttemptFeedback.generation_time_ms),
            col(Attempt.selected_answer),
            col(Question.correct_answer),
            col(Question.text),
            col(Question.section),
            col(Attempt.is_correct),
            col(Attempt.time_spent_seconds),
            col(Attempt.created_at),
        )
        .join(Attempt, col(Attempt.id) == col(AttemptFeedback.attempt_id))
        .join(Question, col(Question.id) == col(Attempt.question_id))
        .where(Attempt.user_id == user_id, col(AttemptFeedback.is_helpful).is_not(None))
        .order_by(col(AttemptFeedback.created_at).desc(), col(AttemptFeedback.id).desc())
        .limit(limit)
    ).all()
    return [FeedbackHistoryRow(*row) for row in rows]


def find_cached_feedback(
    *,
    session: Session,
    question_id: int,
    selected_answer: str,
    feedback_lang: str = "id",
) -> AttemptFeedback | None:
    """Feedback already written for the same item and the same chosen option, to reuse
    instead of running the model again (same item + same answer = same explanation).

    Feedback a student rated unhelpful is never reused; feedback rated helpful is
    preferred over unrated, then the newest.
    """
    return session.exec(
        _cached_feedback_query(),
        params={"question_id": question_id, "selected": selected_answer, "lang": feedback_lang},
    ).first()


@cache
def _cached_feedback_query() -> SelectOfScalar[AttemptFeedback]:
    # Built once (_sql.py, "hot statements"): every wrong answer asks.
    return (
        select(AttemptFeedback)
        .join(Attempt, col(Attempt.id) == col(AttemptFeedback.attempt_id))
        .where(
            col(Attempt.question_id) == sa.bindparam("question_id"),
            col(Attempt.selected_answer) == sa.bindparam("selected"),
            col(AttemptFeedback.feedback_lang) == sa.bindparam("lang"),
            sa.or_(
                col(AttemptFeedback.is_helpful).is_(None),
                col(AttemptFeedback.is_helpful) == sa.true(),
            ),
        )
        .order_by(
            sa.case((col(AttemptFeedback.is_helpful) == sa.true(), 0), else_=1),
            col(AttemptFeedback.created_at).desc(),
            col(AttemptFeedback.id).desc(),
        )
        .limit(1)
    )
