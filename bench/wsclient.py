"""A small browser stand-in that speaks Reflex's websocket protocol (for load tests).

One `Tab` is one browser tab: its own Reflex client token (what the browser keeps in
sessionStorage 'token'), one websocket, a copy of the state the server has sent, and a
tiny localStorage. It does what the compiled frontend does for the events our pages use:

- connect: `ws://HOST:PORT/_event/?EIO=4&transport=websocket&token=<tab uuid>`, then the
  hydrate event rides in the Socket.IO CONNECT packet:
  `40/_event,{"event": {"name": "<root>.hydrate_and_load", ...}}`;
- events: `42/_event,["event", {"name", "payload", "router_data"}]`; updates come back as
  `42/_event,["event", {"delta": {state: {var_rx_state_: value}}, "events": [...]}]`;
- Engine.IO ping "2" is answered with pong "3";
- `_redirect` changes the page and runs its on_load (`on_load_internal`), as the router
  does; `_call_script` runs the few localStorage/sessionStorage/location statements the
  app sends and calls the script's callback event with the result.

There is no "final" flag in this protocol: wait for the var (or event) you expect.
State and var names are Reflex's full names (e.g. `AuthState.get_full_name()`); delta
keys carry the `_rx_state_` suffix (`var_key("username")`).

Only the Python standard library and `simple_websocket` (a dependency of Reflex's
python-engineio) are used, so a load generator can run many tabs in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simple_websocket import AioClient

NAMESPACE = "/_event"
ROOT_STATE = "reflex___state____state"
HYDRATE_AND_LOAD = f"{ROOT_STATE}.hydrate_and_load"
ON_LOAD = f"{ROOT_STATE}.reflex___state____on_load_internal_state.on_load_internal"
VAR_SUFFIX = "_rx_state_"

Update = dict[str, Any]
# A callback of rx.call_script, as Reflex compiles it:
# (_result) => {addEvents([ReflexEvent("<event>", {<arg>:_result})])}
_CALLBACK = re.compile(r'ReflexEvent\("(?P<event>[^"]+)",\s*\{(?P<arg>\w+):_result\}\)')
_JS_STRING = r"'((?:[^'\\]|\\.)*)'"
_JSON_STRING = r"\"[0-9a-f]*\""  # a request id as json.dumps writes it


def var_key(name: str) -> str:
    """The key of a state var in a delta."""
    return name + VAR_SUFFIX


@dataclass
class Tab:
    """One browser tab against a running Nexus (or any Reflex app)."""

    base_url: str  # ws://127.0.0.1:3000
    path: str = "/"
    local_storage: dict[str, str] = field(default_factory=dict)  # share one per "browser"
    follow_redirects: bool = True
    client_token: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ws: AioClient | None = None
        self._reader: asyncio.Task[None] | None = None
        self._listeners: list[tuple[Callable[[Update], bool], asyncio.Future[Update]]] = []
        self._drop_client_token = False
        self.closed = asyncio.Event()
        # State updates the server sent this tab (each is a state write and a delta).
        self.updates_received = 0

    # --- connection -------------------------------------------------------------------

    async def open(self, path: str | None = None, *, timeout: float = 30) -> None:
        """Connect and hydrate on `path`; returns once the page's on_load has finished."""
        if path is not None:
            self.path = path
        url = f"{self.base_url}{NAMESPACE}/?EIO=4&transport=websocket&token={self.client_token}"
        self._ws = await AioClient.connect(url)
        opening = await self._ws.receive(timeout=timeout)  # '0{"sid":..,"pingInterval":..}'
        if not isinstance(opening, str) or not opening.startswith("0"):
            raise ConnectionError(f"unexpected Engine.IO opening: {opening!r}")
        self.closed.clear()
        self._reader = asyncio.create_task(self._read())
        hydrated = self.expect(self._hydrated)
        boot = {"event": self._event(HYDRATE_AND_LOAD, {})}
        await self._ws.send(f"40{NAMESPACE}," + json.dumps(boot))
        await asyncio.wait_for(hydrated, timeout)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        self._ws = None
        self.closed.set()

    async def reload(self, path: str | None = None, *, new_client_token: bool = False) -> None:
        """What a page reload (or `window.location` change) does."""
        await self.close()
        if new_client_token:
            self.client_token = str(uuid.uuid4())
        await self.open(path or self.path)

    # --- events -----------------------------------------------------------------------

    def _event(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": name,
            "payload": payload,
            "router_data": {"pathname": self.path, "asPath": self.path},
        }

    async def send(self, name: str, payload: dict[str, Any] | None = None) -> None:
        """Send one event (full handler name, e.g. f"{AuthState.get_full_name()}.login")."""
        if self._ws is None:
            raise ConnectionError("tab is not open")
        message = json.dumps(["event", self._event(name, payload or {})])
        await self._ws.send(f"42{NAMESPACE},{message}")

    def expect(self, done: Callable[[Update], bool]) -> asyncio.Future[Update]:
        """A future for the first update (after now) for which `done(update)` is true.
        Register it before sending the event it waits for."""
        future: asyncio.Future[Update] = asyncio.get_running_loop().create_future()
        self._listeners.append((done, future))
        return future

    async def call(
        self,
        name: str,
        payload: dict[str, Any] | None = None,
        *,
        until: Callable[[Update], bool],
        timeout: float = 60,
    ) -> float:
        """Send an event and wait for the update `until` accepts; returns the seconds taken."""
        future = self.expect(until)
        start = time.perf_counter()
        try:
            await self.send(name, payload)
            await asyncio.wait_for(future, timeout)
        finally:
            if not future.done():
                future.cancel()
            # A send that fails at once never yields to the reader that prunes listeners:
            # a caller retrying in a loop would pile them up without end.
            with contextlib.suppress(ValueError):
                self._listeners.remove((until, future))
        return time.perf_counter() - start

    def var(self, state: str, name: str, default: Any = None) -> Any:
        """The latest value the server sent for `state`.`name`."""
        return self.state.get(state, {}).get(var_key(name), default)

    @staticmethod
    def changes(state: str, name: str, value: Any = ...) -> Callable[[Update], bool]:
        """A predicate: the update sets `state`.`name` (to `value`, if given)."""
        key = var_key(name)

        def check(update: Update) -> bool:
            values = update.get("delta", {}).get(state, {})
            return key in values and (value is ... or values[key] == value)

        return check

    @staticmethod
    def _hydrated(update: Update) -> bool:
        return update.get("delta", {}).get(ROOT_STATE, {}).get(var_key("is_hydrated")) is True

    # --- what the frontend does with what the server sends ----------------------------

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            while (message := await self._ws.receive()) is not None:
                if message == "2":
                    await self._ws.send("3")
                elif isinstance(message, str) and message.startswith(f"42{NAMESPACE},"):
                    kind, data = json.loads(message[len(NAMESPACE) + 3 :])
                    if kind == "event":
                        await self._apply(data)
                    elif kind == "new_token":
                        self.client_token = data
        except Exception:  # the socket closed under us
            pass
        finally:
            self.closed.set()

    async def _apply(self, update: Update) -> None:
        self.updates_received += 1
        for state, values in update.get("delta", {}).items():
            self.state.setdefault(state, {}).update(values)
        for event in update.get("events", []):
            await self._frontend_event(event)
        for done, future in list(self._listeners):
            if future.done():
                self._listeners.remove((done, future))
            elif done(update):
                future.set_result(update)
                self._listeners.remove((done, future))

    async def _frontend_event(self, event: dict[str, Any]) -> None:
        name, payload = event.get("name"), event.get("payload", {})
        if name == "_redirect" and self.follow_redirects and not payload.get("external"):
            self.path = payload["path"]
            await self.send(ON_LOAD)
        elif name == "_call_script":
            result, goto = self._run_script(payload.get("javascript_code") or "")
            callback = _CALLBACK.search(payload.get("callback") or "")
            if callback:
                await self.send(callback["event"], {callback["arg"]: result})
            if goto is not None:
                # A full page load: reconnect (with a new client token if it was dropped).
                asyncio.get_running_loop().create_task(
                    self.reload(goto, new_client_token=self._drop_client_token)
                )

    def _run_script(self, code: str) -> tuple[Any, str | None]:
        """The handful of statements the app sends, by pattern; anything else is ignored.
        Returns the value of the last statement and where `location.replace` goes."""
        result: Any = None
        goto: str | None = None
        self._drop_client_token = False
        for statement in (s.strip() for s in code.split(";")):
            if m := re.fullmatch(rf"localStorage\.getItem\({_JS_STRING}\)", statement):
                result = self.local_storage.get(m[1])
            elif m := re.fullmatch(
                rf"\[({_JSON_STRING}),\s*localStorage\.getItem\({_JS_STRING}\)\]", statement
            ):
                # The token request names itself: [request id, token].
                result = [json.loads(m[1]), self.local_storage.get(m[2])]
            elif m := re.fullmatch(rf"localStorage\.setItem\({_JS_STRING},\s*(.+)\)", statement):
                self.local_storage[m[1]] = str(json.loads(m[2]))
            elif m := re.fullmatch(rf"localStorage\.removeItem\({_JS_STRING}\)", statement):
                self.local_storage.pop(m[1], None)
            elif statement == "sessionStorage.removeItem('token')":
                self._drop_client_token = True
            elif m := re.fullmatch(rf"window\.location\.replace\({_JS_STRING}\)", statement):
                goto = m[1]
        return result, goto
