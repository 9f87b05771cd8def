"""The bridge from the blocking tutor/feedback streams to async background events
(nexus_app.state.streaming): own threads, never asyncio's default pool; cancellation when the
consumer stops; shutdown. One run through the real packaged model is marked ``llm``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from nexus_app.ai import models
from nexus_app.ai.llm import FifoLock, LocalLLM, ModelUnavailable, ScriptedChatModel
from nexus_app.ai.rag import FeedbackEvent, stream_feedback
from nexus_app.state import streaming
from nexus_app.state.streaming import in_thread, in_thread_batches, wait_label

T = TypeVar("T")
ITEM = {
    "stem": "Jika 2^x = 32, berapakah nilai x?",
    "options": {"A": "4", "B": "5", "C": "6", "D": "16", "E": "30"},
    "chosen": "D",
    "correct": "B",
    "explanation": "32 = 2^5, jadi 2^x = 2^5 sehingga x = 5. Pilihan 16 muncul dari 32 dibagi 2.",
}
MSGS = [{"role": "user", "content": "Halo"}]


def run_with_pool(coro: Coroutine[Any, Any, T], threads: int) -> T:
    """Run ``coro`` in a new loop whose default executor has ``threads`` threads (closed
    without waiting for them, so a stuck pool fails the test instead of hanging it)."""
    loop = asyncio.new_event_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=threads))
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def eventually(check: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


def test_streams_run_in_their_own_thread_not_the_default_pool() -> None:
    blocker = threading.Event()
    threads: list[str] = []

    def items() -> Iterator[int]:
        for i in range(5):
            threads.append(threading.current_thread().name)
            yield i

    async def main() -> list[int]:
        # The only pool thread is busy (as when every pool thread waits for the model).
        busy = asyncio.ensure_future(asyncio.to_thread(blocker.wait, 60))
        try:

            async def collect() -> list[int]:
                return [i async for i in in_thread(items())]

            return await asyncio.wait_for(collect(), timeout=30)
        finally:
            blocker.set()
            await busy

    assert run_with_pool(main(), threads=1) == [0, 1, 2, 3, 4]
    assert threads and all(name.startswith("nexus-stream") for name in threads)


def test_the_consumer_stopping_drops_a_waiting_generation() -> None:
    lock = FifoLock()
    model = ScriptedChatModel("Pilihan D tampak benar karena 16.", queue=lock)
    holder = model.generate(MSGS)  # another student's generation holds the slot
    closed_in: list[str] = []

    def feedback(cancel: threading.Event) -> Iterator[FeedbackEvent]:
        try:
            yield from stream_feedback(model, **ITEM, cancel=cancel, heartbeat_s=0.05)
        finally:
            closed_in.append(threading.current_thread().name)

    async def main() -> tuple[list[FeedbackEvent], threading.Event]:
        cancel = threading.Event()
        got = []
        async with contextlib.aclosing(in_thread(feedback(cancel), cancel=cancel)) as stream:
            async for event in stream:
                got.append(event)
                break  # the student moved on while waiting
        assert cancel.is_set()
        await eventually(lambda: len(lock) == 1 and streaming.running_streams() == 0)
        return got, cancel

    got, _ = run_with_pool(main(), threads=2)
    assert got[0].kind == "queue" and got[0].position == 1
    assert len(lock) == 1 and lock.position(holder.ticket) == 0  # only the holder is left
    assert closed_in and closed_in[0].startswith("nexus-stream")  # closed off the loop
    assert model.calls == []
    holder.close()


def test_setting_cancel_stops_the_generation_but_the_stream_reaches_its_end() -> None:
    model = ScriptedChatModel(" ".join(["kata"] * 200), delay_s=0.01)

    async def main() -> list[FeedbackEvent]:
        cancel = threading.Event()
        got = []
        stream = stream_feedback(model, **ITEM, cancel=cancel, max_tokens=200)
        async with contextlib.aclosing(in_thread(stream, cancel=cancel)) as updates:
            async for event in updates:
                got.append(event)
                if event.kind == "token":
                    cancel.set()  # the "stop" button
        return got

    got = run_with_pool(main(), threads=2)
    final = got[-1].result
    assert final is not None and final.stats is not None
    assert final.stats.stop_reason == "cancelled" and final.stats.completion_tokens < 200


def test_batches_gather_what_came_meanwhile_in_order_and_never_empty() -> None:
    """Items made faster than the interval reach the consumer in a few lists, in order; a
    slow stream still gets each item through on its own; nothing is lost at the end."""

    def fast() -> Iterator[int]:
        for i in range(200):
            time.sleep(0.002)
            yield i

    def slow() -> Iterator[int]:
        for i in range(3):
            time.sleep(0.15)
            yield i

    async def collect(items: Iterator[int], interval: float) -> list[list[int]]:
        return [b async for b in in_thread_batches(items, min_interval=interval)]

    batches = run_with_pool(collect(fast(), 0.1), threads=1)
    assert [i for b in batches for i in b] == list(range(200))
    assert all(batches) and len(batches) < 20  # ~0.4 s of items, one list per 0.1 s
    assert [i for b in run_with_pool(collect(slow(), 0.05), threads=1) for i in b] == [0, 1, 2]


def test_batches_hand_over_the_items_before_the_error() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("rusak")

    async def consume() -> list[int]:
        got: list[int] = []
        with pytest.raises(ValueError, match="rusak"):
            async for batch in in_thread_batches(failing(), min_interval=0.2):
                got.extend(batch)
        return got

    assert run_with_pool(consume(), threads=1) == [1, 2]


def test_errors_reach_the_consumer_and_shutdown_stops_streams() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("rusak")

    async def consume_failing() -> list[int]:
        got = []
        with pytest.raises(ValueError, match="rusak"):
            async for i in in_thread(failing()):
                got.append(i)
        return got

    assert run_with_pool(consume_failing(), threads=1) == [1]

    closed = threading.Event()
    started: list[threading.Event] = []

    def endless(cancel: threading.Event) -> Iterator[int]:
        started[-1].set()
        try:
            while not cancel.is_set():
                time.sleep(0.01)
                yield 0
        finally:
            closed.set()

    async def shutdown() -> None:
        # The failing stream's thread may still be finishing on a busy machine: counting it as
        # ours would cancel it instead of the endless one.
        await eventually(lambda: streaming.running_streams() == 0)
        cancel = threading.Event()
        started.append(threading.Event())
        task = asyncio.ensure_future(_drain(in_thread(endless(cancel), cancel=cancel)))
        await eventually(started[-1].is_set)
        streaming.cancel_all()  # what the process does at exit
        await asyncio.wait_for(task, timeout=30)
        assert cancel.is_set()

        # A cancelled background task (the server stopping its tasks) cancels its stream too.
        await eventually(lambda: streaming.running_streams() == 0)
        cancel2 = threading.Event()
        started.append(threading.Event())
        task2 = asyncio.ensure_future(_drain(in_thread(endless(cancel2), cancel=cancel2)))
        await eventually(started[-1].is_set)
        task2.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task2
        await eventually(lambda: streaming.running_streams() == 0)
        assert cancel2.is_set()

    run_with_pool(shutdown(), threads=1)
    assert closed.is_set()


async def _drain(stream: Any) -> None:
    async with contextlib.aclosing(stream) as items:
        async for _ in items:
            pass


EXIT_SCRIPT = textwrap.dedent(
    """
    import asyncio
    from nexus_app.ai.llm import FifoLock, ScriptedChatModel
    from nexus_app.ai.rag import stream_feedback
    from nexus_app.state.streaming import in_thread

    ITEM = %r
    lock = FifoLock()
    model = ScriptedChatModel("a b c", queue=lock)
    holder = model.generate([{"role": "user", "content": "x"}])  # never finishes

    async def one():
        async for _ in in_thread(stream_feedback(model, **ITEM, queue_timeout_s=600)):
            pass

    async def main():
        tasks = [asyncio.ensure_future(one()) for _ in range(4)]
        while len(lock) < 5:
            await asyncio.sleep(0.05)
        print("all waiting", flush=True)

    asyncio.run(main())  # the server stops with four requests in line
    print("loop closed", flush=True)
    """
)


def test_stopping_the_process_does_not_wait_for_the_line() -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    try:
        done = subprocess.run(
            [sys.executable, "-c", EXIT_SCRIPT % (ITEM,)],
            capture_output=True,
            text=True,
            timeout=120,  # the line would hold a stuck process for 600 s
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the process did not exit: {exc.stdout!r}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["all", "waiting", "loop", "closed"]


def test_wait_label() -> None:
    assert wait_label(None) == ""
    assert wait_label(0.2) == "sekitar 1 detik"
    assert wait_label(14.1) == "sekitar 15 detik"
    assert wait_label(150) == "sekitar 3 menit"


@pytest.fixture(scope="module")
def real_llm() -> LocalLLM:
    try:
        path = models.find_llm_model()
    except ModelUnavailable as exc:
        pytest.skip(f"default model not joined: {exc}")
    return LocalLLM(path, queue=FifoLock())


@pytest.mark.llm
def test_two_feedback_streams_share_the_real_model_through_the_bridge(
    real_llm: LocalLLM,
) -> None:
    async def one() -> list[FeedbackEvent]:
        cancel = threading.Event()
        # Generous limits: this checks the bridge and the line, not the model's speed on a
        # busy machine (the app's own 30 s limit cut answers off here under load).
        stream = stream_feedback(
            real_llm, **ITEM, cancel=cancel, queue_timeout_s=300, time_limit_s=240
        )
        async with contextlib.aclosing(in_thread(stream, cancel=cancel)) as updates:
            return [event async for event in updates]

    async def both() -> list[list[FeedbackEvent]]:
        return list(await asyncio.wait_for(asyncio.gather(one(), one()), timeout=600))

    runs = run_with_pool(both(), threads=1)
    for events in runs:
        result = events[-1].result
        assert result is not None and not result.busy and result.stats is not None
        assert result.stats.stop_reason in ("stop", "length") and result.text
    # One of them waited for the other: it saw itself in line.
    first_positions = sorted(events[0].position or 0 for events in runs)
    assert first_positions == [0, 1]
    assert len(real_llm.queue) == 0


class _FakeApp:
    """Stands in for the running Reflex app: only its socket bookkeeping is read."""

    def __init__(self, manager: Any) -> None:
        self.event_namespace = type("Namespace", (), {"_token_manager": manager})()


def _install_app(monkeypatch: pytest.MonkeyPatch, manager: Any) -> None:
    module = type(sys)("nexus_app.nexus_app")
    module.app = _FakeApp(manager)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nexus_app.nexus_app", module)


def _slow_items(cancel: threading.Event) -> Iterator[str]:
    """Like a generation waiting for the model: gives up once ``cancel`` is set."""
    for n in range(200):
        if cancel.is_set():
            yield "cancelled"
            return
        yield f"tick {n}"
        time.sleep(0.02)


def test_a_closed_tab_cancels_its_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    # Reflex's own token manager, the one a single worker uses: the tab connects, then goes.
    from reflex.utils.token_manager import LocalTokenManager

    class Watched(LocalTokenManager):
        checked = asyncio.Event()

        async def is_token_connected(self, token: str) -> bool:
            connected = await super().is_token_connected(token)
            if connected:
                self.checked.set()
            return connected

    manager = Watched()
    _install_app(monkeypatch, manager)
    monkeypatch.setattr(streaming, "TAB_CHECK_SECONDS", 0.05)

    async def main() -> list[str]:
        await manager.link_token_to_sid("tab-1", "sid-1")
        assert await streaming.tab_connected("tab-1")
        manager.checked.clear()  # from here on, only the stream's watcher checks
        cancel = threading.Event()
        seen: list[str] = []
        async with contextlib.aclosing(
            in_thread(_slow_items(cancel), cancel=cancel, client_token="tab-1")
        ) as stream:
            async for item in stream:
                seen.append(item)
                if manager.checked.is_set() and await manager.is_token_connected("tab-1"):
                    await manager.disconnect_token("tab-1", "sid-1")  # seen open, now gone
        return seen

    seen = asyncio.run(main())
    assert seen[-1] == "cancelled"
    assert len(seen) < 100


def test_a_reconnecting_tab_keeps_its_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([False, False, True] + [True] * 1000)  # a reload: two misses, then back

    class Flaky:
        async def is_token_connected(self, token: str) -> bool:
            return next(answers)

    _install_app(monkeypatch, Flaky())
    monkeypatch.setattr(streaming, "TAB_CHECK_SECONDS", 0.01)

    async def main() -> list[str]:
        cancel = threading.Event()
        async with contextlib.aclosing(
            in_thread(_slow_items(cancel), cancel=cancel, client_token="tab-2")
        ) as stream:
            return [item async for item in stream]

    seen = asyncio.run(main())
    assert "cancelled" not in seen and len(seen) == 200


def test_without_a_running_app_a_tab_counts_as_connected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "nexus_app.nexus_app", raising=False)
    assert asyncio.run(streaming.tab_connected("any-tab"))
