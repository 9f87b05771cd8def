"""The demo school: one admin, two teachers, 30 students in two classes, subjects, a bank."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nexus_app.db import unit_of_work
from nexus_app.models import utcnow
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services import auth
from nexus_app.services.bank_import import import_bank
from nexus_app.services.demo_history import complete_demo_onboarding, seed_student_history
from nexus_app.services.school_practice import import_practice_questions

DATA_DIR = Path(__file__).resolve().parent.parent / "demo" / "data"
DEMO_BANK = "Bank Demo UTBK"
CLASSES = ("XII IPA 1", "XII IPA 2")
SUBJECTS = [
    (10, "Matematika", "MAT_10"),
    (10, "Informatika", "INF_10"),
    (11, "Matematika", "MAT_11"),
    (11, "Informatika", "INF_11"),
    (12, "Matematika", "MAT_12"),
    (12, "Informatika", "INF_12"),
]
STUDENT_NAMES = [
    "Ahmad Rizki",
    "Siti Nurhaliza",
    "Budi Santoso",
    "Dewi Lestari",
    "Rina Wulandari",
    "Agus Pratama",
    "Putri Ayu",
    "Fajar Nugroho",
    "Intan Permata",
    "Yoga Saputra",
    "Nabila Zahra",
    "Dimas Aditya",
    "Salsabila Putri",
    "Rafi Hidayat",
    "Citra Maharani",
    "Bayu Firmansyah",
    "Anisa Rahma",
    "Hendra Wijaya",
    "Maya Sari",
    "Galih Ramadhan",
    "Lestari Ningsih",
    "Arif Setiawan",
    "Kirana Dewi",
    "Reza Mahendra",
    "Tiara Anggraini",
    "Eko Prasetyo",
    "Wulan Safitri",
    "Ilham Maulana",
    "Zaskia Aulia",
    "Taufik Hakim",
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    full_name: str


DEMO_ADMIN = DemoLogin("admin", "nexus-admin-2026", "admin", "Admin Sekolah")
DEMO_TEACHERS = (
    DemoLogin("guru_matematika", "nexus-guru-2026", "guru", "Ibu Siti Rahayu"),
    DemoLogin("guru_bahasa", "nexus-guru-2026", "guru", "Bapak Hendra Gunawan"),
)
STUDENT_PASSWORD = "nexus-siswa-2026"
# The maths teacher teaches both classes; the language teacher only the second.
TEACHER_CLASSES = {"guru_matematika": CLASSES, "guru_bahasa": (CLASSES[1],)}
# The last two students are brand new: they show the onboarding a real student first sees.
NEW_STUDENTS = ("siswa29", "siswa30")


def demo_students() -> list[tuple[DemoLogin, str]]:
    return [
        (
            DemoLogin(f"siswa{i:02d}", STUDENT_PASSWORD, "siswa", name),
            CLASSES[(i - 1) // 15],
        )
        for i, name in enumerate(STUDENT_NAMES, start=1)
    ]


@dataclass
class SeedResult:
    users_created: int
    subjects_created: int
    questions_imported: int
    logins: list[DemoLogin]
    attempts_created: int = 0
    books_ingested: int = 0
    practice_questions_imported: int = 0


def seed_demo(*, with_books: bool = True) -> SeedResult:
    """Idempotent: running it twice leaves one copy of everything."""
    users_created = 0
    for login, class_name in [
        (DEMO_ADMIN, None),
        *((t, None) for t in DEMO_TEACHERS),
        *demo_students(),
    ]:
        with unit_of_work() as session:
            exists = user_repo.username_exists(session=session, username=login.username)
        if exists:
            continue
        auth.create_user(
            username=login.username,
            password=login.password,
            role=login.role,
            full_name=login.full_name,
            class_name=class_name,
            grade=12 if login.role == "siswa" else None,
        )
        users_created += 1

    subjects_created = 0
    with unit_of_work() as session:
        have = curriculum_repo.list_subject_codes(session=session)
        for grade, name, code in SUBJECTS:
            if code not in have:
                curriculum_repo.create_subject(session=session, grade=grade, name=name, code=code)
                subjects_created += 1

    questions_imported = 0
    with unit_of_work() as session:
        bank_exists = question_repo.get_question_bank_by_name(session=session, name=DEMO_BANK)
    questions_file = DATA_DIR / "questions.json"
    if not bank_exists and questions_file.exists():
        report = import_bank(
            filename=questions_file.name,
            data=questions_file.read_bytes(),
            bank_name=DEMO_BANK,
            mark_reviewed_by=[t.full_name for t in DEMO_TEACHERS],
        )
        if not report.ok:
            raise RuntimeError(f"demo bank invalid: {'; '.join(map(str, report.errors[:3]))}")
        questions_imported = report.imported

    with unit_of_work() as session:
        for teacher, classes in TEACHER_CLASSES.items():
            user = user_repo.get_user_by_username(session=session, username=teacher)
            if user is None or user.id is None:
                continue
            for class_name in classes:
                user_repo.assign_class(session=session, teacher_id=user.id, class_name=class_name)
    attempts_created = _seed_histories()
    practice_imported = _seed_practice_questions()
    books_ingested = _seed_books() if with_books else 0
    logins = [DEMO_ADMIN, *DEMO_TEACHERS, *(s for s, _ in demo_students())]
    return SeedResult(
        users_created,
        subjects_created,
        questions_imported,
        logins,
        attempts_created,
        books_ingested,
        practice_imported,
    )


def _seed_practice_questions() -> int:
    """School-subject practice questions per subject (data/practice/<CODE>.csv). Questions
    already there are skipped by the importer's duplicate check, so a second run adds none."""
    imported = 0
    for path in sorted((DATA_DIR / "practice").glob("*.csv")):
        report = import_practice_questions(
            data=path.read_bytes(), subject_code=path.stem, skip_invalid=True
        )
        fresh = [e for e in report.errors if "sudah ada" not in e.reason]
        if fresh:
            raise RuntimeError(f"demo practice questions invalid: {fresh[0]}")
        imported += report.imported
    return imported


DEMO_BOOKS = (
    ("MAT_10", "Matematika Kelas 10", "matematika-10.md"),
    ("INF_10", "Informatika Kelas 10", "informatika-10.md"),
)


def _seed_books() -> int:
    """Ingest the demo textbooks (original text written for Nexus); unchanged ones are kept."""
    from nexus_app.services.books import ingest_book

    created = 0
    for subject, title, filename in DEMO_BOOKS:
        result = ingest_book(path=DATA_DIR / "books" / filename, subject_code=subject, title=title)
        created += int(result.created)
    return created


def _seed_histories() -> int:
    """Onboard the demo students and give them three weeks of practice, once."""
    written = 0
    now = utcnow()
    for index, (login, _class_name) in enumerate(demo_students(), start=1):
        if login.username in NEW_STUDENTS:
            continue
        with unit_of_work() as session:
            user = user_repo.get_user_by_username(session=session, username=login.username)
            if user is None or user.id is None or user.onboarding_completed:
                continue
            rng = np.random.default_rng(index)  # the same demo school on every machine
            complete_demo_onboarding(session, user.id, rng, now.date())
            written += seed_student_history(session, user.id, rng, now)
    return written
