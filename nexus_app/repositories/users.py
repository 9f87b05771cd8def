"""Users and login attempts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from nexus_app.models import ClassAssignment, LoginAttempt, User


def get_user_by_username(*, session: Session, username: str) -> User | None:
    """Seed query "Validate user credentials": the lookup half (the hash is checked in Python,
    because argon2 hashes are salted and cannot be compared in SQL)."""
    return session.exec(
        select(User).where(User.username == username, col(User.deleted_at).is_(None))
    ).first()


def get_user(*, session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def create_user(
    *,
    session: Session,
    username: str,
    password_hash: str,
    role: str,
    full_name: str | None = None,
    email: str | None = None,
    class_name: str | None = None,
    grade: int | None = None,
    must_change_password: bool = False,
) -> User:
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        full_name=full_name,
        email=email,
        class_name=class_name,
        grade=grade,
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    return user


def username_exists(*, session: Session, username: str) -> bool:
    return session.exec(select(User.id).where(User.username == username)).first() is not None


def record_login_attempt(
    *, session: Session, username: str, succeeded: bool, ip_address: str | None = None
) -> None:
    session.add(LoginAttempt(username=username, succeeded=succeeded, ip_address=ip_address))


def _same_ip(ip_address: str | None) -> Any:
    # An unknown address is one client of its own (NULL = NULL is not true in SQL).
    if ip_address is None:
        return col(LoginAttempt.ip_address).is_(None)
    return LoginAttempt.ip_address == ip_address


def _last_success(*filters: Any) -> Any:
    return (
        select(sa.func.max(LoginAttempt.created_at))
        .where(*filters, col(LoginAttempt.succeeded).is_(True))
        .scalar_subquery()
    )


@dataclass(frozen=True)
class FailureCount:
    count: int
    latest: datetime | None  # the newest of the counted failures


def _failures(session: Session, since: datetime, filters: list[Any], reset: bool) -> FailureCount:
    """Failures matching `filters` since `since`; with `reset`, only those after the last
    success matching the same filters (a success clears the count)."""
    where = [
        *filters,
        col(LoginAttempt.succeeded).is_(False),
        col(LoginAttempt.created_at) >= since,
    ]
    if reset:
        last_success = _last_success(*filters)
        where.append(sa.or_(last_success.is_(None), LoginAttempt.created_at > last_success))
    count, latest = session.exec(
        select(sa.func.count(), sa.func.max(LoginAttempt.created_at)).where(*where)
    ).one()
    return FailureCount(int(count), latest)


def failures_for_username(*, session: Session, username: str, since: datetime) -> FailureCount:
    """Every client's failures on a username since `since`, after its last success."""
    return _failures(session, since, [LoginAttempt.username == username], reset=True)


def failures_for_client(
    *, session: Session, username: str, ip_address: str | None, since: datetime
) -> FailureCount:
    """One client's failures on one username since `since`, after that client's last
    success on it."""
    return _failures(
        session, since, [LoginAttempt.username == username, _same_ip(ip_address)], reset=True
    )


def failures_from_ip(*, session: Session, ip_address: str | None, since: datetime) -> FailureCount:
    """One client's failures on any username since `since` (successes do not clear it:
    a sprayer who guesses one password right keeps the count of the others)."""
    return _failures(session, since, [_same_ip(ip_address)], reset=False)


def failures_everywhere(*, session: Session, since: datetime) -> int:
    """Failures server-wide since `since`."""
    return _failures(session, since, [], reset=False).count


def prune_login_attempts(*, session: Session, before: datetime) -> int:
    """Forget attempts older than `before` (the throttle looks back minutes, not months)."""
    result = session.exec(delete(LoginAttempt).where(col(LoginAttempt.created_at) < before))
    return int(result.rowcount or 0)


def touch_last_login(*, session: Session, user: User, when: datetime) -> None:
    user.last_login = when
    session.add(user)


def assign_class(*, session: Session, teacher_id: int, class_name: str) -> None:
    """Idempotent: a teacher teaches a class once."""
    exists = session.exec(
        select(ClassAssignment.id).where(
            ClassAssignment.teacher_id == teacher_id, ClassAssignment.class_name == class_name
        )
    ).first()
    if exists is None:
        session.add(ClassAssignment(teacher_id=teacher_id, class_name=class_name))
        session.flush()


def unassign_class(*, session: Session, teacher_id: int, class_name: str) -> bool:
    """Whether the teacher taught the class (and now no longer does)."""
    result = session.exec(
        delete(ClassAssignment).where(
            col(ClassAssignment.teacher_id) == teacher_id,
            col(ClassAssignment.class_name) == class_name,
        )
    )
    return bool(result.rowcount)


def list_classes_by_teacher(
    *, session: Session, teacher_ids: Collection[int]
) -> dict[int, list[str]]:
    """The classes of many teachers at once (one query for a page of the user list)."""
    found: dict[int, list[str]] = {}
    wanted = sorted(set(teacher_ids))
    for start in range(0, len(wanted), _IN_CHUNK):
        rows = session.exec(
            select(ClassAssignment.teacher_id, ClassAssignment.class_name)
            .where(col(ClassAssignment.teacher_id).in_(wanted[start : start + _IN_CHUNK]))
            .order_by(col(ClassAssignment.class_name))
        ).all()
        for teacher_id, class_name in rows:
            found.setdefault(int(teacher_id), []).append(class_name)
    return found


def list_teacher_classes(*, session: Session, teacher_id: int) -> list[str]:
    return list(
        session.exec(
            select(ClassAssignment.class_name)
            .where(ClassAssignment.teacher_id == teacher_id)
            .order_by(ClassAssignment.class_name)
        ).all()
    )


def list_student_classes(*, session: Session) -> list[str]:
    """Every class that has an active student (an admin sees them all)."""
    return [
        c
        for c in session.exec(
            select(User.class_name)
            .where(
                User.role == "siswa",
                col(User.deleted_at).is_(None),
                col(User.class_name).is_not(None),
            )
            .distinct()
            .order_by(User.class_name)
        ).all()
        if c
    ]


def list_students(
    *, session: Session, class_names: list[str], grade: int | None = None
) -> list[User]:
    query = select(User).where(
        User.role == "siswa",
        col(User.is_active).is_(True),
        col(User.deleted_at).is_(None),
        col(User.class_name).in_(class_names),
    )
    if grade is not None:
        query = query.where(User.grade == grade)
    return list(session.exec(query.order_by(col(User.class_name), col(User.full_name))).all())


# --- Admin: the user list, bulk checks and account changes -------------------------------


def _user_filters(*, search: str | None, role: str | None, active: bool | None) -> list[Any]:
    filters: list[Any] = [col(User.deleted_at).is_(None)]
    if search:
        # Case-insensitive substring; autoescape makes % and _ in the term match literally.
        filters.append(
            sa.or_(
                *(
                    col(column).icontains(search, autoescape=True)
                    for column in (User.username, User.full_name, User.class_name)
                )
            )
        )
    if role:
        filters.append(User.role == role)
    if active is not None:
        filters.append(col(User.is_active).is_(active))
    return filters


def search_users(
    *,
    session: Session,
    search: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    limit: int = 25,
    offset: int = 0,
) -> list[User]:
    """One page of (not deleted) users matching username, full name or class; LIMIT/OFFSET."""
    query = (
        select(User)
        .where(*_user_filters(search=search, role=role, active=active))
        .order_by(col(User.username))
        .limit(limit)
        .offset(offset)
    )
    return list(session.exec(query).all())


def count_users(
    *,
    session: Session,
    search: str | None = None,
    role: str | None = None,
    active: bool | None = None,
) -> int:
    query = (
        select(sa.func.count())
        .select_from(User)
        .where(*_user_filters(search=search, role=role, active=active))
    )
    return int(session.exec(query).one())


_IN_CHUNK = 500  # stay far below every database's bound-parameter limit


def existing_usernames(*, session: Session, usernames: Collection[str]) -> set[str]:
    """Which of `usernames` are taken (deleted accounts too), compared case-insensitively;
    returns the lower-cased names."""
    wanted = sorted({u.lower() for u in usernames})
    found: set[str] = set()
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        found.update(
            name.lower()
            for name in session.exec(
                select(User.username).where(sa.func.lower(User.username).in_(chunk))
            ).all()
        )
    return found


def existing_emails(*, session: Session, emails: Collection[str]) -> set[str]:
    """Which of `emails` are taken, compared case-insensitively; returns them lower-cased."""
    wanted = sorted({e.lower() for e in emails})
    found: set[str] = set()
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        found.update(
            (email or "").lower()
            for email in session.exec(
                select(User.email).where(sa.func.lower(User.email).in_(chunk))
            ).all()
        )
    return found


def add_users(*, session: Session, users: list[dict[str, Any]]) -> list[User]:
    """Insert many users (each dict holds User fields, with `password_hash`); one flush."""
    rows = [User(**fields) for fields in users]
    session.add_all(rows)
    session.flush()
    return rows


def get_live_user_for_update(*, session: Session, user_id: int) -> User | None:
    """A not-deleted user, row-locked on PostgreSQL until the transaction ends."""
    return session.exec(
        select(User).where(User.id == user_id, col(User.deleted_at).is_(None)).with_for_update()
    ).first()


def lock_active_admin_ids(*, session: Session) -> list[int]:
    """Ids of active admins, locked (PostgreSQL) so two admins cannot remove each other at
    once and leave the school without one. SQLite serialises writers anyway."""
    return [
        int(user_id)
        for user_id in session.exec(
            select(User.id)
            .where(
                User.role == "admin",
                col(User.is_active).is_(True),
                col(User.deleted_at).is_(None),
            )
            .order_by(col(User.id))
            .with_for_update()
        ).all()
        if user_id is not None
    ]


def set_role(*, session: Session, user: User, role: str) -> None:
    user.role = role
    session.add(user)
    session.flush()


def set_active(*, session: Session, user: User, active: bool) -> None:
    user.is_active = active
    session.add(user)
    session.flush()


def set_password_hash(
    *, session: Session, user: User, password_hash: str, must_change: bool = False
) -> None:
    user.password_hash = password_hash
    user.must_change_password = must_change
    session.add(user)
    session.flush()


def clear_login_failures(*, session: Session, username: str) -> int:
    """Forget a username's failed logins (a password reset also lifts a lockout)."""
    result = session.exec(
        delete(LoginAttempt).where(
            col(LoginAttempt.username) == username, col(LoginAttempt.succeeded).is_(False)
        )
    )
    return int(result.rowcount or 0)


def email_taken_by_other(*, session: Session, email: str, user_id: int) -> bool:
    """Whether another account (deleted ones too: the column is unique) has this email,
    compared case-insensitively."""
    return (
        session.exec(
            select(User.id).where(
                sa.func.lower(User.email) == email.lower(), col(User.id) != user_id
            )
        ).first()
        is not None
    )


def set_profile(
    *,
    session: Session,
    user: User,
    full_name: str,
    email: str | None,
    class_name: str | None,
    grade: int | None,
) -> None:
    """Name, email, class and grade only: the id, and with it every answer, stays."""
    user.full_name = full_name
    user.email = email
    user.class_name = class_name
    user.grade = grade
    session.add(user)
    session.flush()


def list_class_members(*, session: Session, class_name: str, lock: bool = False) -> list[User]:
    """Every student of a class, active or not (not deleted), by username; with `lock`,
    row-locked on PostgreSQL until the transaction ends."""
    query = (
        select(User)
        .where(
            User.role == "siswa",
            col(User.deleted_at).is_(None),
            User.class_name == class_name,
        )
        .order_by(col(User.username))
    )
    if lock:
        query = query.with_for_update()
    return list(session.exec(query).all())


def list_class_teacher_names(*, session: Session, class_name: str) -> list[str]:
    """Usernames of the teachers assigned to a class."""
    return list(
        session.exec(
            select(User.username)
            .join(ClassAssignment, col(ClassAssignment.teacher_id) == col(User.id))
            .where(ClassAssignment.class_name == class_name)
            .order_by(col(User.username))
        ).all()
    )


def move_students(*, session: Session, users: list[User], class_name: str, grade_step: int) -> None:
    """Put students in another class, their grade moved by `grade_step` (0 or 1)."""
    for user in users:
        user.class_name = class_name
        if user.grade is not None:
            user.grade += grade_step
        session.add(user)
    session.flush()


def rename_class_assignments(*, session: Session, old: str, new: str) -> int:
    """Teachers of `old` now teach `new` (one row each: a teacher who had both keeps one)."""
    rows = list(session.exec(select(ClassAssignment).where(ClassAssignment.class_name == old)))
    for row in rows:
        taken = session.exec(
            select(ClassAssignment.id).where(
                ClassAssignment.teacher_id == row.teacher_id, ClassAssignment.class_name == new
            )
        ).first()
        if taken is None:
            row.class_name = new
            session.add(row)
        else:
            session.delete(row)
    session.flush()
    return len(rows)
