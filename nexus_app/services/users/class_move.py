"""Rename a class, or move it one grade up (kenaikan kelas)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nexus_app.db import unit_of_work
from nexus_app.models import User
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import Conflict, InvalidInput

from .accounts import _canonical_classes
from .checks import clean_class_name
from .rows import GRADES

# --- Rename a class / kenaikan kelas ------------------------------------------------------

GRADE_MODES = {"keep": 0, "up": 1}  # keep the grade, or one grade up (kenaikan kelas)


@dataclass(frozen=True)
class ClassMover:
    username: str
    full_name: str
    grade_before: int | None
    grade_after: int | None
    is_active: bool


@dataclass(frozen=True)
class ClassMovePlan:
    """Who moves where: shown before, and returned after, `move_class`."""

    old: str
    new: str
    grade_step: int
    students: tuple[ClassMover, ...]
    teachers: tuple[str, ...]  # the old class's gurus (usernames)
    move_teachers: bool
    # The moving students' ids: the move refuses a list that changed since the preview.
    fingerprint: str


def _plan(
    session: Any, class_name: str, new_class_name: str, grade_mode: str, move_teachers: bool
) -> tuple[ClassMovePlan, list[User]]:
    if grade_mode not in GRADE_MODES:
        raise InvalidInput("Pilih: tingkat tetap, atau naik satu tingkat.")
    step = GRADE_MODES[grade_mode]
    old = " ".join((class_name or "").split())
    if not old:
        raise InvalidInput("Pilih kelas yang akan dipindahkan.")
    new = clean_class_name(new_class_name)
    known = _canonical_classes(session)
    old = known.get(old.lower(), old)
    students = user_repo.list_class_members(session=session, class_name=old, lock=True)
    if not students:
        raise InvalidInput(f"Kelas '{old}' tidak punya siswa.")
    if new == old and step == 0:
        raise InvalidInput("Nama kelas baru sama dengan yang lama dan tingkatnya tetap.")
    if new.lower() != old.lower() and new.lower() in known:
        taken = len(user_repo.list_class_members(session=session, class_name=known[new.lower()]))
        raise Conflict(
            f"Kelas '{known[new.lower()]}' sudah punya {taken} siswa: kelas tidak digabung. "
            "Pindahkan kelas itu dulu (mulai dari tingkat tertinggi), atau pilih nama lain."
        )
    if step:
        top = [s.username for s in students if s.grade is not None and s.grade + step > GRADES[-1]]
        if top:
            raise InvalidInput(
                f"{len(top)} siswa sudah kelas {GRADES[-1]} ({', '.join(top[:5])}"
                f"{', …' if len(top) > 5 else ''}) dan tidak bisa naik tingkat. Siswa yang lulus "
                "dinonaktifkan, bukan dinaikkan."
            )
    plan = ClassMovePlan(
        old=old,
        new=new,
        grade_step=step,
        students=tuple(
            ClassMover(
                username=s.username,
                full_name=s.full_name or "",
                grade_before=s.grade,
                grade_after=None if s.grade is None else s.grade + step,
                is_active=s.is_active,
            )
            for s in students
        ),
        teachers=tuple(user_repo.list_class_teacher_names(session=session, class_name=old)),
        move_teachers=move_teachers,
        fingerprint=",".join(str(s.id) for s in sorted(students, key=lambda s: s.id or 0)),
    )
    return plan, students


def preview_class_move(
    *,
    actor: CurrentUser,
    class_name: str,
    new_class_name: str,
    grade_mode: str = "keep",
    move_teachers: bool = True,
) -> ClassMovePlan:
    """Who would move: nothing is written."""
    require_admin(actor)
    with unit_of_work() as session:
        plan, _students = _plan(session, class_name, new_class_name, grade_mode, move_teachers)
        session.rollback()
        return plan


def move_class(
    *,
    actor: CurrentUser,
    class_name: str,
    new_class_name: str,
    grade_mode: str = "keep",
    move_teachers: bool = True,
    fingerprint: str,
) -> ClassMovePlan:
    """Rename a class, or move it a grade up (kenaikan kelas), in one transaction: every
    student of it (their history stays: the accounts are the same) and, with
    `move_teachers`, its teachers' assignments. Refused if the students changed since the
    preview whose `fingerprint` the admin confirmed."""
    require_admin(actor)
    with unit_of_work() as session:
        plan, students = _plan(session, class_name, new_class_name, grade_mode, move_teachers)
        if plan.fingerprint != fingerprint:
            raise Conflict(
                f"Daftar siswa kelas '{plan.old}' berubah sejak pratinjau. Periksa pratinjau "
                "yang baru, lalu pindahkan lagi."
            )
        user_repo.move_students(
            session=session, users=students, class_name=plan.new, grade_step=plan.grade_step
        )
        if move_teachers:
            user_repo.rename_class_assignments(session=session, old=plan.old, new=plan.new)
        return plan
