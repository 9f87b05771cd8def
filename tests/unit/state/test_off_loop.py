"""state/off_loop.py: a sync handler's body runs in a worker thread, a generator's steps
too (its return value sent last), and a cancelled handler lets go only once its body has
ended: the body writes the tab's fields, which must not change after the state lock is
released."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from nexus_app.state.off_loop import off_loop


class Tab:
    def __init__(self) -> None:
        self.threads: list[str] = []
        self.done = False

    @off_loop
    def plain(self, value: int) -> int:
        self.threads.append(threading.current_thread().name)
        return value * 2

    @off_loop
    def steps(self) -> Iterator[str]:
        self.threads.append(threading.current_thread().name)
        yield "one"
        self.threads.append(threading.current_thread().name)
        return "last"

    @off_loop
    def slow(self) -> None:
        time.sleep(0.3)
        self.done = True


def test_bodies_and_steps_run_off_the_loop() -> None:
    assert inspect.iscoroutinefunction(Tab.plain)
    assert inspect.isasyncgenfunction(Tab.steps)
    assert list(inspect.signature(Tab.plain).parameters) == ["self", "value"]
    tab = Tab()

    async def scenario() -> tuple[str, int, list[Any]]:
        doubled = await tab.plain(4)
        updates = [update async for update in tab.steps()]
        return threading.current_thread().name, doubled, updates

    loop_thread, doubled, updates = asyncio.run(scenario())
    assert (doubled, updates) == (8, ["one", "last"])
    assert len(tab.threads) == 3 and loop_thread not in tab.threads


def test_a_cancelled_handler_waits_for_its_body() -> None:
    tab = Tab()

    async def scenario() -> bool:
        task = asyncio.ensure_future(tab.slow())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return tab.done  # already True: nothing writes after the handler has gone

    assert asyncio.run(scenario()) is True


def test_an_async_handler_is_refused() -> None:
    async def already(self: Any) -> None:
        return None

    with pytest.raises(TypeError):
        off_loop(already)
