"""The staff's view of the practice questions: a filtered page of a subject's questions,
its topics, and single-row edits and deletes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import PracticeQuestion


def _conditions(
    subject_id: int, topic: str | None, difficulty: str | None, status: str | None
) -> list[Any]:
    conditions: list[Any] = [col(PracticeQuestion.subject_id) == subject_id]
    if status is not None:
        conditions.append(col(PracticeQuestion.status) == status)
    if topic is not None:
        conditions.append(col(PracticeQuestion.topic) == topic)
    if difficulty == "":  # "no difficulty given"
        conditions.append(col(PracticeQuestion.difficulty).is_(None))
    elif difficulty is not None:
        conditions.append(col(PracticeQuestion.difficulty) == difficulty)
    return conditions


def list_subject_questions(
    *,
    session: Session,
    subject_id: int,
    topic: str | None = None,
    difficulty: str | None = None,
    status: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[PracticeQuestion], int]:
    """A page of a subject's questions by topic then id, and how many match.
    `difficulty=""` matches the questions without one; None matches any."""
    conditions = _conditions(subject_id, topic, difficulty, status)
    total = session.exec(
        select(sa.func.count()).select_from(PracticeQuestion).where(*conditions)
    ).one()
    rows = session.exec(
        select(PracticeQuestion)
        .where(*conditions)
        .order_by(col(PracticeQuestion.topic), col(PracticeQuestion.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def list_subject_topics(*, session: Session, subject_id: int) -> list[str]:
    return [
        str(t)
        for t in session.exec(
            select(col(PracticeQuestion.topic))
            .where(col(PracticeQuestion.subject_id) == subject_id)
            .distinct()
            .order_by(col(PracticeQuestion.topic))
        ).all()
    ]


def delete_practice_question(*, session: Session, question: PracticeQuestion) -> None:
    session.delete(question)
    session.flush()
