"""Practice from mistakes: every wrong answer (practice or a finished tryout) enters the
student's review queue and comes back on a Leitner schedule (docs/practice.md).

Boxes 1..5 wait 1, 3, 7, 14 and 30 school days (an entry falls due at 00:00 WIB). A wrong
answer (first time or on review) puts the item in box 1, due tomorrow; a right answer on
review moves it one box up; right in the last box and the item leaves the queue. A right
answer before the item is due changes nothing: the gap is what makes the review worth doing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.formatting import LOCAL_ZONE, local_date
from nexus_app.models import ReviewQueueItem, utcnow
from nexus_app.repositories import mistake_queue as queue_repo

BOX_DAYS: tuple[int, ...] = (1, 3, 7, 14, 30)
LAST_BOX = len(BOX_DAYS)


def _due_after(box: int, now: datetime) -> datetime:
    """The start (00:00 WIB) of the school day `BOX_DAYS[box - 1]` days after `now`'s: a
    student counts reviews in days, so a mistake made at 14:00 is due at 08:00 tomorrow, and
    "due now" is also "due today"."""
    day = local_date(now) + timedelta(days=BOX_DAYS[box - 1])
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL_ZONE).astimezone(UTC)


def record_wrong(session: Session, *, user_id: int, question_id: int, now: datetime) -> None:
    """A wrong answer: the item goes (back) to box 1, due tomorrow."""
    row = queue_repo.get_entry(session=session, user_id=user_id, question_id=question_id)
    if row is None:
        row = ReviewQueueItem(
            user_id=user_id, question_id=question_id, due_at=now, last_reviewed_at=now
        )
    row.box = 1
    row.due_at = _due_after(1, now)
    row.last_correct = False
    row.last_reviewed_at = now
    queue_repo.save_entry(session=session, row=row)


def record_wrong_many(
    session: Session, *, user_id: int, question_ids: Iterable[int], now: datetime
) -> None:
    for question_id in sorted(set(question_ids)):
        record_wrong(session, user_id=user_id, question_id=question_id, now=now)


def record_review(
    session: Session, *, user_id: int, question_id: int, correct: bool, now: datetime
) -> None:
    """An answer to a queued item. Wrong: back to box 1. Right and due: one box up, or out
    of the queue from the last box. Right but not yet due, or not queued: nothing."""
    if not correct:
        record_wrong(session, user_id=user_id, question_id=question_id, now=now)
        return
    row = queue_repo.get_entry(session=session, user_id=user_id, question_id=question_id)
    if row is None or row.due_at > now:
        return
    if row.box >= LAST_BOX:
        queue_repo.delete_entry(session=session, row=row)
        return
    row.box += 1
    row.due_at = _due_after(row.box, now)
    row.last_correct = True
    row.last_reviewed_at = now
    queue_repo.save_entry(session=session, row=row)


def due_count(*, user_id: int, now: datetime | None = None) -> int:
    """How many items are due at `now` (default: the current time)."""
    with unit_of_work() as session:
        return queue_repo.count_due(session=session, user_id=user_id, now=now or utcnow())


def next_due(*, user_id: int, now: datetime) -> int | None:
    """The longest-overdue item's question id, or None when nothing is due."""
    with unit_of_work() as session:
        rows = queue_repo.list_due(session=session, user_id=user_id, now=now, limit=1)
        return rows[0].question_id if rows else None


def due_question_ids(*, user_id: int, now: datetime, limit: int = 20) -> list[int]:
    with unit_of_work() as session:
        rows = queue_repo.list_due(session=session, user_id=user_id, now=now, limit=limit)
        return [r.question_id for r in rows]


def get_box(*, user_id: int, question_id: int) -> ReviewQueueItem | None:
    """The queue entry (detached), for tests and the review page."""
    with unit_of_work() as session:
        row = queue_repo.get_entry(session=session, user_id=user_id, question_id=question_id)
        if row is not None:
            session.expunge(row)
        return row


def due_in_section(
    session: Session, *, user_id: int, section: str, now: datetime, exclude: list[int]
) -> int | None:
    """For the practice flow: a due item of this section to serve before adaptive choice."""
    return queue_repo.first_due_in_section(
        session=session,
        user_id=user_id,
        section=section,
        now=now,
        exclude_question_ids=exclude,
    )


def next_due_section(*, user_id: int, now: datetime | None = None) -> str | None:
    """Where "Ulangi soal yang salah" starts: the section of the longest-overdue item."""
    with unit_of_work() as session:
        return queue_repo.first_due_section(session=session, user_id=user_id, now=now or utcnow())
