"""A tab's Redis lock is never left behind by a cancelled event (issue 16).

With several workers, Reflex keeps each tab's state in Redis and runs an event only while it
holds the tab's lock (a key set with SET NX and an expiry; waiters sleep until a keyspace
notification or a local release wakes one of them). Reflex cancels a tab's unfinished page
loads when the tab reconnects or disconnects. A task cancelled inside
``StateManagerRedis._wait_lock`` can leave two things behind:

- the lock itself, when its SET NX reached Redis but the reply was never read: nobody
  releases it, and the tab's next event waits for the expiry (10 s by default);
- a wake-up, when the waiter had been woken but not yet taken the lock: Reflex wakes one
  waiter per release, so the next waiter sleeps until the expiry too.

At 250 students one run of three had some tabs wait exactly the lock's expiry to open
/practice (docs/benchmarks.md). ``install`` wraps ``_wait_lock``: a waiter that leaves by
an exception passes its wake-up on and deletes the lock if, and only if, it holds this
waiter's own id. Reflex's code is not changed otherwise; a Reflex upgrade that renames the
method makes ``install`` fail loudly (a test covers it).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from reflex.istate.manager.redis import StateManagerRedis

log = logging.getLogger(__name__)

# Deletes the lock only if it is still ours: another holder's lock is never touched.
RELEASE_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

_GUARD_MARK = "_nexus_releases_on_cancel"

WaitLock = Callable[[StateManagerRedis, bytes, bytes], Coroutine[Any, Any, None]]


async def _release_if_ours(manager: StateManagerRedis, lock_key: bytes, lock_id: bytes) -> Any:
    # redis-py types eval for both clients; the asyncio client's always returns an awaitable.
    reply: Any = manager.redis.eval(RELEASE_IF_OURS, 1, lock_key, lock_id)
    return await reply


def _guarded(wait_lock: WaitLock) -> WaitLock:
    @functools.wraps(wait_lock)
    async def wait_lock_releasing_on_exit(
        self: StateManagerRedis, lock_key: bytes, lock_id: bytes
    ) -> None:
        try:
            await wait_lock(self, lock_key, lock_id)
        except BaseException:
            # First, synchronously: a wake-up this waiter took goes to the next one (a
            # spurious wake-up only makes a waiter try SET NX once more).
            self._notify_next_waiter(lock_key)
            with contextlib.suppress(Exception):
                # Shielded: a second cancellation must not leave the lock behind either.
                released: Any = await asyncio.shield(_release_if_ours(self, lock_key, lock_id))
                if released:
                    log.info("gave back %s taken by a cancelled event", lock_key.decode())
            raise

    setattr(wait_lock_releasing_on_exit, _GUARD_MARK, True)
    return wait_lock_releasing_on_exit


def install() -> None:
    """Wrap Reflex's lock wait once per process (idempotent)."""
    current = StateManagerRedis._wait_lock
    if getattr(current, _GUARD_MARK, False):
        return
    StateManagerRedis._wait_lock = _guarded(current)  # type: ignore[method-assign,assignment]


def installed() -> bool:
    return bool(getattr(StateManagerRedis._wait_lock, _GUARD_MARK, False))
