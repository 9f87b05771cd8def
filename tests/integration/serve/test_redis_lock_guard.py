"""A cancelled event leaves neither its tab's Redis lock nor a wake-up behind (issue 16).

Reflex's own Redis state manager against the real Redis, with the app's guard
(nexus_app.state.redis_locks) installed and a 60 s lock expiry: without the guard, each
scenario leaves the next event waiting for that expiry, far past the 10 s these tests wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from redis.asyncio import Redis
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import BaseStateToken
from reflex.state import State

from nexus_app.state import redis_locks

EXPIRY_MS = 60_000
PATIENCE_S = 10.0  # far below the expiry: only a released lock or a passed wake-up fits


@pytest.fixture(autouse=True)
def guard() -> None:
    redis_locks.install()


def _manager(redis_url: str) -> StateManagerRedis:
    return StateManagerRedis(
        redis=Redis.from_url(redis_url),
        lock_expiration=EXPIRY_MS,
        lock_warning_threshold=1_000,
    )


def _token() -> BaseStateToken:
    return BaseStateToken(ident=f"tab-{uuid.uuid4().hex}", cls=State)


async def _hold(manager: StateManagerRedis, token: BaseStateToken, until: asyncio.Event) -> None:
    async with manager._lock(token):
        await until.wait()


async def _take_and_give_back(manager: StateManagerRedis, token: BaseStateToken) -> None:
    async with manager._lock(token):
        pass


async def _held_by(
    holder: StateManagerRedis, token: BaseStateToken
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """A task holding the tab's lock until the returned event is set."""
    release = asyncio.Event()
    task = asyncio.create_task(_hold(holder, token, release))
    while not await holder.redis.exists(holder._lock_key(token)):
        await asyncio.sleep(0.01)
    return release, task


async def _waiting(
    manager: StateManagerRedis, token: BaseStateToken, waiters: int
) -> asyncio.Task[None]:
    """A task waiting for the tab's lock, once it is the ``waiters``-th in this worker."""
    task = asyncio.create_task(_take_and_give_back(manager, token))
    while manager._n_lock_waiters(manager._lock_key(token)) < waiters:
        await asyncio.sleep(0.01)
    return task


def test_the_guard_is_installed_by_the_app() -> None:
    import nexus_app.nexus_app  # noqa: F401  (the workers import it)

    assert redis_locks.installed()


def test_a_lock_taken_by_a_cancelled_wait_is_given_back(redis_url: str) -> None:
    """The SET NX reached Redis, then the page load was cancelled before reading the reply."""

    async def scenario() -> None:
        manager = _manager(redis_url)
        token = _token()
        lock_key = manager._lock_key(token)
        real_try = manager._try_get_lock
        landed = asyncio.Event()

        async def reply_never_read(key: bytes, lock_id: bytes) -> bool | None:
            got = await real_try(key, lock_id)
            landed.set()
            await asyncio.sleep(3600)  # cancelled here, holding what SET NX took
            return got

        manager._try_get_lock = reply_never_read  # type: ignore[method-assign]
        forever = asyncio.Event()
        cancelled = asyncio.create_task(_hold(manager, token, forever))
        await asyncio.wait_for(landed.wait(), PATIENCE_S)
        assert await manager.redis.exists(lock_key) == 1
        cancelled.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await cancelled
        del manager._try_get_lock  # the real method again
        assert await manager.redis.exists(lock_key) == 0
        # The tab's next event runs at once, not after the expiry.
        await asyncio.wait_for(_take_and_give_back(manager, token), PATIENCE_S)
        await manager.close()

    asyncio.run(scenario())


def test_another_holders_lock_is_never_deleted(redis_url: str) -> None:
    """A waiter cancelled while someone else holds the lock leaves that lock alone."""

    async def scenario() -> None:
        manager = _manager(redis_url)
        token = _token()
        lock_key = manager._lock_key(token)
        release, holder = await _held_by(manager, token)
        held_by = await manager.redis.get(lock_key)
        waiter = await _waiting(manager, token, 1)
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
        assert await manager.redis.get(lock_key) == held_by
        release.set()
        await asyncio.wait_for(holder, PATIENCE_S)
        await manager.close()

    asyncio.run(scenario())


def test_a_wake_up_taken_by_a_cancelled_waiter_goes_to_the_next(redis_url: str) -> None:
    """The lock is held by another worker, so this worker hears of its release once (the
    keyspace notification) and wakes one waiter; that waiter is cancelled before it takes
    the lock (its tab reconnected). The next waiter must still get the lock."""

    async def scenario() -> None:
        here, other_worker = _manager(redis_url), _manager(redis_url)
        token = _token()
        release, holder = await _held_by(other_worker, token)
        first = await _waiting(here, token, 1)
        second = await _waiting(here, token, 2)

        real_try = here._try_get_lock

        async def cancelled_once_woken(key: bytes, lock_id: bytes) -> bool | None:
            if asyncio.current_task() is first:
                del here._try_get_lock  # once
                first.cancel()
                await asyncio.sleep(0)  # the cancellation lands here, before any SET
            return await real_try(key, lock_id)

        here._try_get_lock = cancelled_once_woken  # type: ignore[method-assign]
        release.set()
        await asyncio.wait_for(holder, PATIENCE_S)
        with contextlib.suppress(asyncio.CancelledError):
            await first
        assert first.cancelled()
        await asyncio.wait_for(second, PATIENCE_S)
        await here.close()
        await other_worker.close()

    asyncio.run(scenario())
