"""The review log of UTBK items (question_review_logs): who reviewed what, and how."""

from __future__ import annotations

from sqlmodel import Session, col, select

from nexus_app.models import QuestionReviewLog


def add_review_log(
    *,
    session: Session,
    question_id: int,
    reviewer_id: int | None,
    reviewer_name: str,
    review_status: str,
    review_notes: str | None = None,
    reviewed_aspects: str | None = None,
    revision_type: str | None = None,
) -> QuestionReviewLog:
    row = QuestionReviewLog(
        question_id=question_id,
        reviewer_id=reviewer_id,
        reviewer_name=reviewer_name,
        review_status=review_status,
        review_notes=review_notes,
        reviewed_aspects=reviewed_aspects,
        needs_revision=review_status == "needs_revision",
        revision_type=revision_type,
    )
    session.add(row)
    session.flush()
    return row


def list_review_logs(*, session: Session, question_id: int) -> list[QuestionReviewLog]:
    """An item's reviews, oldest first."""
    return list(
        session.exec(
            select(QuestionReviewLog)
            .where(col(QuestionReviewLog.question_id) == question_id)
            .order_by(col(QuestionReviewLog.created_at), col(QuestionReviewLog.id))
        ).all()
    )


def latest_approval(*, session: Session, question_id: int) -> QuestionReviewLog | None:
    """The newest approval of an item. While an item waits for its second approval this is
    the first one: a reset clears the round, and a repeat by the same reviewer is refused
    before it is logged."""
    return session.exec(
        select(QuestionReviewLog)
        .where(
            col(QuestionReviewLog.question_id) == question_id,
            col(QuestionReviewLog.review_status) == "approved",
        )
        .order_by(col(QuestionReviewLog.created_at).desc(), col(QuestionReviewLog.id).desc())
        .limit(1)
    ).first()
