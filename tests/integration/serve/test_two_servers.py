"""Two app servers behind one reverse proxy: a student's state follows them from one to the other.

Two `nexus serve --backend-only` processes share PostgreSQL and Redis (Reflex's Redis state
manager); a small TCP proxy (proxy.py) sends each new connection to the next live server,
websocket upgrades included. The tabs speak Reflex's real websocket protocol
(bench/wsclient.py), as the browser does.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.integration.serve.conftest import Backend
from tests.integration.serve.proxy import Proxy

sys.path.insert(0, str(ROOT / "bench"))
from wsclient import ON_LOAD, Tab, var_key

AUTH = "reflex___state____state.nexus_app___state___auth____auth_state"
DASHBOARD = f"{AUTH}.nexus_app___state___dashboard____dashboard_state"
PRACTICE = f"{AUTH}.nexus_app___state___practice____practice_state"
PASSWORD = "nexus-siswa-2026"  # the demo school's students (nexus_app.services.demo)
PRACTICE_VARS = ("session_id", "question_id", "position", "phase", "selected")
TIMEOUT = 180.0  # per step; a loaded machine is slow, never wrong


class BrowserTab(Tab):
    """A tab whose close() also works after the server dropped the connection (the browser
    then reconnects: `reload()` closes the dead socket first)."""

    async def close(self) -> None:
        socket, self._ws = self._ws, None
        if socket is not None:
            with contextlib.suppress(Exception):
                await socket.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        self.closed.set()


def _either(*checks: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
    return lambda update: any(check(update) for check in checks)


async def login(tab: Tab, username: str) -> None:
    """Open /login, log in through the form's event and wait for the dashboard's data."""
    await tab.open("/login", timeout=TIMEOUT)
    dashboard_data = Tab.changes(DASHBOARD, "plan_line")
    # The dashboard's own data, on the dashboard (a /login update may carry its defaults).
    on_page = tab.expect(lambda u: tab.path == "/dashboard" and dashboard_data(u))
    refused = tab.expect(
        lambda u: bool(u.get("delta", {}).get(AUTH, {}).get(var_key("login_error")))
    )
    await tab.send(f"{AUTH}.login", {"form_data": {"username": username, "password": PASSWORD}})
    done, _ = await asyncio.wait(
        {on_page, refused}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED
    )
    for future in (on_page, refused):
        future.cancel()
    assert on_page in done, f"{username}: {tab.var(AUTH, 'login_error')!r} on {tab.path}"
    assert tab.path == "/dashboard"


async def open_practice_and_choose(tab: Tab, letter: str) -> None:
    """Go to /practice (a client-side navigation), start a session and pick an answer."""
    tab.path = "/practice"
    await tab.call(ON_LOAD, until=Tab.changes(PRACTICE, "sections"), timeout=TIMEOUT)
    await tab.call(
        f"{PRACTICE}.start",
        until=_either(Tab.changes(PRACTICE, "phase"), Tab.changes(PRACTICE, "error")),
        timeout=TIMEOUT,
    )
    assert tab.var(PRACTICE, "phase") == "question", tab.var(PRACTICE, "error")
    await tab.call(
        f"{PRACTICE}.choose",
        {"letter": letter},
        until=Tab.changes(PRACTICE, "selected", letter),
        timeout=TIMEOUT,
    )


async def submit(tab: Tab) -> None:
    await tab.call(
        f"{PRACTICE}.submit",
        until=_either(Tab.changes(PRACTICE, "phase", "result"), Tab.changes(PRACTICE, "error")),
        timeout=TIMEOUT,
    )
    assert tab.var(PRACTICE, "phase") == "result", tab.var(PRACTICE, "error")


async def reconnect(tab: Tab) -> dict[str, Any]:
    """Reconnect the tab (same client token, same page) and return the practice values of
    the first update: the state exactly as the server loaded it, before the page's on_load
    runs (which shows the current question afresh)."""
    loaded = tab.expect(lambda u: PRACTICE in u.get("delta", {}))
    await tab.reload()
    update = await asyncio.wait_for(loaded, TIMEOUT)
    values = update["delta"][PRACTICE]
    return {name: values.get(var_key(name)) for name in PRACTICE_VARS}


def snapshot(tab: Tab) -> dict[str, Any]:
    """What the student sees of their practice: session, item, position, their choice."""
    return {name: tab.var(PRACTICE, name) for name in PRACTICE_VARS} | {
        "username": tab.var(AUTH, "username")
    }


@pytest.fixture
def two_servers(start_backend: Callable[..., Backend]) -> Iterator[list[Backend]]:
    # The scheduler runs on one node only (docs/operations.md); the jobs guard themselves too.
    yield [start_backend(scheduler=True), start_backend(scheduler=False)]


def test_a_student_continues_on_the_other_server_with_their_state(
    two_servers: list[Backend],
) -> None:
    async def scenario() -> None:
        proxy = Proxy([b.port for b in two_servers], prefer=0)
        url = f"ws://127.0.0.1:{await proxy.start()}"
        tab = BrowserTab(url)
        try:
            await login(tab, "siswa01")
            await open_practice_and_choose(tab, "C")
            assert proxy.backend_of[tab.client_token] == 0
            before = snapshot(tab)

            # The tab's connection ends (a network blip, a reload) and the proxy sends the
            # new one to the other server: it loads the same state from Redis.
            proxy.prefer = 1
            loaded = await reconnect(tab)
            assert proxy.backend_of[tab.client_token] == 1  # the same token, the other server
            # Even the answer chosen but not yet submitted, which only the state holds.
            assert loaded == {k: v for k, v in before.items() if k != "username"}
            assert loaded["selected"] == "C"
            # The page's on_load then shows the same question again, still logged in.
            now = snapshot(tab)
            assert now["username"] == "siswa01"
            for key in ("session_id", "question_id", "position", "phase"):
                assert now[key] == before[key]
            await tab.call(
                f"{PRACTICE}.choose",
                {"letter": "C"},
                until=Tab.changes(PRACTICE, "selected", "C"),
                timeout=TIMEOUT,
            )

            await submit(tab)  # answered through the second server
            assert tab.var(PRACTICE, "answered") == before["position"]
        finally:
            await tab.close()
            await proxy.stop()

    asyncio.run(scenario())


def test_a_killed_server_s_students_reconnect_to_the_other_with_their_session(
    two_servers: list[Backend],
) -> None:
    """Students on both servers, practising; one server is killed (SIGKILL) while its tabs
    are connected and others keep answering. Its students reconnect through the proxy to the
    survivor: still logged in, the same practice session at the same question, and the
    answer they then submit is stored. The survivor's own students notice nothing."""
    victim = two_servers[0]
    students = [f"siswa{n:02d}" for n in range(2, 8)]

    async def scenario() -> None:
        proxy = Proxy([b.port for b in two_servers])
        url = f"ws://127.0.0.1:{await proxy.start()}"
        tabs = [BrowserTab(url) for _ in students]
        stop_load = asyncio.Event()
        try:
            for i, (tab, name) in enumerate(zip(tabs, students, strict=True)):
                proxy.prefer = i % 2  # half the class on each server
                await login(tab, name)
                await open_practice_and_choose(tab, "B")
            proxy.prefer = None  # from now on: round robin over the live servers
            on_victim = [t for t in tabs if proxy.backend_of[t.client_token] == 0]
            on_survivor = [t for t in tabs if proxy.backend_of[t.client_token] == 1]
            assert on_victim and on_survivor, proxy.backend_of
            before = {t.client_token: snapshot(t) for t in tabs}

            # Load while it happens: one student per server keeps choosing answers.
            async def keep_choosing(tab: Tab) -> None:
                letters = "ABCDE"
                i = 0
                while not stop_load.is_set():
                    i += 1
                    if tab.closed.is_set():
                        await asyncio.sleep(0.2)
                        continue
                    # The connection may drop under it: the tab reconnects, the load goes on.
                    try:
                        await tab.call(
                            f"{PRACTICE}.choose",
                            {"letter": letters[i % 5]},
                            until=Tab.changes(PRACTICE, "selected", letters[i % 5]),
                            timeout=30,
                        )
                    except Exception:
                        # A send on a socket already closed fails without awaiting: without
                        # this pause the loop would spin and starve the tab's own reader,
                        # which is what notices the close.
                        await asyncio.sleep(0.2)

            workers = [on_victim[0], on_survivor[0]]
            load = [asyncio.create_task(keep_choosing(t)) for t in workers]
            await asyncio.sleep(1)

            victim.kill()
            # Every tab that was on the killed server sees its connection drop.
            await asyncio.wait_for(asyncio.gather(*(t.closed.wait() for t in on_victim)), TIMEOUT)
            assert all(not t.closed.is_set() for t in on_survivor)

            # Socket.IO's reconnect: the same tab with its token, through the proxy. The dead
            # server's claim on the token is still in Redis, so Reflex may hand the tab a
            # new token (and a new, empty state): what the student had comes back from
            # the database and the browser's login token, which is what is checked below.
            was: dict[int, dict[str, Any]] = {}
            for tab in on_victim:
                token = tab.client_token
                was[id(tab)] = before[token]
                await tab.reload()
                assert proxy.backend_of[token] == 1
            stop_load.set()
            for task in load:
                with contextlib.suppress(BaseException):
                    await task

            for tab in on_victim:
                now, then = snapshot(tab), was[id(tab)]
                assert tab.path == "/practice"
                assert now["username"] == then["username"]  # still logged in
                # The same session, at the same question, waiting for an answer.
                for key in ("session_id", "question_id", "position", "phase"):
                    assert now[key] == then[key], (key, now, then)
                await tab.call(
                    f"{PRACTICE}.choose",
                    {"letter": "D"},
                    until=Tab.changes(PRACTICE, "selected", "D"),
                    timeout=TIMEOUT,
                )
                await submit(tab)
                assert tab.var(PRACTICE, "answered") == then["position"]
            for tab in on_survivor[1:]:  # untouched by the kill and the load
                assert snapshot(tab) == before[tab.client_token]
        finally:
            stop_load.set()
            for tab in tabs:
                with contextlib.suppress(Exception):
                    await tab.close()
            await proxy.stop()

    asyncio.run(scenario())
