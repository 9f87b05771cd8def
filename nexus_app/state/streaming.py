"""Drive a blocking generator (the tutor, the feedback) from an async background event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

T = TypeVar("T")


async def in_thread(items: Iterator[T]) -> AsyncIterator[T]:
    """Each `next()` runs in a worker thread, so the model's wait never blocks the server."""
    while True:
        item = await asyncio.to_thread(next, items, None)
        if item is None:
            return
        yield item
