"""Subjects and books: the OpenClass seed's "Curriculum Management" queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select, update

from nexus_app.models import Book, Subject


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
        select(
            Book.id,
            Book.title,
            Book.filename,
            Book.vkp_version,
            Book.chunk_count,
            Subject.name,
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
