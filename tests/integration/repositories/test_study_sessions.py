"""Study sessions (Genta Query 7b and upkeep) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from nexus_app.models import utcnow
from nexus_app.repositories import study_sessions

from . import factories as f


def test_create_and_get_with_ownership(session: Session) -> None:
    me, other = f.user(session), f.user(session)
    row = study_sessions.create_study_session(
        session=session, session_id="tok-1", user_id=me.id, section="PK", mode="tryout"
    )
    assert row.started_at.tzinfo is not None and row.questions_attempted == 0
    assert study_sessions.get_study_session(session=session, session_id="tok-1") is row
    assert study_sessions.get_study_session(session=session, session_id="tok-1", user_id=me.id)
    assert (
        study_sessions.get_study_session(session=session, session_id="tok-1", user_id=other.id)
        is None
    )
    assert study_sessions.get_study_session(session=session, session_id="nope") is None


def test_user_study_sessions_newest_first_with_pagination(session: Session) -> None:
    me, other = f.user(session), f.user(session)
    now = utcnow()
    ids = [
        f.study_session(
            session, user_id=me.id, session_id=f"s{i}", started_at=now - timedelta(hours=i)
        ).id
        for i in range(5)
    ]
    f.study_session(session, user_id=other.id, session_id="theirs", started_at=now)
    page1 = study_sessions.list_user_study_sessions(session=session, user_id=me.id, limit=2)
    page2 = study_sessions.list_user_study_sessions(
        session=session, user_id=me.id, limit=2, offset=2
    )
    page3 = study_sessions.list_user_study_sessions(
        session=session, user_id=me.id, limit=2, offset=4
    )
    assert [s.id for s in page1 + page2 + page3] == ids


def test_counters_and_end_compute_duration_and_accuracy(session: Session) -> None:
    me = f.user(session)
    q = f.question(session)
    start = utcnow() - timedelta(minutes=30)
    row = f.study_session(session, user_id=me.id, session_id="s", started_at=start)
    study_sessions.set_current_question(session=session, session_id="s", question_id=q.id)
    for ok in (True, False, True, True):
        study_sessions.increment_session_counters(session=session, session_id="s", is_correct=ok)
    session.expire_all()
    assert (row.questions_attempted, row.questions_correct) == (4, 3)
    assert row.current_question_id == q.id
    ended = study_sessions.end_study_session(
        session=session, session_id="s", ended_at=start + timedelta(minutes=24, seconds=40)
    )
    assert ended is row
    assert row.duration_minutes == 25 and row.accuracy_in_session == pytest.approx(0.75)
    assert row.current_question_id is None
    # Ending twice changes nothing.
    later = study_sessions.end_study_session(
        session=session, session_id="s", ended_at=start + timedelta(hours=5)
    )
    assert later is row and row.duration_minutes == 25
    assert study_sessions.end_study_session(session=session, session_id="missing") is None


def test_end_session_without_answers_has_no_accuracy(session: Session) -> None:
    me = f.user(session)
    f.study_session(session, user_id=me.id, session_id="empty")
    ended = study_sessions.end_study_session(session=session, session_id="empty")
    assert ended is not None and ended.accuracy_in_session is None
    assert ended.duration_minutes == 0 and ended.ended_at is not None
