"""Users and login attempts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from nexus_app.models import LoginAttempt, User


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
