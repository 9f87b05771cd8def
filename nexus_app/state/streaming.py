"""Drive a blocking generator (the tutor, the feedback) from an async background event.

Each stream runs in a thread of its own, never in asyncio's default executor: a stream that
waits minutes for the language model (one generation at a time per process) must not hold a
pool thread that the rest of the server — and the generation ahead of it — needs.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import math
import sys
import threading
from collections.abc import AsyncGenerator, Iterator
from typing import TypeVar

T = TypeVar("T")

# (stop, cancel) of every stream whose thread is still running.
_live: set[tuple[threading.Event, threading.Event]] = set()
_live_lock = threading.Lock()


def cancel_all() -> None:
    """Ask every running stream to stop (server shutdown): each drops its model ticket within
    a token or a queue poll instead of keeping the process alive."""
    with _live_lock:
        pairs = list(_live)
    for stop, cancel in pairs:
        stop.set()
        cancel.set()


atexit.register(cancel_all)


# A tab counts as closed after this many checks in a row found no socket for it: a reload or
# a short network drop reconnects (with the same client token) well within that.
TAB_CHECK_SECONDS = 2.0
TAB_MISSES_TO_DROP = 3


async def tab_connected(client_token: str) -> bool:
    """Whether the browser tab with this Reflex client token still has an open socket (on
    any worker, with Redis). True when it cannot be told (no running app, as in tests)."""
    module = sys.modules.get("nexus_app.nexus_app")
    namespace = getattr(getattr(module, "app", None), "event_namespace", None)
    manager = getattr(namespace, "_token_manager", None)
    if not client_token or manager is None:
        return True
    try:
        return bool(await manager.is_token_connected(client_token))
    except Exception:  # Redis away for a moment: keep the work rather than drop it
        return True


async def _cancel_when_tab_closes(client_token: str, cancel: threading.Event) -> None:
    """A closed tab sends no "leave" event: without this, the model would go on writing (or
    keep a place in line) for a student who has gone, while others wait."""
    seen = False  # a tab never seen with a socket (an in-process test) is never dropped
    misses = 0
    while not cancel.is_set():
        await asyncio.sleep(TAB_CHECK_SECONDS)
        connected = await tab_connected(client_token)
        seen = seen or connected
        misses = 0 if connected else misses + 1
        if seen and misses >= TAB_MISSES_TO_DROP:
            cancel.set()
            return


def running_streams() -> int:
    """Streams whose thread has not finished yet (for tests and benchmarks)."""
    with _live_lock:
        return len(_live)


# A consumer writes state (a Redis round trip with several workers, and a websocket delta)
# once per batch: the model's tokens, 10-20 a second, reach the page in a few writes a second.
BATCH_SECONDS = 0.25


async def in_thread(
    items: Iterator[T],
    *,
    cancel: threading.Event | None = None,
    name: str = "nexus-stream",
    client_token: str = "",
) -> AsyncGenerator[T, None]:
    """``async for item in in_thread(gen, cancel=ev)``: ``gen`` runs in its own daemon thread
    and its items are handed to the event loop as they come (see :func:`in_thread_batches`,
    which this flattens)."""
    async with contextlib.aclosing(
        in_thread_batches(
            items, cancel=cancel, name=name, client_token=client_token, min_interval=0.0
        )
    ) as batches:
        async for batch in batches:
            for item in batch:
                yield item


async def in_thread_batches(
    items: Iterator[T],
    *,
    cancel: threading.Event | None = None,
    name: str = "nexus-stream",
    client_token: str = "",
    min_interval: float = BATCH_SECONDS,
) -> AsyncGenerator[list[T], None]:
    """``async for batch in in_thread_batches(gen, cancel=ev)``: ``gen`` runs in its own
    daemon thread; its items reach the event loop in lists, at most one list per
    ``min_interval`` seconds (every item that came meanwhile, in order; never an empty list).

    When the consumer stops (``break``, an exception, the task cancelled — wrap the call in
    ``contextlib.aclosing`` so this happens at once), ``cancel`` is set: pass the same event to
    the service so a generation that is waiting or running gives up its model slot, and the
    thread then closes ``gen`` itself (its ``finally`` blocks run there, off the loop). Setting
    ``cancel`` from the consumer's side only stops the generation: the stream goes on to its
    final item. With ``client_token`` (the tab's ``router.session.client_token``), ``cancel``
    is also set once that tab has had no open socket for about six seconds.
    """
    loop = asyncio.get_running_loop()
    stop = threading.Event()  # the consumer is gone: stop pulling items
    cancel = cancel if cancel is not None else threading.Event()
    entry = (stop, cancel)
    # (item,) for an item, the exception the generator raised, or None at its end.
    queue: asyncio.Queue[tuple[T] | BaseException | None] = asyncio.Queue()

    def put(message: tuple[T] | BaseException | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
            loop.call_soon_threadsafe(queue.put_nowait, message)

    def run() -> None:
        try:
            while not stop.is_set():
                try:
                    item = next(items)
                except StopIteration:
                    break
                put((item,))
        except BaseException as exc:  # handed to the consumer, re-raised there
            put(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()  # a generator is closed in the thread that ran it
            with _live_lock:
                _live.discard(entry)
            put(None)

    with _live_lock:
        _live.add(entry)
    threading.Thread(target=run, name=name, daemon=True).start()
    watcher = (
        asyncio.create_task(_cancel_when_tab_closes(client_token, cancel)) if client_token else None
    )
    last_batch = -math.inf
    try:
        while True:
            messages = [await queue.get()]
            pause = min_interval - (loop.time() - last_batch)
            if pause > 0 and isinstance(messages[0], tuple):
                await asyncio.sleep(pause)  # more items gather meanwhile
            while not queue.empty():
                messages.append(queue.get_nowait())
            batch: list[T] = []
            for message in messages:
                if not isinstance(message, tuple):
                    if batch:
                        yield batch
                    if message is not None:
                        raise message
                    return
                batch.append(message[0])
            last_batch = loop.time()
            yield batch
    finally:
        stop.set()
        cancel.set()
        if watcher is not None:
            watcher.cancel()


def wait_label(seconds: float | None) -> str:
    """An estimated wait in the words the pages show ("" when nothing is known yet)."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"sekitar {max(math.ceil(seconds), 1)} detik"
    return f"sekitar {math.ceil(seconds / 60)} menit"
