"""Sessions this worker process has just checked, reused for a few seconds.

Every private event re-checks the tab's session in the database
(`auth.current_user_for_digest`): on /practice that is four round trips per answer (choose,
submit, next question, rating), 15% of the server's CPU per answer under load. The events of
an open page may reuse a check this process made at most `MAX_AGE_SECONDS` ago; page loads
ask the database and refresh the entry: the hydrate (state/auth.py SessionHygieneMiddleware)
does, and the guard right after it reuses that check (at most 2 s old) instead of asking again.

Staleness, stated: a session that ends elsewhere — logged out in another worker, expired,
ended by a password change, its account deactivated or its role changed — is still accepted
by the events of a page already open for at most `MAX_AGE_SECONDS`; the next page load
refuses it at once. A logout or a password change in this process forgets it at once.
Only valid sessions are kept: a refusal is never cached.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from nexus_app.services import auth
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import NotAuthenticated, PasswordChangeRequired, PermissionDenied

MAX_AGE_SECONDS = 10.0
# Far above the tabs one worker serves; past it, stale entries are dropped first.
MAX_ENTRIES = 20_000


@dataclass(frozen=True)
class _Entry:
    user: CurrentUser
    checked_at: float


_entries: dict[str, _Entry] = {}
_lock = threading.Lock()
# Monotonic seconds; tests replace it to move time.
clock: Callable[[], float] = time.monotonic


def _check_role(
    user: CurrentUser, roles: tuple[str, ...] | None, pending_password_ok: bool = False
) -> CurrentUser:
    """The same refusals as `auth.current_user_for_digest`, applied to a remembered user."""
    if roles is not None and user.role not in roles:
        raise PermissionDenied()
    if user.must_change_password and not pending_password_ok:
        raise PasswordChangeRequired()
    return user


def recent_user(
    session_digest: str,
    roles: tuple[str, ...] | None = None,
    *,
    pending_password_ok: bool = False,
) -> CurrentUser | None:
    """The user of a session this process found valid at most MAX_AGE_SECONDS ago, else None
    (ask the database: `validate`). PermissionDenied for such a user of another role."""
    with _lock:
        entry = _entries.get(session_digest)
    if entry is None or clock() - entry.checked_at > MAX_AGE_SECONDS:
        return None
    return _check_role(entry.user, roles, pending_password_ok)


def validate(
    session_digest: str,
    roles: tuple[str, ...] | None = None,
    *,
    pending_password_ok: bool = False,
) -> CurrentUser:
    """Ask the database (blocking: async handlers run it in a thread) and remember a valid
    session. Raises NotAuthenticated or PermissionDenied like `auth.current_user_for_digest`."""
    checked_at = clock()
    try:
        # Without roles or the password refusal: the entry then serves every page of that
        # user, and `_check_role` applies both to each caller.
        user = auth.current_user_for_digest(session_digest, pending_password_ok=True)
    except NotAuthenticated:
        forget(session_digest)
        raise
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _drop_stale(clock())
        _entries[session_digest] = _Entry(user, checked_at)
    return _check_role(user, roles, pending_password_ok)


def _drop_stale(now: float) -> None:
    stale = [d for d, e in _entries.items() if now - e.checked_at > MAX_AGE_SECONDS]
    for digest in stale or list(_entries)[: len(_entries) // 2]:
        del _entries[digest]


def forget(session_digest: str | None) -> None:
    """This session ended here (logout): the next event asks the database."""
    if session_digest:
        with _lock:
            _entries.pop(session_digest, None)


def forget_user(user_id: int) -> None:
    """Every remembered session of one user (their password changed here)."""
    with _lock:
        for digest in [d for d, e in _entries.items() if e.user.id == user_id]:
            del _entries[digest]


def clear() -> None:
    with _lock:
        _entries.clear()
