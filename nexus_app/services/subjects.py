"""School subjects (kelas 10-12)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from nexus_app.db import unit_of_work
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.services.errors import Conflict, InvalidInput

_CODE = re.compile(r"^[A-Z0-9_]{2,50}$")


@dataclass(frozen=True)
class SubjectView:
    id: int
    grade: int
    name: str
    code: str


def create_subject(*, grade: int, name: str, code: str) -> SubjectView:
    name = (name or "").strip()
    code = (code or "").strip().upper()
    if grade not in (10, 11, 12):
        raise InvalidInput("Kelas harus 10, 11 atau 12.")
    if not name or len(name) > 100:
        raise InvalidInput("Nama mata pelajaran wajib diisi (maksimal 100 karakter).")
    if not _CODE.match(code):
        raise InvalidInput(
            "Kode mata pelajaran hanya huruf besar, angka dan garis bawah, misalnya MAT_10."
        )
    try:
        with unit_of_work() as session:
            if curriculum_repo.get_subject_by_code(session=session, code=code):
                raise Conflict(f"Kode mata pelajaran '{code}' sudah ada.")
            subject = curriculum_repo.create_subject(
                session=session, grade=grade, name=name, code=code
            )
            assert subject.id is not None
            return SubjectView(subject.id, subject.grade, subject.name, subject.code)
    except IntegrityError as exc:
        raise Conflict(f"Kode mata pelajaran '{code}' sudah ada.") from exc


def list_subjects() -> list[SubjectView]:
    with unit_of_work() as session:
        rows = curriculum_repo.list_all_subjects(session=session)
        return [SubjectView(s.id or 0, s.grade, s.name, s.code) for s in rows]
