"""Capture unexpected errors into error_logs so admins see them without a shell."""

from __future__ import annotations

import logging
import traceback

from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.repositories import ops as ops_repo

log = logging.getLogger(__name__)

EVENT_ENDPOINT = "reflex-event"
_STATE_PACKAGE = "nexus_app.state."


def _event_origin(exc: BaseException) -> tuple[str | None, int | None]:
    """The state event handler the traceback passed through ("Class.method") and the user
    logged in on that state, if any.

    The app's exception handler only gets the exception; the traceback still holds the
    handler's frame, so the log can say which action failed and for whom. Duck-typed (this
    layer does not import the states): a frame whose `self` is a `nexus_app.state` object.
    """
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        owner = frame.f_locals.get("self")
        if owner is None or not type(owner).__module__.startswith(_STATE_PACKAGE):
            continue
        handler = f"{type(owner).__name__}.{frame.f_code.co_name}"
        try:
            user_id = getattr(owner, "user_id", None)
        except Exception:  # a state that cannot be read any more: keep the handler name
            user_id = None
        return handler, user_id if isinstance(user_id, int) and user_id > 0 else None
    return None, None


def _method(endpoint: str | None) -> str:
    if endpoint and endpoint.startswith("job:"):
        return "JOB"
    if endpoint and endpoint.startswith("/"):
        return "HTTP"
    return "EVENT"


def capture(
    exc: BaseException,
    *,
    user_id: int | None = None,
    endpoint: str | None = None,
    severity: str = "high",
    method: str | None = None,
) -> None:
    """Record `exc` (type, message, stack trace) in error_logs; never raises.

    An error from a Reflex event (endpoint "reflex-event") is attributed to the handler
    and the user found in its traceback, when the caller did not know them.
    """
    if endpoint == EVENT_ENDPOINT:
        handler, state_user = _event_origin(exc)
        if handler:
            endpoint = f"{EVENT_ENDPOINT}:{handler}"
        if user_id is None:
            user_id = state_user
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
                method=method or _method(endpoint),
                environment=get_settings().environment,
            )
    except Exception:
        log.exception("could not record error in error_logs")
