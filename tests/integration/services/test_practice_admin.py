"""The practice questions' admin page services on both databases: gurus and admins list,
create, edit, delete and import (the CLI's line-numbered rules); students are refused."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from nexus_app.services import auth, practice_admin, school_practice, subjects
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied

CSV = (
    "topic,question,answer,difficulty,option_a,option_b,option_c,option_d,option_e\n"
    "Pecahan,Berapakah 1/2 + 1/4?,B,mudah,1/6,3/4,2/6,1/8,\n"
    "Pecahan,Sederhanakan 4/8.,1/2,sulit,,,,,\n"
    "Aljabar,Tentukan x jika 2x = 6.,3,,,,,,\n"
)


@pytest.fixture
def actors(engine: Engine) -> dict[str, CurrentUser]:
    return {
        role: auth.create_user(username=f"{role}1", password="kata-sandi-1", role=role)
        for role in ("admin", "guru", "siswa")
    }


@pytest.fixture
def subject_id(actors: dict[str, CurrentUser]) -> int:
    return subjects.admin_create_subject(
        actor=actors["admin"], grade=10, name="Matematika", code="MAT_10"
    ).id


def test_a_guru_imports_lists_and_filters(actors: dict[str, CurrentUser], subject_id: int) -> None:
    guru = actors["guru"]
    assert [s.code for s in practice_admin.list_subjects(actor=guru)] == ["MAT_10"]
    bad = CSV + "Pecahan,Kunci di luar pilihan,C,,satu,dua,,,\n"
    report = practice_admin.import_csv(
        actor=guru, subject_id=subject_id, data=bad.encode(), skip_invalid=False
    )
    assert report.imported == 0 and [e.line for e in report.errors] == [5]
    report = practice_admin.import_csv(
        actor=guru, subject_id=subject_id, data=bad.encode(), skip_invalid=True
    )
    assert (report.imported, report.skipped) == (3, 1)
    page = practice_admin.list_questions(actor=guru, subject_id=subject_id)
    assert page.total == 3 and page.topics == ("Aljabar", "Pecahan")
    assert [q.topic for q in page.rows] == ["Aljabar", "Pecahan", "Pecahan"]
    mcq = next(q for q in page.rows if q.options)
    assert mcq.options == ("1/6", "3/4", "2/6", "1/8") and mcq.answer == "B"
    assert (
        practice_admin.list_questions(actor=guru, subject_id=subject_id, topic="Pecahan").total == 2
    )
    hard = practice_admin.list_questions(actor=guru, subject_id=subject_id, difficulty="hard")
    assert [q.question for q in hard.rows] == ["Sederhanakan 4/8."]
    none = practice_admin.list_questions(actor=guru, subject_id=subject_id, difficulty="none")
    assert [q.topic for q in none.rows] == ["Aljabar"]
    paged = practice_admin.list_questions(actor=guru, subject_id=subject_id, page=9, page_size=2)
    assert (paged.page, paged.pages, len(paged.rows)) == (2, 2, 1)
    with pytest.raises(InvalidInput):
        practice_admin.list_questions(actor=guru, subject_id=subject_id, difficulty="gampang")
    with pytest.raises(NotFound):
        practice_admin.list_questions(actor=guru, subject_id=subject_id + 99)


def test_create_edit_and_delete_with_the_import_rules(
    actors: dict[str, CurrentUser], subject_id: int
) -> None:
    admin = actors["admin"]
    created = practice_admin.save_question(
        actor=admin,
        subject_id=subject_id,
        topic="Pecahan",
        question="Berapakah 1/3 + 1/3?",
        answer="a",
        difficulty="sedang",
        options=("2/3", "2/6", "", "", ""),
    )
    assert (created.answer, created.options, created.difficulty) == ("A", ("2/3", "2/6"), "medium")
    with pytest.raises(InvalidInput, match="sudah ada"):
        practice_admin.save_question(
            actor=admin,
            subject_id=subject_id,
            topic="pecahan",
            question="berapakah  1/3 + 1/3?",
            answer="Dua per tiga",
        )
    with pytest.raises(InvalidInput, match="huruf A, B"):
        practice_admin.save_question(
            actor=admin,
            subject_id=subject_id,
            topic="Pecahan",
            question="Kunci salah",
            answer="C",
            options=("satu", "dua"),
        )
    # Editing keeps its own text without tripping the duplicate check, and may become open.
    edited = practice_admin.save_question(
        actor=actors["guru"],
        question_id=created.id,
        subject_id=subject_id,
        topic="Pecahan",
        question="Berapakah 1/3 + 1/3?",
        answer="Dua per tiga",
        options=("", "", "", "", ""),
    )
    assert (edited.id, edited.options, edited.answer, edited.difficulty) == (
        created.id,
        (),
        "Dua per tiga",
        "",
    )
    assert practice_admin.get_question(actor=admin, question_id=created.id) == edited
    practice_admin.delete_question(actor=actors["guru"], question_id=created.id)
    with pytest.raises(NotFound):
        practice_admin.get_question(actor=admin, question_id=created.id)
    assert practice_admin.list_questions(actor=admin, subject_id=subject_id).total == 0


def test_students_are_refused_everywhere(actors: dict[str, CurrentUser], subject_id: int) -> None:
    siswa = actors["siswa"]
    calls = [
        lambda: practice_admin.list_subjects(actor=siswa),
        lambda: practice_admin.list_questions(actor=siswa, subject_id=subject_id),
        lambda: practice_admin.get_question(actor=siswa, question_id=1),
        lambda: practice_admin.save_question(
            actor=siswa, subject_id=subject_id, topic="a", question="b", answer="c"
        ),
        lambda: practice_admin.delete_question(actor=siswa, question_id=1),
        lambda: practice_admin.import_csv(
            actor=siswa, subject_id=subject_id, data=CSV.encode(), skip_invalid=False
        ),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert school_practice.csv_template().lstrip("\ufeff").startswith("topic,question,answer")
