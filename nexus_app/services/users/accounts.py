"""Account use cases: list, create, CSV import, change role, (de)activate, reset a password."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from sqlalchemy.exc import IntegrityError

from nexus_app.db import unit_of_work
from nexus_app.models import User
from nexus_app.models.users import ROLES
from nexus_app.repositories import sessions as session_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services import auth
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import Conflict, InvalidInput, NotFound

from .checks import clean_new_user, generate_password, read_user_csv, validate_csv_rows
from .rows import (
    MAX_PER_PAGE,
    MAX_SEARCH_CHARS,
    PER_PAGE,
    STATUS_FILTERS,
    DeactivationResult,
    NewCredential,
    NewUser,
    PasswordReset,
    ProgressCallback,
    RowError,
    UserImportReport,
    UserPage,
    UserRow,
)

# --- Use cases ----------------------------------------------------------------------------


def _row(user: User, classes: Iterable[str] = ()) -> UserRow:
    assert user.id is not None
    return UserRow(
        id=user.id,
        username=user.username,
        full_name=user.full_name or "",
        role=user.role,
        class_name=user.class_name or "",
        grade=user.grade,
        email=user.email or "",
        is_active=user.is_active,
        last_login=user.last_login,
        created_at=user.created_at,
        classes=tuple(classes),
    )


def _rows_with_classes(session: Any, users: list[User]) -> tuple[UserRow, ...]:
    teachers = [u.id for u in users if u.role == "guru" and u.id is not None]
    classes = user_repo.list_classes_by_teacher(session=session, teacher_ids=teachers)
    return tuple(_row(u, classes.get(u.id or 0, ()) if u.role == "guru" else ()) for u in users)


def _credential(user: NewUser) -> NewCredential:
    return NewCredential(
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        class_name=user.class_name or "",
        password=user.password,
        generated=user.generated,
    )


def list_users(
    *,
    actor: CurrentUser,
    search: str = "",
    role: str = "",
    status: str = "all",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> UserPage:
    """One page of accounts, filtered in SQL; a page past the end shows the last page."""
    require_admin(actor)
    term = (search or "").strip()[:MAX_SEARCH_CHARS] or None
    role = (role or "").strip().lower()
    if role and role not in ROLES:
        raise InvalidInput(f"Peran tidak dikenal: {role}.")
    if status not in STATUS_FILTERS:
        raise InvalidInput(f"Status tidak dikenal: {status}.")
    active = None if status == "all" else status == "active"
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    with unit_of_work() as session:
        total = user_repo.count_users(
            session=session, search=term, role=role or None, active=active
        )
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        users = user_repo.search_users(
            session=session,
            search=term,
            role=role or None,
            active=active,
            limit=per_page,
            offset=(page - 1) * per_page,
        )
        return UserPage(
            rows=_rows_with_classes(session, users), total=total, page=page, per_page=per_page
        )


def get_user(*, actor: CurrentUser, user_id: int) -> UserRow:
    require_admin(actor)
    with unit_of_work() as session:
        user = user_repo.get_user(session=session, user_id=user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound("Pengguna tidak ditemukan.")
        return _rows_with_classes(session, [user])[0]


def _taken_message(kind: str, value: str) -> str:
    return f"{kind} '{value}' sudah dipakai akun lain."


def create_user(
    *,
    actor: CurrentUser,
    username: str,
    full_name: str,
    role: str,
    class_name: str | None = None,
    grade: Any = None,
    email: str | None = None,
    password: str | None = None,
    classes: str | Iterable[str] | None = None,
) -> NewCredential:
    """Create one account; an empty password is generated and returned (shown once). A guru's
    `classes` are assigned at once, students or not (they may be imported later)."""
    require_admin(actor)
    user = clean_new_user(
        username=username,
        full_name=full_name,
        role=role,
        class_name=class_name,
        grade=grade,
        email=email,
        password=password,
        classes=classes,
    )
    with unit_of_work() as session:
        # Case-insensitive: 'Siswa01' next to 'siswa01' only confuses everyone.
        if user_repo.existing_usernames(session=session, usernames=[user.username]):
            raise Conflict(_taken_message("Nama pengguna", user.username))
        if user.email and user_repo.existing_emails(session=session, emails=[user.email]):
            raise Conflict(_taken_message("Email", user.email))
    # The auth service owns the insert (and turns a race on the unique keys into Conflict).
    created = auth.create_user(
        username=user.username,
        password=user.password,
        role=user.role,
        full_name=user.full_name,
        email=user.email,
        class_name=user.class_name,
        grade=user.grade,
        must_change_password=user.generated,
    )
    if user.classes:
        with unit_of_work() as session:
            _assign_all(session, created.id, user.classes)
    return _credential(user)


def _canonical_classes(session: Any) -> dict[str, str]:
    """Lower-cased class name → the spelling the students' accounts use."""
    return {c.lower(): c for c in user_repo.list_student_classes(session=session)}


def _assign_all(session: Any, teacher_id: int, classes: Iterable[str]) -> None:
    known = _canonical_classes(session)
    for name in classes:
        user_repo.assign_class(
            session=session, teacher_id=teacher_id, class_name=known.get(name.lower(), name)
        )


def _split_taken(
    valid: list[tuple[int, NewUser]], taken_usernames: set[str], taken_emails: set[str]
) -> tuple[list[tuple[int, NewUser]], list[RowError]]:
    free: list[tuple[int, NewUser]] = []
    errors: list[RowError] = []
    for line, user in valid:
        if user.username.lower() in taken_usernames:
            errors.append(
                RowError(line, f"nama pengguna '{user.username}' sudah dipakai akun lain")
            )
        elif user.email is not None and user.email.lower() in taken_emails:
            errors.append(RowError(line, f"email '{user.email}' sudah dipakai akun lain"))
        else:
            free.append((line, user))
    return free, errors


def _find_taken(
    session: Any, valid: list[tuple[int, NewUser]]
) -> tuple[list[tuple[int, NewUser]], list[RowError]]:
    usernames = user_repo.existing_usernames(
        session=session, usernames=[u.username for _, u in valid]
    )
    emails = user_repo.existing_emails(
        session=session, emails=[u.email for _, u in valid if u.email is not None]
    )
    return _split_taken(valid, usernames, emails)


def _hash_passwords(
    valid: list[tuple[int, NewUser]], progress: ProgressCallback | None
) -> dict[int, str]:
    """argon2 hash of each row's password, by CSV line, reporting progress per row."""
    hashes: dict[int, str] = {}
    for done, (line, user) in enumerate(valid, start=1):
        hashes[line] = auth.hash_password(user.password)
        if progress is not None:
            progress(done, len(valid))
    return hashes


def _account_values(user: NewUser, password_hash: str) -> dict[str, Any]:
    return {
        "username": user.username,
        "password_hash": password_hash,
        "role": user.role,
        "full_name": user.full_name,
        "email": user.email,
        "class_name": user.class_name,
        "grade": user.grade,
        # The admin saw the generated password: its owner replaces it at the first login.
        "must_change_password": user.generated,
    }


def import_users_csv(
    *,
    actor: CurrentUser,
    filename: str,
    data: bytes,
    skip_invalid: bool = False,
    progress: ProgressCallback | None = None,
) -> UserImportReport:
    """Validate every row first; any bad row means nothing is imported unless `skip_invalid`,
    then only the good rows are. All accounts are written in one transaction."""
    require_admin(actor)
    rows = read_user_csv(filename, data)
    valid, errors = validate_csv_rows(rows)
    if valid:
        with unit_of_work() as session:
            valid, taken = _find_taken(session, valid)
        errors = sorted([*errors, *taken], key=lambda e: e.line)
    if (errors and not skip_invalid) or not valid:
        return UserImportReport(
            rows=len(rows), imported=0, skipped=0, errors=tuple(errors), credentials=()
        )

    # argon2 takes ~0.15 s a password here: hash before the transaction, so it stays short.
    hashes = _hash_passwords(valid, progress)

    try:
        with unit_of_work() as session:
            # Someone may have added one of these names while we were hashing.
            valid, late = _find_taken(session, valid)
            if late and not skip_invalid:
                raise Conflict(
                    "Selama impor berjalan, akun lain dibuat dengan nama pengguna atau email "
                    f"yang sama ({late[0]}). Tidak ada yang diimpor; coba lagi."
                )
            errors = sorted([*errors, *late], key=lambda e: e.line)
            added = user_repo.add_users(
                session=session,
                users=[_account_values(user, hashes[line]) for line, user in valid],
            )
            # A guru row's `classes`: assigned in the same transaction as the accounts.
            taught = {u.username: u.classes for _, u in valid if u.classes}
            for account in added:
                if account.username in taught and account.id is not None:
                    _assign_all(session, account.id, taught[account.username])
    except IntegrityError as exc:
        raise Conflict(
            "Nama pengguna atau email bentrok dengan akun yang baru dibuat. "
            "Tidak ada yang diimpor; coba lagi."
        ) from exc
    return UserImportReport(
        rows=len(rows),
        imported=len(valid),
        skipped=len(errors),
        errors=tuple(errors),
        credentials=tuple(_credential(u) for _, u in valid if u.generated),
    )


def _refuse_self(actor: CurrentUser, user_id: int, what: str) -> None:
    if actor.id == user_id:
        raise Conflict(f"Anda tidak dapat {what} akun Anda sendiri.")


def _load_for_change(session: Any, user_id: int) -> tuple[User, list[int]]:
    """Lock the active admins first, then the user: the same order in every change, so two
    admins acting at once wait for each other instead of deadlocking."""
    admins = user_repo.lock_active_admin_ids(session=session)
    user = user_repo.get_live_user_for_update(session=session, user_id=user_id)
    if user is None:
        raise NotFound("Pengguna tidak ditemukan.")
    return user, admins


def _refuse_last_admin(user: User, admins: list[int], what: str) -> None:
    if user.role == "admin" and user.is_active and not [a for a in admins if a != user.id]:
        raise Conflict(
            f"Tidak dapat {what} {user.username}: ini admin aktif terakhir. "
            "Jadikan pengguna lain admin terlebih dahulu."
        )


def change_role(*, actor: CurrentUser, user_id: int, role: str) -> UserRow:
    """Takes effect on the user's next click: every request re-reads the role."""
    require_admin(actor)
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise InvalidInput(f"Peran tidak dikenal: {role}. Pilih siswa, guru atau admin.")
    _refuse_self(actor, user_id, "mengubah peran")
    with unit_of_work() as session:
        user, admins = _load_for_change(session, user_id)
        if user.role == role:
            return _row(user)
        if role != "admin":
            _refuse_last_admin(user, admins, "mengubah peran")
        # Class and grade are kept: changing the role back restores the student as they were.
        user_repo.set_role(session=session, user=user, role=role)
        return _row(user)


def deactivate_user(*, actor: CurrentUser, user_id: int) -> DeactivationResult:
    """The account can no longer log in, and every open session of it ends now."""
    require_admin(actor)
    _refuse_self(actor, user_id, "menonaktifkan")
    with unit_of_work() as session:
        user, admins = _load_for_change(session, user_id)
        _refuse_last_admin(user, admins, "menonaktifkan")
        user_repo.set_active(session=session, user=user, active=False)
        assert user.id is not None
        ended = session_repo.delete_sessions_for_user(session=session, user_id=user.id)
        return DeactivationResult(user=_row(user), sessions_ended=ended)


def reactivate_user(*, actor: CurrentUser, user_id: int) -> UserRow:
    require_admin(actor)
    with unit_of_work() as session:
        user, _admins = _load_for_change(session, user_id)
        user_repo.set_active(session=session, user=user, active=True)
        return _row(user)


def reset_password(
    *, actor: CurrentUser, user_id: int, new_password: str | None = None
) -> PasswordReset:
    """Set a typed or generated password, log the user out everywhere and lift a login lock.

    The admin's own password is refused here (the reset would end the very session that has
    to show it): everyone changes their own with "Kata sandi" in the top bar."""
    require_admin(actor)
    if actor.id == user_id:
        raise Conflict(
            "Kata sandi Anda sendiri diubah lewat tombol 'Kata sandi' di bagian atas halaman."
        )
    generated = not (new_password or "").strip()
    plain = generate_password() if generated else str(new_password)
    if len(plain) < auth.MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Kata sandi minimal {auth.MIN_PASSWORD_LENGTH} karakter.")
    if len(plain) > auth.MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Kata sandi maksimal {auth.MAX_PASSWORD_LENGTH} karakter.")
    password_hash = auth.hash_password(plain)
    with unit_of_work() as session:
        user = user_repo.get_live_user_for_update(session=session, user_id=user_id)
        if user is None:
            raise NotFound("Pengguna tidak ditemukan.")
        # A generated password was shown to the admin: the owner replaces it at next login.
        user_repo.set_password_hash(
            session=session, user=user, password_hash=password_hash, must_change=generated
        )
        assert user.id is not None
        ended = session_repo.delete_sessions_for_user(session=session, user_id=user.id)
        user_repo.clear_login_failures(session=session, username=user.username)
        return PasswordReset(
            username=user.username, password=plain, generated=generated, sessions_ended=ended
        )
