"""Browser security headers on every HTTP answer of the server: pages, assets and API.

In prod mode (`nexus serve`) Reflex serves the built frontend from the same Starlette app
this middleware wraps (see nexus_app/http/__init__.py), so the pages get these too.

The Content-Security-Policy is as strict as Reflex's frontend allows:

- scripts: our own files, plus the inline scripts React Router writes into each prerendered
  page, allowed one by one by their SHA-256 (read from the built pages, so no
  'unsafe-inline'). 'unsafe-eval' stays: Reflex runs script-type events sent by the server
  (every `rx.toast` from an event handler) with `eval`.
- styles: 'unsafe-inline', because Emotion and Radix insert <style> elements at run time
  with content no hash list can know in advance.
- everything else: our own origin only (the websocket too: CSP 'self' covers ws/wss of the
  same host), no plugins, no <base> tricks, and no framing by any site
  (frame-ancestors 'none', plus X-Frame-Options for old browsers).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)

BASE_HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def inline_script_hashes(static_dir: Path) -> list[str]:
    """CSP sources ('sha256-…') for every inline script in the built pages, sorted."""
    found: set[str] = set()
    for page in static_dir.rglob("*.html"):
        try:
            html = page.read_bytes()
        except OSError:
            continue
        for match in _INLINE_SCRIPT.finditer(html):
            digest = hashlib.sha256(match.group(1)).digest()
            found.add(f"'sha256-{base64.b64encode(digest).decode()}'")
    return sorted(found)


def content_security_policy(script_hashes: list[str]) -> str:
    # Without a built frontend to read (dev mode, tests) inline scripts cannot be listed:
    # fall back to allowing them rather than serving pages that cannot start.
    inline = " ".join(script_hashes) if script_hashes else "'unsafe-inline'"
    directives = [
        "default-src 'self'",
        f"script-src 'self' 'unsafe-eval' {inline}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def _built_frontend_dir() -> Path | None:
    try:
        from reflex.utils import prerequisites
        from reflex_base import constants
    except ImportError:  # pragma: no cover - reflex is a dependency
        return None
    folder = (prerequisites.get_web_dir() / constants.Dirs.STATIC).resolve()
    return folder if folder.is_dir() else None


class SecurityHeaders:
    """Add the headers above to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, static_dir: Path | None = None) -> None:
        self.app = app
        self._static_dir = static_dir
        self._csp: str | None = None
        self._lock = threading.Lock()

    def policy(self) -> str:
        # Read once, on the first request: in prod the frontend is built before the
        # server starts, and it does not change while it runs.
        if self._csp is None:
            with self._lock:
                if self._csp is None:
                    folder = self._static_dir or _built_frontend_dir()
                    hashes = inline_script_hashes(folder) if folder else []
                    if not hashes:
                        log.warning("no built pages found: CSP allows inline scripts")
                    self._csp = content_security_policy(hashes)
        return self._csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policy()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASE_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if "Content-Security-Policy" not in headers:
                    headers["Content-Security-Policy"] = policy
            await send(message)

        await self.app(scope, receive, send_with_headers)
