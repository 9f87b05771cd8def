"""School subjects (kelas 10-12): the CLI's create and list, and the admin's full management.

Deleting a subject removes what hangs off it (books and their knowledge-package files, topic
mastery, weak areas, practice questions) and unlinks its tutor chat history, which is kept.
The admin first sees a :class:`CascadeSummary` with the exact counts and confirms it; the
delete is refused if those counts changed in the meantime.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from nexus_app.db import unit_of_work
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.services import books as book_service
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.backup import human_size
from nexus_app.services.errors import Conflict, InvalidInput, NotFound

_CODE = re.compile(r"^[A-Z0-9_]{2,50}$")
GRADES = (10, 11, 12)


@dataclass(frozen=True)
class SubjectView:
    id: int
    grade: int
    name: str
    code: str


@dataclass(frozen=True)
class SubjectAdminView:
    id: int
    grade: int
    name: str
    code: str
    book_count: int


@dataclass(frozen=True)
class CascadeItem:
    """One kind of row or file the delete touches, with what happens to it."""

    key: str
    label: str
    count: int
    effect: str


@dataclass(frozen=True)
class CascadeSummary:
    subject_id: int
    code: str
    name: str
    grade: int
    books: int
    package_versions: int
    package_files: int
    package_bytes: int
    chat_history: int
    topic_mastery: int
    weak_areas: int
    practice_questions: int

    @property
    def is_empty(self) -> bool:
        return not any(self.counts().values())

    def counts(self) -> dict[str, int]:
        """What the admin confirms; the delete goes ahead only if these are still the same."""
        return {
            "books": self.books,
            "package_versions": self.package_versions,
            "package_files": self.package_files,
            "chat_history": self.chat_history,
            "topic_mastery": self.topic_mastery,
            "weak_areas": self.weak_areas,
            "practice_questions": self.practice_questions,
        }

    def items(self) -> list[CascadeItem]:
        size = human_size(self.package_bytes, decimal_comma=True)
        return [
            CascadeItem("books", "Buku", self.books, "dihapus"),
            CascadeItem(
                "package_versions",
                "Versi paket pengetahuan",
                self.package_versions,
                "dihapus dari disk",
            ),
            CascadeItem(
                "package_files",
                "Berkas paket pengetahuan",
                self.package_files,
                f"dihapus dari disk ({size})",
            ),
            CascadeItem(
                "chat_history",
                "Riwayat tanya-jawab tutor",
                self.chat_history,
                "tetap disimpan, kaitannya dengan mata pelajaran dilepas",
            ),
            CascadeItem("topic_mastery", "Data penguasaan topik", self.topic_mastery, "dihapus"),
            CascadeItem("weak_areas", "Catatan area lemah", self.weak_areas, "dihapus"),
            CascadeItem(
                "practice_questions", "Soal latihan tutor", self.practice_questions, "dihapus"
            ),
        ]


def _clean(grade: int, name: str, code: str) -> tuple[int, str, str]:
    name = (name or "").strip()
    code = (code or "").strip().upper()
    if grade not in GRADES:
        raise InvalidInput("Kelas harus 10, 11 atau 12.")
    if not name or len(name) > 100:
        raise InvalidInput("Nama mata pelajaran wajib diisi (maksimal 100 karakter).")
    if not _CODE.match(code):
        raise InvalidInput(
            "Kode mata pelajaran hanya huruf besar, angka dan garis bawah (2-50 karakter), "
            "misalnya MAT_10."
        )
    return grade, name, code


def _duplicate(code: str) -> Conflict:
    return Conflict(f"Kode mata pelajaran '{code}' sudah dipakai. Pilih kode lain.")


def create_subject(*, grade: int, name: str, code: str) -> SubjectView:
    """Create a subject (the CLI and the demo seed; the admin page uses admin_create_subject)."""
    grade, name, code = _clean(grade, name, code)
    try:
        with unit_of_work() as session:
            if curriculum_repo.get_subject_by_code(session=session, code=code):
                raise _duplicate(code)
            subject = curriculum_repo.create_subject(
                session=session, grade=grade, name=name, code=code
            )
            assert subject.id is not None
            return SubjectView(subject.id, subject.grade, subject.name, subject.code)
    except IntegrityError as exc:  # a concurrent create won the race
        raise _duplicate(code) from exc


def list_subjects() -> list[SubjectView]:
    with unit_of_work() as session:
        rows = curriculum_repo.list_all_subjects(session=session)
        return [SubjectView(s.id or 0, s.grade, s.name, s.code) for s in rows]


# --- admin ------------------------------------------------------------------------------------


def admin_list_subjects(*, actor: CurrentUser, grade: int | None = None) -> list[SubjectAdminView]:
    require_admin(actor)
    if grade is not None and grade not in GRADES:
        raise InvalidInput("Kelas harus 10, 11 atau 12.")
    with unit_of_work() as session:
        rows = curriculum_repo.list_subjects_with_book_counts(session=session, grade=grade)
    return [SubjectAdminView(r.id, r.grade, r.name, r.code, r.book_count) for r in rows]


def admin_create_subject(*, actor: CurrentUser, grade: int, name: str, code: str) -> SubjectView:
    require_admin(actor)
    return create_subject(grade=grade, name=name, code=code)


def admin_update_subject(
    *, actor: CurrentUser, subject_id: int, grade: int, name: str, code: str
) -> SubjectView:
    """Change name, grade or code. The code is also the knowledge packages' subject key, so it
    can change only while the subject has no books."""
    require_admin(actor)
    grade, name, code = _clean(grade, name, code)
    try:
        with unit_of_work() as session:
            subject = curriculum_repo.get_subject(session=session, subject_id=subject_id)
            if subject is None:
                raise NotFound("Mata pelajaran tidak ditemukan (mungkin sudah dihapus).")
            if code != subject.code:
                other = curriculum_repo.get_subject_by_code(session=session, code=code)
                if other is not None:
                    raise _duplicate(code)
                has_books = curriculum_repo.count_subject_dependents(
                    session=session, subject_id=subject_id
                ).books
                if has_books or book_service.package_footprint(subject.code, []).folders:
                    raise Conflict(
                        f"Kode '{subject.code}' tidak bisa diubah karena mata pelajaran ini "
                        "sudah punya buku: paket pengetahuannya memakai kode ini. Ubah nama "
                        "atau kelas saja, atau buat mata pelajaran baru."
                    )
            updated = curriculum_repo.update_subject(
                session=session, subject_id=subject_id, grade=grade, name=name, code=code
            )
            assert updated is not None and updated.id is not None
            return SubjectView(updated.id, updated.grade, updated.name, updated.code)
    except IntegrityError as exc:
        raise _duplicate(code) from exc


def _summary(subject_id: int) -> tuple[CascadeSummary, tuple[Path, ...]]:
    with unit_of_work() as session:
        subject = curriculum_repo.get_subject(session=session, subject_id=subject_id)
        if subject is None or subject.id is None:
            raise NotFound("Mata pelajaran tidak ditemukan (mungkin sudah dihapus).")
        deps = curriculum_repo.count_subject_dependents(session=session, subject_id=subject.id)
        titles = curriculum_repo.list_book_titles_for_subject(
            session=session, subject_id=subject.id
        )
        code, name, grade = subject.code, subject.name, subject.grade
    footprint = book_service.package_footprint(code, titles)
    summary = CascadeSummary(
        subject_id=subject_id,
        code=code,
        name=name,
        grade=grade,
        books=deps.books,
        package_versions=footprint.versions,
        package_files=footprint.files,
        package_bytes=footprint.bytes,
        chat_history=deps.chat_history,
        topic_mastery=deps.topic_mastery,
        weak_areas=deps.weak_areas,
        practice_questions=deps.practice_questions,
    )
    return summary, footprint.folders


def subject_cascade_summary(*, actor: CurrentUser, subject_id: int) -> CascadeSummary:
    """What deleting this subject would remove or unlink, counted now."""
    require_admin(actor)
    return _summary(subject_id)[0]


_CHANGED = (
    "Data yang terkait dengan mata pelajaran ini berubah sejak ringkasan ditampilkan. "
    "Tidak ada yang dihapus; periksa ringkasan terbaru lalu konfirmasi lagi."
)


def admin_delete_subject(
    *, actor: CurrentUser, subject_id: int, confirmed: dict[str, int] | None = None
) -> CascadeSummary:
    """Delete a subject with everything in its summary, in one transaction.

    A subject with anything attached needs ``confirmed`` equal to its summary's ``counts()``.
    Package folders are moved aside first and put back if the database work fails, so a
    failed delete leaves both the rows and the files as they were.
    """
    require_admin(actor)
    summary, folders = _summary(subject_id)
    if not summary.is_empty and confirmed != summary.counts():
        raise Conflict(_CHANGED)
    with book_service.removing_packages(folders), unit_of_work() as session:
        removed = curriculum_repo.delete_subject_cascade(session=session, subject_id=subject_id)
        if (
            removed.books,
            removed.chat_history,
            removed.topic_mastery,
            removed.weak_areas,
            removed.practice_questions,
        ) != (
            summary.books,
            summary.chat_history,
            summary.topic_mastery,
            summary.weak_areas,
            summary.practice_questions,
        ):
            raise Conflict(_CHANGED)
    return summary
