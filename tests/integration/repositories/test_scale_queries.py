"""Issue 16 "Data at the seeds' scale": the reshaped report queries return exactly what the
straightforward ones did, on small data, on SQLite and PostgreSQL. (Their speed is in
bench/bench_scale_ops.py and docs/benchmarks.md, never asserted here.)"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import (
    Attempt,
    ChatHistory,
    TopicMastery,
    WeakArea,
    WeeklyActiveCount,
    WeeklyActivity,
)
from nexus_app.repositories import analytics, questions, weak_areas
from nexus_app.services import mastery

from . import factories as f

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _chat(session: Session, user_id: int, at: datetime, **kw: object) -> ChatHistory:
    row = ChatHistory(user_id=user_id, question="q", response="r", created_at=at, **kw)
    session.add(row)
    session.flush()
    return row


def _regrouped(session: Session) -> dict[tuple[date, int], tuple[int, int]]:
    """weekly_activity as grouping the raw tables now would give it."""
    out: dict[tuple[date, int], list[int]] = {}
    for uid, at in session.exec(
        select(col(Attempt.user_id), col(Attempt.created_at)).where(
            col(Attempt.deleted_at).is_(None)
        )
    ).all():
        out.setdefault((_monday(at.astimezone(UTC).date()), uid), [0, 0])[0] += 1
    for uid, at in session.exec(select(col(ChatHistory.user_id), col(ChatHistory.created_at))):
        out.setdefault((_monday(at.astimezone(UTC).date()), uid), [0, 0])[1] += 1
    return {k: (a, c) for k, (a, c) in out.items()}


def _stored(session: Session) -> dict[tuple[date, int], tuple[int, int]]:
    return {
        (w.week, w.user_id): (w.attempts, w.chats) for w in session.exec(select(WeeklyActivity))
    }


def _counts_agree(session: Session) -> bool:
    session.commit()  # PostgreSQL moves the week's count at commit (migration 0020)
    per_week: dict[date, int] = {}
    for week, _user in _stored(session):
        per_week[week] = per_week.get(week, 0) + 1
    stored = {c.week: c.users for c in session.exec(select(WeeklyActiveCount)) if c.users}
    return stored == per_week


def _activity(session: Session, seed: int) -> tuple[list[int], list[Attempt]]:
    rng = random.Random(seed)
    users = [f.user(session, f"s{seed}_{i}", class_name=f"K-{i % 3}").id or 0 for i in range(12)]
    gone = f.user(session, f"gone{seed}", class_name="K-0", deleted_at=NOW)
    users.append(gone.id or 0)
    q = f.question(session)
    rows = []
    for _ in range(160):
        # From 13 weeks back to 6 days ahead of NOW: some rows lie after the report's end.
        at = NOW - timedelta(hours=rng.uniform(-24 * 6, 24 * 7 * 13))
        uid = rng.choice(users)
        if rng.random() < 0.6:
            deleted = NOW if rng.random() < 0.1 else None
            rows.append(
                f.attempt(
                    session, user_id=uid, question_id=q.id or 0, created_at=at, deleted_at=deleted
                )
            )
        else:
            _chat(session, uid, at)
    return users, rows


def test_weekly_activity_follows_inserts_deletes_and_moves(session: Session) -> None:
    _users, rows = _activity(session, 1)
    assert _stored(session) == _regrouped(session) and _counts_agree(session)
    # Soft delete, undelete, move in time and to another student, hard delete.
    rows[0].deleted_at = NOW
    rows[1].deleted_at = None
    rows[2].created_at = rows[2].created_at - timedelta(days=20)
    rows[3].user_id = rows[4].user_id
    for r in rows[:4]:
        session.add(r)
    session.flush()
    session.delete(rows[5])
    session.exec(sa.delete(ChatHistory).where(col(ChatHistory.id) % 3 == 0))  # type: ignore[call-overload]
    session.flush()
    assert _stored(session) == _regrouped(session)
    assert all(a > 0 or c > 0 for a, c in _stored(session).values())
    assert _counts_agree(session)


def test_first_answers_of_the_week_do_not_wait_for_each_other(engine: sa.Engine) -> None:
    """Every student's first answer of a week moves the week's one shared count; it does so
    at commit (migration 0020), so a class answering at once does not queue on that row."""
    with Session(engine) as setup:
        first, second = (f.user(setup, name).id or 0 for name in ("senin1", "senin2"))
        question = f.question(setup).id or 0
        setup.commit()
    insert = sa.text(
        "INSERT INTO attempts (user_id, question_id, selected_answer, is_correct, "
        "time_spent_seconds, created_at) VALUES (:user, :question, 'A', false, 5, :at)"
    )
    with engine.connect() as one, engine.connect() as two:
        if engine.dialect.name == "postgresql":
            two.execute(sa.text("SET lock_timeout = '2s'"))
        one.execute(insert, {"user": first, "question": question, "at": NOW})
        if engine.dialect.name == "postgresql":  # SQLite has one writer at a time anyway
            two.execute(insert, {"user": second, "question": question, "at": NOW})
        one.commit()
        if engine.dialect.name != "postgresql":
            two.execute(insert, {"user": second, "question": question, "at": NOW})
        two.commit()
    with Session(engine) as check:
        assert _counts_agree(check)
        counts = {c.week: c.users for c in check.exec(select(WeeklyActiveCount))}
        assert counts == {_monday(NOW.date()): 2}


def test_weekly_active_users_from_the_summary_equal_the_regrouped(session: Session) -> None:
    _activity(session, 2)
    session.commit()  # the week's count moves at commit on PostgreSQL (migration 0020)
    today = NOW.date()
    for first_week, until in (
        # The analytics page's window: twelve Mondays back to tomorrow 00:00.
        (_monday(today) - timedelta(weeks=11), datetime(2026, 11, 26, tzinfo=UTC)),
        (_monday(today) - timedelta(weeks=3), NOW),  # mid-week, mid-day
        (_monday(today) - timedelta(weeks=4), datetime(2026, 11, 23, tzinfo=UTC)),  # Monday
        (_monday(today) - timedelta(weeks=12), NOW + timedelta(days=30)),
    ):
        since = datetime(first_week.year, first_week.month, first_week.day, tzinfo=UTC)
        raw = analytics.weekly_active_users(session=session, since=since, until=until)
        summary = analytics.weekly_active_users_summary(
            session=session, first_week=first_week, until=until
        )
        assert summary == raw, (first_week, until)
        assert raw  # the data reach into every window


def test_weekly_student_activity_all_students_and_pages(session: Session) -> None:
    users, _rows = _activity(session, 3)
    subj = f.subject(session)
    for i, uid in enumerate(users):
        for k in range(i % 4):
            _chat(session, uid, NOW - timedelta(days=k), subject_id=subj.id, confidence=0.1 * k)
    every = analytics.weekly_student_activity(session=session, now=NOW)
    # The per-student join (the shape a class filter uses) over every class.
    by_class = analytics.weekly_student_activity(
        session=session, now=NOW, class_names=["K-0", "K-1", "K-2"]
    )
    assert every == by_class and len(every) == len(users) - 1  # the deleted one is left out
    assert analytics.weekly_student_activity(session=session, now=NOW, limit=5) == every[:5]
    assert (
        analytics.weekly_student_activity(session=session, now=NOW, limit=5, offset=5)
        == every[5:10]
    )


def test_weekly_student_activity_every_page_equals_the_whole_ordering(session: Session) -> None:
    """The paged path (PostgreSQL: counts from the created_at index, students looked up in
    count order) gives exactly the slices of the whole ordering, including pages that reach
    the students who asked nothing (the fallback), ties on the count, deleted students and
    teachers who chat, and confidences whose float sum depends on the order."""
    rng = random.Random(6)
    subjects = [f.subject(session, name=f"Mapel {k}").id for k in range(3)]
    users = [f.user(session, f"a{i:02d}", class_name=f"K-{i % 3}").id or 0 for i in range(14)]
    idle = [f.user(session, f"z{i}", class_name="K-0").id or 0 for i in range(3)]
    gone = f.user(session, "a-gone", class_name="K-1", deleted_at=NOW).id or 0
    guru = f.user(session, "a-guru", role="guru").id or 0
    for uid in [*users, gone, guru]:
        for _ in range(rng.randint(1, 4)):
            _chat(
                session,
                uid,
                NOW - timedelta(hours=rng.uniform(0, 24 * 7 - 1)),
                subject_id=rng.choice([None, *subjects]),
                confidence=rng.choice([None, 0.1, 0.2, 0.3, 0.7]),
            )
        # Outside the window: before it, and after its end.
        _chat(session, uid, NOW - timedelta(days=8), confidence=0.9)
        _chat(session, uid, NOW + timedelta(hours=1), confidence=0.9)
    every = analytics.weekly_student_activity(session=session, now=NOW)
    by_class = analytics.weekly_student_activity(
        session=session, now=NOW, class_names=["K-0", "K-1", "K-2"]
    )
    assert every == by_class
    assert {r.user_id for r in every} == set(users) | set(idle)
    assert [r.total_questions for r in every][-3:] == [0, 0, 0]
    for limit in (1, 3, 5, 14, 20):
        for offset in range(0, len(every) + 1):
            page = analytics.weekly_student_activity(
                session=session, now=NOW, limit=limit, offset=offset
            )
            assert page == every[offset : offset + limit], (limit, offset)


def _intervention_every_and_per_class(
    session: Session,
) -> tuple[list[weak_areas.InterventionRow], list[weak_areas.InterventionRow]]:
    """Students needing intervention (two open areas or more): every class at once, and
    classes K-0..K-2 one by one, concatenated."""
    every = weak_areas.list_students_needing_intervention(session=session, min_weak_areas=2)
    per_class = [
        r
        for k in range(3)
        for r in weak_areas.list_students_needing_intervention(
            session=session, min_weak_areas=2, class_name=f"K-{k}"
        )
    ]
    return every, per_class


def test_intervention_all_classes_and_pages(session: Session) -> None:
    users = [f.user(session, f"w{i}", class_name=f"K-{i % 3}").id or 0 for i in range(9)]
    f.user(session, "guru", role="guru")
    mat, fis = f.subject(session, name="Matematika"), f.subject(session, name="Fisika")
    rng = random.Random(4)
    for uid in users:
        for t in range(rng.randint(0, 5)):
            owner = rng.choice([{"subject_id": mat.id}, {"subject_id": fis.id}, {"section": "PK"}])
            resolved = NOW if rng.random() < 0.2 else None
            session.add(
                WeakArea(user_id=uid, topic=f"t{t}", resolved_at=resolved, **owner)  # type: ignore[arg-type]
            )
    session.flush()
    every, per_class = _intervention_every_and_per_class(session)

    def key(r):
        return (-r.weak_area_count, r.username, r.subject_name or "~", r.section or "~")

    assert every == sorted(per_class, key=key) and every
    page = weak_areas.list_students_needing_intervention(
        session=session, min_weak_areas=2, limit=2, offset=1
    )
    assert page == every[1:3]


def test_top_question_stats_equal_a_regrouping(session: Session) -> None:
    rng = random.Random(5)
    users = [f.user(session, f"t{i}").id or 0 for i in range(8)]
    items = [
        f.question(session, section=rng.choice(["PU", "PK"]), attempt_count=rng.randint(0, 4))
        for _ in range(25)
    ]
    items[0].deleted_at = NOW
    session.add(items[0])
    for _ in range(200):
        q = rng.choice(items)
        f.attempt(
            session,
            user_id=rng.choice(users),
            question_id=q.id or 0,
            deleted_at=NOW if rng.random() < 0.1 else None,
        )
    students: dict[int, set[int]] = {}
    for qid, uid in session.exec(
        select(col(Attempt.question_id), col(Attempt.user_id)).where(
            col(Attempt.deleted_at).is_(None)
        )
    ):
        students.setdefault(qid, set()).add(uid)
    for section in (None, "PK"):
        for min_users, limit in ((1, 50), (4, 50), (3, 5)):
            expected = sorted(
                (
                    q
                    for q in items
                    if q.deleted_at is None
                    and (section is None or q.section == section)
                    and len(students.get(q.id or 0, ())) >= min_users
                ),
                key=lambda q: (-q.attempt_count, q.id),
            )[:limit]
            got = questions.top_question_stats(
                session=session, min_users=min_users, limit=limit, section=section
            )
            assert [(r.question_id, r.unique_users_answered) for r in got] == [
                (q.id, len(students[q.id or 0])) for q in expected
            ]


def test_detect_for_user_equals_one_topic_at_a_time(session: Session) -> None:
    student = f.user(session, "sekolah")
    subjects = [f.subject(session), f.subject(session)]
    rng = random.Random(6)
    for s in subjects:
        for t in range(8):
            session.add(
                TopicMastery(
                    user_id=student.id or 0,
                    subject_id=s.id,
                    topic=f"topik-{t}",
                    mastery_level=rng.random(),
                    question_count=rng.randint(0, 8),
                    correct_count=0,
                )
            )
            for _k in range(rng.randint(0, 8)):
                _chat(
                    session,
                    student.id or 0,
                    NOW - timedelta(days=rng.uniform(0, 10)),
                    subject_id=s.id,
                    topic=f"topik-{t}",
                )
            if rng.random() < 0.4:  # an earlier detection left it open
                session.add(WeakArea(user_id=student.id or 0, subject_id=s.id, topic=f"topik-{t}"))
    for t in range(3):
        session.add(
            TopicMastery(
                user_id=student.id or 0, section="PK", topic=f"tipe-{t}", mastery_level=0.1 * t
            )
        )
    session.commit()

    def state() -> list[tuple[object, ...]]:
        return sorted(
            (
                w.topic,
                w.subject_id,
                w.section,
                w.resolved_at is None,
                w.weakness_score,
                w.recommended_practice,
            )
            for w in session.exec(select(WeakArea))
        )

    rows = session.exec(select(TopicMastery).where(TopicMastery.user_id == student.id)).all()
    one_by_one = sum(1 for row in rows if mastery.detect_for_topic(session, row, NOW))
    expected = state()
    session.rollback()
    assert mastery.detect_for_user(session, student.id or 0, NOW) == one_by_one
    assert state() == expected
    assert 0 < one_by_one < len(rows)


def test_chat_usage_from_the_day_tables_equals_the_regrouped(session: Session) -> None:
    rng = random.Random(7)
    users = [f.user(session, f"c{i}").id or 0 for i in range(6)]
    chats = []
    for _ in range(120):
        model = rng.choice([None, "extractive", "qwen-0.5b", "refusal", "llama"])
        tokens = rng.choice([None, (10, 20), (0, 5)])
        chats.append(
            _chat(
                session,
                rng.choice(users),
                NOW - timedelta(hours=rng.uniform(-48, 24 * 40)),
                model_used=model,
                token_count_input=tokens[0] if tokens else None,
                token_count_output=tokens[1] if tokens else None,
                generation_time_ms=rng.choice([None, 0, 1500]),
            )
        )
    # Moves, changed usage and deletes after the fact.
    chats[0].created_at -= timedelta(days=3)
    chats[1].user_id = chats[2].user_id
    chats[3].model_used = None
    chats[4].token_count_input = 99
    for c in chats[:5]:
        session.add(c)
    session.flush()
    session.delete(chats[6])
    session.commit()  # the day rows move at commit on PostgreSQL (migration 0020)
    no_model = ("extractive", "refusal")
    for first, days in ((date(2026, 10, 27), 30), (date(2026, 11, 19), 7), (date(2026, 8, 1), 120)):
        since = datetime(first.year, first.month, first.day, tzinfo=UTC)
        until = since + timedelta(days=days)
        raw = analytics.chat_usage_by_day(
            session=session, since=since, until=until, no_model=no_model
        )
        summary = analytics.chat_usage_by_day_summary(
            session=session, since=since, until=until, no_model=no_model
        )
        assert summary == raw and raw, (first, days)


@pytest.mark.parametrize("walk", ["always", "never", "odd levels"])
def test_intervention_every_page_either_way_equals_the_whole_ordering(
    session: Session, walk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's paged path reads each level of the page either by walking students in
    username order or by grouping and looking up the level's students (several rare levels
    at once): every mix gives exactly the slices of the whole ordering, across levels,
    ties, teachers and deleted accounts."""

    def choose(session: Session, *, groups: int, rows_to_reach: int) -> bool:
        return walk == "always" or (walk == "odd levels" and groups % 2 == 1)

    monkeypatch.setattr(weak_areas, "_walk_level", choose)
    mat, fis = f.subject(session, name="Matematika"), f.subject(session, name="Fisika")
    users = [f.user(session, f"v{i:02d}", class_name=f"K-{i % 3}").id or 0 for i in range(16)]
    users.append(f.user(session, "v-gone", class_name="K-0", deleted_at=NOW).id or 0)
    users.append(f.user(session, "v-guru", role="guru").id or 0)
    rng = random.Random(7)
    for uid in users:
        for owner in ({"subject_id": mat.id}, {"subject_id": fis.id}, {"section": "PK"}):
            for t in range(rng.choice([0, 0, 1, 2, 2, 3, 4, 5])):
                resolved = NOW if rng.random() < 0.15 else None
                session.add(
                    WeakArea(user_id=uid, topic=f"t{t}", resolved_at=resolved, **owner)  # type: ignore[arg-type]
                )
    session.flush()
    every, per_class = _intervention_every_and_per_class(session)

    def key(r: weak_areas.InterventionRow) -> tuple[int, str, str, str]:
        return (-r.weak_area_count, r.username, r.subject_name or "~", r.section or "~")

    assert every == sorted(per_class, key=key)
    assert len({r.weak_area_count for r in every}) >= 3  # several levels
    for limit in (1, 2, 5, 50):
        for offset in range(0, len(every) + 2):
            page = weak_areas.list_students_needing_intervention(
                session=session, min_weak_areas=2, limit=limit, offset=offset
            )
            assert page == every[offset : offset + limit], (limit, offset)
