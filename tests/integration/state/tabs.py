"""State tests' tabs: signed in by the tab's own login step, not by setting its fields."""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any

from reflex.state import BaseState, State

from nexus_app.services import auth
from nexus_app.state import streaming
from nexus_app.state.auth import AuthState
from nexus_app.state.chat import ChatState


def sign_in(state: AuthState, token: str) -> None:
    """What a real login leaves in the tab (`AuthState._start_session`): the session's
    digest, a fresh login nonce and the user, on a tree reset to its defaults."""
    state._start_session(auth.hash_token(token), auth.current_user(token))


def chat_tab(token: str) -> ChatState:
    """A fresh tab's chat state, signed in with `token`."""
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(ChatState.get_full_name().split("."))
    sign_in(state, token)
    return state  # type: ignore[return-value]


async def settle_streams() -> None:
    """Until every tutor stream thread has ended (at most 30 s)."""
    deadline = time.monotonic() + 30
    while streaming.running_streams():
        assert time.monotonic() < deadline, "a stream thread never ended"
        await asyncio.sleep(0.02)


def run_handler(state: BaseState, name: str, *args: Any) -> Any:
    """Run one event handler of `state` to its end, whatever its kind (most are async: their
    blocking work runs in threads, issue 16), and return what it returned (a generator's
    yields, as a list)."""
    result = type(state).event_handlers[name].fn(state, *args)
    if inspect.iscoroutine(result):
        return asyncio.run(result)
    if inspect.isasyncgen(result):
        gen = result

        async def drain() -> list[Any]:
            return [update async for update in gen]

        return asyncio.run(drain())
    if inspect.isgenerator(result):
        return list(result)
    return result
