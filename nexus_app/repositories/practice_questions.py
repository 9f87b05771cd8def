"""The school tutor's practice questions (per subject and topic, by difficulty)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from nexus_app.models import PracticeQuestion

DIFFICULTIES = ("easy", "medium", "hard")


def create_practice_question(
    *,
    session: Session,
    subject_id: int,
    topic: str,
    question: str,
    answer: str,
    difficulty: str | None = None,
) -> PracticeQuestion:
    row = PracticeQuestion(
        subject_id=subject_id,
        topic=topic,
        question=question,
        answer=answer,
        difficulty=difficulty,
    )
    session.add(row)
    session.flush()
    return row


def list_practice_questions_for_topic(
    *,
    session: Session,
    subject_id: int,
    topic: str,
    difficulty: str | None = None,
    limit: int = 5,
) -> list[PracticeQuestion]:
    """Seed query "Get practice questions for weak topic": random order, at most `limit`.

    `difficulty=None` means any difficulty. RANDOM() exists on SQLite and PostgreSQL.
    """
    query = select(PracticeQuestion).where(
        PracticeQuestion.subject_id == subject_id, PracticeQuestion.topic == topic
    )
    if difficulty is not None:
        query = query.where(PracticeQuestion.difficulty == difficulty)
    return list(session.exec(query.order_by(sa.func.random()).limit(limit)).all())
