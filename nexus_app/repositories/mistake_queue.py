"""The student's queue of items answered wrong (table review_queue; not the bank's approval
queue in repositories.review_queue)."""

from __future__ import annotations

from datetime import datetime
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from nexus_app.models import Question, ReviewQueueItem


def get_entry(*, session: Session, user_id: int, question_id: int) -> ReviewQueueItem | None:
    return session.exec(
        _entry_query(), params={"user_id": user_id, "question_id": question_id}
    ).first()


@cache
def _entry_query() -> SelectOfScalar[ReviewQueueItem]:
    # Built once (_sql.py, "hot statements"): every practice answer asks.
    return select(ReviewQueueItem).where(
        col(ReviewQueueItem.user_id) == sa.bindparam("user_id"),
        col(ReviewQueueItem.question_id) == sa.bindparam("question_id"),
    )


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


def first_due_in_section(
    *,
    session: Session,
    user_id: int,
    section: str,
    now: datetime,
    exclude_question_ids: list[int],
) -> int | None:
    """The longest-overdue live item of a section not yet in this session, or None."""
    params: dict[str, object] = {"user_id": user_id, "now": now, "section": section}
    if exclude_question_ids:
        params["exclude"] = list(exclude_question_ids)
    return session.exec(_first_due_query(bool(exclude_question_ids)), params=params).first()


@cache
def _first_due_query(excluding: bool) -> SelectOfScalar[int]:
    # Built once per shape (_sql.py, "hot statements"): every served practice item asks.
    query = (
        select(ReviewQueueItem.question_id)
        .join(Question, col(Question.id) == col(ReviewQueueItem.question_id))
        .where(
            col(ReviewQueueItem.user_id) == sa.bindparam("user_id"),
            col(ReviewQueueItem.due_at) <= sa.bindparam("now"),
            col(Question.section) == sa.bindparam("section"),
            col(Question.deleted_at).is_(None),
        )
        .order_by(col(ReviewQueueItem.due_at), col(ReviewQueueItem.id))
        .limit(1)
    )
    if excluding:
        query = query.where(
            col(ReviewQueueItem.question_id).not_in(sa.bindparam("exclude", expanding=True))
        )
    return query


def first_due_section(*, session: Session, user_id: int, now: datetime) -> str | None:
    """The section of the longest-overdue live item, or None when nothing is due."""
    return session.exec(
        select(Question.section)
        .join(ReviewQueueItem, col(Question.id) == col(ReviewQueueItem.question_id))
        .where(
            col(ReviewQueueItem.user_id) == user_id,
            col(ReviewQueueItem.due_at) <= now,
            col(Question.deleted_at).is_(None),
        )
        .order_by(col(ReviewQueueItem.due_at), col(ReviewQueueItem.id))
        .limit(1)
    ).first()
