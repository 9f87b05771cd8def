"""A user's profile and a teacher's classes."""

from __future__ import annotations

from typing import Any

from nexus_app.db import unit_of_work
from nexus_app.models import User
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import Conflict, InvalidInput, NotFound

from .accounts import _canonical_classes, _rows_with_classes, _taken_message
from .checks import clean_class_name, parse_grade
from .rows import _EMAIL, MAX_EMAIL, MAX_FULL_NAME, MAX_TEACHER_CLASSES, ClassChange, UserRow

# --- Profile and a teacher's classes ------------------------------------------------------


def update_profile(
    *,
    actor: CurrentUser,
    user_id: int,
    full_name: str,
    class_name: str | None = None,
    grade: Any = None,
    email: str | None = None,
) -> UserRow:
    """Fix a name, move a student to another class or grade, change an email. The account
    (and with it every answer, session and mastery row) stays the same, so nothing is lost.
    Class and grade are for students; a former student's stored ones are left untouched."""
    require_admin(actor)
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise InvalidInput("Nama lengkap wajib diisi.")
    if len(full_name) > MAX_FULL_NAME:
        raise InvalidInput(f"Nama lengkap maksimal {MAX_FULL_NAME} karakter.")
    clean_email = (email or "").strip() or None
    if clean_email is not None and (len(clean_email) > MAX_EMAIL or not _EMAIL.match(clean_email)):
        raise InvalidInput(f"Alamat email tidak valid: '{clean_email}'.")
    typed_class = " ".join((class_name or "").split()) or None
    number = parse_grade(grade)
    with unit_of_work() as session:
        user = user_repo.get_live_user_for_update(session=session, user_id=user_id)
        if user is None:
            raise NotFound("Pengguna tidak ditemukan.")
        if user.role == "siswa":
            if typed_class is None:
                raise InvalidInput("Kelas wajib diisi untuk siswa (misalnya XII IPA 1).")
            new_class: str | None = clean_class_name(typed_class)
            if number is None:
                raise InvalidInput("Tingkat wajib diisi untuk siswa: 10, 11 atau 12.")
            new_grade: int | None = number
        else:
            if typed_class is not None or number is not None:
                raise InvalidInput(
                    "Kelas dan tingkat hanya diisi untuk siswa. Kelas yang diajar guru diatur "
                    "di bagian 'Kelas yang diajar'."
                )
            new_class, new_grade = user.class_name, user.grade
        assert user.id is not None
        if clean_email is not None and user_repo.email_taken_by_other(
            session=session, email=clean_email, user_id=user.id
        ):
            raise Conflict(_taken_message("Email", clean_email))
        user_repo.set_profile(
            session=session,
            user=user,
            full_name=full_name,
            email=clean_email,
            class_name=new_class,
            grade=new_grade,
        )
        return _rows_with_classes(session, [user])[0]


def class_choices(*, actor: CurrentUser) -> list[str]:
    """Classes that have students: what the admin picks a teacher's classes from."""
    require_admin(actor)
    with unit_of_work() as session:
        return user_repo.list_student_classes(session=session)


def _teacher(user: User | None, who: str) -> User:
    if user is None or user.deleted_at is not None:
        raise NotFound(f"Pengguna {who} tidak ditemukan.")
    if user.role != "guru":
        raise InvalidInput(
            f"{user.username} bukan guru (perannya {user.role}): kelas hanya diberikan kepada "
            "guru. Admin sudah melihat semua kelas."
        )
    return user


def _assign(session: Any, user: User, class_name: str, allow_empty: bool) -> ClassChange:
    name = clean_class_name(class_name)
    known = _canonical_classes(session)
    has_students = name.lower() in known
    # 'xii ipa 1' is the students' 'XII IPA 1', not a second class.
    name = known.get(name.lower(), name)
    if not has_students and not allow_empty:
        listed = ", ".join(sorted(known.values())[:8]) or "belum ada"
        raise InvalidInput(
            f"Tidak ada siswa di kelas '{name}' (kelas yang ada: {listed}). Periksa "
            "penulisannya, atau pakai --allow-empty untuk kelas yang siswanya belum diimpor."
        )
    assert user.id is not None
    before = user_repo.list_teacher_classes(session=session, teacher_id=user.id)
    if name not in before and len(before) >= MAX_TEACHER_CLASSES:
        raise InvalidInput(f"Seorang guru paling banyak mengajar {MAX_TEACHER_CLASSES} kelas.")
    user_repo.assign_class(session=session, teacher_id=user.id, class_name=name)
    return ClassChange(
        username=user.username,
        class_name=name,
        classes=tuple(user_repo.list_teacher_classes(session=session, teacher_id=user.id)),
        changed=name not in before,
        has_students=has_students,
    )


def _unassign(session: Any, user: User, class_name: str) -> ClassChange:
    name = " ".join((class_name or "").split())
    assert user.id is not None
    before = user_repo.list_teacher_classes(session=session, teacher_id=user.id)
    # Removing matches the stored spelling, whatever case the admin typed.
    stored = next((c for c in before if c.lower() == name.lower()), None)
    if stored is None:
        raise InvalidInput(
            f"{user.username} tidak mengajar kelas '{name}' "
            f"(kelasnya: {', '.join(before) or 'belum ada'})."
        )
    user_repo.unassign_class(session=session, teacher_id=user.id, class_name=stored)
    return ClassChange(
        username=user.username,
        class_name=stored,
        classes=tuple(c for c in before if c != stored),
        changed=True,
        has_students=stored.lower() in _canonical_classes(session),
    )


def assign_class(
    *, actor: CurrentUser, user_id: int, class_name: str, allow_empty: bool = False
) -> ClassChange:
    """The guru sees this class's students on /teacher from their next click. A class no
    student is in is refused unless `allow_empty` (a new class whose students come later)."""
    require_admin(actor)
    with unit_of_work() as session:
        user = _teacher(user_repo.get_user(session=session, user_id=user_id), "ini")
        return _assign(session, user, class_name, allow_empty)


def unassign_class(*, actor: CurrentUser, user_id: int, class_name: str) -> ClassChange:
    require_admin(actor)
    with unit_of_work() as session:
        user = _teacher(user_repo.get_user(session=session, user_id=user_id), "ini")
        return _unassign(session, user, class_name)


# The `nexus user assign-class` CLI runs as the server's operator (a shell on the server is
# outside the web threat model, as for `nexus user create`), so it names the guru instead.


def assign_class_by_username(
    *, username: str, class_name: str, allow_empty: bool = False
) -> ClassChange:
    with unit_of_work() as session:
        user = user_repo.get_user_by_username(session=session, username=username.strip())
        return _assign(session, _teacher(user, f"'{username}'"), class_name, allow_empty)


def unassign_class_by_username(*, username: str, class_name: str) -> ClassChange:
    with unit_of_work() as session:
        user = user_repo.get_user_by_username(session=session, username=username.strip())
        return _unassign(session, _teacher(user, f"'{username}'"), class_name)
