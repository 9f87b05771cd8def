"""ASGI middleware in front of Reflex's `POST /_upload`: who and how much, before any byte.

Reflex parses the whole multipart body (spooling files to disk) before the upload handler
runs, so the handler's own role check comes too late to stop an anonymous client from
filling the disk. This middleware decides from the headers alone:

- the handler named in `reflex-event-handler` must be in the registry
  (nexus_app/state/uploads.py), else 403;
- `X-Nexus-Token` must be a live login of a role that handler allows, else 401/403;
- a declared Content-Length over the handler's limit is refused with 413 at once; a body
  without one (chunked) is counted as it streams, and once over the limit the app sees a
  client disconnect and the client gets 413.

Only then does the request reach Reflex; the handlers still check the role themselves.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexus_app.services import auth
from nexus_app.services.errors import NotAuthenticated, PermissionDenied
from nexus_app.state.uploads import TOKEN_HEADER, UPLOAD_RULES, UploadRule

log = logging.getLogger(__name__)

UPLOAD_PATH = "/_upload"
HANDLER_HEADER = "reflex-event-handler"
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

MSG_UNKNOWN_HANDLER = "Unggahan ini tidak dikenal server."
MSG_NOT_LOGGED_IN = "Sesi Anda telah berakhir. Silakan masuk kembali lalu unggah lagi."
MSG_FORBIDDEN = "Anda tidak memiliki akses untuk mengunggah berkas ini."
MSG_BAD_LENGTH = "Header Content-Length tidak valid."


def _too_large(limit: int) -> str:
    return f"Berkas terlalu besar untuk diunggah (maksimal {limit // (1024 * 1024)} MB)."


async def _answer(send: Send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The browser must not keep a connection whose request body we did not read.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _is_upload(scope: Scope) -> bool:
    if scope["type"] != "http" or scope.get("method", "GET") in _READ_ONLY_METHODS:
        return False
    path: str = scope.get("path", "").rstrip("/")
    return path == UPLOAD_PATH or path.startswith(UPLOAD_PATH + "/")


class UploadGuard:
    """Refuse uploads by handler, login and size before the body is read."""

    def __init__(self, app: ASGIApp, rules: Mapping[str, UploadRule] | None = None) -> None:
        self.app = app
        self.rules = UPLOAD_RULES if rules is None else rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_upload(scope):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rule = self.rules.get(headers.get(HANDLER_HEADER, ""))
        if rule is None:
            await _answer(send, 403, MSG_UNKNOWN_HANDLER)
            return
        token = headers.get(TOKEN_HEADER, "").strip()
        if not token:
            await _answer(send, 401, MSG_NOT_LOGGED_IN)
            return
        try:
            await run_in_threadpool(auth.current_user, token, roles=rule.roles)
        except NotAuthenticated:
            await _answer(send, 401, MSG_NOT_LOGGED_IN)
            return
        except PermissionDenied:
            await _answer(send, 403, MSG_FORBIDDEN)
            return
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _answer(send, 400, MSG_BAD_LENGTH)
                return
            if int(declared) > rule.max_bytes:
                await _answer(send, 413, _too_large(rule.max_bytes))
                return
        await _CappedRequest(self.app, rule.max_bytes)(scope, receive, send)


class _CappedRequest:
    """Pass one request on, counting body bytes; past the limit the app sees a disconnect
    (so it stops reading and cleans up) and the client gets 413 instead of its answer."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.received = 0
        self.over = False
        self.started = False
        self.finished = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def capped_receive() -> Message:
            if self.over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    # A body longer than its Content-Length, or a chunked one, ran over.
                    self.over = True
                    log.warning(
                        "upload cut off after %d bytes (limit %d)", self.received, self.limit
                    )
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if self.over and not self.started:
                return  # the app's answer to a cut-off body is replaced by 413
            if message["type"] == "http.response.start":
                self.started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                self.finished = True
            await send(message)

        await self.app(scope, capped_receive, guarded_send)
        if not self.over:
            return
        if not self.started:
            await _answer(send, 413, _too_large(self.limit))
        elif not self.finished:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
