"""Small builders for repository tests: each adds a row, flushes, and returns it."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlmodel import Session

from nexus_app.models import (
    Attempt,
    AttemptFeedback,
    Question,
    Subject,
    User,
    UserStudySession,
    utcnow,
)

_seq = itertools.count(1)


def user(
    session: Session,
    username: str | None = None,
    *,
    role: str = "siswa",
    full_name: str | None = None,
    class_name: str | None = None,
    grade: int | None = None,
    created_at: datetime | None = None,
    last_login: datetime | None = None,
    subscription_tier: str = "free",
    deleted_at: datetime | None = None,
) -> User:
    row = User(
        username=username or f"user{next(_seq)}",
        password_hash="not-a-real-hash",
        role=role,
        full_name=full_name,
        class_name=class_name,
        grade=grade,
        last_login=last_login,
        subscription_tier=subscription_tier,
        deleted_at=deleted_at,
    )
    if created_at is not None:
        row.created_at = created_at
    session.add(row)
    session.flush()
    return row


def subject(
    session: Session, code: str | None = None, *, grade: int = 10, name: str | None = None
) -> Subject:
    code = code or f"SUBJ_{next(_seq)}"
    row = Subject(grade=grade, name=name or code.title(), code=code)
    session.add(row)
    session.flush()
    return row


def question(
    session: Session,
    *,
    section: str = "PU",
    b: float | None = 0.0,
    a: float | None = 1.0,
    c: float | None = 0.2,
    correct_answer: str = "A",
    sub_type: str | None = None,
    is_reviewed: bool = True,
    is_ambiguous: bool = False,
    deleted_at: datetime | None = None,
    bank_id: int | None = None,
    correct_rate: float | None = None,
    attempt_count: int = 0,
    avg_time_seconds: int | None = None,
    created_at: datetime | None = None,
    text: str | None = None,
) -> Question:
    row = Question(
        section=section,
        sub_type=sub_type,
        text=text or f"Soal {next(_seq)}",
        option_a="a",
        option_b="b",
        option_c="c",
        option_d="d",
        option_e="e",
        correct_answer=correct_answer,
        difficulty_irt=b,
        discrimination=a,
        guessing_param=c,
        is_reviewed=is_reviewed,
        is_ambiguous=is_ambiguous,
        deleted_at=deleted_at,
        question_bank_id=bank_id,
        correct_rate=correct_rate,
        attempt_count=attempt_count,
        avg_time_seconds=avg_time_seconds,
    )
    if created_at is not None:
        row.created_at = created_at
    session.add(row)
    session.flush()
    return row


def attempt(
    session: Session,
    *,
    user_id: int,
    question_id: int,
    is_correct: bool = True,
    selected_answer: str = "A",
    time_spent_seconds: int = 30,
    created_at: datetime | None = None,
    theta_before: float | None = None,
    theta_after: float | None = None,
    session_id: str | None = None,
    number: int | None = None,
    deleted_at: datetime | None = None,
) -> Attempt:
    row = Attempt(
        user_id=user_id,
        question_id=question_id,
        selected_answer=selected_answer,
        is_correct=is_correct,
        time_spent_seconds=time_spent_seconds,
        user_theta_before=theta_before,
        user_theta_after=theta_after,
        session_id=session_id,
        attempt_number_in_session=number,
        created_at=created_at or utcnow(),
        deleted_at=deleted_at,
    )
    session.add(row)
    session.flush()
    return row


def study_session(
    session: Session,
    *,
    user_id: int,
    session_id: str | None = None,
    section: str | None = "PU",
    started_at: datetime | None = None,
) -> UserStudySession:
    row = UserStudySession(
        id=session_id or f"sess-{next(_seq)}",
        user_id=user_id,
        section=section,
        started_at=started_at or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def feedback(
    session: Session,
    *,
    attempt_id: int,
    text: str = "Penjelasan",
    model_used: str = "qwen2.5-0.5b",
    is_helpful: bool | None = None,
    created_at: datetime | None = None,
    generation_time_ms: int | None = None,
    token_count_input: int | None = None,
    token_count_output: int | None = None,
    feedback_lang: str = "id",
) -> AttemptFeedback:
    row = AttemptFeedback(
        attempt_id=attempt_id,
        feedback_text=text,
        model_used=model_used,
        is_helpful=is_helpful,
        generation_time_ms=generation_time_ms,
        token_count_input=token_count_input,
        token_count_output=token_count_output,
        feedback_lang=feedback_lang,
        created_at=created_at or utcnow(),
    )
    session.add(row)
    session.flush()
    return row
