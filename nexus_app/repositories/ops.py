"""Operations data: captured errors and job runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import ErrorLog, User
from nexus_app.models import Session as LoginSession
from nexus_app.repositories._sql import select_columns


@dataclass(frozen=True, slots=True)
class ErrorLogRow:
    """One captured error with the username of whoever triggered it (if anyone)."""

    id: int
    created_at: datetime
    severity: str | None
    error_type: str | None
    message: str | None
    username: str | None
    endpoint: str | None
    method: str | None
    environment: str | None
    stack_trace: str | None  # only filled by `get_error`: the list leaves it out
    occurrences: int = 1
    last_seen_at: datetime | None = None


def record_error(
    *,
    session: Session,
    error_type: str,
    message: str,
    stack_trace: str | None,
    severity: str,
    user_id: int | None,
    endpoint: str | None,
    environment: str,
    method: str = "EVENT",
) -> ErrorLog:
    row = ErrorLog(
        error_type=error_type[:100],
        error_message=message,
        error_stack_trace=stack_trace,
        severity=severity,
        user_id=user_id,
        endpoint=(endpoint or "")[:255] or None,
        method=method[:10],
        environment=environment[:20],
    )
    session.add(row)
    session.flush()
    return row


def end_all_sessions(*, session: Session) -> int:
    """Log everyone out (after a restore the sessions table is the backup's)."""
    result = session.exec(sa.delete(LoginSession))
    return int(result.rowcount or 0)


def disabled_usernames(*, session: Session) -> list[str]:
    """Accounts that cannot log in now: deactivated or deleted."""
    return list(
        session.exec(
            select(User.username).where(
                sa.or_(col(User.is_active).is_(False), col(User.deleted_at).is_not(None))
            )
        ).all()
    )


def deactivate_usernames(*, session: Session, usernames: list[str]) -> int:
    """Deactivate these accounts (those that exist); returns how many were active."""
    changed = 0
    for start in range(0, len(usernames), 500):
        result = session.exec(
            sa.update(User)
            .where(col(User.username).in_(usernames[start : start + 500]))
            .where(col(User.is_active).is_(True))
            .values(is_active=False)
        )
        changed += int(result.rowcount or 0)
    return changed


def bump_recent_error(
    *,
    session: Session,
    error_type: str,
    message: str,
    endpoint: str | None,
    user_id: int | None,
    since: datetime,
    now: datetime,
) -> bool:
    """Count one more occurrence on the latest row of the same error (type, message,
    endpoint, user) seen since `since`; False when there is none and a new row is due."""
    endpoint = (endpoint or "")[:255] or None
    seen = sa.func.coalesce(col(ErrorLog.last_seen_at), col(ErrorLog.created_at))
    latest = session.exec(
        select(ErrorLog.id)
        .where(
            col(ErrorLog.error_type) == error_type[:100],
            col(ErrorLog.error_message) == message,
            col(ErrorLog.endpoint).is_(None)
            if endpoint is None
            else col(ErrorLog.endpoint) == endpoint,
            col(ErrorLog.user_id).is_(None)
            if user_id is None
            else col(ErrorLog.user_id) == user_id,
            seen >= since,
        )
        .order_by(col(ErrorLog.id).desc())
        .limit(1)
    ).first()
    if latest is None:
        return False
    session.exec(
        sa.update(ErrorLog)
        .where(col(ErrorLog.id) == latest)
        .values(occurrences=col(ErrorLog.occurrences) + 1, last_seen_at=now)
    )
    return True


def _error_filters(
    *,
    severity: str | None,
    error_type: str | None,
    text: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[Any]:
    filters: list[Any] = []
    if severity:
        filters.append(col(ErrorLog.severity) == severity)
    if error_type:
        filters.append(col(ErrorLog.error_type) == error_type)
    if text:
        # Case-insensitive substring; autoescape makes % and _ in the text literal.
        filters.append(
            sa.or_(
                *(
                    column.icontains(text, autoescape=True)
                    for column in (
                        col(ErrorLog.error_message),
                        col(ErrorLog.error_type),
                        col(ErrorLog.endpoint),
                        col(ErrorLog.error_stack_trace),
                    )
                )
            )
        )
    if since is not None:
        filters.append(col(ErrorLog.created_at) >= since)
    if until is not None:
        filters.append(col(ErrorLog.created_at) < until)
    return filters


def search_errors(
    *,
    session: Session,
    severity: str | None = None,
    error_type: str | None = None,
    text: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 25,
    offset: int = 0,
) -> tuple[list[ErrorLogRow], int]:
    """One page of captured errors, newest first, and how many match in all.

    The window is [since, until). `text` is searched in the message, type, endpoint and
    stack trace. Stack traces stay out of the page (up to 20 kB each): see `get_error`.
    """
    filters = _error_filters(
        severity=severity, error_type=error_type, text=text, since=since, until=until
    )
    total = session.exec(select(sa.func.count()).select_from(ErrorLog).where(*filters)).one()
    rows = session.exec(
        select_columns(
            col(ErrorLog.id),
            col(ErrorLog.created_at),
            col(ErrorLog.severity),
            col(ErrorLog.error_type),
            col(ErrorLog.error_message),
            col(User.username),
            col(ErrorLog.endpoint),
            col(ErrorLog.method),
            col(ErrorLog.environment),
            col(ErrorLog.occurrences),
            col(ErrorLog.last_seen_at),
        )
        .outerjoin(User, col(User.id) == col(ErrorLog.user_id))
        .where(*filters)
        .order_by(col(ErrorLog.created_at).desc(), col(ErrorLog.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        ErrorLogRow(
            id=int(eid),
            created_at=created,
            severity=severity_,
            error_type=etype,
            message=message,
            username=username,
            endpoint=endpoint,
            method=method,
            environment=environment,
            stack_trace=None,
            occurrences=int(count or 1),
            last_seen_at=last_seen,
        )
        for (
            eid,
            created,
            severity_,
            etype,
            message,
            username,
            endpoint,
            method,
            environment,
            count,
            last_seen,
        ) in rows
    ], int(total)


def get_error(*, session: Session, error_id: int) -> ErrorLogRow | None:
    found = session.exec(
        select(ErrorLog, User.username)
        .outerjoin(User, col(User.id) == col(ErrorLog.user_id))
        .where(col(ErrorLog.id) == error_id)
    ).first()
    if found is None:
        return None
    row, username = found
    return ErrorLogRow(
        id=int(row.id or 0),
        created_at=row.created_at,
        severity=row.severity,
        error_type=row.error_type,
        message=row.error_message,
        username=username,
        endpoint=row.endpoint,
        method=row.method,
        environment=row.environment,
        stack_trace=row.error_stack_trace,
        occurrences=int(row.occurrences or 1),
        last_seen_at=row.last_seen_at,
    )


def list_error_types(*, session: Session) -> list[str]:
    """Every error type seen, for the filter (grouped on the indexed column)."""
    return [
        t
        for t in session.exec(
            select(ErrorLog.error_type)
            .where(col(ErrorLog.error_type).is_not(None))
            .group_by(col(ErrorLog.error_type))
            .order_by(col(ErrorLog.error_type))
        ).all()
        if t
    ]


def count_errors_since(*, session: Session, since: datetime) -> int:
    return int(
        session.exec(
            select(sa.func.count()).select_from(ErrorLog).where(col(ErrorLog.created_at) >= since)
        ).one()
    )


def count_errors_before(*, session: Session, before: datetime) -> int:
    return int(
        session.exec(
            select(sa.func.count()).select_from(ErrorLog).where(col(ErrorLog.created_at) < before)
        ).one()
    )


def delete_errors_before(*, session: Session, before: datetime) -> int:
    """Delete errors captured before `before`; returns how many went."""
    result = session.exec(sa.delete(ErrorLog).where(col(ErrorLog.created_at) < before))
    return int(result.rowcount or 0)
