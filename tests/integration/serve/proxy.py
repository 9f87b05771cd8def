"""A tiny reverse proxy for the multi-server tests: TCP, so websocket upgrades pass through.

Each client connection goes to the next live backend in turn (round robin); a backend that
refuses the connection (killed) is skipped, as a load balancer's health check would. The
request head is read first only to learn the Reflex client token in the websocket URL, so a
test can tell which backend a tab is on (`backend_of[token]`). `prefer` sends the next
connections to one backend while it is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field

_TOKEN = re.compile(rb"[?&]token=([0-9a-fA-F-]+)")
HEAD_LIMIT = 64 * 1024


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@dataclass
class Proxy:
    backends: list[int]  # ports on 127.0.0.1
    prefer: int | None = None  # an index into backends
    backend_of: dict[str, int] = field(default_factory=dict)  # client token -> backend index
    connections: list[int] = field(default_factory=list)  # backend index of each connection
    _next: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        # Closing every socket ends every handler by itself (cancelling a handler makes
        # asyncio's stream callback log the cancellation as an error).
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.close()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=30)

    def _order(self) -> list[int]:
        count = len(self.backends)
        if self.prefer is not None:
            first = self.prefer
        else:
            first, self._next = self._next, (self._next + 1) % count
        return [(first + i) % count for i in range(count)]

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(client_w)
        backend_w: asyncio.StreamWriter | None = None
        try:
            try:
                head = await client_r.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                client_w.close()
                return
            for index in self._order():
                try:
                    backend_r, backend_w = await asyncio.open_connection(
                        "127.0.0.1", self.backends[index]
                    )
                except OSError:
                    continue  # dead: the next one
                break
            else:
                client_w.close()  # no backend alive
                return
            self._writers.add(backend_w)
            self.connections.append(index)
            if match := _TOKEN.search(head.split(b"\r\n", 1)[0]):
                self.backend_of[match[1].decode()] = index
            backend_w.write(head)
            await backend_w.drain()
            # Either side closing closes both: a killed backend drops its clients.
            pipes = {
                asyncio.create_task(_pipe(client_r, backend_w)),
                asyncio.create_task(_pipe(backend_r, client_w)),
            }
            try:
                await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for writer in (client_w, backend_w):
                    with contextlib.suppress(Exception):
                        writer.close()
                for pipe in pipes:
                    pipe.cancel()
                for pipe in pipes:
                    with contextlib.suppress(BaseException):
                        await pipe
        finally:
            self._tasks.discard(task)
            self._writers.discard(client_w)
            if backend_w is not None:
                self._writers.discard(backend_w)
