"""Sessions and items: start a session, choose and serve the next question."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import cat
from nexus_app.engine.irt import DEFAULT_A, DEFAULT_C
from nexus_app.models import Question, UserStudySession, utcnow
from nexus_app.models.bank import ANSWER_LETTERS
from nexus_app.repositories import attempts as attempt_repo
from nexus_app.repositories import exposure as exposure_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import study_sessions as study_repo
from nexus_app.services import billing, review_queue
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound

from .views import (
    MAX_EXPOSURE_RATE,
    MODES,
    PRACTICE_NOMINAL_LENGTH,
    SESSION_IDLE_LIMIT,
    TRYOUT_SE_TARGET,
    QuestionView,
    _require_student,
    _rng,
    _score,
    _section_belief,
    _tryout_estimate,
)

# --- sessions and items ----------------------------------------------------------------


def _load_session(session: Session, actor: CurrentUser, session_id: str) -> UserStudySession:
    # The same round trip brings the User, tier and section readiness rows into the
    # identity map: the quota check and the section belief then read them without SQL.
    row = study_repo.load_session_context(session=session, session_id=session_id, user_id=actor.id)
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


def _serve_next(
    session: Session, actor: CurrentUser, row: UserStudySession, *, counted: bool = True
) -> QuestionView | None:
    """Pick, remember and return the next item; None when a tryout is complete or the
    pool is exhausted. `counted`: the section's examinee count includes this session
    already (false only while start_session serves the first item)."""
    assert row.section is not None
    items = attempt_repo.list_session_items(session=session, session_id=row.id)
    if row.mode == "tryout":
        theta, se = _tryout_estimate(items)
        length = _section_item_count(session, row.section)
        if cat.should_stop(se, len(items), se_target=TRYOUT_SE_TARGET, max_items=length):
            return None
    else:
        theta, se = _section_belief(session, actor.id, row.section)
        length = PRACTICE_NOMINAL_LENGTH
    # Serving is what the tier's daily quota counts (answered plus on-screen questions);
    # checked before item selection, so a student over the limit costs no CAT work.
    billing.enforce_daily_limit(session, actor=actor, kind="practice")
    if row.mode == "practice" and not row.sub_type:
        # Practice from mistakes: items due for review come first, then adaptive choice.
        due_id = review_queue.due_in_section(
            session,
            user_id=actor.id,
            section=row.section,
            now=utcnow(),
            exclude=[i.question_id for i in items],
        )
        due = question_repo.get_question(session=session, question_id=due_id) if due_id else None
        if due is not None and due.id is not None:
            row.current_question_id = due.id
            row.current_served_at = utcnow()
            session.add(row)
            session.flush()
            return _item_view(row, due, len(items) + 1, theta)
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
        exposure=_exposure_control(session, row.section, candidates, counted=counted),
        position=len(items) + 1,
        length=length,
        se=se,
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
    session: Session,
    section: str,
    candidates: list[question_repo.CatCandidate],
    *,
    counted: bool,
) -> cat.ExposureControl:
    """The section's stored counts, lined up with the candidate list."""
    # The engine's cap test counts the current examinee itself, so a stored count that
    # includes this session already leaves it out.
    stored = exposure_repo.get_section_examinees(session=session, section=section)
    examinees = max(stored - 1, 0) if counted else stored
    control = cat.ExposureControl(len(candidates), MAX_EXPOSURE_RATE, _rng, examinees=examinees)
    # Items far under the cap are allowed and cost (next to) nothing, so only items shown
    # at least this often can change the pick; the rest read as 0.
    shown = exposure_repo.get_section_item_counts(
        session=session, section=section, min_count=control.relevant_count()
    )
    control.load([shown.get(c.question_id, 0) for c in candidates], examinees)
    return control


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
        view = _serve_next(session, actor, row, counted=False)
        if view is None:
            raise InvalidInput(
                "Semua soal untuk pilihan ini sudah kamu kerjakan dalam 7 hari terakhir. "
                "Coba topik atau subtes lain."
            )
        # Last, right before the commit: every start in the section updates this one row,
        # which stays locked until the transaction ends (issue 16: a class starting at once
        # queued behind each other's item selection).
        exposure_repo.count_section_examinee(session=session, section=section)
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
