"""Issue 16, every page: no handler runs a database statement on the event loop's thread.

test_practice_off_loop.py follows one student's practice round; this walks every event
handler of every state (admin sections, tasks, tryout, school practice, the teacher's
pages, the tutor, onboarding, ...) the way the role matrix does, as a user the state allows,
and records the thread of every SQL statement sent while a handler runs. The loop's thread
must never be among them, and the handlers must have reached the database at all (else the
check proves nothing). Background events (a backup, a book's ingestion, a calibration run,
the tutor's stream) are left out: each is written against the loop by hand and would start
long work here.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.services import session_cache
from nexus_app.services.errors import ServiceError
from nexus_app.state.auth import AuthState, SessionPending
from tests.integration.state.test_role_matrix import (
    HANDLERS,
    World,
    _allowed,
    _arguments,
    _tree,
    world,  # noqa: F401  (fixture)
)

# `AuthState.require` is the blocking session check itself (Reflex lists every public method
# as a handler): handlers call it no more (they use `_require_async` or, in a worker thread,
# `_require_reused`), and nothing in the app sends it as an event.
NOT_WALKED = {"AuthState.require"}


class Statements:
    """The thread of every statement sent while `on` is set, with the handler it ran for."""

    def __init__(self) -> None:
        self.on = ""
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, *_args: Any) -> None:
        label = self.on
        if label:
            with self._lock:
                self.seen.append((label, threading.current_thread().name))


@pytest.fixture
def statements() -> Iterator[Statements]:
    record = Statements()
    sa.event.listen(Engine, "before_cursor_execute", record)
    yield record
    sa.event.remove(Engine, "before_cursor_execute", record)


async def _drive(cls: type[AuthState], name: str, state: AuthState, args: list[Any]) -> None:
    """Run one handler as Reflex does: awaited, or drained when it yields."""
    result = cls.event_handlers[name].fn(state, *args)
    if inspect.iscoroutine(result):
        await result
    elif inspect.isasyncgen(result):
        async for _ in result:
            pass
    elif inspect.isgenerator(result):
        for _ in result:
            pass


async def _watched(
    statements: Statements,
    label: str,
    cls: type[AuthState],
    name: str,
    state: AuthState,
    args: list[Any],
) -> str:
    """Run the handler with its statements recorded; the loop's thread name."""
    statements.on = label
    try:
        await _drive(cls, name, state, args)
    except (ServiceError, SessionPending):
        pass  # refused arguments still ran their checks: what matters is where
    finally:
        statements.on = ""
    return threading.current_thread().name


def _role_for(cls: type[AuthState]) -> str:
    allowed = _allowed(cls)
    return "admin" if "admin" in allowed else allowed[0]


def test_no_handler_sends_a_statement_from_the_event_loop_thread(
    world: World,  # noqa: F811
    statements: Statements,
) -> None:
    handlers = [
        (label, cls, name)
        for label, cls, name in HANDLERS
        if not cls.event_handlers[name].is_background and label not in NOT_WALKED
    ]
    on_loop: list[str] = []
    reached: set[str] = set()
    for label, cls, name in handlers:
        role = _role_for(cls)
        if role == "anonymous":
            role = "siswa"
        _root, state = _tree(world, cls, role)
        args = _arguments(world, cls, name)
        session_cache.clear()  # every handler asks the database for its session once

        loop_thread = asyncio.run(_watched(statements, label, cls, name, state, args))
        for seen_label, thread in statements.seen:
            reached.add(seen_label)
            if thread == loop_thread:
                on_loop.append(seen_label)
        statements.seen.clear()
    assert not on_loop, "statements sent on the event loop by:\n" + "\n".join(sorted(set(on_loop)))
    # The walk did reach the database from the pages this issue names.
    for expected in (
        "AdminUsersState.load",
        "AdminBanksState.load",
        "TeacherState.load",
        "TeacherTaskState.load",
        "StudentTasksState.load",
        "TaskRunState.load",
        "TryoutState.load",
        "SchoolPracticeState.load",
        "OnboardingState.load",
        "ChatState.load",
        "AdminPracticeQuestionsState.load",
    ):
        assert expected in reached, f"{expected} sent no statement: the check proves nothing"
