"""AI feedback (Genta Query 7, saving, rating, reuse) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from nexus_app.models import Attempt, utcnow
from nexus_app.repositories import feedback

from . import factories as f


def test_save_feedback_marks_the_attempt(session: Session) -> None:
    me = f.user(session)
    q = f.question(session)
    a = f.attempt(session, user_id=me.id, question_id=q.id)
    row = feedback.save_feedback(
        session=session,
        attempt_id=a.id,
        feedback_text="Jawabanmu benar karena ...",
        model_used="qwen2.5-0.5b",
        prompt_version="v1",
        generation_time_ms=1800,
        token_count_input=300,
        token_count_output=90,
    )
    assert row.id is not None and row.is_helpful is None and row.feedback_lang == "id"
    session.expire_all()
    stored = session.get(Attempt, a.id)
    assert stored is not None and stored.feedback_generated
    assert (stored.feedback_model_used, stored.feedback_generation_ms) == ("qwen2.5-0.5b", 1800)
    assert feedback.get_feedback_for_attempt(session=session, attempt_id=a.id).id == row.id
    with pytest.raises(sa.exc.IntegrityError):  # one feedback per attempt
        feedback.save_feedback(session=session, attempt_id=a.id, feedback_text="x", model_used="m")


def test_rate_feedback_only_by_the_attempts_owner(session: Session) -> None:
    me, other = f.user(session), f.user(session)
    q = f.question(session)
    a = f.attempt(session, user_id=me.id, question_id=q.id)
    fb = f.feedback(session, attempt_id=a.id)
    assert not feedback.rate_feedback(
        session=session, feedback_id=fb.id, user_id=other.id, is_helpful=False
    )
    assert not feedback.rate_feedback(
        session=session, feedback_id=fb.id + 99, user_id=me.id, is_helpful=True
    )
    session.expire_all()
    assert fb.is_helpful is None
    assert feedback.rate_feedback(
        session=session, feedback_id=fb.id, user_id=me.id, is_helpful=True, helpful_rating=5
    )
    session.expire_all()
    assert (fb.is_helpful, fb.helpful_rating) == (True, 5)
    assert session.get(Attempt, a.id).feedback_helpful is True


def test_feedback_history_is_rated_own_newest_first(session: Session) -> None:
    me, other = f.user(session), f.user(session)
    pu = f.question(session, section="PU", correct_answer="C", text="Soal PU")
    pk = f.question(session, section="PK", correct_answer="A", text="Soal PK")
    now = utcnow()

    def fb(user_id: int, q_id: int, helpful: bool | None, minutes: int, **kw: object) -> int:
        a = f.attempt(session, user_id=user_id, question_id=q_id, **kw)
        return f.feedback(
            session,
            attempt_id=a.id,
            is_helpful=helpful,
            created_at=now - timedelta(minutes=minutes),
        ).id

    oldest = fb(
        me.id, pu.id, True, 30, selected_answer="B", is_correct=False, time_spent_seconds=50
    )
    newest = fb(me.id, pk.id, False, 1, selected_answer="A", is_correct=True)
    middle = fb(me.id, pu.id, True, 10)
    fb(me.id, pu.id, None, 0)  # unrated
    fb(other.id, pu.id, True, 0)  # someone else's
    rows = feedback.list_feedback_history(session=session, user_id=me.id)
    assert [r.feedback_id for r in rows] == [newest, middle, oldest]
    last = rows[-1]
    assert (last.selected_answer, last.correct_answer, last.is_correct) == ("B", "C", False)
    assert (last.question_text, last.section, last.time_spent_seconds) == ("Soal PU", "PU", 50)
    assert rows[0].is_helpful is False
    assert [
        r.feedback_id
        for r in feedback.list_feedback_history(session=session, user_id=me.id, limit=1)
    ] == [newest]


def test_cached_feedback_matches_item_and_answer_and_skips_unhelpful(session: Session) -> None:
    u1, u2, u3, u4 = (f.user(session) for _ in range(4))
    q, other_q = f.question(session), f.question(session)
    now = utcnow()

    def fb(user_id: int, q_id: int, answer: str, helpful: bool | None, minutes: int, **kw: object):
        a = f.attempt(session, user_id=user_id, question_id=q_id, selected_answer=answer)
        return f.feedback(
            session,
            attempt_id=a.id,
            is_helpful=helpful,
            created_at=now - timedelta(minutes=minutes),
            **kw,
        )

    assert (
        feedback.find_cached_feedback(session=session, question_id=q.id, selected_answer="B")
        is None
    )
    unrated_new = fb(u1.id, q.id, "B", None, 1)
    helpful_old = fb(u2.id, q.id, "B", True, 60)
    fb(u3.id, q.id, "B", False, 0)  # rated unhelpful: never reused
    fb(u4.id, q.id, "C", True, 0)  # other answer
    fb(u4.id, other_q.id, "B", True, 0)  # other item
    fb(u3.id, q.id, "B", True, 0, feedback_lang="en")  # other language
    found = feedback.find_cached_feedback(session=session, question_id=q.id, selected_answer="B")
    assert found is not None and found.id == helpful_old.id  # helpful beats newer unrated
    helpful_old.is_helpful = False
    session.flush()
    found = feedback.find_cached_feedback(session=session, question_id=q.id, selected_answer="B")
    assert found is not None and found.id == unrated_new.id
