"""The admin base (nexus_app/state/admin/base.py): the role check runs first, the actor is
handed over, a refusal becomes the named field's message, the browser sees the handler's own
arguments only, paging stays within 1..page_count, and every handler is async with a sync
body run in a worker thread (issue 16). Plain objects stand in for states."""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

import pytest

from nexus_app.services.errors import InvalidInput, PermissionDenied
from nexus_app.state.admin.base import Paged, admin_event, admin_setter
from nexus_app.state.admin.sections import ADMIN_SECTIONS, AdminSection


class FakeState:
    def __init__(self, role: str = "admin") -> None:
        self.role = role
        self.error = ""
        self.flag = False
        self.log: list[str] = []

        self.threads: list[str] = []

    async def _require_async(self, *roles: str) -> str:
        if self.role not in roles:
            raise PermissionDenied("Ditolak.")
        return "the-admin"

    @admin_event(error="error")
    def act(self, actor: str, value: str) -> str:
        self.threads.append(threading.current_thread().name)
        if value == "bad":
            raise InvalidInput("Nilai tidak sah.")
        self.log.append(f"{actor}:{value}")
        return value

    @admin_event(error="error")
    def walk(self, actor: str):
        self.threads.append(threading.current_thread().name)
        yield "one"
        self.threads.append(threading.current_thread().name)
        raise InvalidInput("Langkah kedua gagal.")

    @admin_event
    def plain(self, value: int) -> None:
        if value < 0:
            raise InvalidInput("Negatif.")
        self.log.append(str(value))

    @admin_event(error="error")
    async def later(self, actor: str) -> None:
        raise InvalidInput("Nanti saja.")

    @admin_event(error="error")
    async def steps(self, actor: str):
        self.log.append("first")
        yield
        raise InvalidInput("Langkah kedua gagal.")

    set_flag = admin_setter("flag", bool)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_the_actor_is_handed_over_and_hidden_from_the_browser() -> None:
    state = FakeState()
    assert run(FakeState.act(state, "x")) == "x"
    assert state.log == ["the-admin:x"]
    assert list(inspect.signature(FakeState.act).parameters) == ["self", "value"]
    assert FakeState.act.__annotations__ == {"value": str, "return": str}
    assert FakeState.act.__qualname__ == "FakeState.act"


def test_a_refusal_becomes_the_fields_message_and_stops_the_handler() -> None:
    state = FakeState()
    assert run(FakeState.act(state, "bad")) is None
    assert state.error == "Nilai tidak sah."
    assert state.log == []


def test_without_a_field_the_refusal_reaches_the_app() -> None:
    state = FakeState()
    run(FakeState.plain(state, 3))
    with pytest.raises(InvalidInput):
        run(FakeState.plain(state, -1))
    assert state.log == ["3"]
    assert list(inspect.signature(FakeState.plain).parameters) == ["self", "value"]


@pytest.mark.parametrize("role", ["siswa", "guru"])
def test_other_roles_are_refused_before_the_handler_runs(role: str) -> None:
    state = FakeState(role)
    with pytest.raises(PermissionDenied):
        run(FakeState.act(state, "x"))
    with pytest.raises(PermissionDenied):
        run(FakeState.set_flag(state, True))
    assert (state.log, state.flag) == ([], False)


def test_a_sync_body_runs_off_the_event_loop() -> None:
    """The loop thread serves every other tab: a sync handler's body (each step of a sync
    generator) runs in a worker thread, and Reflex sees an async handler."""
    assert inspect.iscoroutinefunction(FakeState.act)
    assert inspect.isasyncgenfunction(FakeState.walk)
    state = FakeState()

    async def scenario() -> tuple[str, list[Any]]:
        await FakeState.act(state, "x")
        updates = [update async for update in FakeState.walk(state)]
        return threading.current_thread().name, updates

    loop_thread, updates = asyncio.run(scenario())
    assert updates == ["one"]
    assert state.error == "Langkah kedua gagal."
    assert len(state.threads) == 3 and loop_thread not in state.threads


def test_async_and_generator_handlers_keep_their_kind() -> None:
    assert inspect.iscoroutinefunction(FakeState.later)
    assert inspect.isasyncgenfunction(FakeState.steps)
    state = FakeState()
    asyncio.run(FakeState.later(state))
    assert state.error == "Nanti saja."

    async def drain() -> None:
        async for _ in FakeState.steps(state):
            pass

    asyncio.run(drain())
    assert (state.log, state.error) == (["first"], "Langkah kedua gagal.")


def test_the_setter_sets_its_field_for_an_admin() -> None:
    state = FakeState()
    run(FakeState.set_flag(state, True))
    assert state.flag is True
    assert FakeState.set_flag.__name__ == "set_flag"


@pytest.mark.parametrize("section", ADMIN_SECTIONS, ids=lambda s: s.key)
def test_every_admin_handler_is_named_as_it_is_bound(section: AdminSection) -> None:
    """The browser names an event by its function's name: two setters both called `setter`
    would both run the last one bound."""
    handlers = section.state.event_handlers
    assert handlers
    for name, handler in handlers.items():
        if name != "setvar":
            assert handler.fn.__name__ == name, f"{section.state.__name__}.{name}"


class FakePaged:
    def __init__(self, page: int, page_count: int) -> None:
        self.page, self.page_count = page, page_count
        self.loads: list[int] = []

    async def _require_async(self, *roles: str) -> str:
        assert roles == ("admin",)
        return "the-admin"

    def _load_page(self, actor: Any) -> None:
        self.loads.append(self.page)


@pytest.mark.parametrize(
    ("start", "count", "after_next", "after_previous"),
    [(1, 3, 2, 1), (3, 3, 3, 2), (1, 1, 1, 1), (5, 2, 2, 2)],
)
def test_paging_stays_within_the_pages(
    start: int, count: int, after_next: int, after_previous: int
) -> None:
    forward, back = FakePaged(start, count), FakePaged(start, count)
    run(Paged.__dict__["next_page"](forward))
    run(Paged.__dict__["prev_page"](back))
    assert (forward.page, back.page) == (after_next, after_previous)
    assert (forward.loads, back.loads) == ([after_next], [after_previous])
