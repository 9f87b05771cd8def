"""Guru and admin manage the school-subject practice questions: list them per subject, topic
and difficulty, create, edit, delete, and import a CSV with the CLI's line-numbered rules
(`nexus practice-questions import`, services/school_practice.py).

There is no subject-teacher link in the data model (a guru is linked to classes, not to
subjects), so every guru manages the questions of every subject, as an admin does.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.models import PracticeQuestion, Subject
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.repositories import practice_admin as admin_repo
from nexus_app.repositories import practice_questions as practice_repo
from nexus_app.services import school_practice
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied

STAFF = ("admin", "guru")
PAGE_SIZE = 20
# The difficulty filter: any, one band, or the questions without one.
NO_DIFFICULTY = "none"
DIFFICULTY_FILTERS = ("", "easy", "medium", "hard", NO_DIFFICULTY)
# Drafts are the local model's questions waiting for approval (services/practice_drafts.py).
STATUSES = ("draft", "approved")


@dataclass(frozen=True)
class SubjectChoice:
    id: int
    code: str
    name: str
    grade: int


@dataclass(frozen=True)
class PracticeQuestionView:
    id: int
    subject_id: int
    topic: str
    difficulty: str  # "easy" | "medium" | "hard" | "" (none given)
    question: str
    answer: str  # a letter for multiple choice, the model answer for an open question
    options: tuple[str, ...]  # () for an open question
    status: str = "approved"  # "draft": not served to students until approved

    @property
    def is_multiple_choice(self) -> bool:
        return bool(self.options)


@dataclass(frozen=True)
class PracticeQuestionPage:
    subject: SubjectChoice
    topics: tuple[str, ...]  # every topic of the subject, for the filter
    rows: tuple[PracticeQuestionView, ...]
    total: int
    page: int
    pages: int


def question_key(topic: str, question: str) -> tuple[str, str]:
    # The importer's duplicate key (school_practice._key): topic and text, ignoring case
    # and spacing.
    return topic.casefold(), " ".join(question.split()).casefold()


def _require_staff(actor: CurrentUser) -> None:
    if actor.role not in STAFF:
        raise PermissionDenied("Hanya guru dan admin yang dapat mengelola soal latihan.")


def _choice(subject: Subject) -> SubjectChoice:
    assert subject.id is not None
    return SubjectChoice(id=subject.id, code=subject.code, name=subject.name, grade=subject.grade)


def _view(q: PracticeQuestion) -> PracticeQuestionView:
    assert q.id is not None
    options: tuple[str, ...] = ()
    if q.options_json:
        options = tuple(str(o) for o in json.loads(q.options_json))
    return PracticeQuestionView(
        id=q.id,
        subject_id=q.subject_id,
        topic=q.topic,
        difficulty=q.difficulty or "",
        question=q.question,
        answer=q.answer,
        options=options,
        status=q.status,
    )


def _subject_or_404(session: Session, subject_id: int) -> Subject:
    subject = curriculum_repo.get_subject(session=session, subject_id=subject_id)
    if subject is None or subject.id is None:
        raise NotFound("Mata pelajaran tidak ditemukan.")
    return subject


def _question_or_404(session: Session, question_id: int) -> PracticeQuestion:
    q = practice_repo.get_practice_question(session=session, question_id=question_id)
    if q is None:
        raise NotFound("Soal latihan tidak ditemukan (mungkin sudah dihapus).")
    return q


def list_subjects(*, actor: CurrentUser) -> list[SubjectChoice]:
    _require_staff(actor)
    with unit_of_work() as session:
        return [_choice(s) for s in curriculum_repo.list_all_subjects(session=session)]


def list_questions(
    *,
    actor: CurrentUser,
    subject_id: int,
    topic: str = "",
    difficulty: str = "",
    status: str = "",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> PracticeQuestionPage:
    _require_staff(actor)
    if difficulty not in DIFFICULTY_FILTERS:
        raise InvalidInput("Tingkat kesulitan tidak dikenal.")
    if status and status not in STATUSES:
        raise InvalidInput("Status soal tidak dikenal.")
    band: str | None = (
        None if not difficulty else ("" if difficulty == NO_DIFFICULTY else difficulty)
    )
    page_size = max(1, min(page_size, 200))
    with unit_of_work() as session:
        subject = _subject_or_404(session, subject_id)
        page = max(1, page)

        def fetch(p: int) -> tuple[list[PracticeQuestion], int]:
            return admin_repo.list_subject_questions(
                session=session,
                subject_id=subject_id,
                topic=topic or None,
                difficulty=band,
                status=status or None,
                limit=page_size,
                offset=(p - 1) * page_size,
            )

        rows, total = fetch(page)
        pages = max(1, math.ceil(total / page_size))
        if page > pages:  # the last page emptied (questions deleted or filtered away)
            page = pages
            rows, total = fetch(page)
        return PracticeQuestionPage(
            subject=_choice(subject),
            topics=tuple(admin_repo.list_subject_topics(session=session, subject_id=subject_id)),
            rows=tuple(_view(q) for q in rows),
            total=total,
            page=page,
            pages=pages,
        )


def get_question(*, actor: CurrentUser, question_id: int) -> PracticeQuestionView:
    _require_staff(actor)
    with unit_of_work() as session:
        return _view(_question_or_404(session, question_id))


def save_question(
    *,
    actor: CurrentUser,
    subject_id: int,
    topic: str,
    question: str,
    answer: str,
    difficulty: str = "",
    options: tuple[str, ...] = (),
    question_id: int = 0,
) -> PracticeQuestionView:
    """Create (question_id 0) or edit one question with the CSV row's rules: the same
    validation and the same duplicate check (topic and text, ignoring case and spacing)."""
    _require_staff(actor)
    values: dict[str, str | None] = {
        "topic": topic,
        "question": question,
        "answer": answer,
        "difficulty": difficulty,
    }
    for column, text in zip(school_practice.OPTION_COLUMNS, options, strict=False):
        values[column] = text
    try:
        clean = school_practice.validate_row(values)
    except ValueError as exc:
        raise InvalidInput(f"Soal belum bisa disimpan: {exc}.") from exc
    key = question_key(clean.topic, clean.question)
    with unit_of_work() as session:
        subject = _subject_or_404(session, subject_id)
        assert subject.id is not None
        row = _question_or_404(session, question_id) if question_id else None
        others = [
            question_key(t, q)
            for t, q in practice_repo.list_practice_question_texts(
                session=session, subject_id=subject.id
            )
        ]
        if row is not None and row.subject_id == subject.id:
            others.remove(question_key(row.topic, row.question))
        if key in others:
            raise InvalidInput("Soal yang sama (topik dan teks) sudah ada di mata pelajaran ini.")
        options_json = (
            json.dumps(list(clean.options), ensure_ascii=False) if clean.options else None
        )
        if row is None:
            row = practice_repo.create_practice_question(
                session=session,
                subject_id=subject.id,
                topic=clean.topic,
                question=clean.question,
                answer=clean.answer,
                difficulty=clean.difficulty,
                options_json=options_json,
            )
        else:
            row.subject_id = subject.id
            row.topic, row.question, row.answer = clean.topic, clean.question, clean.answer
            row.difficulty, row.options_json = clean.difficulty, options_json
            session.add(row)
            session.flush()
        return _view(row)


def delete_question(*, actor: CurrentUser, question_id: int) -> None:
    """Deleted for good: no answer row points at a practice question (the students' counts
    live in topic_mastery, which keeps them)."""
    _require_staff(actor)
    with unit_of_work() as session:
        admin_repo.delete_practice_question(
            session=session, question=_question_or_404(session, question_id)
        )


def import_csv(
    *, actor: CurrentUser, subject_id: int, data: bytes, skip_invalid: bool
) -> school_practice.ImportReport:
    """The CLI importer's rules, into the subject chosen on the page."""
    _require_staff(actor)
    with unit_of_work() as session:
        code = _subject_or_404(session, subject_id).code
    return school_practice.import_practice_questions(
        data=data, subject_code=code, skip_invalid=skip_invalid
    )
