"""Tutor chat history: the OpenClass seed's "Chat History" queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import ChatHistory, User, utcnow
from nexus_app.repositories._sql import select_columns


@dataclass(frozen=True, slots=True)
class SubjectChatEntry:
    """One row of "Get subject-specific chat history"."""

    chat_id: int
    user_id: int
    username: str
    question: str
    response: str
    created_at: datetime


def save_chat_interaction(
    *,
    session: Session,
    user_id: int,
    subject_id: int | None,
    question: str,
    response: str,
    confidence: float | None = None,
    sources_json: str | None = None,
    topic: str | None = None,
    model_used: str | None = None,
    generation_time_ms: int | None = None,
    token_count_input: int | None = None,
    token_count_output: int | None = None,
) -> ChatHistory:
    """Seed query "Save chat interaction", with the answer's usage (as attempt_feedback)."""
    row = ChatHistory(
        user_id=user_id,
        subject_id=subject_id,
        question=question,
        response=response,
        confidence=confidence,
        sources_json=sources_json,
        topic=topic,
        model_used=model_used,
        generation_time_ms=generation_time_ms,
        token_count_input=token_count_input,
        token_count_output=token_count_output,
    )
    session.add(row)
    session.flush()
    return row


def lock_user_for_quota(*, session: Session, user_id: int) -> None:
    """Serialise one user's quota check-and-record until the transaction ends: the user's row
    is locked (SELECT ... FOR UPDATE) on PostgreSQL; SQLite ignores FOR UPDATE, so a no-op
    write takes the database's write lock before the usage is counted."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(User.id).where(User.id == user_id).with_for_update()).first()
    else:
        session.execute(
            sa.update(User).where(col(User.id) == user_id).values(username=User.username)
        )


def update_chat_interaction(
    *,
    session: Session,
    chat_id: int,
    response: str,
    confidence: float | None,
    sources_json: str | None,
    topic: str | None,
    model_used: str | None,
    generation_time_ms: int | None,
    token_count_input: int | None,
    token_count_output: int | None,
) -> None:
    """Fill in the answer of a row saved when the question was asked."""
    session.execute(
        sa.update(ChatHistory)
        .where(col(ChatHistory.id) == chat_id)
        .values(
            response=response,
            confidence=confidence,
            sources_json=sources_json,
            topic=topic,
            model_used=model_used,
            generation_time_ms=generation_time_ms,
            token_count_input=token_count_input,
            token_count_output=token_count_output,
        )
    )


def delete_chat_interaction(*, session: Session, chat_id: int) -> None:
    session.execute(sa.delete(ChatHistory).where(col(ChatHistory.id) == chat_id))


def delete_stale_pending(
    *, session: Session, user_id: int, pending_model: str, before: datetime
) -> int:
    """Rows reserved for questions whose answer never came (the server stopped mid-answer)."""
    result = session.exec(
        sa.delete(ChatHistory).where(
            col(ChatHistory.user_id) == user_id,
            col(ChatHistory.model_used) == pending_model,
            col(ChatHistory.created_at) < before,
        )
    )
    return int(result.rowcount or 0)


def list_recent_chat_history(
    *, session: Session, user_id: int, limit: int = 50
) -> list[ChatHistory]:
    """Seed query "Get user's recent chat history": newest first, at most `limit` (50)."""
    return list(
        session.exec(
            select(ChatHistory)
            .where(ChatHistory.user_id == user_id)
            # id breaks ties between interactions saved within one clock tick.
            .order_by(col(ChatHistory.created_at).desc(), col(ChatHistory.id).desc())
            .limit(limit)
        ).all()
    )


def list_subject_chat_history(
    *,
    session: Session,
    subject_id: int,
    days: int = 7,
    now: datetime | None = None,
) -> list[SubjectChatEntry]:
    """Seed query "Get subject-specific chat history": the last `days` days, with usernames.

    The window is computed in Python (`now - days`) so one statement serves both
    databases (SQLite has no `NOW() - INTERVAL`).
    """
    since = (now or utcnow()) - timedelta(days=days)
    rows = session.exec(
        select_columns(
            col(ChatHistory.id),
            col(ChatHistory.user_id),
            col(User.username),
            col(ChatHistory.question),
            col(ChatHistory.response),
            col(ChatHistory.created_at),
        )
        .join(User, col(User.id) == col(ChatHistory.user_id))
        .where(ChatHistory.subject_id == subject_id, col(ChatHistory.created_at) > since)
        .order_by(col(ChatHistory.created_at).desc(), col(ChatHistory.id).desc())
    ).all()
    return [
        SubjectChatEntry(
            chat_id=int(chat_id),
            user_id=user_id,
            username=username,
            question=question,
            response=response,
            created_at=created_at,
        )
        for chat_id, user_id, username, question, response, created_at in rows
    ]


def list_topic_questions(
    *, session: Session, user_id: int, topic: str, subject_id: int | None = None
) -> list[ChatHistory]:
    """A student's tutor questions tagged with one topic, oldest first."""
    query = select(ChatHistory).where(ChatHistory.user_id == user_id, ChatHistory.topic == topic)
    if subject_id is not None:
        query = query.where(ChatHistory.subject_id == subject_id)
    return list(session.exec(query.order_by(col(ChatHistory.created_at))).all())


@dataclass(frozen=True, slots=True)
class TopicQuestion:
    subject_id: int
    topic: str
    question: str
    created_at: datetime


def list_subject_topic_questions(*, session: Session, user_id: int) -> list[TopicQuestion]:
    """All of a student's tutor questions tagged with a school subject and topic, oldest
    first: weak-area detection groups them per (subject, topic) itself instead of asking
    `list_topic_questions` once per topic (~96 queries for a school student). Only the
    columns detection reads."""
    rows = session.exec(
        select_columns(
            col(ChatHistory.subject_id),
            col(ChatHistory.topic),
            col(ChatHistory.question),
            col(ChatHistory.created_at),
        )
        .where(
            col(ChatHistory.user_id) == user_id,
            col(ChatHistory.subject_id).is_not(None),
            col(ChatHistory.topic).is_not(None),
        )
        .order_by(col(ChatHistory.created_at), col(ChatHistory.id))
    ).all()
    return [
        TopicQuestion(subject_id=int(s), topic=t, question=q, created_at=c) for s, t, q, c in rows
    ]
