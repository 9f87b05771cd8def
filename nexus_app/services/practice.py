"""Adaptive UTBK practice: start a session, serve the next item, submit, end, review.

Ability per section is a normal belief N(theta, variance) kept in `user_readiness`; every
answer updates it (engine.ability) and the next item is the most informative one near it
(engine.cat: content balancing across sub_types, nothing seen in the last 7 days,
progressive-restricted exposure control, a widening difficulty window). A tryout starts
from a fresh N(0, 1) belief for the session and stops when its SE reaches 0.30 or the
section's item count.

Exposure counts live in the database (repositories.exposure): a section's examinee count
grows when a session starts, an item's count when it is served, each by one atomic
statement in the same transaction, so concurrent students never lose an increment. Practice
and tryout sessions share one count per section: an item shown too often is shown too often
whichever page showed it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import ability, cat, readiness
from nexus_app.models import Attempt, Question, UserStudySession, utcnow
from nexus_app.models.bank import ANSWER_LETTERS
from nexus_app.repositories import attempts as attempt_repo
from nexus_app.repositories import exposure as exposure_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import readiness as readiness_repo
from nexus_app.repositories import study_sessions as study_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services import billing, mastery
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied

MODES = ("practice", "tryout")
# No item goes to more than this share of a section's sessions while others remain.
MAX_EXPOSURE_RATE = 0.20
# Practice has no fixed length; the exposure control's random component fades over this
# many items, as if it were a test of this length (later items: pure information).
PRACTICE_NOMINAL_LENGTH = 20
DEFAULT_A, DEFAULT_C = 1.0, 0.2
SESSION_IDLE_LIMIT = timedelta(hours=3)
MAX_SECONDS_PER_ITEM = 30 * 60  # an item left open over lunch counts as 30 minutes
TRYOUT_SE_TARGET = 0.30
DEFAULT_TARGET_SCORE = 600
_rng = np.random.default_rng()


@dataclass(frozen=True)
class SectionChoice:
    code: str
    name: str
    available: int
    sub_types: tuple[str, ...]


@dataclass(frozen=True)
class QuestionView:
    session_id: str
    mode: str
    section: str
    position: int
    question_id: int
    sub_type: str
    text: str
    options: tuple[tuple[str, str], ...]
    served_at: datetime
    theta: float
    score: int


@dataclass(frozen=True)
class AnswerResult:
    session_id: str
    position: int
    question_id: int
    selected: str
    correct_answer: str
    is_correct: bool
    explanation: str
    strategy_tip: str
    time_spent_seconds: int
    theta_before: float
    theta_after: float
    score_before: int
    score_after: int
    se: float
    predicted_low: int
    predicted_high: int
    tryout_finished: bool = False
    attempt_id: int = 0


@dataclass(frozen=True)
class ReviewRow:
    position: int
    question_id: int
    sub_type: str
    text: str
    selected: str
    correct_answer: str
    is_correct: bool
    time_spent_seconds: int


@dataclass(frozen=True)
class SessionReview:
    session_id: str
    section: str
    mode: str
    started_at: datetime
    ended_at: datetime | None
    total: int
    correct: int
    accuracy_percentage: float
    avg_time_seconds: float
    min_time_seconds: int
    max_time_seconds: int
    rows: list[ReviewRow] = field(default_factory=list)
    score: int | None = None
    predicted_low: int | None = None
    predicted_high: int | None = None


def _require_student(actor: CurrentUser) -> None:
    if actor.role != "siswa":
        raise PermissionDenied("Latihan UTBK hanya untuk akun siswa.")


def list_sections() -> list[SectionChoice]:
    with unit_of_work() as session:
        supply = question_repo.list_section_supply(session=session)
    return [SectionChoice(s.code, s.name, s.servable, s.sub_types) for s in supply]


# --- ability -------------------------------------------------------------------------


def _section_belief(session: Session, user_id: int, section: str) -> tuple[float, float]:
    """The student's current (theta, sd) in a section, widened for the days since."""
    row = readiness_repo.get_readiness(session=session, user_id=user_id, section=section)
    if row is None or row.current_theta is None:
        return 0.0, 1.0
    sd = float(np.sqrt(row.theta_variance)) if row.theta_variance else 1.0
    idle_days = (utcnow() - row.last_updated).total_seconds() / 86_400
    return float(row.current_theta), ability.widen_for_time(sd, idle_days)


def _tryout_estimate(items: list[attempt_repo.SessionItem]) -> tuple[float, float]:
    posterior = cat.ThetaPosterior()
    for item in items:
        if item.b is not None:
            posterior.add(item.a or DEFAULT_A, item.b, item.c or DEFAULT_C, int(item.is_correct))
    return posterior.estimate()


def _score(theta: float) -> int:
    return round(float(readiness.theta_to_score(theta)))


# --- sessions and items ----------------------------------------------------------------


def _load_session(session: Session, actor: CurrentUser, session_id: str) -> UserStudySession:
    row = study_repo.get_study_session(session=session, session_id=session_id, user_id=actor.id)
    if row is None:
        raise NotFound("Sesi latihan tidak ditemukan.")
    return row


def _check_open(row: UserStudySession) -> None:
    if row.ended_at is not None:
        raise InvalidInput("Sesi latihan ini sudah selesai. Mulai sesi baru untuk berlatih lagi.")
    if utcnow() - row.updated_at > SESSION_IDLE_LIMIT:
        raise InvalidInput(
            "Sesi latihan ini sudah kedaluwarsa karena lama tidak aktif. Mulai sesi baru."
        )


def _item_view(
    row: UserStudySession, question: Question, position: int, theta: float
) -> QuestionView:
    assert question.id is not None and row.current_served_at is not None
    return QuestionView(
        session_id=row.id,
        mode=row.mode,
        section=question.section,
        position=position,
        question_id=question.id,
        sub_type=question.sub_type or "",
        text=question.text,
        options=tuple(
            (letter, getattr(question, f"option_{letter.lower()}")) for letter in ANSWER_LETTERS
        ),
        served_at=row.current_served_at,
        theta=theta,
        score=_score(theta),
    )


def _serve_next(session: Session, actor: CurrentUser, row: UserStudySession) -> QuestionView | None:
    """Pick, remember and return the next item; None when a tryout is complete or the
    pool is exhausted."""
    assert row.section is not None
    items = attempt_repo.list_session_items(session=session, session_id=row.id)
    if row.mode == "tryout":
        theta, se = _tryout_estimate(items)
        length = _section_item_count(session, row.section)
        if cat.should_stop(se, len(items), se_target=TRYOUT_SE_TARGET, max_items=length):
            return None
    else:
        theta, _ = _section_belief(session, actor.id, row.section)
        length = PRACTICE_NOMINAL_LENGTH
    # Serving is what the tier's daily quota counts (answered plus on-screen questions);
    # checked before item selection, so a student over the limit costs no CAT work.
    billing.enforce_daily_limit(session, actor=actor, kind="practice")
    candidates = question_repo.list_cat_candidates(
        session=session,
        user_id=actor.id,
        section=row.section,
        exclude_question_ids=[i.question_id for i in items],
    )
    if row.sub_type:
        candidates = [c for c in candidates if c.sub_type == row.sub_type]
    if not candidates:
        return None
    sub_types = [c.sub_type or "" for c in candidates]
    # Balance toward equal shares of the sub_types the pool offers (unless one was chosen).
    targets = None if row.sub_type else {s: 1.0 for s in set(sub_types) if s}
    index = cat.choose_next_item(
        theta,
        [c.a or DEFAULT_A for c in candidates],
        [c.b for c in candidates],
        [c.c if c.c is not None else DEFAULT_C for c in candidates],
        sub_types=sub_types,
        administered_sub_types=[i.sub_type or "" for i in items],
        target_proportions=targets,
        exposure=_exposure_control(session, row.section, candidates),
        position=len(items) + 1,
        length=length,
    )
    if index is None:
        return None
    question = question_repo.get_question(
        session=session, question_id=candidates[index].question_id
    )
    assert question is not None and question.id is not None
    exposure_repo.count_item_shown(session=session, question_id=question.id)
    row.current_question_id = question.id
    row.current_served_at = utcnow()
    session.add(row)
    session.flush()
    return _item_view(row, question, len(items) + 1, theta)


def _exposure_control(
    session: Session, section: str, candidates: list[question_repo.CatCandidate]
) -> cat.ExposureControl:
    """The section's stored counts, lined up with the candidate list."""
    shown = exposure_repo.get_section_item_counts(session=session, section=section)
    # start_session counted this session already; the engine's cap test counts the
    # current examinee itself, so leave this one out.
    examinees = exposure_repo.get_section_examinees(session=session, section=section) - 1
    return cat.ExposureControl(
        len(candidates),
        MAX_EXPOSURE_RATE,
        _rng,
        counts=[shown.get(c.question_id, 0) for c in candidates],
        examinees=max(examinees, 0),
    )


def _tryout_status(
    session: Session, actor: CurrentUser, row: UserStudySession
) -> tuple[float, float, bool]:
    """(theta, se, finished) of a tryout: finished by the SE rule, the subtest's length,
    or an exhausted pool."""
    assert row.section is not None
    items = attempt_repo.list_session_items(session=session, session_id=row.id)
    theta, se = _tryout_estimate(items)
    finished = cat.should_stop(
        se,
        len(items),
        se_target=TRYOUT_SE_TARGET,
        max_items=_section_item_count(session, row.section),
    )
    if not finished:
        remaining = question_repo.list_cat_candidates(
            session=session,
            user_id=actor.id,
            section=row.section,
            exclude_question_ids=[i.question_id for i in items],
        )
        finished = not [c for c in remaining if not row.sub_type or c.sub_type == row.sub_type]
    return theta, se, finished


def _section_item_count(session: Session, section: str) -> int:
    """A tryout's maximum length: the subtest's official item count (data, not code)."""
    spec = question_repo.get_section(session=session, code=section)
    return spec.item_count if spec is not None else 20


def start_session(
    *, actor: CurrentUser, section: str, sub_type: str | None = None, mode: str = "practice"
) -> QuestionView:
    _require_student(actor)
    if mode not in MODES:
        raise InvalidInput("Mode latihan tidak dikenal.")
    section = (section or "").strip().upper()
    sub_type = (sub_type or "").strip() or None
    with unit_of_work() as session:
        supply = {s.code: s for s in question_repo.list_section_supply(session=session)}
        if section not in supply:
            raise InvalidInput("Pilih subtes UTBK terlebih dahulu.")
        choice = supply[section]
        if choice.servable == 0:
            raise InvalidInput(
                f"Belum ada soal {choice.name} yang sudah ditinjau. Hubungi guru atau admin."
            )
        if sub_type and sub_type not in choice.sub_types:
            raise InvalidInput(f"Topik '{sub_type}' tidak ada di subtes {choice.name}.")
        row = study_repo.create_study_session(
            session=session,
            session_id=secrets.token_urlsafe(12),
            user_id=actor.id,
            section=section,
            mode=mode,
            sub_type=sub_type,
        )
        exposure_repo.count_section_examinee(session=session, section=section)
        view = _serve_next(session, actor, row)
        if view is None:
            raise InvalidInput(
                "Semua soal untuk pilihan ini sudah kamu kerjakan dalam 7 hari terakhir. "
                "Coba topik atau subtes lain."
            )
        return view


def current_question(*, actor: CurrentUser, session_id: str) -> QuestionView | None:
    """The item being shown (the same one after a reload), or the next one; None when
    the session has nothing more to ask."""
    _require_student(actor)
    with unit_of_work() as session:
        row = _load_session(session, actor, session_id)
        _check_open(row)
        return _current(session, actor, row)


def _current(session: Session, actor: CurrentUser, row: UserStudySession) -> QuestionView | None:
    if row.current_question_id is not None:
        question = question_repo.get_question(session=session, question_id=row.current_question_id)
        if question is not None:
            position = attempt_repo.count_session_attempts(session=session, session_id=row.id)
            assert row.section is not None
            theta = (
                _tryout_estimate(
                    attempt_repo.list_session_items(session=session, session_id=row.id)
                )[0]
                if row.mode == "tryout"
                else _section_belief(session, actor.id, row.section)[0]
            )
            return _item_view(row, question, position + 1, theta)
    return _serve_next(session, actor, row)


@dataclass(frozen=True)
class OpenSession:
    """A session the student left without ending it (a reload, a closed tab)."""

    session_id: str
    mode: str
    section: str
    sub_type: str
    answered: int
    correct: int
    question: QuestionView | None  # None: nothing more to ask (a finished tryout)


def open_session(*, actor: CurrentUser) -> OpenSession | None:
    """The student's newest session if it is still open and not idle past the limit,
    with the item on screen (or the next one): a reload picks up where it stopped."""
    _require_student(actor)
    with unit_of_work() as session:
        newest = study_repo.list_user_study_sessions(session=session, user_id=actor.id, limit=1)
        if not newest:
            return None
        row = newest[0]
        if row.ended_at is not None or utcnow() - row.updated_at > SESSION_IDLE_LIMIT:
            return None
        return OpenSession(
            session_id=row.id,
            mode=row.mode,
            section=row.section or "",
            sub_type=row.sub_type or "",
            answered=row.questions_attempted,
            correct=row.questions_correct,
            question=_current(session, actor, row),
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
    a = question.discrimination or DEFAULT_A
    b = question.difficulty_irt if question.difficulty_irt is not None else 0.0
    c = question.guessing_param if question.guessing_param is not None else DEFAULT_C

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
    row.current_question_id = None
    row.current_served_at = None
    row.updated_at = now
    session.add(row)
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


def _may_review(session: Session, actor: CurrentUser, owner_id: int) -> bool:
    if actor.role == "admin" or owner_id == actor.id:
        return True
    if actor.role != "guru":
        return False
    owner = user_repo.get_user(session=session, user_id=owner_id)
    classes = user_repo.list_teacher_classes(session=session, teacher_id=actor.id)
    return owner is not None and owner.class_name is not None and owner.class_name in classes


def session_review(*, actor: CurrentUser, session_id: str) -> SessionReview:
    """The session-statistics query and its per-item breakdown; students see their own,
    teachers their classes' students', admins any."""
    with unit_of_work() as session:
        row = study_repo.get_study_session(session=session, session_id=session_id)
        if row is None or not _may_review(session, actor, row.user_id):
            # The same answer as a missing session: an id is no hint that it exists.
            raise NotFound("Sesi latihan tidak ditemukan.")
        stats = attempt_repo.get_session_statistics(
            session=session, user_id=row.user_id, session_id=row.id
        )
        items = {
            i.attempt_id: i
            for i in attempt_repo.list_session_items(session=session, session_id=row.id)
        }
        texts: dict[int, str] = {}
        rows: list[ReviewRow] = []
        for section_stats in stats:
            for b in section_stats.question_breakdown:
                if b.question_id not in texts:
                    q = question_repo.get_question(
                        session=session, question_id=b.question_id, include_deleted=True
                    )
                    texts[b.question_id] = q.text if q else ""
                item = items.get(b.attempt_id)
                rows.append(
                    ReviewRow(
                        position=b.attempt_number or 0,
                        question_id=b.question_id,
                        sub_type=(item.sub_type if item else None) or "",
                        text=texts[b.question_id],
                        selected=b.user_answer,
                        correct_answer=b.correct_answer,
                        is_correct=b.is_correct,
                        time_spent_seconds=b.time_spent_seconds,
                    )
                )
        total = sum(s.total_questions for s in stats)
        correct = sum(s.correct_count for s in stats)
        times = [r.time_spent_seconds for r in rows]
        review = SessionReview(
            session_id=row.id,
            section=row.section or "",
            mode=row.mode,
            started_at=row.started_at,
            ended_at=row.ended_at,
            total=total,
            correct=correct,
            accuracy_percentage=round(100.0 * correct / total, 2) if total else 0.0,
            avg_time_seconds=round(sum(times) / len(times), 1) if times else 0.0,
            min_time_seconds=min(times) if times else 0,
            max_time_seconds=max(times) if times else 0,
            rows=sorted(rows, key=lambda r: r.position),
        )
        if row.mode == "tryout" and items:
            theta, se = _tryout_estimate(list(items.values()))
            low, high = readiness.predicted_range(theta, se)
            review = replace(review, score=_score(theta), predicted_low=low, predicted_high=high)
        return review
