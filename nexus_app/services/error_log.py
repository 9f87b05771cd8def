"""Capture unexpected errors into error_logs so admins see them without a shell."""

from __future__ import annotations

import logging
import traceback

from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.repositories import ops as ops_repo

log = logging.getLogger(__name__)


def capture(
    exc: BaseException,
    *,
    user_id: int | None = None,
    endpoint: str | None = None,
    severity: str = "high",
) -> None:
    stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        with unit_of_work() as session:
            ops_repo.record_error(
                session=session,
                error_type=type(exc).__name__,
                message=str(exc)[:10_000],
                stack_trace=stack[-20_000:],
                severity=severity,
                user_id=user_id,
                endpoint=endpoint,
                environment=get_settings().environment,
            )
    except Exception:
        log.exception("could not record error in error_logs")
