"""The student's queue of items answered wrong (table review_queue; not the bank's approval
queue in repositories.review_queue)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import ReviewQueueItem


def get_entry(*, session: Session, user_id: int, question_id: int) -> ReviewQueueItem | None:
    return session.exec(
        select(ReviewQueueItem).where(
            col(ReviewQueueItem.user_id) == user_id,
            col(ReviewQueueItem.question_id) == question_id,
        )
    ).first()


def save_entry(*, session: Session, row: ReviewQueueItem) -> ReviewQueueItem:
    session.add(row)
    session.flush()
    return row


def delete_entry(*, session: Session, row: ReviewQueueItem) -> None:
    session.delete(row)
    session.flush()


def count_due(*, session: Session, user_id: int, now: datetime) -> int:
    return int(
        session.exec(
            select(sa.func.count())
            .select_from(ReviewQueueItem)
            .where(col(ReviewQueueItem.user_id) == user_id, col(ReviewQueueItem.due_at) <= now)
        ).one()
    )


def list_due(
    *, session: Session, user_id: int, now: datetime, limit: int = 20
) -> list[ReviewQueueItem]:
    """Due entries, the longest overdue first."""
    return list(
        session.exec(
            select(ReviewQueueItem)
            .where(col(ReviewQueueItem.user_id) == user_id, col(ReviewQueueItem.due_at) <= now)
            .order_by(col(ReviewQueueItem.due_at), col(ReviewQueueItem.id))
            .limit(limit)
        ).all()
    )
