"""Bank summaries and response counts for the calibration and statistics pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import Attempt, Question, QuestionBank


@dataclass(frozen=True, slots=True)
class BankSummary:
    """A bank as the calibration page lists it."""

    bank_id: int
    name: str
    live_items: int
    is_calibrated: bool
    calibration_date: date | None
    calibration_sample_size: int | None


@dataclass(frozen=True, slots=True)
class BankResponseCounts:
    """How much calibration data a bank has: first answers per item and distinct students.

    Only a student's first answer to an item counts (as in `list_first_responses`), so a
    first answer is one distinct (student, item) pair.
    """

    per_item: dict[int, int]
    students: int

    @property
    def first_responses(self) -> int:
        return sum(self.per_item.values())


def list_bank_summaries(*, session: Session) -> list[BankSummary]:
    """Every bank by name, with its live (not deleted) item count."""
    live = (
        select(sa.func.count())
        .select_from(Question)
        .where(
            col(Question.question_bank_id) == col(QuestionBank.id),
            col(Question.deleted_at).is_(None),
        )
        .correlate(QuestionBank)
        .scalar_subquery()
    )
    rows = session.exec(select(QuestionBank, live).order_by(col(QuestionBank.name))).all()
    return [
        BankSummary(
            bank_id=int(b.id or 0),
            name=b.name,
            live_items=int(n),
            is_calibrated=bool(b.is_calibrated),
            calibration_date=b.calibration_date,
            calibration_sample_size=b.calibration_sample_size,
        )
        for b, n in rows
    ]


def get_bank(*, session: Session, bank_id: int) -> QuestionBank | None:
    return session.get(QuestionBank, bank_id)


def bank_response_counts(*, session: Session, bank_id: int) -> BankResponseCounts:
    """First answers per live item of the bank (items nobody answered are absent) and the
    number of distinct students who answered any of them."""
    on_bank = [
        col(Question.question_bank_id) == bank_id,
        col(Question.deleted_at).is_(None),
        col(Attempt.deleted_at).is_(None),
    ]
    per_item = session.exec(
        select(Attempt.question_id, sa.func.count(sa.distinct(col(Attempt.user_id))))
        .join(Question, col(Question.id) == col(Attempt.question_id))
        .where(*on_bank)
        .group_by(col(Attempt.question_id))
    ).all()
    # DISTINCT in a subquery rather than count(DISTINCT …): PostgreSQL can then hash the
    # students instead of sorting every answer (the sort spilled to disk at 5 M answers).
    answered = (
        select(col(Attempt.user_id))
        .join(Question, col(Question.id) == col(Attempt.question_id))
        .where(*on_bank)
        .distinct()
        .subquery()
    )
    students = session.exec(select(sa.func.count()).select_from(answered)).one()
    return BankResponseCounts(
        per_item={int(q): int(n) for q, n in per_item}, students=int(students or 0)
    )
