"""Topic mastery from practice answers and tutor questions, and weak-area detection.

Practice answers update the (student, UTBK section, sub_type) row with the engine's
mastery model; tutor questions nudge the (student, subject, topic) row. Weak areas are
detected by the seed's rules (engine.weakness) for one student after a session ends, and
for everyone by the daily job; a topic that recovers is resolved, never deleted, so
teachers keep the history.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import mastery as mastery_engine
from nexus_app.engine import weakness
from nexus_app.models import TopicMastery, utcnow
from nexus_app.repositories import chat as chat_repo
from nexus_app.repositories import mastery as mastery_repo
from nexus_app.repositories import practice_questions as practice_repo
from nexus_app.repositories import weak_areas as weak_repo

NO_TOPIC = "umum"


def _state(row: TopicMastery | None) -> mastery_engine.MasteryState | None:
    if row is None:
        return None
    return mastery_engine.MasteryState(
        mastery_level=min(max(row.mastery_level, 0.0), 1.0),
        question_count=row.question_count,
        correct_count=min(row.correct_count, row.question_count),
        last_interaction=row.last_interaction,
    )


def apply_practice_answer(
    session: Session,
    *,
    user_id: int,
    section: str,
    topic: str | None,
    correct: bool,
    a: float,
    b: float,
    c: float,
    when: datetime,
    prior_theta: float | None = None,
) -> float:
    """Fold one scored answer into the topic's mastery (inside the caller's transaction)."""
    topic = topic or NO_TOPIC
    row = mastery_repo.get_topic_mastery(
        session=session, user_id=user_id, topic=topic, section=section
    )
    new = mastery_engine.update_mastery(
        _state(row), correct, b, a, c, when, prior_theta=prior_theta
    )
    mastery_repo.upsert_topic_mastery(
        session=session,
        user_id=user_id,
        topic=topic,
        section=section,
        mastery_level=new.mastery_level,
        questions_answered=1,
        correct_answers=1 if correct else 0,
        now=when,
    )
    return new.mastery_level


def apply_tutor_question(
    session: Session,
    *,
    user_id: int,
    subject_id: int,
    topic: str,
    question: str,
    when: datetime,
) -> float:
    """Nudge a school-subject topic's mastery after a tutor question (seed's chat signals)."""
    row = mastery_repo.get_topic_mastery(
        session=session, user_id=user_id, topic=topic, subject_id=subject_id
    )
    earlier = chat_repo.list_topic_questions(
        session=session, user_id=user_id, topic=topic, subject_id=subject_id
    )
    previous = earlier[-1].created_at if earlier else None
    new = mastery_engine.chat_signal_update(
        _state(row), question_complexity(question), when, previous_question_at=previous
    )
    mastery_repo.upsert_topic_mastery(
        session=session,
        user_id=user_id,
        topic=topic,
        subject_id=subject_id,
        mastery_level=new.mastery_level,
        questions_answered=0,
        correct_answers=0,
        now=when,
    )
    return new.mastery_level


def question_complexity(question: str) -> float:
    """A rough 0..1 complexity of a tutor question: longer, multi-part, "why/how" questions
    score higher than one-word "apa itu …?" lookups. Deliberately simple and documented in
    docs/mastery.md; it only feeds the seed's weak-area rules."""
    text = question.lower()
    words = len(text.split())
    score = min(words / 30.0, 0.6)
    if any(w in text for w in ("mengapa", "kenapa", "bagaimana", "buktikan", "bandingkan")):
        score += 0.25
    if any(ch.isdigit() for ch in text):
        score += 0.15
    return min(score, 1.0)


# (subject_id, topic) -> the student's tutor questions on it, oldest first.
_TopicQuestions = dict[tuple[int, str], list[weakness.TutorQuestion]]


def _evidence(
    session: Session, row: TopicMastery, questions_by_topic: _TopicQuestions | None = None
) -> weakness.TopicEvidence:
    questions: tuple[weakness.TutorQuestion, ...] = ()
    if row.subject_id is not None and questions_by_topic is not None:
        questions = tuple(questions_by_topic.get((row.subject_id, row.topic), ()))
    elif row.subject_id is not None:
        questions = tuple(
            weakness.TutorQuestion(
                asked_at=q.created_at, complexity=question_complexity(q.question)
            )
            for q in chat_repo.list_topic_questions(
                session=session, user_id=row.user_id, topic=row.topic, subject_id=row.subject_id
            )
        )
    return weakness.TopicEvidence(
        topic=row.topic,
        mastery_level=min(max(row.mastery_level, 0.0), 1.0),
        answer_count=row.question_count,
        questions=questions,
    )


def detect_for_user(session: Session, user_id: int, now: datetime | None = None) -> int:
    """Open (or refresh) weak areas for a student's weak topics and resolve the recovered
    ones; returns how many are open afterwards.

    The same rules and writes as `detect_for_topic` on every topic row, read and written
    in bulk: the tutor questions of all school topics in one query, the open weak areas in
    one, then one batch of changes (a school student has ~96 topics: this was ~200 queries).
    """
    now = now or utcnow()
    rows = mastery_repo.list_topic_mastery(session=session, user_id=user_id)
    counts = _PracticeCounts(session)
    questions: _TopicQuestions = {}
    if any(row.subject_id is not None for row in rows):
        for q in chat_repo.list_subject_topic_questions(session=session, user_id=user_id):
            questions.setdefault((q.subject_id, q.topic), []).append(
                weakness.TutorQuestion(
                    asked_at=q.created_at, complexity=question_complexity(q.question)
                )
            )
    open_rows = weak_repo.list_open_weak_areas(session=session, user_id=user_id)
    open_keys = {(w.topic, w.subject_id, w.section) for w in open_rows}
    weak: dict[weak_repo.WeakAreaKey, tuple[float, str]] = {}
    recovered: list[weak_repo.WeakAreaKey] = []
    for row in rows:
        verdict = weakness.detect_weak_areas([_evidence(session, row, questions)], now)
        key = (row.topic, row.subject_id, row.section if row.subject_id is None else None)
        if verdict:
            weak[key] = (verdict[0].weakness_score, _recommendation(verdict[0], row, counts))
        elif key in open_keys:
            recovered.append(key)
    weak_repo.apply_weak_area_changes(
        session=session,
        user_id=user_id,
        open_rows=open_rows,
        weak=weak,
        recovered=recovered,
        now=now,
    )
    return len(weak)


class _PracticeCounts:
    """(subject_id, topic) -> practice questions, read once and only if a school-subject
    topic turns out weak."""

    def __init__(self, session: Session, subject_id: int | None = None) -> None:
        self._session = session
        self._subject_id = subject_id
        self._counts: dict[tuple[int, str], int] | None = None

    def get(self, subject_id: int, topic: str) -> int:
        if self._counts is None:
            self._counts = {
                (r.subject_id, r.topic): r.question_count
                for r in practice_repo.list_practice_topics(
                    session=self._session, subject_id=self._subject_id
                )
            }
        return self._counts.get((subject_id, topic), 0)


def detect_for_topic(
    session: Session,
    row: TopicMastery,
    now: datetime | None = None,
    practice_counts: _PracticeCounts | None = None,
) -> bool:
    """The weak-area rules for one topic row: open/refresh or resolve its weak area.
    Returns whether it is weak. A school practice answer calls this for the answered topic
    alone, so an answer costs the same however many topics the student has."""
    now = now or utcnow()
    verdict = weakness.detect_weak_areas([_evidence(session, row)], now)
    section = row.section if row.subject_id is None else None
    if not verdict:
        weak_repo.resolve_weak_areas(
            session=session,
            user_id=row.user_id,
            topic=row.topic,
            subject_id=row.subject_id,
            section=section,
            now=now,
        )
        return False
    recommendation = _recommendation(
        verdict[0], row, practice_counts or _PracticeCounts(session, row.subject_id)
    )
    weak_repo.record_weak_area(
        session=session,
        user_id=row.user_id,
        topic=row.topic,
        subject_id=row.subject_id,
        section=section,
        weakness_score=verdict[0].weakness_score,
        recommended_practice=recommendation,
    )
    return True


def _recommendation(
    verdict: weakness.WeakAreaAssessment, row: TopicMastery, counts: _PracticeCounts
) -> str:
    recommendation = verdict.recommended_practice
    if row.subject_id is not None:
        count = counts.get(row.subject_id, row.topic)
        if count:
            # The school practice bank has questions on it: say where to find them.
            recommendation += f" Ada {count} soal latihan topik ini di menu Latihan mata pelajaran."
    return recommendation


def detect_all_weak_areas() -> int:
    """The daily job: every student with mastery data, one transaction each."""
    with unit_of_work() as session:
        users = mastery_repo.list_users_with_mastery(session=session)
    total = 0
    for user_id in users:
        with unit_of_work() as session:
            total += detect_for_user(session, user_id)
    return total
