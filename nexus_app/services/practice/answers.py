"""Answering: record, update mastery and readiness, the result shown, ending a session."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import ability, readiness
from nexus_app.engine.irt import item_params
from nexus_app.models import Attempt, Question, UserStudySession, utcnow
from nexus_app.models.bank import ANSWER_LETTERS
from nexus_app.repositories import attempts as attempt_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import readiness as readiness_repo
from nexus_app.repositories import study_sessions as study_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services import mastery, review_queue
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound
from nexus_app.services.task_credit import credit_open_tasks

from .serving import _check_open, _load_session, _tryout_status
from .views import (
    DEFAULT_TARGET_SCORE,
    MAX_SECONDS_PER_ITEM,
    AnswerResult,
    _require_student,
    _score,
    _section_belief,
)

T = TypeVar("T")

# Runs inside a new answer's transaction (services.feedback: the wrong answer's feedback
# lookup), so the page's submit is one unit of work instead of two.
AfterRecord = Callable[[Session, Attempt, Question], T]


def submit_answer(
    *, actor: CurrentUser, session_id: str, question_id: int, position: int, answer: str
) -> AnswerResult:
    """Record one answer in one transaction; the same submit twice records one attempt."""
    result, _ = _submit(actor, session_id, question_id, position, answer, None)
    return result


def submit_answer_then(
    *,
    actor: CurrentUser,
    session_id: str,
    question_id: int,
    position: int,
    answer: str,
    after: AfterRecord[T],
) -> tuple[AnswerResult, T | None]:
    """:func:`submit_answer`, and ``after(session, attempt, question)`` in the same
    transaction once the answer is recorded, before the item's statistics (the row everyone
    answering the item locks until the commit). ``after`` must not raise for the answer's
    sake: its error rolls the answer back. None instead of its value when the submit
    repeated an answer already stored (``after`` did not run)."""
    return _submit(actor, session_id, question_id, position, answer, after)


def _submit(
    actor: CurrentUser,
    session_id: str,
    question_id: int,
    position: int,
    answer: str,
    after: AfterRecord[T] | None,
) -> tuple[AnswerResult, T | None]:
    _require_student(actor)
    letter = (answer or "").strip().upper()
    if letter not in ANSWER_LETTERS:
        raise InvalidInput("Pilihan jawaban harus salah satu dari A, B, C, D atau E.")
    try:
        with unit_of_work() as session:
            row = _load_session(session, actor, session_id)
            # One round trip for both checks: a repeated submit, and whether this is the
            # position the session expects next.
            positions = attempt_repo.get_session_positions(
                session=session, session_id=row.id, position=position
            )
            if positions.stored_id is not None:
                stored = attempt_repo.get_attempt(session=session, attempt_id=positions.stored_id)
                assert stored is not None
                if stored.question_id != question_id or stored.selected_answer != letter:
                    raise InvalidInput("Jawaban untuk soal ini sudah tercatat sebelumnya.")
                return _stored_result(session, actor, row, positions.stored_id), None
            _check_open(row)
            expected = positions.count + 1
            if row.current_question_id != question_id or position != expected:
                raise InvalidInput(
                    "Soal ini bukan soal yang sedang aktif di sesimu. Muat ulang halaman."
                )
            return _record(session, actor, row, question_id, position, letter, after)
    except IntegrityError:
        # A double click raced us to the UNIQUE (session, position): return what was stored.
        with unit_of_work() as session:
            row = _load_session(session, actor, session_id)
            stored = attempt_repo.get_attempt_at_position(
                session=session, session_id=row.id, position=position
            )
            if stored is None:
                raise
            return _stored_result(session, actor, row, stored.id or 0), None


def _item_params(question: Question) -> tuple[float, float, float]:
    """The item's 3PL (a, b, c); an uncalibrated item gets the defaults."""
    return item_params(question.discrimination, question.difficulty_irt, question.guessing_param)


def _record(
    session: Session,
    actor: CurrentUser,
    row: UserStudySession,
    question_id: int,
    position: int,
    letter: str,
    after: AfterRecord[T] | None = None,
) -> tuple[AnswerResult, T | None]:
    question = question_repo.get_question(session=session, question_id=question_id)
    if question is None or row.section is None:
        raise NotFound("Soal tidak ditemukan.")
    now = utcnow()
    is_correct = letter == question.correct_answer
    served = row.current_served_at or now
    seconds = int(min(max((now - served).total_seconds(), 0), MAX_SECONDS_PER_ITEM))
    a, b, c = _item_params(question)

    theta_before, sd_before = _section_belief(session, actor.id, row.section)
    theta_after, sd_after = ability.update_ability(theta_before, sd_before, a, b, c, is_correct)

    attempt = attempt_repo.record_attempt(
        session=session,
        user_id=actor.id,
        question_id=question_id,
        selected_answer=letter,
        is_correct=is_correct,
        time_spent_seconds=seconds,
        theta_before=theta_before,
        session_id=row.id,
        attempt_number=position,
        theta_after=theta_after,
    )
    assert attempt.id is not None
    # Counters and "the answered question leaves the screen" in one UPDATE.
    study_repo.record_session_answer(
        session=session, session_id=row.id, is_correct=is_correct, now=now
    )
    if row.mode == "practice":
        credit_open_tasks(
            session,
            user_id=actor.id,
            question=question,
            selected=letter,
            is_correct=is_correct,
            now=now,
        )
    mastery.apply_practice_answer(
        session,
        user_id=actor.id,
        section=row.section,
        topic=question.sub_type,
        correct=is_correct,
        a=a,
        b=b,
        c=c,
        when=now,
        prior_theta=theta_before,
    )
    # Wrong answers enter the review queue; a right answer to a due item moves it up a box.
    review_queue.record_review(
        session, user_id=actor.id, question_id=question_id, correct=is_correct, now=now
    )
    update_section_readiness(
        session, user_id=actor.id, section=row.section, theta=theta_after, sd=sd_after, now=now
    )
    session.flush()
    result = _answer_result(
        session, actor, row, question, attempt, theta_before, theta_after, sd_after
    )
    extra = after(session, attempt, question) if after is not None else None
    # Last, right before the commit: everyone answering this item updates its row, and
    # the row stays locked until this transaction ends (issue 16: answers to a popular
    # item queued behind each other's whole transaction).
    question_repo.update_question_stats_after_attempt(
        session=session, question_id=question_id, is_correct=is_correct, time_spent_seconds=seconds
    )
    return result, extra


# Readiness throttle (issue 16). Every answer writes the section's ability and variance
# (what the next item and the result screen need); the forecast (readiness %, predicted
# range, ready-by date, improvement rate, the accuracy counts of Query 5 and users.irt_theta)
# is recomputed at most once per FORECAST_INTERVAL per student and section in a worker, and
# always when the session ends or the dashboard loads while a section is marked
# THETA_ONLY_JOB (the mark is in the row, so any worker sees it).
# Staleness bound: while a student keeps answering, the stored forecast is at most
# FORECAST_INTERVAL older than the stored ability (per worker; with sticky sessions a
# student's answers go to one); the dashboard, the only page that shows the forecast, never
# shows a stale one. A student who leaves mid-session without ending it keeps a stale
# forecast in the table until their next dashboard load or answer, or the 6-hourly
# refresh_readiness job.
FORECAST_INTERVAL = timedelta(seconds=60)
PRACTICE_JOB = "practice"
THETA_ONLY_JOB = "practice:theta"
# (database, user, section) -> when this worker last computed that forecast. The table's
# last_updated cannot serve: the database stamps it on every write (migration 0001's
# triggers). Pruned of expired entries past this size.
_MAX_TRACKED = 20_000
_last_forecast: dict[tuple[str, int, str], datetime] = {}
_throttle_lock = threading.Lock()


def reset_forecast_throttle() -> None:
    """Forget every forecast time (tests; a worker never needs it)."""
    with _throttle_lock:
        _last_forecast.clear()


def _throttle_key(session: Session, user_id: int, section: str) -> tuple[str, int, str]:
    return (str(session.get_bind().engine.url), user_id, section)


def _forecast_recent(key: tuple[str, int, str], now: datetime) -> bool:
    last = _last_forecast.get(key)
    # A clock that went back (last in the future) must not freeze the forecast.
    return last is not None and timedelta(0) <= now - last < FORECAST_INTERVAL


def _forecast_done(key: tuple[str, int, str], now: datetime) -> None:
    with _throttle_lock:
        if len(_last_forecast) >= _MAX_TRACKED:
            expired = [k for k, t in _last_forecast.items() if now - t >= FORECAST_INTERVAL]
            for k in expired:
                del _last_forecast[k]
            if len(_last_forecast) >= _MAX_TRACKED:  # all recent: a forecast too many is fine
                _last_forecast.clear()
        _last_forecast[key] = now


def update_section_readiness(
    session: Session, *, user_id: int, section: str, theta: float, sd: float, now: datetime
) -> bool:
    """After an answer: the cheap write when this worker computed the section's forecast
    less than FORECAST_INTERVAL ago, the full forecast otherwise (and always for a row
    without an ability yet). Returns whether the forecast ran."""
    key = _throttle_key(session, user_id, section)
    # Already in the identity map (load_session_context): no round trip.
    row = readiness_repo.get_readiness(session=session, user_id=user_id, section=section)
    if row is not None and row.current_theta is not None and _forecast_recent(key, now):
        readiness_repo.update_section_belief(
            session=session,
            user_id=user_id,
            section=section,
            theta=theta,
            variance=sd * sd,
            job_id=THETA_ONLY_JOB,
        )
        return False
    write_readiness(
        session, user_id=user_id, section=section, theta=theta, sd=sd, job_id=PRACTICE_JOB, now=now
    )
    _update_overall_theta(session, user_id, now)
    _forecast_done(key, now)
    return True


def is_stale_forecast(*, updated_by_job_id: str | None, current_theta: float | None) -> bool:
    """A readiness row whose ability the throttle wrote without recomputing its forecast."""
    return updated_by_job_id == THETA_ONLY_JOB and current_theta is not None


def refresh_stale_readiness(
    session: Session, *, user_id: int, section: str | None = None, now: datetime | None = None
) -> int:
    """Recompute the forecast of the student's sections whose ability is newer than it
    (all sections, or one); returns how many. Cheap when nothing is stale: one indexed
    read of the student's (at most seven) readiness rows."""
    if section is not None:
        one = readiness_repo.get_readiness(session=session, user_id=user_id, section=section)
        rows = [one] if one is not None else []
    else:
        rows = readiness_repo.list_user_readiness(session=session, user_id=user_id)
    stale = [
        r
        for r in rows
        if is_stale_forecast(updated_by_job_id=r.updated_by_job_id, current_theta=r.current_theta)
    ]
    when = now or utcnow()
    for r in stale:
        assert r.current_theta is not None
        sd = float(np.sqrt(r.theta_variance)) if r.theta_variance else 1.0
        write_readiness(
            session,
            user_id=user_id,
            section=r.section,
            theta=r.current_theta,
            sd=sd,
            job_id=PRACTICE_JOB,
            now=when,
        )
    if stale:
        _update_overall_theta(session, user_id, when)
        for r in stale:
            _forecast_done(_throttle_key(session, user_id, r.section), when)
    return len(stale)


def write_readiness(
    session: Session,
    *,
    user_id: int,
    section: str,
    theta: float,
    sd: float,
    job_id: str,
    now: datetime | None = None,
) -> None:
    """Write a section's new belief, recount its accuracy columns and re-derive the
    forecast (predicted range, progress to target, ready-by date) in the caller's
    transaction."""
    now = now or utcnow()
    user = user_repo.get_user(session=session, user_id=user_id)
    target = (user.target_score if user and user.target_score else None) or DEFAULT_TARGET_SCORE
    history = attempt_repo.list_section_theta_history(
        session=session, user_id=user_id, section=section
    )
    ready_date, days, per_week = readiness.ready_by(
        history, target, now, settle=readiness.SETTLE_ANSWERS
    )
    low, high = readiness.predicted_range(theta, sd)
    readiness_repo.upsert_readiness(
        session=session,
        user_id=user_id,
        section=section,
        values=readiness_repo.ReadinessValues(
            current_theta=theta,
            theta_variance=sd * sd,
            target_theta=float(readiness.score_to_theta(target)),
            readiness_percentage=readiness.readiness_percentage(theta, sd, target),
            predicted_score_low=low,
            predicted_score_high=high,
            ready_by_date=ready_date,
            improvement_rate_per_week=per_week,
            days_to_ready=days,
        ),
        job_id=job_id,
        forecast=True,
        now=now,
    )
    readiness_repo.refresh_readiness_batch(
        session=session, job_id=job_id, user_id=user_id, section=section, now=now
    )


def _update_overall_theta(session: Session, user_id: int, now: datetime) -> None:
    """users.irt_theta: the precision-weighted mean of the section abilities."""
    rows = readiness_repo.list_user_readiness(session=session, user_id=user_id)
    beliefs = [
        (r.current_theta, r.theta_variance)
        for r in rows
        if r.current_theta is not None and r.theta_variance
    ]
    if not beliefs:
        return
    precision = sum(1.0 / v for _, v in beliefs)
    mean = sum(t / v for t, v in beliefs) / precision
    attempt_repo.update_user_theta(
        session=session, user_id=user_id, theta=mean, variance=1.0 / precision, now=now
    )


def _stored_result(
    session: Session, actor: CurrentUser, row: UserStudySession, attempt_id: int
) -> AnswerResult:
    attempt = attempt_repo.get_attempt(session=session, attempt_id=attempt_id)
    assert attempt is not None
    question = question_repo.get_question(session=session, question_id=attempt.question_id)
    assert question is not None
    before = attempt.user_theta_before or 0.0
    after = attempt.user_theta_after if attempt.user_theta_after is not None else before
    belief = readiness_repo.get_readiness(
        session=session, user_id=actor.id, section=question.section
    )
    se = float(np.sqrt(belief.theta_variance)) if belief and belief.theta_variance else 1.0
    return _answer_result(session, actor, row, question, attempt, before, after, se)


def _answer_result(
    session: Session,
    actor: CurrentUser,
    row: UserStudySession,
    question: Question,
    attempt: Attempt,
    before: float,
    after: float,
    se: float,
) -> AnswerResult:
    """What the page shows after an answer; a tryout reports its own session estimate."""
    shown_theta, shown_se, finished = after, se, False
    if row.mode == "tryout":
        shown_theta, shown_se, finished = _tryout_status(session, actor, row)
    low, high = readiness.predicted_range(shown_theta, shown_se)
    return AnswerResult(
        session_id=row.id,
        position=attempt.attempt_number_in_session or 0,
        question_id=attempt.question_id,
        selected=attempt.selected_answer,
        correct_answer=question.correct_answer,
        is_correct=attempt.is_correct,
        explanation=question.explanation or "",
        strategy_tip=question.strategy_tip or "",
        time_spent_seconds=attempt.time_spent_seconds,
        theta_before=before,
        theta_after=after,
        score_before=_score(before),
        score_after=_score(after),
        se=shown_se,
        predicted_low=low,
        predicted_high=high,
        tryout_finished=finished,
        attempt_id=attempt.id or 0,
    )


def end_session(*, actor: CurrentUser, session_id: str) -> str:
    _require_student(actor)
    with unit_of_work() as session:
        row = _load_session(session, actor, session_id)
        study_repo.end_study_session(session=session, session_id=row.id)
        # The forecast the answers throttled is brought up to date when the session ends.
        if row.section is not None:
            refresh_stale_readiness(session, user_id=actor.id, section=row.section)
        # Weak areas follow the student's latest answers, not only the nightly job.
        mastery.detect_for_user(session, actor.id)
        return row.id
