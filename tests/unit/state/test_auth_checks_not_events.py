"""The session checks are helpers, not events a browser can call.

Reflex turns every public method of a state into an event handler that a client may send
by name. `require` and `require_async` were public: a crafted websocket message could run
them with roles of its choosing (harmless, since they only re-check, but an event that
returns a user object is an error path nobody meant to open)."""

from __future__ import annotations

import importlib
import pkgutil

import nexus_app.state
from nexus_app.state.auth import AuthState


def _states() -> list[type[AuthState]]:
    for module in pkgutil.walk_packages(nexus_app.state.__path__, "nexus_app.state."):
        importlib.import_module(module.name)
    found: list[type[AuthState]] = [AuthState]
    pending = list(AuthState.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return found


def test_no_state_offers_a_session_check_as_an_event() -> None:
    exposed = [
        f"{cls.__qualname__}.{name}"
        for cls in _states()
        for name in cls.event_handlers
        if "require" in name
    ]
    assert not exposed, "session checks callable from the browser: " + ", ".join(exposed)
    assert hasattr(AuthState, "_require") and hasattr(AuthState, "_require_async")
