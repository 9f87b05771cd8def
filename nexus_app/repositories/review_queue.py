"""The review queue of UTBK items: what still needs an approval, and who gave the first one."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import Question, QuestionReviewLog
from nexus_app.repositories._sql import select_columns


@dataclass(frozen=True, slots=True)
class QueueCandidate:
    """An unreviewed live item and the first approval of its current round, if any."""

    question_id: int
    reviewer_1_name: str | None
    first_reviewer_id: int | None


def _first_approver() -> Any:
    # The newest approval: while an item waits for its second approval it is the first one
    # (repositories.reviews.latest_approval, as a correlated subquery).
    return (
        select(QuestionReviewLog.reviewer_id)
        .where(
            col(QuestionReviewLog.question_id) == col(Question.id),
            col(QuestionReviewLog.review_status) == "approved",
        )
        .order_by(col(QuestionReviewLog.created_at).desc(), col(QuestionReviewLog.id).desc())
        .limit(1)
        .correlate(Question)
        .scalar_subquery()
    )


def list_unreviewed_items(*, session: Session, bank_id: int) -> list[QueueCandidate]:
    """A bank's live, unambiguous items still short of two approvals, oldest first."""
    rows = session.exec(
        select_columns(col(Question.id), col(Question.reviewer_1_name), _first_approver())
        .where(
            col(Question.question_bank_id) == bank_id,
            col(Question.deleted_at).is_(None),
            col(Question.is_ambiguous) == sa.false(),
            col(Question.is_reviewed) == sa.false(),
        )
        .order_by(col(Question.id))
    ).all()
    return [
        QueueCandidate(
            question_id=int(qid),
            reviewer_1_name=None if name is None else str(name),
            first_reviewer_id=None if first is None else int(first),
        )
        for qid, name, first in rows
    ]


def first_approvals(
    *, session: Session, question_ids: Collection[int]
) -> dict[int, QueueCandidate]:
    """question id -> its first approver's name and account (None: none, or no account)."""
    if not question_ids:
        return {}
    rows = session.exec(
        select_columns(col(Question.id), col(Question.reviewer_1_name), _first_approver()).where(
            col(Question.id).in_(list(question_ids))
        )
    ).all()
    return {
        int(qid): QueueCandidate(
            question_id=int(qid),
            reviewer_1_name=None if name is None else str(name),
            first_reviewer_id=None if first is None else int(first),
        )
        for qid, name, first in rows
    }
