"""Users and login attempts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from nexus_app.models import ClassAssignment, LoginAttempt, User


def get_user_by_username(*, session: Session, username: str) -> User | None:
    """Seed query "Validate user credentials": the lookup half (the hash is checked in Python,
    because argon2 hashes are salted and cannot be compared in SQL)."""
    return session.exec(
        select(User).where(User.username == username, User.deleted_at.is_(None))  # type: ignore[union-attr]
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
) -> User:
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        full_name=full_name,
        email=email,
        class_name=class_name,
        grade=grade,
    )
    session.add(user)
    session.flush()
    return user


def username_exists(*, session: Session, username: str) -> bool:
    return session.exec(select(User.id).where(User.username == username)).first() is not None


def record_login_attempt(*, session: Session, username: str, succeeded: bool) -> None:
    session.add(LoginAttempt(username=username, succeeded=succeeded))


def count_recent_failures(*, session: Session, username: str, since: datetime) -> int:
    """Failures since `since` that came after the last success (a success clears the count)."""
    last_success = (
        select(sa.func.max(LoginAttempt.created_at))
        .where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(True))  # type: ignore[attr-defined]
        .scalar_subquery()
    )
    query = select(sa.func.count()).where(
        LoginAttempt.username == username,
        LoginAttempt.succeeded.is_(False),  # type: ignore[attr-defined]
        LoginAttempt.created_at >= since,
        sa.or_(last_success.is_(None), LoginAttempt.created_at > last_success),
    )
    return int(session.exec(query).one())


def latest_failure_time(*, session: Session, username: str) -> datetime | None:
    return session.exec(
        select(sa.func.max(LoginAttempt.created_at)).where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),  # type: ignore[attr-defined]
        )
    ).one()


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
            .where(User.role == "siswa", User.deleted_at.is_(None), User.class_name.is_not(None))  # type: ignore[union-attr]
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
        User.is_active.is_(True),  # type: ignore[attr-defined]
        User.deleted_at.is_(None),  # type: ignore[union-attr]
        User.class_name.in_(class_names),  # type: ignore[union-attr]
    )
    if grade is not None:
        query = query.where(User.grade == grade)
    return list(session.exec(query.order_by(User.class_name, User.full_name)).all())
