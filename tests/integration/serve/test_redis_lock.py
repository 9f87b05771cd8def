"""A tab's Redis lock outlives an event that waited behind an overloaded server.

Reflex discards the state write of an event that still runs when its tab's lock expires,
after the page has already shown that event's result: the tab's next event then runs on
the older state. With Reflex's default expiry (10 s) that happened at 500 students
(docs/benchmarks.md); rxconfig.py sets a longer one. This runs Reflex's own Redis state
manager, configured by rxconfig.py, against the real Redis.
"""

from __future__ import annotations

import asyncio
import uuid

from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import BaseStateToken
from reflex_base.config import get_config

from nexus_app.state.practice import PracticeState

REFLEX_DEFAULT_LOCK_MS = 10_000


def test_the_configured_lock_outlasts_reflex_default() -> None:
    config = get_config()
    assert config.redis_lock_expiration > REFLEX_DEFAULT_LOCK_MS
    # Reflex refuses a warning threshold at or above the expiry.
    assert config.redis_lock_warning_threshold < config.redis_lock_expiration


def _manager(redis_url: str) -> StateManagerRedis:
    """The manager a worker makes from rxconfig.py (as Reflex's StateManager.create)."""
    import redis.asyncio

    config = get_config()
    return StateManagerRedis(
        redis=redis.asyncio.Redis.from_url(redis_url),
        token_expiration=config.redis_token_expiration,
        lock_expiration=config.redis_lock_expiration,
        lock_warning_threshold=config.redis_lock_warning_threshold,
    )


def test_an_event_running_past_reflex_default_expiry_keeps_its_state(redis_url: str) -> None:
    async def scenario() -> tuple[str, str]:
        manager = _manager(redis_url)
        token = BaseStateToken(ident=str(uuid.uuid4()), cls=PracticeState)
        try:
            async with manager.modify_state(token) as root:
                practice = await root.get_state(PracticeState)
                practice.section = "PU"
                # A handler that waited behind a saturated server, past 10 s.
                await asyncio.sleep(REFLEX_DEFAULT_LOCK_MS / 1000 + 0.5)
                practice.phase = "question"
            # A fresh manager (another worker) reads what the event left.
            other = _manager(redis_url)
            try:
                root = await other.get_state(token)
                saved = await root.get_state(PracticeState)
                return saved.section, saved.phase
            finally:
                await other.close()
        finally:
            await manager.close()

    assert asyncio.run(scenario()) == ("PU", "question")
