"""Topic mastery (OpenClass "Pedagogical Intelligence") on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from nexus_app.models import TopicMastery, utcnow
from nexus_app.repositories import mastery

from . import factories as f


def test_upsert_inserts_then_increments_counts_per_subject(session: Session) -> None:
    student = f.user(session)
    mat = f.subject(session)
    t0 = utcnow() - timedelta(hours=1)
    first = mastery.upsert_topic_mastery(
        session=session,
        user_id=student.id,
        subject_id=mat.id,
        topic="Pythagoras",
        mastery_level=0.65,
        questions_answered=5,
        correct_answers=3,
        now=t0,
    )
    assert (first.question_count, first.correct_count, first.mastery_level) == (5, 3, 0.65)
    t1 = utcnow()
    second = mastery.upsert_topic_mastery(
        session=session,
        user_id=student.id,
        subject_id=mat.id,
        topic="Pythagoras",
        mastery_level=0.7,
        correct_answers=1,
        now=t1,
    )
    assert second.id == first.id
    assert (second.question_count, second.correct_count, second.mastery_level) == (6, 4, 0.7)
    assert second.last_interaction == t1
    rows = session.exec(select(TopicMastery)).all()
    assert len(rows) == 1


def test_upsert_keeps_subject_and_section_rows_apart(session: Session) -> None:
    student = f.user(session)
    mat = f.subject(session)
    kw = {"session": session, "user_id": student.id, "topic": "Logika", "mastery_level": 0.5}
    a = mastery.upsert_topic_mastery(subject_id=mat.id, **kw)
    b = mastery.upsert_topic_mastery(section="PU", **kw)
    c = mastery.upsert_topic_mastery(section="PK", **kw)
    again = mastery.upsert_topic_mastery(section="PU", **kw)
    assert len({a.id, b.id, c.id}) == 3
    assert again.id == b.id and again.question_count == 2
    assert a.question_count == 1 and c.question_count == 1
    other = f.user(session)
    mine_again = mastery.upsert_topic_mastery(
        session=session, user_id=other.id, section="PU", topic="Logika", mastery_level=0.1
    )
    assert mine_again.id not in {a.id, b.id, c.id}


def test_upsert_requires_exactly_one_owner(session: Session) -> None:
    student = f.user(session)
    mat = f.subject(session)
    with pytest.raises(ValueError):
        mastery.upsert_topic_mastery(
            session=session, user_id=student.id, topic="x", mastery_level=0.1
        )
    with pytest.raises(ValueError):
        mastery.upsert_topic_mastery(
            session=session,
            user_id=student.id,
            topic="x",
            mastery_level=0.1,
            subject_id=mat.id,
            section="PU",
        )


def test_upsert_rejects_out_of_range_mastery(session: Session) -> None:
    student = f.user(session)
    with pytest.raises(sa.exc.IntegrityError):
        mastery.upsert_topic_mastery(
            session=session, user_id=student.id, section="PU", topic="x", mastery_level=1.5
        )


def _seed_levels(session: Session) -> tuple[int, int, int]:
    student, other = f.user(session), f.user(session)
    mat, fis = f.subject(session), f.subject(session)
    for topic, level in [("Aljabar", 0.8), ("Pythagoras", 0.2), ("Fungsi", 0.39), ("Trig", 0.4)]:
        mastery.upsert_topic_mastery(
            session=session, user_id=student.id, subject_id=mat.id, topic=topic, mastery_level=level
        )
    mastery.upsert_topic_mastery(
        session=session, user_id=student.id, subject_id=fis.id, topic="Gaya", mastery_level=0.1
    )
    mastery.upsert_topic_mastery(
        session=session, user_id=student.id, section="PK", topic="Peluang", mastery_level=0.05
    )
    mastery.upsert_topic_mastery(
        session=session, user_id=other.id, subject_id=mat.id, topic="Aljabar", mastery_level=0.0
    )
    return student.id, mat.id, fis.id


def test_list_topic_mastery_orders_weakest_first_and_filters(session: Session) -> None:
    student_id, mat_id, _ = _seed_levels(session)
    rows = mastery.list_topic_mastery(session=session, user_id=student_id, subject_id=mat_id)
    assert [r.topic for r in rows] == ["Pythagoras", "Fungsi", "Trig", "Aljabar"]
    every = mastery.list_topic_mastery(session=session, user_id=student_id)
    assert [r.topic for r in every] == [
        "Peluang",
        "Gaya",
        "Pythagoras",
        "Fungsi",
        "Trig",
        "Aljabar",
    ]
    pk = mastery.list_topic_mastery(session=session, user_id=student_id, section="PK")
    assert [r.topic for r in pk] == ["Peluang"]


def test_list_weak_topics_is_strictly_below_threshold(session: Session) -> None:
    student_id, mat_id, _ = _seed_levels(session)
    weak = mastery.list_weak_topics(session=session, user_id=student_id, subject_id=mat_id)
    # 0.4 itself is not weak; the other user's 0.0 and the other subject's 0.1 are excluded.
    assert [(r.topic, r.mastery_level) for r in weak] == [("Pythagoras", 0.2), ("Fungsi", 0.39)]
    weaker = mastery.list_weak_topics(
        session=session, user_id=student_id, subject_id=mat_id, threshold=0.3
    )
    assert [r.topic for r in weaker] == ["Pythagoras"]
