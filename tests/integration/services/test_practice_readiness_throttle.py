"""The readiness throttle (issue 16): every answer writes the section's ability; the
forecast runs at most once per FORECAST_INTERVAL per student and section, and always when
the session ends or the dashboard loads while it is stale. The clock is injected (the
answers module's `utcnow`), never slept on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.db import unit_of_work
from nexus_app.engine import readiness as readiness_engine
from nexus_app.models import utcnow
from nexus_app.services import auth, dashboard, practice
from nexus_app.services.bank_import import import_bank
from nexus_app.services.practice import answers
from tests.integration.services.test_practice import _bank_csv


class Clock:
    """What the answers module calls `utcnow`; tests move it forward."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(answers, "utcnow", fake)
    answers.reset_forecast_throttle()  # the worker's memory of forecasts starts empty
    yield fake
    answers.reset_forecast_throttle()


@pytest.fixture
def student(engine: Engine) -> auth.CurrentUser:
    report = import_bank(
        filename="b.csv", data=_bank_csv("PU", 24), bank_name="Uji", mark_reviewed_by=["A", "B"]
    )
    assert report.ok
    return auth.create_user(username="siswa_throttle", password="kata-sandi-1", role="siswa")


def _answer(actor: auth.CurrentUser, view: practice.QuestionView, letter: str = "B"):
    result = practice.submit_answer(
        actor=actor,
        session_id=view.session_id,
        question_id=view.question_id,
        position=view.position,
        answer=letter,
    )
    following = practice.current_question(actor=actor, session_id=view.session_id)
    return result, following


def _row(engine: Engine) -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT current_theta, theta_variance, total_attempts_count, "
                "recent_attempts_count, predicted_score_low, predicted_score_high, "
                "readiness_percentage, last_updated, updated_by_job_id "
                "FROM user_readiness WHERE section = 'PU'"
            )
        ).one()


def _user_theta(engine: Engine) -> float:
    with engine.connect() as conn:
        return float(conn.execute(sa.text("SELECT irt_theta FROM users")).scalar_one())


def test_answers_within_the_interval_write_the_ability_only(
    engine: Engine, student, clock: Clock
) -> None:
    view = practice.start_session(actor=student, section="PU")
    first, view = _answer(student, view)
    forecast = _row(engine)
    assert forecast.updated_by_job_id == answers.PRACTICE_JOB
    assert forecast.total_attempts_count == 1 and forecast.predicted_score_low is not None

    clock.advance(10)
    second, view = _answer(student, view)
    clock.advance(10)
    third, view = _answer(student, view)
    row = _row(engine)
    # The ability and its variance follow every answer…
    assert row.current_theta == pytest.approx(third.theta_after)
    assert row.current_theta > forecast.current_theta
    assert row.theta_variance == pytest.approx(third.se**2)
    assert row.theta_variance < forecast.theta_variance
    # …the forecast and the counts wait, and the row says so.
    assert row.updated_by_job_id == answers.THETA_ONLY_JOB
    assert row.total_attempts_count == 1
    assert row.predicted_score_low == forecast.predicted_score_low
    # The next item still starts from the newest ability (not the forecast's).
    assert view is not None and view.theta == pytest.approx(third.theta_after)
    assert second.theta_before == pytest.approx(first.theta_after)
    assert third.theta_before == pytest.approx(second.theta_after)


def test_an_answer_a_minute_after_the_forecast_recomputes_it(
    engine: Engine, student, clock: Clock
) -> None:
    view = practice.start_session(actor=student, section="PU")
    for _ in range(3):
        _, view = _answer(student, view)
        clock.advance(20)  # answers at 0, 20, 40 s: one forecast
    assert _row(engine).total_attempts_count == 1
    _, view = _answer(student, view)  # 60 s after the forecast
    row = _row(engine)
    assert row.updated_by_job_id == answers.PRACTICE_JOB
    assert row.total_attempts_count == 4 and row.recent_attempts_count == 4
    assert _user_theta(engine) == pytest.approx(row.current_theta)


def test_ending_the_session_brings_the_forecast_up_to_date(
    engine: Engine, student, clock: Clock
) -> None:
    view = practice.start_session(actor=student, section="PU")
    for _ in range(4):
        _, view = _answer(student, view)
        clock.advance(5)
    assert _row(engine).updated_by_job_id == answers.THETA_ONLY_JOB
    practice.end_session(actor=student, session_id=view.session_id)
    row = _row(engine)
    assert row.updated_by_job_id == answers.PRACTICE_JOB
    assert row.total_attempts_count == 4
    assert _user_theta(engine) == pytest.approx(row.current_theta)
    # The forecast is the one the full path computes for the same belief.
    low, high = readiness_engine.predicted_range(row.current_theta, row.theta_variance**0.5)
    assert (row.predicted_score_low, row.predicted_score_high) == (low, high)


def test_the_dashboard_never_shows_a_stale_forecast(engine: Engine, student, clock: Clock) -> None:
    view = practice.start_session(actor=student, section="PU")
    results = []
    for _ in range(3):
        result, view = _answer(student, view)
        results.append(result)
        clock.advance(5)
    data = dashboard.student_dashboard(actor=student)  # the session is still open
    pu = next(c for c in data.cards if c.section == "PU")
    assert pu.answered == 3
    assert pu.score == results[-1].score_after
    assert (pu.predicted_low, pu.predicted_high) == (
        results[-1].predicted_low,
        results[-1].predicted_high,
    )
    assert _row(engine).updated_by_job_id == answers.PRACTICE_JOB
    # Nothing stale: a second load writes nothing.
    before = _row(engine).last_updated
    dashboard.student_dashboard(actor=student)
    assert _row(engine).last_updated == before


def test_a_clock_that_went_back_does_not_freeze_the_throttle(
    engine: Engine, student, clock: Clock
) -> None:
    view = practice.start_session(actor=student, section="PU")
    _, view = _answer(student, view)
    clock.advance(-3600)  # the forecast now seems to lie an hour ahead
    _, view = _answer(student, view)
    row = _row(engine)
    assert row.updated_by_job_id == answers.PRACTICE_JOB and row.total_attempts_count == 2
    with unit_of_work() as session:  # the same rule, called directly
        assert not practice.update_section_readiness(
            session, user_id=student.id, section="PU", theta=0.5, sd=0.5, now=clock.now
        )
        assert practice.update_section_readiness(
            session,
            user_id=student.id,
            section="PU",
            theta=0.5,
            sd=0.5,
            now=clock.now + practice.FORECAST_INTERVAL,
        )


def test_refresh_stale_readiness_leaves_fresh_rows_alone(
    engine: Engine, student, clock: Clock
) -> None:
    view = practice.start_session(actor=student, section="PU")
    _answer(student, view)
    with unit_of_work() as session:
        assert practice.refresh_stale_readiness(session, user_id=student.id) == 0
