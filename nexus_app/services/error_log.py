"""Capture unexpected errors into error_logs so admins see them without a shell.

Anyone, logged in or not, can send the websocket malformed events, and each would be one
row with a stack trace. Two brakes keep that from filling the table and the disk:

- de-duplication: the same error (type, message, endpoint, user) within DEDUP_WINDOW adds one to
  `occurrences` on its latest row instead of a new row (shared by all workers: in the DB);
- a rate limit per client on errors from events (per worker, in memory): at most
  CLIENT_EVENTS_PER_MINUTE captures per user or per anonymous client, and at most
  ANONYMOUS_EVENTS_PER_MINUTE from all anonymous clients together; the rest are counted in
  the server log only.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from datetime import timedelta

from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.models import utcnow
from nexus_app.repositories import ops as ops_repo

log = logging.getLogger(__name__)

EVENT_ENDPOINT = "reflex-event"
_STATE_PACKAGE = "nexus_app.state."

DEDUP_WINDOW = timedelta(minutes=10)
RATE_WINDOW_SECONDS = 60.0
CLIENT_EVENTS_PER_MINUTE = 20
ANONYMOUS_EVENTS_PER_MINUTE = 60
ANONYMOUS = "anonymous"


class _RateLimiter:
    """Sliding one-minute windows per key; thread-safe (captures come from threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}
        self._dropped: dict[str, int] = {}

    def allow(self, key: str, limit: int, now: float) -> bool:
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= RATE_WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= limit:
                dropped = self._dropped.get(key, 0) + 1
                self._dropped[key] = dropped
                if dropped == 1:  # once per burst, not once per dropped error
                    log.warning("error log: too many errors from %s, not recording more", key)
                return False
            hits.append(now)
            self._dropped.pop(key, None)
            if len(self._hits) > 10_000:  # forget idle clients
                for idle in [k for k, v in self._hits.items() if not v]:
                    del self._hits[idle]
            return True

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
            self._dropped.clear()


_limiter = _RateLimiter()


def reset_rate_limits() -> None:
    _limiter.reset()


def _within_rate(user_id: int | None, client: str | None) -> bool:
    now = time.monotonic()
    if user_id is not None:
        return _limiter.allow(f"user:{user_id}", CLIENT_EVENTS_PER_MINUTE, now)
    # Anonymous: each client, and all of them together (new clients are cheap to make).
    return _limiter.allow(
        f"client:{client or '?'}", CLIENT_EVENTS_PER_MINUTE, now
    ) and _limiter.allow(ANONYMOUS, ANONYMOUS_EVENTS_PER_MINUTE, now)


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
    client: str | None = None,
) -> None:
    """Record `exc` (type, message, stack trace) in error_logs; never raises.

    An error from a Reflex event (endpoint "reflex-event") is attributed to the handler
    and the user found in its traceback, when the caller did not know them; such errors
    (and any with a `client`, e.g. "ip:10.0.0.7") are rate-limited per client. A repeat
    of a recent error only counts on the existing row.
    """
    if endpoint == EVENT_ENDPOINT:
        handler, state_user = _event_origin(exc)
        if handler:
            endpoint = f"{EVENT_ENDPOINT}:{handler}"
        if user_id is None:
            user_id = state_user
        if not _within_rate(user_id, client):
            return
    elif client is not None and not _within_rate(user_id, client):
        return
    error_type = type(exc).__name__
    message = str(exc)[:10_000]
    stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    now = utcnow()
    try:
        with unit_of_work() as session:
            if ops_repo.bump_recent_error(
                session=session,
                error_type=error_type,
                message=message,
                endpoint=endpoint,
                user_id=user_id,
                since=now - DEDUP_WINDOW,
                now=now,
            ):
                return
            ops_repo.record_error(
                session=session,
                error_type=error_type,
                message=message,
                stack_trace=stack[-20_000:],
                severity=severity,
                user_id=user_id,
                endpoint=endpoint,
                method=method or _method(endpoint),
                environment=get_settings().environment,
            )
    except Exception:
        log.exception("could not record error in error_logs")
