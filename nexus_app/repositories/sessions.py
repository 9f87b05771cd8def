"""Login sessions: the seed's session queries (create, validate, cleanup)."""

from __future__ import annotations

from datetime import datetime
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session as DbSession
from sqlmodel import col, delete, select
from sqlmodel.sql.expression import Select

from nexus_app.models import Session, User


def create_session(
    *,
    session: DbSession,
    user_id: int,
    token_hash: str,
    expires_at: datetime,
    last_used_at: datetime | None = None,
) -> Session:
    """Seed query "Create session". `last_used_at`: the login itself is a use, so the page
    loads that follow it within the minute need not renew (write) the row."""
    row = Session(
        user_id=user_id, token=token_hash, expires_at=expires_at, last_used_at=last_used_at
    )
    session.add(row)
    session.flush()
    return row


def validate_session_token(
    *, session: DbSession, token_hash: str, now: datetime, created_after: datetime | None = None
) -> tuple[Session, User] | None:
    """Seed query "Validate session token": a live session and its (active) user.
    `created_after` is the absolute cap: older sessions are refused however recently used."""
    params: dict[str, object] = {"token": token_hash, "now": now}
    if created_after is not None:
        params["created_after"] = created_after
    row = session.exec(_token_query(created_after is not None), params=params).first()
    return (row[0], row[1]) if row else None


@cache
def _token_query(capped: bool) -> Select[Session, User]:
    # Built once per shape (_sql.py, "hot statements"): every page event validates.
    query = (
        select(Session, User)
        .join(User, col(User.id) == col(Session.user_id))
        .where(
            col(Session.token) == sa.bindparam("token"),
            col(Session.expires_at) > sa.bindparam("now"),
        )
    )
    if capped:
        query = query.where(col(Session.created_at) > sa.bindparam("created_after"))
    return query


def renew_session(*, session: DbSession, row: Session, now: datetime, expires_at: datetime) -> None:
    row.last_used_at = now
    row.expires_at = expires_at
    session.add(row)


def delete_session(*, session: DbSession, token_hash: str) -> int:
    result = session.exec(delete(Session).where(col(Session.token) == token_hash))
    return int(result.rowcount or 0)


def delete_sessions_for_user(*, session: DbSession, user_id: int) -> int:
    result = session.exec(delete(Session).where(col(Session.user_id) == user_id))
    return int(result.rowcount or 0)


def delete_other_sessions_for_user(
    *, session: DbSession, user_id: int, keep_token_hash: str
) -> int:
    """Log a user out everywhere except the session that asked (a password change)."""
    result = session.exec(
        delete(Session).where(
            col(Session.user_id) == user_id, col(Session.token) != keep_token_hash
        )
    )
    return int(result.rowcount or 0)


def cleanup_expired_sessions(
    *, session: DbSession, now: datetime, created_before: datetime | None = None
) -> int:
    """Seed query "Cleanup expired sessions"; returns how many were removed. With
    `created_before`, sessions past the absolute cap go too."""
    expired = col(Session.expires_at) < now
    if created_before is not None:
        expired = sa.or_(expired, col(Session.created_at) < created_before)
    result = session.exec(delete(Session).where(expired))
    return int(result.rowcount or 0)


def count_sessions(*, session: DbSession) -> int:
    return int(session.exec(select(sa.func.count()).select_from(Session)).one())
