"""Tutor chat history: the OpenClass seed's "Chat History" queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from nexus_app.models import ChatHistory, User, utcnow


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
        select(
            ChatHistory.id,
            ChatHistory.user_id,
            User.username,
            ChatHistory.question,
            ChatHistory.response,
            ChatHistory.created_at,
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
