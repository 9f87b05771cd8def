"""Onboarding (Genta Query 0 step 1) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from nexus_app.models import User, utcnow
from nexus_app.repositories import onboarding

from . import factories as f


def test_complete_onboarding_saves_answers_for_that_user_only(session: Session) -> None:
    me, other = f.user(session), f.user(session)
    before = me.updated_at
    updated = onboarding.complete_onboarding(
        session=session,
        user_id=me.id,
        target_ptn="Universitas Indonesia",
        target_score=720,
        exam_date=date(2027, 4, 21),
        study_hours_per_week=10,
    )
    assert updated is me
    assert me.onboarding_completed and me.target_ptn == "Universitas Indonesia"
    assert (me.target_score, me.exam_date, me.study_hours_per_week) == (720, date(2027, 4, 21), 10)
    assert me.updated_at >= before
    session.expire_all()
    assert session.get(User, me.id).onboarding_completed
    assert not session.get(User, other.id).onboarding_completed


def test_complete_onboarding_refuses_unknown_or_deleted_users(session: Session) -> None:
    gone = f.user(session, deleted_at=utcnow())
    kw = {
        "target_ptn": None,
        "target_score": None,
        "exam_date": None,
        "study_hours_per_week": 5,
    }
    assert onboarding.complete_onboarding(session=session, user_id=gone.id, **kw) is None
    assert onboarding.complete_onboarding(session=session, user_id=gone.id + 100, **kw) is None
    session.expire_all()
    assert not session.get(User, gone.id).onboarding_completed
