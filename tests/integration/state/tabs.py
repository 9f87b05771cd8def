"""State tests' tabs: signed in by the tab's own login step, not by setting its fields."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from reflex.state import BaseState

from nexus_app.services import auth
from nexus_app.state.auth import AuthState


def sign_in(state: AuthState, token: str) -> None:
    """What a real login leaves in the tab (`AuthState._start_session`): the session's
    digest, a fresh login nonce and the user, on a tree reset to its defaults."""
    state._start_session(auth.hash_token(token), auth.current_user(token))


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
