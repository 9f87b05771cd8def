"""The running server's edges: security headers and CSP on the pages, the websocket's
origin check, and `POST /_upload` refusing before reading (real Reflex behind the guard)."""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request
from email.message import Message
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from nexus_app.state.admin.books import AdminBooksState
from nexus_app.state.uploads import handler_name
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

ADMIN = ("admin", "nexus-admin-2026")
# The name the browser sends (Reflex puts the state's module in it), from the registry.
BOOKS_HANDLER = handler_name(AdminBooksState.upload_book)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """Status, headers (names case-insensitive) and body of a GET."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_pages_and_assets_carry_the_security_headers(server: str) -> None:
    status, headers, body = _get(f"{server}/login")
    assert status == 200
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    # Inline scripts are allowed by hash, not wholesale.
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'sha256-" in script_src
    asset = re.search(r"/assets/[\w.-]+\.js", body.decode())
    assert asset is not None
    status, headers, _ = _get(f"{server}{asset.group(0)}")
    assert status == 200 and headers["X-Frame-Options"] == "DENY"
    # No wildcard CORS any more.
    _, headers, _ = _get(f"{server}/ping", {"Origin": "http://evil.example"})
    assert headers.get("Access-Control-Allow-Origin") is None


def test_the_websocket_refuses_other_sites(server: str) -> None:
    url = f"{server}/_event/?EIO=4&transport=websocket"
    status, _, body = _get(url, {"Origin": "http://evil.example"})
    assert status == 400 and b"not an accepted origin" in body
    status, _, body = _get(url, {"Origin": server})
    assert b"not an accepted origin" not in body


def test_an_anonymous_upload_is_refused_before_reading(server: str) -> None:
    request = urllib.request.Request(
        f"{server}/_upload",
        data=b"--b\r\n" + b"x" * 10_000,
        method="POST",
        headers={
            "Content-Type": "multipart/form-data; boundary=b",
            "reflex-client-token": "whatever",
            "reflex-event-handler": BOOKS_HANDLER,
        },
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert "Sesi" in json.loads(refused.value.read())["detail"]


def test_admin_pages_run_under_the_policy_and_big_uploads_get_413(page: Page) -> None:
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", watch)
    page.on("pageerror", lambda error: violations.append(str(error)))
    login(page, *ADMIN)
    expect(page.locator("#admin-nav")).to_be_visible()
    for route, marker in [
        ("/admin/books", ".book-card"),
        ("/admin/backups", "#backup-upload-submit"),
        ("/admin/users", "#import-submit"),
    ]:
        page.goto(route)
        expect(page.locator(marker).first).to_be_visible()
    # The token the page sends with uploads, as the browser holds it.
    token = page.evaluate("localStorage.getItem('nexus_token')")
    assert token
    # Declares 60 MB (the books limit is 50 MB) and sends nothing: refused at once.
    target = urlsplit(page.url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=20)
    connection.putrequest("POST", "/_upload")
    for name, value in {
        "X-Nexus-Token": token,
        "reflex-client-token": "whatever",
        "reflex-event-handler": BOOKS_HANDLER,
        "Content-Type": "multipart/form-data; boundary=b",
        "Content-Length": str(60 * 1024 * 1024),
    }.items():
        connection.putheader(name, value)
    connection.endheaders()
    too_big = connection.getresponse()
    assert too_big.status == 413
    assert violations == []
