"""Reports (OpenClass analytics, Genta Queries 8 and 10) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from nexus_app.models import ChatHistory, utcnow
from nexus_app.repositories import analytics, mastery

from . import factories as f


def test_weekly_activity_keeps_idle_students(session: Session) -> None:
    now = utcnow()
    ani = f.user(session, "ani", full_name="Ani", class_name="X-1")
    budi = f.user(session, "budi", class_name="X-1")  # only an old chat: still listed, with 0
    cici = f.user(session, "cici", class_name="X-2")  # never chatted
    guru = f.user(session, "guru", role="guru")
    gone = f.user(session, "gone", deleted_at=now)
    mat, fis = f.subject(session), f.subject(session)

    def chat(user_id: int, subject_id: int | None, conf: float | None, age: timedelta) -> None:
        session.add(
            ChatHistory(
                user_id=user_id,
                subject_id=subject_id,
                question="q",
                response="r",
                confidence=conf,
                created_at=now - age,
            )
        )

    chat(ani.id, mat.id, 0.9, timedelta(days=1))
    chat(ani.id, mat.id, 0.5, timedelta(days=6))
    chat(ani.id, fis.id, None, timedelta(hours=1))
    chat(budi.id, mat.id, 0.8, timedelta(days=8))
    chat(guru.id, mat.id, 0.8, timedelta(days=1))
    chat(gone.id, mat.id, 0.8, timedelta(days=1))
    session.flush()

    rows = analytics.weekly_student_activity(session=session, now=now)
    assert [(r.username, r.total_questions, r.subjects_covered) for r in rows] == [
        ("ani", 3, 2),
        ("budi", 0, 0),
        ("cici", 0, 0),
    ]
    assert rows[0].avg_confidence == pytest.approx(0.7) and rows[0].full_name == "Ani"
    assert rows[1].avg_confidence is None
    one_class = analytics.weekly_student_activity(session=session, now=now, class_name="X-1")
    assert [r.username for r in one_class] == ["ani", "budi"]
    # A report for an earlier week (window ending 7 days ago) sees budi's old chat only.
    earlier = analytics.weekly_student_activity(session=session, now=now - timedelta(days=7))
    assert [(r.username, r.total_questions) for r in earlier][:1] == [("budi", 1)]
    assert cici.id in {r.user_id for r in earlier}


def test_class_mastery_summary_groups_topics_with_having(session: Session) -> None:
    s1, s2, s3 = f.user(session), f.user(session), f.user(session, class_name="X-2")
    gone = f.user(session, deleted_at=utcnow())
    mat = f.subject(session, name="Matematika")
    fis = f.subject(session, name="Fisika")
    bio11 = f.subject(session, name="Biologi", grade=11)

    def level(user_id: int, subject_id: int, topic: str, value: float) -> None:
        mastery.upsert_topic_mastery(
            session=session,
            user_id=user_id,
            subject_id=subject_id,
            topic=topic,
            mastery_level=value,
        )

    level(s1.id, mat.id, "Pythagoras", 0.2)
    level(s2.id, mat.id, "Pythagoras", 0.4)
    level(s3.id, mat.id, "Pythagoras", 0.3)  # avg 0.3
    level(s1.id, mat.id, "Aljabar", 0.9)
    level(s2.id, mat.id, "Aljabar", 0.5)  # avg 0.7: not weak
    level(s1.id, fis.id, "Gaya", 0.45)  # avg 0.45
    level(gone.id, fis.id, "Gaya", 0.0)  # deleted student: ignored
    level(s1.id, bio11.id, "Sel", 0.1)  # other grade
    mastery.upsert_topic_mastery(
        session=session, user_id=s1.id, section="PK", topic="Peluang", mastery_level=0.0
    )  # UTBK section, no subject
    rows = analytics.class_mastery_summary(session=session, grade=10)
    assert [(r.subject, r.topic, r.student_count) for r in rows] == [
        ("Matematika", "Pythagoras", 3),
        ("Fisika", "Gaya", 1),
    ]
    top = rows[0]
    assert top.avg_mastery == pytest.approx(0.3)
    assert (top.min_mastery, top.max_mastery) == (pytest.approx(0.2), pytest.approx(0.4))
    strict = analytics.class_mastery_summary(session=session, grade=10, threshold=0.4)
    assert [r.topic for r in strict] == ["Pythagoras"]
    every = analytics.class_mastery_summary(session=session, grade=10, threshold=1.01)
    assert [r.topic for r in every] == ["Pythagoras", "Gaya", "Aljabar"]
    one_class = analytics.class_mastery_summary(session=session, grade=10, class_name="X-2")
    assert [(r.topic, r.student_count, r.avg_mastery) for r in one_class] == [
        ("Pythagoras", 1, pytest.approx(0.3))
    ]


def test_user_growth_by_monday_week(session: Session) -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday

    def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
        return datetime(2026, 11, day, hour, minute, tzinfo=UTC)

    # Week of Monday 16 Nov: Monday 00:30 and Sunday 22 23:59 belong together.
    f.user(session, created_at=at(16, 0, 30), last_login=now - timedelta(days=1))
    f.user(session, created_at=at(22, 23, 59), subscription_tier="premium")
    f.user(
        session,
        created_at=at(20),
        subscription_tier="premium_plus",
        last_login=now - timedelta(days=8),
    )
    # Week of Monday 23 Nov.
    f.user(
        session,
        created_at=at(23, 0, 0),
        subscription_tier="premium",
        last_login=now - timedelta(hours=2),
    )
    # Week of Monday 9 Nov (Sunday 15th).
    f.user(session, created_at=at(15, 23, 0))
    f.user(session, created_at=at(17), deleted_at=now)  # deleted: not counted
    rows = analytics.user_growth_by_week(session=session, now=now)
    assert [
        (
            r.signup_week,
            r.new_users,
            r.premium_count,
            r.premium_plus_count,
            r.free_count,
            r.active_last_7d,
        )
        for r in rows
    ] == [
        (date(2026, 11, 23), 1, 1, 0, 0, 1),
        (date(2026, 11, 16), 3, 1, 1, 1, 1),
        (date(2026, 11, 9), 1, 0, 0, 1, 0),
    ]
    assert [
        r.signup_week for r in analytics.user_growth_by_week(session=session, now=now, limit=2)
    ] == [date(2026, 11, 23), date(2026, 11, 16)]


def test_feedback_generation_stats_per_day_and_model(session: Session) -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    me = f.user(session)
    q = f.question(session)

    def gen(model: str, when: datetime, ms: int | None, tin: int | None, tout: int | None) -> None:
        a = f.attempt(session, user_id=me.id, question_id=q.id)
        f.feedback(
            session,
            attempt_id=a.id,
            model_used=model,
            created_at=when,
            generation_time_ms=ms,
            token_count_input=tin,
            token_count_output=tout,
        )

    day1 = datetime(2026, 11, 24, 0, 5, tzinfo=UTC)
    gen("qwen-0.5b", day1, 1000, 300, 100)
    gen("qwen-0.5b", day1 + timedelta(hours=23, minutes=50), 3000, 500, 100)  # same UTC day
    gen("qwen-0.5b", day1 + timedelta(hours=12), 2000, None, 80)  # tokens unknown
    gen("qwen-1.5b", day1, 5000, 400, 200)
    gen("qwen-0.5b", datetime(2026, 11, 25, 1, 0, tzinfo=UTC), 1500, 100, 50)
    gen("qwen-0.5b", now - timedelta(days=31), 9999, 1, 1)  # outside the 30 days

    rows = analytics.feedback_generation_stats(session=session, now=now)
    assert [(r.day, r.model_used, r.generations) for r in rows] == [
        (date(2026, 11, 25), "qwen-0.5b", 1),
        (date(2026, 11, 24), "qwen-0.5b", 3),
        (date(2026, 11, 24), "qwen-1.5b", 1),
    ]
    busy = rows[1]
    assert busy.avg_generation_ms == pytest.approx(2000.0)
    assert busy.avg_tokens == pytest.approx((400 + 600) / 2)  # rows with both counts only
    assert busy.total_compute_seconds == pytest.approx(6.0)
    # A 1-day window starts at 24 Nov 12:00: the two later 0.5b rows of the 24th remain.
    last_day = analytics.feedback_generation_stats(session=session, now=now, days=1)
    assert [(r.day, r.model_used, r.generations) for r in last_day] == [
        (date(2026, 11, 25), "qwen-0.5b", 1),
        (date(2026, 11, 24), "qwen-0.5b", 2),
    ]
    assert analytics.feedback_generation_stats(session=session, now=now, days=0) == []
