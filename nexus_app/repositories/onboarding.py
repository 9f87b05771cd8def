"""Onboarding: Genta's Query 0 step 1 (the readiness rows are step 2, in readiness.py)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, update

from nexus_app.models import User


def mark_onboarding_completed(*, session: Session, user_id: int) -> User | None:
    """Onboarding done without a UTBK target (a kelas 10 student may add it later): the
    target columns stay as they are (empty for a new student)."""
    return session.scalars(
        update(User)
        .where(col(User.id) == user_id, col(User.deleted_at).is_(None))
        .values(onboarding_completed=True)
        .returning(User),
        execution_options={"populate_existing": True},
    ).first()


def complete_onboarding(
    *,
    session: Session,
    user_id: int,
    target_ptn: str | None,
    target_score: int | None,
    exam_date: date | None,
    study_hours_per_week: int | None,
) -> User | None:
    """Query 0 step 1: save the onboarding answers and mark onboarding as completed.

    Returns the updated user (the seed's RETURNING *), or None for an unknown or deleted
    account. updated_at is kept by the ORM (and the database trigger), as in the seed.
    The service calls `readiness.create_initial_readiness` in the same transaction.
    """
    return session.scalars(
        update(User)
        .where(col(User.id) == user_id, col(User.deleted_at).is_(None))
        .values(
            target_ptn=target_ptn,
            target_score=target_score,
            exam_date=exam_date,
            study_hours_per_week=study_hours_per_week,
            onboarding_completed=True,
        )
        .returning(User),
        execution_options={"populate_existing": True},
    ).first()
