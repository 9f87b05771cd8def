"""Readiness (Genta Queries 0 step 2, 1 and 5) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from nexus_app.models import UserReadiness, utcnow
from nexus_app.repositories import readiness

from . import factories as f

OLD = datetime(2020, 1, 1, tzinfo=UTC)


def test_initial_readiness_rows_do_nothing_on_conflict(session: Session) -> None:
    me = f.user(session)
    created = readiness.create_initial_readiness(
        session=session, user_id=me.id, sections=["PU", "PK", "PBM", "PU"]
    )
    assert sorted(created) == ["PBM", "PK", "PU"]
    row = readiness.get_readiness(session=session, user_id=me.id, section="PU")
    assert row is not None
    # No invented numbers before the student has answered anything.
    assert row.readiness_percentage is None and row.predicted_score_low is None
    assert row.target_theta == 0.5  # the column default
    row.overall_accuracy = 0.7
    session.flush()
    again = readiness.create_initial_readiness(
        session=session, user_id=me.id, sections=["PU", "PM"], target_theta=1.2
    )
    assert again == ["PM"]
    session.expire_all()
    assert (
        readiness.get_readiness(session=session, user_id=me.id, section="PU").overall_accuracy
        == 0.7
    )
    assert readiness.get_readiness(session=session, user_id=me.id, section="PM").target_theta == 1.2
    assert readiness.create_initial_readiness(session=session, user_id=me.id, sections=[]) == []


def test_upsert_readiness_writes_only_given_fields(session: Session) -> None:
    me = f.user(session)
    first = readiness.upsert_readiness(
        session=session,
        user_id=me.id,
        section="PU",
        values=readiness.ReadinessValues(readiness_percentage=40.0, predicted_score_low=520),
        job_id="job-1",
    )
    assert (first.readiness_percentage, first.predicted_score_low, first.updated_by_job_id) == (
        40.0,
        520,
        "job-1",
    )
    second = readiness.upsert_readiness(
        session=session,
        user_id=me.id,
        section="PU",
        values=readiness.ReadinessValues(readiness_percentage=55.5, ready_by_date=date(2027, 3, 1)),
    )
    assert second is first
    assert second.readiness_percentage == 55.5
    assert second.predicted_score_low == 520  # untouched
    assert second.ready_by_date == date(2027, 3, 1)
    assert second.updated_by_job_id is None
    assert len(session.exec(select(UserReadiness)).all()) == 1


def test_dashboard_readiness_in_subtest_order_with_user_targets(session: Session) -> None:
    me = f.user(session)
    me.target_score = 700
    me.exam_date = date(2027, 4, 21)
    other = f.user(session)
    readiness.create_initial_readiness(session=session, user_id=me.id, sections=["PM", "PK", "PU"])
    readiness.create_initial_readiness(session=session, user_id=other.id, sections=["PBM"])
    readiness.upsert_readiness(
        session=session,
        user_id=me.id,
        section="PK",
        values=readiness.ReadinessValues(readiness_percentage=58.0, days_to_ready=30),
    )
    rows = readiness.get_dashboard_readiness(session=session, user_id=me.id)
    # Official order (PU, PPU, PBM, PK, LBI, LBE, PM), not alphabetical (PK, PM, PU).
    assert [r.section for r in rows] == ["PU", "PK", "PM"]
    assert rows[0].section_name == "Penalaran Umum"
    assert all(r.target_score == 700 and r.exam_date == date(2027, 4, 21) for r in rows)
    assert (rows[1].readiness_percentage, rows[1].days_to_ready) == (58.0, 30)


def test_batch_refresh_is_set_based_and_uses_latest_theta(session: Session) -> None:
    me, other, idle = f.user(session), f.user(session), f.user(session)
    # Old rows (inserted, since PostgreSQL's trigger stamps every UPDATE) with numbers the
    # batch must leave alone.
    for uid in (me.id, other.id, idle.id):
        for section in ("PU", "PK"):
            session.add(
                UserReadiness(
                    user_id=uid,
                    section=section,
                    last_updated=OLD,
                    readiness_percentage=12.0,
                    current_theta=-9.0,
                )
            )
    session.flush()

    pu = [f.question(session, section="PU") for _ in range(3)]
    pk = f.question(session, section="PK")
    pm = f.question(session, section="PM")
    now = utcnow()
    # me/PU: 12 attempts, oldest first; thetas rise; the newest one has no theta_after.
    for i in range(12):
        f.attempt(
            session,
            user_id=me.id,
            question_id=pu[i % 3].id,
            is_correct=i >= 4,  # the first 4 (oldest) wrong, the last 8 right
            created_at=now - timedelta(minutes=100 - i),
            theta_after=None if i == 11 else -1.0 + 0.2 * i,  # latest known: i=10 -> 1.0
        )
    f.attempt(session, user_id=me.id, question_id=pu[0].id, is_correct=True, deleted_at=now)
    # me/PK: 1 wrong, no theta at all.
    f.attempt(session, user_id=me.id, question_id=pk.id, is_correct=False, created_at=now)
    # me/PM: attempts but no readiness row -> nothing created.
    f.attempt(session, user_id=me.id, question_id=pm.id, theta_after=0.3)
    # other/PU: 2 attempts, 1 right.
    f.attempt(
        session,
        user_id=other.id,
        question_id=pu[0].id,
        is_correct=True,
        theta_after=0.1,
        created_at=now - timedelta(minutes=5),
    )
    f.attempt(
        session,
        user_id=other.id,
        question_id=pu[1].id,
        is_correct=False,
        theta_after=-0.2,
        created_at=now,
    )

    updated = readiness.refresh_readiness_batch(session=session, job_id="job-42", now=now)
    assert updated == 3  # me/PU, me/PK, other/PU
    session.expire_all()

    def get(uid: int, section: str) -> UserReadiness:
        row = readiness.get_readiness(session=session, user_id=uid, section=section)
        assert row is not None
        return row

    mine = get(me.id, "PU")
    assert (mine.total_attempts_count, mine.total_correct_count) == (12, 8)
    assert mine.overall_accuracy == pytest.approx(8 / 12)
    # Last 10 attempts are i = 2..11: i = 2, 3 wrong, 4..11 right.
    assert (mine.recent_attempts_count, mine.recent_correct_count) == (10, 8)
    assert mine.recent_accuracy == pytest.approx(0.8)
    assert mine.current_theta == pytest.approx(1.0)  # latest theta_after, not the mean (0.0)
    assert mine.updated_by_job_id == "job-42" and mine.last_updated > OLD
    assert mine.readiness_percentage == 12.0  # left to the readiness service

    mine_pk = get(me.id, "PK")
    assert (mine_pk.total_attempts_count, mine_pk.overall_accuracy) == (1, 0.0)
    assert mine_pk.current_theta == -9.0  # no theta_after known: kept
    assert readiness.get_readiness(session=session, user_id=me.id, section="PM") is None

    theirs = get(other.id, "PU")
    assert (theirs.total_attempts_count, theirs.total_correct_count) == (2, 1)
    assert theirs.current_theta == pytest.approx(-0.2)

    untouched = get(idle.id, "PU")
    assert untouched.updated_by_job_id is None and untouched.last_updated == OLD
    assert untouched.total_attempts_count == 0
