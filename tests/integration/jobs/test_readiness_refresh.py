"""The refresh_readiness job: set-based, same numbers as the scalar engine, job id stamped."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nexus_app.db import get_engine
from nexus_app.engine import readiness as engine_readiness
from nexus_app.models import Attempt, Question, User, UserReadiness, utcnow
from nexus_app.repositories import attempts as attempt_repo
from nexus_app.services import jobs as job_service
from nexus_app.services import readiness_refresh

NOW = utcnow()


def _question(session: Session, section: str) -> int:
    q = Question(
        section=section,
        text=f"Soal {section}",
        option_a="a",
        option_b="b",
        option_c="c",
        option_d="d",
        option_e="e",
        correct_answer="A",
    )
    session.add(q)
    session.flush()
    assert q.id is not None
    return q.id


def _user(session: Session, name: str, target: int | None) -> int:
    user = User(username=name, role="siswa", password_hash="x", target_score=target)
    session.add(user)
    session.flush()
    assert user.id is not None
    return user.id


def _history(
    session: Session,
    user_id: int,
    question_id: int,
    points: list[tuple[float, float | None]],
    deleted: bool = False,
) -> None:
    """Attempts `days_ago` before NOW with theta_after `theta`."""
    for days_ago, theta in points:
        session.add(
            Attempt(
                user_id=user_id,
                question_id=question_id,
                selected_answer="A",
                is_correct=theta is not None and theta > 0,
                time_spent_seconds=30,
                user_theta_after=theta,
                created_at=NOW - timedelta(days=days_ago),
                deleted_at=NOW if deleted else None,
            )
        )


def _readiness(
    session: Session,
    user_id: int,
    section: str,
    theta: float | None = None,
    variance: float | None = 0.09,
) -> None:
    session.add(
        UserReadiness(
            user_id=user_id, section=section, current_theta=theta, theta_variance=variance
        )
    )


def _series(
    first_day: float, last_day: float, first_theta: float, last_theta: float, n: int
) -> list[tuple[float, float | None]]:
    """n answers evenly spread from `first_day` ago to `last_day` ago, theta linear."""
    return [
        (
            first_day + (last_day - first_day) * i / (n - 1),
            first_theta + (last_theta - first_theta) * i / (n - 1),
        )
        for i in range(n)
    ]


@pytest.fixture
def crafted(engine: Engine) -> dict[str, tuple[int, str]]:
    """Rows covering each branch of ready_by (with settling) and the fallbacks."""
    with Session(engine) as s:
        pu, pk, pbm = _question(s, "PU"), _question(s, "PK"), _question(s, "PBM")
        ani = _user(s, "ani", 650)
        budi = _user(s, "budi", None)  # no target: measured against 600
        citra = _user(s, "citra", 950)  # above the scale: never ready
        dodi = _user(s, "dodi", 150)  # below the scale: always ready
        eka = _user(s, "eka", 700)
        fani = _user(s, "fani", 700)
        # Rising over 20 days (plus an old NULL theta and a deleted attempt, both ignored).
        _history(s, ani, pu, _series(20, 1, -0.6, 0.13, 15))
        _history(s, ani, pu, [(25, None)])
        _history(s, ani, pu, [(0.5, 3.0)], deleted=True)
        _history(s, ani, pk, [(3, 0.2), (1, 0.3)])  # two answers: no trend
        _history(s, budi, pu, _series(14, 1, 0.5, 0.0, 14))  # falling
        _history(s, budi, pk, [(4, 1.5), (2, 1.6), (1, 1.8)])  # already above 600
        _history(s, citra, pu, _series(14, 1, 0.0, 1.0, 14))
        _history(s, dodi, pu, [(3, -1.0), (2, -1.1), (1, -1.2)])
        # Answers seconds apart within one day: a (steep) trend inside the day.
        _history(s, eka, pbm, _series(0.010, 0.001, 0.0, 0.3, 14))
        # A slow rise: the forecast is more than 730 days away.
        _history(s, eka, pu, _series(30, 1, -2.0, -1.99, 14))
        # Settling: the first 10 answers climb from the prior; the real trend after is flat
        # to falling, so there is no ready-by date (without settling there would be one).
        _history(s, fani, pu, _series(30, 20, -1.5, 0.5, 10) + _series(15, 1, 0.5, 0.45, 5))
        s.flush()
        for user, section in [
            (ani, "PU"),
            (ani, "PK"),
            (budi, "PU"),
            (budi, "PK"),
            (citra, "PU"),
            (dodi, "PU"),
            (eka, "PBM"),
            (eka, "PU"),
            (fani, "PU"),
        ]:
            _readiness(s, user, section, theta=0.0)
        _readiness(s, citra, "PK", theta=0.4, variance=None)  # theta but no history
        _readiness(s, dodi, "PK")  # no theta at all: left alone
        s.commit()
    return {"ani": (ani, "PU"), "dodi": (dodi, "PK")}


def _expected(session: Session, user_id: int, section: str, now: datetime) -> dict[str, object]:
    """What the scalar engine says for one row, called as the practice service calls it."""
    target = session.get(User, user_id).target_score or 600  # type: ignore[union-attr]
    row = session.get(UserReadiness, (user_id, section))
    assert row is not None and row.current_theta is not None
    se = math.sqrt(row.theta_variance) if row.theta_variance is not None else 1.0
    history = attempt_repo.list_section_theta_history(
        session=session, user_id=user_id, section=section
    )
    ready, days, per_week = engine_readiness.ready_by(
        history, target, now, settle=engine_readiness.SETTLE_ANSWERS
    )
    low, high = engine_readiness.predicted_range(row.current_theta, se)
    return {
        "readiness_percentage": engine_readiness.readiness_percentage(
            row.current_theta, se, target
        ),
        "predicted_score_low": low,
        "predicted_score_high": high,
        "ready_by_date": ready,
        "days_to_ready": days,
        "improvement_rate_per_week": per_week,
        "target_theta": float(engine_readiness.score_to_theta(target)),
    }


def test_the_set_based_refresh_matches_the_engine(engine: Engine, crafted) -> None:
    summary = readiness_refresh.refresh_all_readiness(job_id="job-1", now=NOW)
    assert summary.counted_rows == 9  # rows with attempts in their section
    assert summary.forecast_rows == 10  # rows with a theta (citra/PK has no attempts)
    with Session(engine) as s:
        rows = s.exec(sa.select(UserReadiness)).scalars().all()
        checked = 0
        for row in rows:
            if row.current_theta is None:
                assert row.readiness_percentage is None and row.updated_by_job_id is None
                continue
            want = _expected(s, row.user_id, row.section, NOW)
            label = f"user {row.user_id} {row.section}"
            assert row.updated_by_job_id == "job-1", label
            assert row.readiness_percentage == pytest.approx(want["readiness_percentage"]), label
            assert row.predicted_score_low == want["predicted_score_low"], label
            assert row.predicted_score_high == want["predicted_score_high"], label
            assert row.ready_by_date == want["ready_by_date"], label
            assert row.days_to_ready == want["days_to_ready"], label
            # SQLite's julianday() keeps milliseconds: a trend over answers seconds apart
            # differs from the engine's in the 6th digit.
            assert row.improvement_rate_per_week == pytest.approx(
                want["improvement_rate_per_week"], rel=1e-4, abs=1e-6
            ), label
            assert row.target_theta == pytest.approx(want["target_theta"]), label
            checked += 1
    assert checked == 10


def test_branches_are_the_expected_ones(engine: Engine, crafted) -> None:
    readiness_refresh.refresh_all_readiness(job_id="job-2", now=NOW)
    with engine.connect() as conn:
        got = {
            (r.username, r.section): r
            for r in conn.execute(
                sa.text(
                    "SELECT u.username, r.section, r.current_theta, r.ready_by_date, "
                    "r.days_to_ready, r.total_attempts_count, r.improvement_rate_per_week "
                    "FROM user_readiness r JOIN users u ON u.id = r.user_id"
                )
            )
        }
    today = NOW.date()
    ani = got[("ani", "PU")]
    assert ani.current_theta == pytest.approx(0.13)  # latest non-deleted theta
    assert ani.total_attempts_count == 16  # the NULL-theta attempt counts, the deleted one not
    assert ani.days_to_ready is not None and ani.days_to_ready > 0
    assert _as_date(ani.ready_by_date) == today + timedelta(days=ani.days_to_ready)
    assert got[("ani", "PK")].days_to_ready is None  # no trend yet
    assert got[("budi", "PU")].days_to_ready is None  # falling
    assert got[("budi", "PU")].improvement_rate_per_week < 0
    assert got[("budi", "PK")].days_to_ready == 0  # already there
    assert got[("citra", "PU")].days_to_ready is None  # target above 900
    assert got[("dodi", "PU")].days_to_ready == 0  # target below 200
    assert got[("eka", "PBM")].days_to_ready is not None
    assert got[("eka", "PU")].days_to_ready is None  # more than 730 days away
    assert got[("fani", "PU")].days_to_ready is None  # settled trend is falling
    assert got[("citra", "PK")].improvement_rate_per_week == 0.0  # no history


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def test_the_job_stamps_its_run_id(engine: Engine, crafted) -> None:
    outcome = job_service.run_job("refresh_readiness")
    assert outcome.status == "success", outcome.detail
    assert "9 rows recounted, 10 forecasts written" in outcome.detail
    with engine.connect() as conn:
        stamped = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM user_readiness WHERE updated_by_job_id = :j "
                "AND readiness_percentage IS NOT NULL"
            ),
            {"j": outcome.job_id},
        ).scalar()
    assert stamped == 10


def test_a_stale_forecast_is_cleared(engine: Engine, crafted) -> None:
    ani, _ = crafted["ani"]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE user_readiness SET ready_by_date = :d, days_to_ready = 3 "
                "WHERE section = 'PK' AND user_id = :u"
            ),
            {"d": date(2020, 1, 1), "u": ani},
        )
    readiness_refresh.refresh_all_readiness(job_id="job-3", now=NOW)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT ready_by_date, days_to_ready FROM user_readiness "
                "WHERE section = 'PK' AND user_id = :u"
            ),
            {"u": ani},
        ).one()
    assert row.ready_by_date is None and row.days_to_ready is None


def _statements_for(engine: Engine, students: int) -> int:
    with Session(engine) as s:
        qid = _question(s, "PU")
        for i in range(students):
            uid = _user(s, f"s{students}_{i}", 600)
            _history(s, uid, qid, [(3, 0.1 * i), (2, 0.2), (1, 0.3)])
            _readiness(s, uid, "PU", theta=0.0)
        s.commit()
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    app_engine = get_engine()
    sa.event.listen(app_engine, "before_cursor_execute", count)
    try:
        summary = readiness_refresh.refresh_all_readiness(job_id="count", now=NOW)
    finally:
        sa.event.remove(app_engine, "before_cursor_execute", count)
    assert summary.forecast_rows >= students  # the second call also sees the first rows
    return len(seen)


def test_the_number_of_queries_does_not_grow_with_students(engine: Engine) -> None:
    few = _statements_for(engine, 3)
    many = _statements_for(engine, 60)  # 63 rows now
    assert many == few <= 12


def test_vectorised_formulas_match_the_scalar_ones() -> None:
    rng = np.random.default_rng(7)
    theta = rng.normal(0, 1.5, 500)
    se = np.abs(rng.normal(0.3, 0.2, 500))
    se[:5] = 0.0
    target = rng.integers(150, 950, 500).astype(float)
    percent = readiness_refresh.readiness_percentage(theta, se, target)
    low, high = readiness_refresh.predicted_range(theta, se)
    for i in range(500):
        want = engine_readiness.readiness_percentage(theta[i], se[i], target[i])
        assert percent[i] == pytest.approx(want, abs=1e-9)
        assert (low[i], high[i]) == engine_readiness.predicted_range(theta[i], se[i])
