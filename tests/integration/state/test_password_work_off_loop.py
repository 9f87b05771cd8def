"""Finding 5 at the handlers: every page handler that hashes or verifies a password hands
the work to the argon2 pool and awaits it; the event loop thread never runs argon2."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from reflex.state import State
from sqlalchemy.engine import Engine

from nexus_app.services import auth, users
from nexus_app.state.admin.users import AdminUsersState
from nexus_app.state.auth import AuthState

PASSWORD = "kata-sandi-aman"


def _recording(real: Callable[..., Any], threads: list[str]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize(
    ("cls", "handler", "service", "name", "args"),
    [
        (AuthState, "login", auth, "login", [{"username": "admin_x", "password": PASSWORD}]),
        (
            AuthState,
            "change_password",
            auth,
            "change_own_password",
            [
                {
                    "current_password": PASSWORD,
                    "new_password": "baru-baru-1",
                    "confirm_password": "baru-baru-1",
                }
            ],
        ),
        (
            AdminUsersState,
            "create_user",
            users,
            "create_user",
            [{"username": "guru_x", "full_name": "Guru X"}],
        ),
        (AdminUsersState, "reset_password_generated", users, "reset_password", []),
    ],
)
def test_password_handlers_do_not_hash_on_the_event_loop(
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    cls: type[AuthState],
    handler: str,
    service: Any,
    name: str,
    args: list[Any],
) -> None:
    auth.create_user(username="admin_x", password=PASSWORD, role="admin")
    other = auth.create_user(username="siswa_x", password=PASSWORD, role="siswa")
    login = auth.login(username="admin_x", password=PASSWORD)
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(cls.get_full_name().split("."))
    state._start_session(login.session_digest, login.user)
    if cls is AdminUsersState:
        state.new_role = "guru"
        state.selected_id = other.id
    threads: list[str] = []
    monkeypatch.setattr(service, name, _recording(getattr(service, name), threads))

    async def run() -> str:
        await cls.event_handlers[handler].fn(state, *args)
        return threading.current_thread().name

    loop_thread = asyncio.run(run())
    assert threads and all(t != loop_thread and t.startswith("argon2") for t in threads), threads
