"""Which browser origins may open the websocket (and call the API cross-site).

Reflex hands its `cors_allowed_origins` setting to Socket.IO, where an empty list switches
the origin check off altogether and "*" allows every site: neither is "our own pages only".
`origin_allowed` is installed on the Socket.IO server instead (nexus_app/nexus_app.py): a
page may connect when it comes from the host it connects to (whatever name or address the
school uses, directly or behind a proxy that sets X-Forwarded-Host), or from an origin
listed in NEXUS_ALLOWED_ORIGINS. Any other site's page is refused, so it cannot drive a
logged-in student's session over the websocket (cross-site websocket hijacking).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from nexus_app.config import get_settings


def _hosts(environ: Mapping[str, Any]) -> set[str]:
    hosts = set()
    for key in ("HTTP_HOST", "HTTP_X_FORWARDED_HOST"):
        value = str(environ.get(key) or "").split(",")[0].strip().lower()
        if value:
            hosts.add(value)
    return hosts


def _netloc(origin: str) -> str:
    parts = urlsplit(origin)
    return (parts.netloc or "").lower()


def origin_allowed(origin: str | None, environ: Mapping[str, Any] | None = None) -> bool:
    if not origin:
        return True  # not a browser page: origins only matter for browsers
    allowed = get_settings().allowed_origin_list
    if "*" in allowed or origin.rstrip("/") in allowed:
        return True
    if origin == "null":
        return False  # sandboxed frames and file:// pages
    netloc = _netloc(origin)
    return bool(netloc) and netloc in _hosts(environ or {})
