"""Subjects and books: the OpenClass seed's "Curriculum Management" queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Mapped
from sqlmodel import Session, SQLModel, col, delete, func, select, update

from nexus_app.models import (
    Book,
    ChatHistory,
    PracticeQuestion,
    Subject,
    TopicMastery,
    WeakArea,
)
from nexus_app.repositories._sql import select_columns


@dataclass(frozen=True, slots=True)
class BookWithSubject:
    """One row of "Get books for a subject with VKP version"."""

    book_id: int
    title: str
    filename: str | None
    vkp_version: str | None
    chunk_count: int
    subject_name: str


def create_subject(*, session: Session, grade: int, name: str, code: str) -> Subject:
    subject = Subject(grade=grade, name=name, code=code)
    session.add(subject)
    session.flush()
    return subject


def get_subject(*, session: Session, subject_id: int) -> Subject | None:
    return session.get(Subject, subject_id)


def get_subject_by_code(*, session: Session, code: str) -> Subject | None:
    return session.exec(select(Subject).where(Subject.code == code)).first()


def list_subjects_for_grade(*, session: Session, grade: int) -> list[Subject]:
    """Seed query "Get all subjects for a grade" (ordered by name)."""
    return list(
        session.exec(
            select(Subject)
            .where(Subject.grade == grade)
            .order_by(col(Subject.name), col(Subject.id))
        ).all()
    )


def create_book(
    *,
    session: Session,
    subject_id: int,
    title: str,
    filename: str | None = None,
    vkp_version: str | None = None,
    chunk_count: int = 0,
) -> Book:
    book = Book(
        subject_id=subject_id,
        title=title,
        filename=filename,
        vkp_version=vkp_version,
        chunk_count=chunk_count,
    )
    session.add(book)
    session.flush()
    return book


def get_book(*, session: Session, subject_id: int, title: str) -> Book | None:
    """A book by its natural key (a subject never has two books with one title)."""
    return session.exec(
        select(Book).where(Book.subject_id == subject_id, Book.title == title)
    ).first()


def list_books_for_subject_code(*, session: Session, subject_code: str) -> list[BookWithSubject]:
    """Seed query "Get books for a subject with VKP version"."""
    rows = session.exec(
        select_columns(
            col(Book.id),
            col(Book.title),
            col(Book.filename),
            col(Book.vkp_version),
            col(Book.chunk_count),
            col(Subject.name),
        )
        .join(Subject, col(Subject.id) == col(Book.subject_id))
        .where(Subject.code == subject_code)
        # The seed has no ORDER BY; a stable order keeps the admin page from reshuffling.
        .order_by(col(Book.title), col(Book.id))
    ).all()
    return [
        BookWithSubject(
            book_id=int(book_id),
            title=title,
            filename=filename,
            vkp_version=vkp_version,
            chunk_count=chunk_count,
            subject_name=subject_name,
        )
        for book_id, title, filename, vkp_version, chunk_count, subject_name in rows
    ]


def update_book_vkp(
    *, session: Session, subject_id: int, title: str, vkp_version: str, chunk_count: int
) -> bool:
    """Seed query "Update VKP version after curriculum update"; False when no such book."""
    result = session.exec(
        update(Book)
        .where(col(Book.subject_id) == subject_id, col(Book.title) == title)
        .values(vkp_version=vkp_version, chunk_count=chunk_count)
    )
    return bool(result.rowcount)


def list_all_subjects(*, session: Session) -> list[Subject]:
    return list(session.exec(select(Subject).order_by(col(Subject.grade), col(Subject.name))).all())


def list_subject_codes(*, session: Session) -> set[str]:
    return set(session.exec(select(Subject.code)).all())


# --- admin: subjects with what hangs off them, and books across subjects ----------------------


@dataclass(frozen=True, slots=True)
class SubjectDependents:
    """Rows that point at one subject, per table (see the FK rules in models/tutor.py)."""

    books: int
    chat_history: int  # ON DELETE SET NULL: kept, only unlinked from the subject
    topic_mastery: int
    weak_areas: int
    practice_questions: int

    @property
    def total(self) -> int:
        return (
            self.books
            + self.chat_history
            + self.topic_mastery
            + self.weak_areas
            + self.practice_questions
        )


@dataclass(frozen=True, slots=True)
class SubjectRow:
    id: int
    grade: int
    name: str
    code: str
    book_count: int


@dataclass(frozen=True, slots=True)
class BookRow:
    """One book with its subject, for the admin's book list."""

    book_id: int
    title: str
    filename: str | None
    vkp_version: str | None
    chunk_count: int
    subject_id: int
    subject_code: str
    subject_name: str
    grade: int


def _count(session: Session, model: type[SQLModel], column: Mapped[Any], subject_id: int) -> int:
    return int(
        session.exec(select(func.count()).select_from(model).where(column == subject_id)).one()
    )


def count_subject_dependents(*, session: Session, subject_id: int) -> SubjectDependents:
    return SubjectDependents(
        books=_count(session, Book, col(Book.subject_id), subject_id),
        chat_history=_count(session, ChatHistory, col(ChatHistory.subject_id), subject_id),
        topic_mastery=_count(session, TopicMastery, col(TopicMastery.subject_id), subject_id),
        weak_areas=_count(session, WeakArea, col(WeakArea.subject_id), subject_id),
        practice_questions=_count(
            session, PracticeQuestion, col(PracticeQuestion.subject_id), subject_id
        ),
    )


def delete_subject_cascade(*, session: Session, subject_id: int) -> SubjectDependents:
    """Delete a subject and its rows explicitly (not by trusting the engine's ON DELETE), so
    the counts returned are exactly what was removed; chat history is kept, unlinked."""
    removed = count_subject_dependents(session=session, subject_id=subject_id)
    session.exec(
        update(ChatHistory).where(col(ChatHistory.subject_id) == subject_id).values(subject_id=None)
    )
    owned: list[tuple[type[SQLModel], Mapped[Any]]] = [
        (TopicMastery, col(TopicMastery.subject_id)),
        (WeakArea, col(WeakArea.subject_id)),
        (PracticeQuestion, col(PracticeQuestion.subject_id)),
        (Book, col(Book.subject_id)),
    ]
    for model, column in owned:
        session.exec(delete(model).where(column == subject_id))
    session.exec(delete(Subject).where(col(Subject.id) == subject_id))
    session.flush()
    return removed


def update_subject(
    *, session: Session, subject_id: int, grade: int, name: str, code: str
) -> Subject | None:
    subject = session.get(Subject, subject_id)
    if subject is None:
        return None
    subject.grade = grade
    subject.name = name
    subject.code = code
    session.add(subject)
    session.flush()
    return subject


def list_subjects_with_book_counts(
    *, session: Session, grade: int | None = None
) -> list[SubjectRow]:
    book_count = (
        select(func.count())
        .select_from(Book)
        .where(col(Book.subject_id) == col(Subject.id))
        .scalar_subquery()
    )
    query = select_columns(
        col(Subject.id), col(Subject.grade), col(Subject.name), col(Subject.code), book_count
    )
    if grade is not None:
        query = query.where(Subject.grade == grade)
    rows = session.exec(query.order_by(col(Subject.grade), col(Subject.name), col(Subject.id)))
    return [
        SubjectRow(id=int(i), grade=int(g), name=n, code=c, book_count=int(b))
        for i, g, n, c, b in rows.all()
    ]


def _book_rows_query() -> Any:
    return select_columns(
        col(Book.id),
        col(Book.title),
        col(Book.filename),
        col(Book.vkp_version),
        col(Book.chunk_count),
        col(Subject.id),
        col(Subject.code),
        col(Subject.name),
        col(Subject.grade),
    ).join(Subject, col(Subject.id) == col(Book.subject_id))


def _book_row(row: Any) -> BookRow:
    book_id, title, filename, version, chunks, subject_id, code, name, grade = row
    return BookRow(
        book_id=int(book_id),
        title=title,
        filename=filename,
        vkp_version=version,
        chunk_count=int(chunks),
        subject_id=int(subject_id),
        subject_code=code,
        subject_name=name,
        grade=int(grade),
    )


def list_books_with_subjects(*, session: Session) -> list[BookRow]:
    """Every book with its subject, by grade, subject code and title (the admin's list)."""
    query = _book_rows_query().order_by(
        col(Subject.grade), col(Subject.code), col(Book.title), col(Book.id)
    )
    return [_book_row(row) for row in session.exec(query).all()]


def get_book_row(*, session: Session, book_id: int) -> BookRow | None:
    row = session.exec(_book_rows_query().where(col(Book.id) == book_id)).first()
    return _book_row(row) if row is not None else None


def list_book_titles_for_subject(*, session: Session, subject_id: int) -> list[str]:
    return list(
        session.exec(
            select(Book.title).where(Book.subject_id == subject_id).order_by(col(Book.title))
        ).all()
    )


def delete_book(*, session: Session, book_id: int) -> bool:
    """Delete one book row (its package folder is the service's to remove)."""
    result = session.exec(delete(Book).where(col(Book.id) == book_id))
    session.flush()
    return bool(result.rowcount)
