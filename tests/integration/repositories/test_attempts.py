"""Attempts (Genta Queries 3 and 4) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from nexus_app.models import User, utcnow
from nexus_app.repositories import attempts

from . import factories as f


def test_record_attempt_with_key_from_helper_and_theta_after(session: Session) -> None:
    me = f.user(session)
    q = f.question(session, correct_answer="B")
    study = f.study_session(session, user_id=me.id)
    key = attempts.get_correct_answer(session=session, question_id=q.id)
    assert key == "B"
    assert attempts.get_correct_answer(session=session, question_id=q.id + 999) is None
    row = attempts.record_attempt(
        session=session,
        user_id=me.id,
        question_id=q.id,
        selected_answer="B",
        is_correct=key == "B",
        time_spent_seconds=42,
        theta_before=0.2,
        session_id=study.id,
        attempt_number=1,
    )
    assert row.id is not None and row.is_correct and row.user_theta_after is None
    attempts.set_attempt_theta_after(session=session, attempt_id=row.id, theta_after=0.45)
    session.expire_all()
    stored = attempts.get_attempt(session=session, attempt_id=row.id)
    assert stored is not None
    assert stored.user_theta_after == pytest.approx(0.45)
    assert stored.theta_change == pytest.approx(0.25)


def test_theta_change_is_null_without_theta_before(session: Session) -> None:
    me = f.user(session)
    q = f.question(session)
    row = attempts.record_attempt(
        session=session,
        user_id=me.id,
        question_id=q.id,
        selected_answer="A",
        is_correct=True,
        time_spent_seconds=5,
    )
    attempts.set_attempt_theta_after(session=session, attempt_id=row.id, theta_after=0.1)
    session.expire_all()
    assert row.user_theta_after == pytest.approx(0.1) and row.theta_change is None


def test_double_submit_of_one_position_is_refused(session: Session) -> None:
    me = f.user(session)
    q = f.question(session)
    study = f.study_session(session, user_id=me.id)
    kw = {
        "session": session,
        "user_id": me.id,
        "question_id": q.id,
        "selected_answer": "A",
        "is_correct": True,
        "time_spent_seconds": 3,
        "session_id": study.id,
        "attempt_number": 1,
    }
    attempts.record_attempt(**kw)
    with pytest.raises(sa.exc.IntegrityError):
        attempts.record_attempt(**kw)


def test_update_user_theta(session: Session) -> None:
    me, other = f.user(session), f.user(session)
    when = utcnow()
    attempts.update_user_theta(session=session, user_id=me.id, theta=0.8, variance=0.3, now=when)
    session.expire_all()
    mine = session.get(User, me.id)
    assert mine is not None
    assert (mine.irt_theta, mine.irt_variance, mine.irt_last_updated) == (0.8, 0.3, when)
    theirs = session.get(User, other.id)
    assert theirs is not None and theirs.irt_theta == 0.0 and theirs.irt_last_updated is None


def test_session_statistics_per_section_with_breakdown(session: Session) -> None:
    me, other = f.user(session), f.user(session)
    study = f.study_session(session, user_id=me.id, section=None)
    pu1 = f.question(session, section="PU", correct_answer="A")
    pu2 = f.question(session, section="PU", correct_answer="C")
    pu3 = f.question(session, section="PU", correct_answer="D")
    pk1 = f.question(session, section="PK", correct_answer="E")
    answers = [  # (question, chosen, correct?, seconds, number)
        (pu1, "A", True, 30, 1),
        (pk1, "B", False, 90, 2),
        (pu2, "B", False, 20, 3),
        (pu3, "D", True, 41, 4),
    ]
    for q, chosen, ok, seconds, n in answers:
        f.attempt(
            session,
            user_id=me.id,
            question_id=q.id,
            selected_answer=chosen,
            is_correct=ok,
            time_spent_seconds=seconds,
            session_id=study.id,
            number=n,
        )
    f.attempt(
        session,
        user_id=me.id,
        question_id=pu1.id,
        session_id=study.id,
        number=5,
        deleted_at=utcnow(),
    )  # soft-deleted: not counted
    f.attempt(session, user_id=me.id, question_id=pu1.id)  # outside the session

    stats = attempts.get_session_statistics(session=session, user_id=me.id, session_id=study.id)
    assert [s.section for s in stats] == ["PK", "PU"]
    pk, pu = stats
    assert (pu.total_questions, pu.correct_count, pu.accuracy_percentage) == (3, 2, 66.67)
    assert pu.avg_time_seconds == pytest.approx(91 / 3)
    assert (pu.min_time_seconds, pu.max_time_seconds) == (20, 41)
    assert [
        (b.question_id, b.user_answer, b.correct_answer, b.is_correct, b.time_spent_seconds)
        for b in pu.question_breakdown
    ] == [(pu1.id, "A", "A", True, 30), (pu2.id, "B", "C", False, 20), (pu3.id, "D", "D", True, 41)]
    assert [b.attempt_number for b in pu.question_breakdown] == [1, 3, 4]
    assert (pk.total_questions, pk.correct_count, pk.accuracy_percentage) == (1, 0, 0.0)
    assert pk.question_breakdown[0].correct_answer == "E"
    # Another user cannot read this session's statistics.
    assert (
        attempts.get_session_statistics(session=session, user_id=other.id, session_id=study.id)
        == []
    )


def test_recent_attempts_and_session_count(session: Session) -> None:
    me, other = f.user(session), f.user(session)
    q = f.question(session)
    study = f.study_session(session, user_id=me.id)
    now = utcnow()
    made = [
        f.attempt(
            session,
            user_id=me.id,
            question_id=q.id,
            created_at=now - timedelta(minutes=i),
            session_id=study.id,
            number=i + 1,
        ).id
        for i in range(4)
    ]
    f.attempt(
        session, user_id=me.id, question_id=q.id, deleted_at=now, session_id=study.id, number=9
    )
    f.attempt(session, user_id=other.id, question_id=q.id, created_at=now + timedelta(minutes=1))
    recent = attempts.list_recent_attempts(session=session, user_id=me.id, limit=3)
    assert [a.id for a in recent] == made[:3]
    assert attempts.count_session_attempts(session=session, session_id=study.id) == 4
    assert attempts.count_session_attempts(session=session, session_id="nope") == 0
