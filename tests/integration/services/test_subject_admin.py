"""Admin subject management on both databases: CRUD, duplicate codes, and deleting a subject
with a summary of exactly what cascades (rows and knowledge-package files), in one step."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.services import auth, books, subjects
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied

BOOK = """# Biologi Sel

<!-- halaman 1 -->
## Bab 1 Sel

Sel adalah unit terkecil penyusun makhluk hidup. Membran sel mengatur keluar masuknya zat,
sedangkan inti sel menyimpan materi genetik berupa DNA.

<!-- halaman 2 -->
## Bab 2 Organel

Mitokondria menghasilkan energi melalui respirasi sel. Ribosom membuat protein, dan
kloroplas pada sel tumbuhan melakukan fotosintesis.
"""


@pytest.fixture
def actors(engine: Engine) -> dict[str, CurrentUser]:
    return {
        role: auth.create_user(username=f"{role}1", password="kata-sandi-1", role=role)
        for role in ("admin", "guru", "siswa")
    }


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar() or 0)


def test_create_list_by_grade_and_edit(engine: Engine, actors) -> None:
    admin = actors["admin"]
    bio = subjects.admin_create_subject(actor=admin, grade=10, name=" Biologi ", code="bio_10")
    assert (bio.code, bio.name, bio.grade) == ("BIO_10", "Biologi", 10)
    subjects.admin_create_subject(actor=admin, grade=11, name="Kimia", code="KIM_11")
    subjects.admin_create_subject(actor=admin, grade=12, name="Fisika", code="FIS_12")

    every = subjects.admin_list_subjects(actor=admin)
    assert [s.code for s in every] == ["BIO_10", "KIM_11", "FIS_12"]  # by grade
    assert [s.code for s in subjects.admin_list_subjects(actor=admin, grade=11)] == ["KIM_11"]
    assert all(s.book_count == 0 for s in every)

    edited = subjects.admin_update_subject(
        actor=admin, subject_id=bio.id, grade=11, name="Biologi Lanjut", code="bio_11"
    )
    assert (edited.id, edited.code, edited.grade, edited.name) == (
        bio.id,
        "BIO_11",
        11,
        "Biologi Lanjut",
    )
    grade_11 = subjects.admin_list_subjects(actor=admin, grade=11)
    assert [s.code for s in grade_11] == ["BIO_11", "KIM_11"]


def test_duplicate_codes_and_bad_input_are_refused_clearly(engine: Engine, actors) -> None:
    admin = actors["admin"]
    subjects.admin_create_subject(actor=admin, grade=10, name="Biologi", code="BIO_10")
    kim = subjects.admin_create_subject(actor=admin, grade=10, name="Kimia", code="KIM_10")
    with pytest.raises(Conflict, match="'BIO_10' sudah dipakai"):
        subjects.admin_create_subject(actor=admin, grade=11, name="Biologi", code="bio_10")
    with pytest.raises(Conflict, match="'BIO_10' sudah dipakai"):
        subjects.admin_update_subject(
            actor=admin, subject_id=kim.id, grade=10, name="Kimia", code="BIO_10"
        )
    with pytest.raises(InvalidInput, match="Kelas harus 10, 11 atau 12"):
        subjects.admin_create_subject(actor=admin, grade=9, name="IPA", code="IPA_9")
    with pytest.raises(InvalidInput, match="huruf besar"):
        subjects.admin_create_subject(actor=admin, grade=10, name="IPA", code="IPA 10!")
    with pytest.raises(InvalidInput, match="wajib diisi"):
        subjects.admin_create_subject(actor=admin, grade=10, name="  ", code="IPA_10")
    with pytest.raises(NotFound):
        subjects.admin_update_subject(
            actor=admin, subject_id=9999, grade=10, name="X", code="XX_10"
        )
    assert _count(engine, "SELECT COUNT(*) FROM subjects") == 2
    assert _count(engine, "SELECT COUNT(*) FROM subjects WHERE code = 'KIM_10'") == 1


def test_other_roles_are_refused_everywhere(engine: Engine, actors) -> None:
    admin = actors["admin"]
    bio = subjects.admin_create_subject(actor=admin, grade=10, name="Biologi", code="BIO_10")
    calls = [
        lambda a: subjects.admin_list_subjects(actor=a),
        lambda a: subjects.admin_create_subject(actor=a, grade=10, name="X", code="XX_10"),
        lambda a: subjects.admin_update_subject(
            actor=a, subject_id=bio.id, grade=12, name="X", code="BIO_10"
        ),
        lambda a: subjects.subject_cascade_summary(actor=a, subject_id=bio.id),
        lambda a: subjects.admin_delete_subject(actor=a, subject_id=bio.id),
    ]
    for role in ("guru", "siswa"):
        for call in calls:
            with pytest.raises(PermissionDenied):
                call(actors[role])
    assert [s.code for s in subjects.admin_list_subjects(actor=admin)] == ["BIO_10"]
    assert subjects.admin_list_subjects(actor=admin)[0].grade == 10


@pytest.fixture
def busy_subject(engine: Engine, actors, tmp_path: Path) -> dict[str, object]:
    """BIO_10 with a real book package and rows in every table that points at subjects,
    plus KIM_10 with one mastery row that must survive BIO_10's deletion."""
    admin = actors["admin"]
    bio = subjects.admin_create_subject(actor=admin, grade=10, name="Biologi", code="BIO_10")
    kim = subjects.admin_create_subject(actor=admin, grade=10, name="Kimia", code="KIM_10")
    source = tmp_path / "biologi.md"
    source.write_text(BOOK, encoding="utf-8")
    books.ingest_book(path=source, subject_code="BIO_10", title="Biologi Sel")
    student = actors["siswa"].id
    with engine.begin() as conn:
        for i in range(3):
            conn.execute(
                sa.text(
                    "INSERT INTO chat_history (user_id, subject_id, question, response) "
                    "VALUES (:u, :s, :q, 'jawaban')"
                ),
                {"u": student, "s": bio.id, "q": f"pertanyaan {i}"},
            )
        for topic in ("Sel", "Organel"):
            conn.execute(
                sa.text(
                    "INSERT INTO topic_mastery (user_id, subject_id, topic, mastery_level) "
                    "VALUES (:u, :s, :t, 0.4)"
                ),
                {"u": student, "s": bio.id, "t": topic},
            )
        conn.execute(
            sa.text(
                "INSERT INTO topic_mastery (user_id, subject_id, topic, mastery_level) "
                "VALUES (:u, :s, 'Stoikiometri', 0.7)"
            ),
            {"u": student, "s": kim.id},
        )
        conn.execute(
            sa.text(
                "INSERT INTO weak_areas (user_id, subject_id, topic, weakness_score) "
                "VALUES (:u, :s, 'Organel', 0.6)"
            ),
            {"u": student, "s": bio.id},
        )
        for n in range(4):
            conn.execute(
                sa.text(
                    "INSERT INTO practice_questions (subject_id, topic, question, answer) "
                    "VALUES (:s, 'Sel', :q, 'jawab')"
                ),
                {"s": bio.id, "q": f"soal {n}"},
            )
    folder = books.packages_root() / "bio-10-biologi-sel"
    assert folder.is_dir()
    return {"bio": bio, "kim": kim, "folder": folder}


def test_cascade_summary_counts_every_kind(engine: Engine, actors, busy_subject) -> None:
    summary = subjects.subject_cascade_summary(
        actor=actors["admin"], subject_id=busy_subject["bio"].id
    )
    folder: Path = busy_subject["folder"]
    files_on_disk = [p for p in folder.rglob("*") if p.is_file()]
    assert summary.counts() == {
        "books": 1,
        "package_versions": 1,
        "package_files": len(files_on_disk),
        "chat_history": 3,
        "topic_mastery": 2,
        "weak_areas": 1,
        "practice_questions": 4,
    }
    assert summary.package_bytes == sum(p.stat().st_size for p in files_on_disk) > 0
    assert not summary.is_empty
    items = {i.key: i for i in summary.items()}
    assert items["chat_history"].effect.startswith("tetap disimpan")
    assert items["books"].effect == "dihapus" and items["books"].count == 1
    listed = {s.code: s.book_count for s in subjects.admin_list_subjects(actor=actors["admin"])}
    assert listed == {"BIO_10": 1, "KIM_10": 0}


def test_delete_needs_the_confirmed_counts_then_removes_everything(
    engine: Engine, actors, busy_subject
) -> None:
    admin = actors["admin"]
    bio = busy_subject["bio"]
    summary = subjects.subject_cascade_summary(actor=admin, subject_id=bio.id)
    with pytest.raises(Conflict, match="berubah"):
        subjects.admin_delete_subject(actor=admin, subject_id=bio.id)
    stale = dict(summary.counts(), chat_history=2)
    with pytest.raises(Conflict, match="berubah"):
        subjects.admin_delete_subject(actor=admin, subject_id=bio.id, confirmed=stale)
    assert _count(engine, "SELECT COUNT(*) FROM subjects WHERE id = :i", i=bio.id) == 1
    assert busy_subject["folder"].is_dir()

    removed = subjects.admin_delete_subject(
        actor=admin, subject_id=bio.id, confirmed=summary.counts()
    )
    assert removed.counts() == summary.counts()
    assert _count(engine, "SELECT COUNT(*) FROM subjects WHERE id = :i", i=bio.id) == 0
    for table in ("books", "weak_areas", "practice_questions"):
        assert _count(engine, f"SELECT COUNT(*) FROM {table}") == 0
    # Chat history is the students' record: kept, only unlinked.
    assert _count(engine, "SELECT COUNT(*) FROM chat_history WHERE subject_id IS NULL") == 3
    # KIM_10's mastery row is untouched; BIO_10's two are gone.
    assert _count(engine, "SELECT COUNT(*) FROM topic_mastery") == 1
    assert not busy_subject["folder"].exists()
    assert not list(books.packages_root().glob(".trash-*"))
    assert books.list_books("BIO_10") == []
    with pytest.raises(NotFound):
        subjects.subject_cascade_summary(actor=admin, subject_id=bio.id)


def test_a_failed_delete_keeps_rows_and_package_files(
    engine: Engine, actors, busy_subject, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = actors["admin"]
    bio = busy_subject["bio"]
    summary = subjects.subject_cascade_summary(actor=admin, subject_id=bio.id)
    real_delete = curriculum_repo.delete_subject_cascade

    def delete_then_fail(**kwargs: object):
        real_delete(**kwargs)  # the rows are gone inside the transaction...
        raise RuntimeError("disk full")  # ...and then something breaks before commit

    monkeypatch.setattr(curriculum_repo, "delete_subject_cascade", delete_then_fail)
    with pytest.raises(RuntimeError):
        subjects.admin_delete_subject(actor=admin, subject_id=bio.id, confirmed=summary.counts())
    monkeypatch.undo()
    again = subjects.subject_cascade_summary(actor=admin, subject_id=bio.id)
    assert again.counts() == summary.counts()
    assert busy_subject["folder"].is_dir()
    assert books.list_books("BIO_10")[0].version == "1.0.0"
    assert not list(books.packages_root().glob(".trash-*"))


def test_a_subject_without_anything_is_deleted_with_a_simple_confirm(
    engine: Engine, actors
) -> None:
    admin = actors["admin"]
    empty = subjects.admin_create_subject(actor=admin, grade=12, name="Sejarah", code="SEJ_12")
    summary = subjects.subject_cascade_summary(actor=admin, subject_id=empty.id)
    assert summary.is_empty and set(summary.counts().values()) == {0}
    subjects.admin_delete_subject(actor=admin, subject_id=empty.id)
    assert subjects.admin_list_subjects(actor=admin) == []


def test_the_code_of_a_subject_with_books_cannot_change(
    engine: Engine, actors, busy_subject
) -> None:
    admin = actors["admin"]
    bio = busy_subject["bio"]
    with pytest.raises(Conflict, match="tidak bisa diubah"):
        subjects.admin_update_subject(
            actor=admin, subject_id=bio.id, grade=10, name="Biologi", code="BIO_X"
        )
    renamed = subjects.admin_update_subject(
        actor=admin, subject_id=bio.id, grade=11, name="Biologi Dasar", code="bio_10"
    )
    assert (renamed.code, renamed.grade, renamed.name) == ("BIO_10", 11, "Biologi Dasar")
