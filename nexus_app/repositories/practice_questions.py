"""The school tutor's practice questions (per subject and topic, by difficulty)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import PracticeQuestion, Subject
from nexus_app.repositories._sql import select_columns

DIFFICULTIES = ("easy", "medium", "hard")
# Students see approved questions only: a model's draft waits for a teacher (migration 0014).
SERVED = col(PracticeQuestion.status) == "approved"


def create_practice_question(
    *,
    session: Session,
    subject_id: int,
    topic: str,
    question: str,
    answer: str,
    difficulty: str | None = None,
    options_json: str | None = None,
    status: str = "approved",
) -> PracticeQuestion:
    row = PracticeQuestion(
        subject_id=subject_id,
        topic=topic,
        question=question,
        answer=answer,
        difficulty=difficulty,
        options_json=options_json,
        status=status,
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
        PracticeQuestion.subject_id == subject_id, PracticeQuestion.topic == topic, SERVED
    )
    if difficulty is not None:
        query = query.where(PracticeQuestion.difficulty == difficulty)
    return list(session.exec(query.order_by(sa.func.random()).limit(limit)).all())


@dataclass(frozen=True, slots=True)
class PracticeTopicRow:
    """One practisable topic: a subject's topic and how many questions it has."""

    subject_id: int
    subject_code: str
    subject_name: str
    grade: int
    topic: str
    question_count: int


def list_practice_topics(
    *, session: Session, subject_id: int | None = None
) -> list[PracticeTopicRow]:
    """Every (subject, topic) with practice questions, by grade, subject name and topic."""
    query = (
        select_columns(
            col(Subject.id),
            col(Subject.code),
            col(Subject.name),
            col(Subject.grade),
            col(PracticeQuestion.topic),
            sa.func.count(col(PracticeQuestion.id)),
        )
        .join(Subject, col(Subject.id) == col(PracticeQuestion.subject_id))
        .where(SERVED)
        .group_by(
            col(Subject.id),
            col(Subject.code),
            col(Subject.name),
            col(Subject.grade),
            col(PracticeQuestion.topic),
        )
        .order_by(col(Subject.grade), col(Subject.name), col(PracticeQuestion.topic))
    )
    if subject_id is not None:
        query = query.where(col(PracticeQuestion.subject_id) == subject_id)
    return [
        PracticeTopicRow(
            subject_id=int(sid),
            subject_code=str(code),
            subject_name=str(name),
            grade=int(grade),
            topic=str(topic),
            question_count=int(n),
        )
        for sid, code, name, grade, topic, n in session.exec(query).all()
    ]


def list_practice_questions_in_order(
    *, session: Session, subject_id: int, topic: str
) -> list[PracticeQuestion]:
    """A topic's questions in a stable order (easy first, then by id): a practice round
    walks them in this order, so a reload resumes at the same item."""
    band = sa.case(
        (col(PracticeQuestion.difficulty) == "easy", 0),
        (col(PracticeQuestion.difficulty) == "medium", 1),
        (col(PracticeQuestion.difficulty) == "hard", 2),
        else_=1,
    )
    return list(
        session.exec(
            select(PracticeQuestion)
            .where(
                PracticeQuestion.subject_id == subject_id, PracticeQuestion.topic == topic, SERVED
            )
            .order_by(band, col(PracticeQuestion.id))
        ).all()
    )


def get_practice_question(*, session: Session, question_id: int) -> PracticeQuestion | None:
    return session.get(PracticeQuestion, question_id)


def list_practice_question_texts(*, session: Session, subject_id: int) -> list[tuple[str, str]]:
    """(topic, question) of a subject's questions: the importer's duplicate check."""
    return [
        (str(t), str(q))
        for t, q in session.exec(
            select(col(PracticeQuestion.topic), col(PracticeQuestion.question)).where(
                col(PracticeQuestion.subject_id) == subject_id
            )
        ).all()
    ]
