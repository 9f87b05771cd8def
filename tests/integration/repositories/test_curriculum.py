"""Curriculum queries (OpenClass "Curriculum Management") on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from nexus_app.repositories import curriculum

from . import factories as f


def test_create_and_get_subject(session: Session) -> None:
    created = curriculum.create_subject(session=session, grade=10, name="Matematika", code="MAT_10")
    assert created.id is not None
    assert curriculum.get_subject(session=session, subject_id=created.id) is created
    found = curriculum.get_subject_by_code(session=session, code="MAT_10")
    assert found is not None and found.id == created.id
    assert curriculum.get_subject_by_code(session=session, code="FIS_10") is None


def test_subject_code_is_unique(session: Session) -> None:
    curriculum.create_subject(session=session, grade=10, name="Matematika", code="MAT_10")
    with pytest.raises(sa.exc.IntegrityError):
        curriculum.create_subject(session=session, grade=11, name="Matematika", code="MAT_10")


def test_list_subjects_for_grade_filters_grade_and_orders_by_name(session: Session) -> None:
    f.subject(session, "MAT_10", name="Matematika")
    f.subject(session, "BIO_10", name="Biologi")
    f.subject(session, "FIS_10", name="Fisika")
    f.subject(session, "MAT_11", name="Aljabar", grade=11)
    names = [s.name for s in curriculum.list_subjects_for_grade(session=session, grade=10)]
    assert names == ["Biologi", "Fisika", "Matematika"]


def test_create_and_get_book(session: Session) -> None:
    mat = f.subject(session, "MAT_10")
    book = curriculum.create_book(
        session=session, subject_id=mat.id, title="Matematika Kelas 10", filename="mat10.pdf"
    )
    assert book.id is not None and book.chunk_count == 0 and book.vkp_version is None
    found = curriculum.get_book(session=session, subject_id=mat.id, title="Matematika Kelas 10")
    assert found is not None and found.id == book.id
    assert curriculum.get_book(session=session, subject_id=mat.id, title="Lain") is None


def test_list_books_for_subject_code_joins_subject_name(session: Session) -> None:
    mat = f.subject(session, "MAT_10", name="Matematika")
    fis = f.subject(session, "FIS_10", name="Fisika")
    curriculum.create_book(
        session=session, subject_id=mat.id, title="Semester 2", vkp_version="1.0.0"
    )
    curriculum.create_book(
        session=session, subject_id=mat.id, title="Semester 1", vkp_version="1.2.0", chunk_count=7
    )
    curriculum.create_book(session=session, subject_id=fis.id, title="Fisika 10")
    rows = curriculum.list_books_for_subject_code(session=session, subject_code="MAT_10")
    assert [(r.title, r.vkp_version, r.chunk_count, r.subject_name) for r in rows] == [
        ("Semester 1", "1.2.0", 7, "Matematika"),
        ("Semester 2", "1.0.0", 0, "Matematika"),
    ]
    assert curriculum.list_books_for_subject_code(session=session, subject_code="NOPE") == []


def test_update_book_vkp_touches_only_the_named_book(session: Session) -> None:
    mat = f.subject(session, "MAT_10")
    target = curriculum.create_book(session=session, subject_id=mat.id, title="Semester 1")
    other = curriculum.create_book(session=session, subject_id=mat.id, title="Semester 2")
    assert curriculum.update_book_vkp(
        session=session, subject_id=mat.id, title="Semester 1", vkp_version="1.3.0", chunk_count=520
    )
    session.expire_all()
    assert (target.vkp_version, target.chunk_count) == ("1.3.0", 520)
    assert (other.vkp_version, other.chunk_count) == (None, 0)
    assert not curriculum.update_book_vkp(
        session=session, subject_id=mat.id, title="Missing", vkp_version="2.0.0", chunk_count=1
    )
