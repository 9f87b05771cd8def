"""Answering: record, update mastery and readiness, the result shown, ending a session."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import ability, readiness
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

from .serving import _check_open, _load_session, _tryout_status
from .task_credit import credit_open_tasks
from .views import (
    DEFAULT_A,
    DEFAULT_C,
    DEFAULT_TARGET_SCORE,
    MAX_SECONDS_PER_ITEM,
    AnswerResult,
    _require_student,
    _score,
    _section_belief,
)


def submit_answer(
    *, actor: CurrentUser, session_id: str, question_id: int, position: int, answer: str
) -> AnswerResult:
    """Record one answer in one transaction; the same submit twice records one attempt."""
    _require_student(actor)
    letter = (answer or "").strip().upper()
    if letter not in ANSWER_LETTERS:
        raise InvalidInput("Pilihan jawaban harus salah satu dari A, B, C, D atau E.")
    try:
        with unit_of_work() as session:
            row = _load_session(session, actor, session_id)
            stored = attempt_repo.get_attempt_at_position(
                session=session, session_id=row.id, position=position
            )
            if stored is not None:
                if stored.question_id != question_id or stored.selected_answer != letter:
                    raise InvalidInput("Jawaban untuk soal ini sudah tercatat sebelumnya.")
                return _stored_result(session, actor, row, stored.id or 0)
            _check_open(row)
            expected = attempt_repo.count_session_attempts(session=session, session_id=row.id) + 1
            if row.current_question_id != question_id or position != expected:
                raise InvalidInput(
                    "Soal ini bukan soal yang sedang aktif di sesimu. Muat ulang halaman."
                )
            return _record(session, actor, row, question_id, position, letter)
    except IntegrityError:
        # A double click raced us to the UNIQUE (session, position): return what was stored.
        with unit_of_work() as session:
            row = _load_session(session, actor, session_id)
            stored = attempt_repo.get_attempt_at_position(
                session=session, session_id=row.id, position=position
            )
            if stored is None:
                raise
            return _stored_result(session, actor, row, stored.id or 0)


def _item_params(question: Question) -> tuple[float, float, float]:
    """The item's 3PL (a, b, c); an uncalibrated item gets the defaults."""
    a = question.discrimination or DEFAULT_A
    b = question.difficulty_irt if question.difficulty_irt is not None else 0.0
    c = question.guessing_param if question.guessing_param is not None else DEFAULT_C
    return a, b, c


def _clear_current(session: Session, row: UserStudySession, now: datetime) -> None:
    """The answered question leaves the screen: the next request serves a new one."""
    row.current_question_id = None
    row.current_served_at = None
    row.updated_at = now
    session.add(row)


def _record(
    session: Session,
    actor: CurrentUser,
    row: UserStudySession,
    question_id: int,
    position: int,
    letter: str,
) -> AnswerResult:
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
    )
    assert attempt.id is not None
    attempt_repo.set_attempt_theta_after(
        session=session, attempt_id=attempt.id, theta_after=theta_after
    )
    question_repo.update_question_stats_after_attempt(
        session=session, question_id=question_id, is_correct=is_correct, time_spent_seconds=seconds
    )
    study_repo.increment_session_counters(session=session, session_id=row.id, is_correct=is_correct)
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
    _clear_current(session, row, now)
    _update_readiness(session, actor.id, row.section, theta_after, sd_after)
    session.flush()

    return _answer_result(
        session, actor, row, question, attempt, theta_before, theta_after, sd_after
    )


def _update_readiness(
    session: Session, user_id: int, section: str, theta: float, sd: float
) -> None:
    write_readiness(
        session, user_id=user_id, section=section, theta=theta, sd=sd, job_id="practice"
    )
    _update_overall_theta(session, user_id)


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


def _update_overall_theta(session: Session, user_id: int) -> None:
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
        session=session, user_id=user_id, theta=mean, variance=1.0 / precision
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
        # Weak areas follow the student's latest answers, not only the nightly job.
        mastery.detect_for_user(session, actor.id)
        return row.id
