"""Every event handler of every admin state refuses a student and a teacher.

The handlers are found by walking the state classes, so a handler added later is covered
without touching this test. Each runs against the real database with a real session token.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import typing
from collections.abc import Iterator
from typing import Any

import pytest
import reflex as rx
from reflex.state import State
from sqlalchemy.engine import Engine

import nexus_app.state
from nexus_app.services import auth
from nexus_app.services.errors import PermissionDenied
from nexus_app.state.auth import AuthState
from nexus_app.state.school import AdminOverviewState


def _admin_states() -> list[type[AuthState]]:
    found: list[type[AuthState]] = [AdminOverviewState]
    for info in pkgutil.iter_modules(nexus_app.state.__path__):
        if not info.name.startswith("admin_"):
            continue
        module = importlib.import_module(f"nexus_app.state.{info.name}")
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, AuthState)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def _handlers() -> list[tuple[str, type[AuthState], str]]:
    cases = []
    for cls in _admin_states():
        for name, handler in cls.event_handlers.items():
            # `setvar` is Reflex's generic setter, off for us (state_auto_setters = False).
            if name == "setvar" or not handler.fn.__qualname__.startswith(cls.__name__ + "."):
                continue
            cases.append((f"{cls.__name__}.{name}", cls, name))
    return cases


HANDLERS = _handlers()
_SAMPLES: dict[Any, Any] = {str: "1", int: 1, float: 1.0, bool: True, dict: {}, list: []}


def _sample(annotation: Any) -> Any:
    origin = typing.get_origin(annotation) or annotation
    if origin in (list, tuple, set):
        return []
    if origin is dict:
        return {}
    return _SAMPLES.get(origin, "1")


def _arguments(cls: type[AuthState], name: str) -> list[Any]:
    fn = cls.event_handlers[name].fn
    hints = typing.get_type_hints(fn, globalns=vars(inspect.getmodule(fn)) | {"rx": rx})
    params = list(inspect.signature(fn).parameters.values())[1:]
    return [_sample(hints.get(p.name, str)) for p in params if p.default is inspect.Parameter.empty]


def _instance(cls: type[AuthState], token: str) -> AuthState:
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(cls.get_full_name().split("."))
    state._session_digest = auth.hash_token(token)
    return state  # type: ignore[return-value]


def _run(cls: type[AuthState], name: str, token: str) -> None:
    state = _instance(cls, token)
    result = cls.event_handlers[name].fn(state, *_arguments(cls, name))
    if inspect.iscoroutine(result):
        asyncio.run(result)
    elif inspect.isasyncgen(result):

        async def drain() -> None:
            async for _ in result:
                pass

        asyncio.run(drain())
    elif inspect.isgenerator(result):
        for _ in result:
            pass


@pytest.fixture
def tokens(engine: Engine) -> Iterator[dict[str, str]]:
    made = {}
    for username, role in (("siswa-matrix", "siswa"), ("guru-matrix", "guru")):
        auth.create_user(username=username, password="kata-sandi-matrix", role=role)
        made[role] = auth.login(username=username, password="kata-sandi-matrix").token
    yield made


def test_every_admin_section_has_a_state() -> None:
    assert len(_admin_states()) >= 12
    assert len(HANDLERS) >= 40


@pytest.mark.parametrize("role", ["siswa", "guru"])
def test_every_admin_handler_refuses(role: str, tokens: dict[str, str]) -> None:
    allowed = []
    for label, cls, name in HANDLERS:
        try:
            _run(cls, name, tokens[role])
        except PermissionDenied:
            continue
        except Exception as exc:  # any other outcome is the finding
            allowed.append(f"{label}: {type(exc).__name__}: {exc}")
            continue
        allowed.append(f"{label}: ran without refusing")
    assert not allowed, "admin handlers that did not refuse:\n" + "\n".join(allowed)
