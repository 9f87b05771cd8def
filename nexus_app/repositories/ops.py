"""Operations data: captured errors and job runs."""

from __future__ import annotations

from sqlmodel import Session

from nexus_app.models import ErrorLog


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
) -> ErrorLog:
    row = ErrorLog(
        error_type=error_type[:100],
        error_message=message,
        error_stack_trace=stack_trace,
        severity=severity,
        user_id=user_id,
        endpoint=(endpoint or "")[:255] or None,
        method="EVENT",
        environment=environment[:20],
    )
    session.add(row)
    session.flush()
    return row
