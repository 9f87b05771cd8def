"""`@off_loop`: a handler written as plain blocking code whose body runs in a worker thread.

Reflex runs a sync handler on the event loop, where one tab's database query holds up every
other tab's event (issue 16). Stacked under `@rx.event` / `@event`, `off_loop` turns such a
handler into the async one Reflex sees: the body (session check, service calls, field
writes) runs in `asyncio.to_thread`, and a generator handler's steps each run there, their
yields reaching the browser in between as before. Inside, the session check is
`_require_reused` (state/auth.py), which reuses this worker's recent check like
`_require_async` does.

Writing the state's fields from the worker thread is safe: Reflex holds the tab's state lock
for the whole event, so nothing else reads or writes this tree meanwhile (a background
event waits at `async with self`), and a field write is plain Python. A cancelled handler
(Reflex cancels a page load that a newer one supersedes) waits for its thread to end before
it lets go of the lock (`in_thread`), as the sync handler it replaces could not be stopped
half-way either.

A handler decorated so returns a coroutine (or an async generator): another handler that
wants its effect calls the undecorated helper, never the handler itself.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_DONE = object()


async def in_thread(call: Callable[[], T]) -> T:
    """`await asyncio.to_thread(call)`, except that cancelling the awaiting handler (Reflex
    cancels a page load that a newer navigation supersedes) waits for `call` to end first:
    the body writes the tab's fields, and must not go on doing so after the handler has let
    go of the state lock. Then the cancellation goes on as usual."""
    future = asyncio.ensure_future(asyncio.to_thread(call))
    cancelled = False
    while not future.done():
        try:
            await asyncio.wait({future})
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    return future.result()


def _step(gen: Generator[Any, Any, Any]) -> tuple[object, Any]:
    """One step of a generator, in the worker thread: (item or _DONE, its return value)."""
    try:
        return next(gen), None
    except StopIteration as stop:
        return _DONE, stop.value


async def steps_in_thread(gen: Generator[Any, Any, Any]) -> AsyncIterator[Any]:
    """Each step of the generator `gen` in a worker thread; its items (and its return value,
    which Reflex sends as a generator handler's last events) yielded on the loop."""
    try:
        while True:
            item, returned = await in_thread(functools.partial(_step, gen))
            if item is _DONE:
                if returned is not None:
                    yield returned
                return
            yield item
    finally:
        await in_thread(gen.close)


def off_loop(fn: F) -> F:
    """The handler `fn` with its body in a worker thread (see the module docstring).

    Typed as `fn` itself so that `@event` above it still checks a page's arguments against
    the handler's own parameters; at run time it is a coroutine function (an async generator
    function for a generator handler), which is what Reflex looks at."""
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        raise TypeError(f"{fn.__qualname__} is async already: await its blocking calls instead")
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        async def steps(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            async for item in steps_in_thread(fn(*args, **kwargs)):  # fn(...) runs nothing yet
                yield item

        return cast(F, steps)

    @functools.wraps(fn)
    async def body(*args: Any, **kwargs: Any) -> Any:
        return await in_thread(functools.partial(fn, *args, **kwargs))

    return cast(F, body)
