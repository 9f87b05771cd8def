"""The websocket tab (bench/wsclient.py) that the load generator and the multi-server tests
drive: a call on a socket that has already closed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from wsclient import Tab


class ClosedSocket:
    """simple_websocket's AioClient after the peer went away: send fails before awaiting."""

    async def send(self, data: str) -> None:
        raise ConnectionError("closed")


def test_a_call_that_fails_to_send_leaves_no_listener_behind() -> None:
    async def scenario() -> int:
        tab = Tab("ws://127.0.0.1:1")
        tab._ws = ClosedSocket()  # type: ignore[assignment]
        for _ in range(1000):  # a retry loop, as under a killed server
            with pytest.raises(ConnectionError):
                await tab.call("state.event", until=lambda update: True, timeout=1)
        return len(tab._listeners)

    # Before, each failed call left its listener: a loop retrying until the reader noticed
    # the close grew the list without end (the CI run killed for memory on 2026-12-07).
    assert asyncio.run(scenario()) == 0
