"""`POST /_upload` is refused by login, role, handler and size before its body is read.

The app under test is the real build_api() Starlette app with a stand-in for Reflex mounted
at "" exactly as Reflex mounts itself (rx.App(api_transformer=...)). The stand-in reads the
body the way Reflex's request.form() does and records what reached it, so each test can say
whether a single byte was spooled. Tokens are real logins on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import reflex as rx
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

import nexus_app.state
from nexus_app.http import build_api
from nexus_app.services import auth
from nexus_app.state.admin.books import AdminBooksState
from nexus_app.state.admin.practice_questions import AdminPracticeQuestionsState
from nexus_app.state.admin.users import AdminUsersState
from nexus_app.state.auth import AuthState
from nexus_app.state.uploads import TOKEN_HEADER, UPLOAD_RULES, handler_name

BOOKS = handler_name(AdminBooksState.upload_book)
USERS_CSV = handler_name(AdminUsersState.import_csv)
PASSWORD = "kata-sandi-1"


@dataclass
class Downstream:
    """Stands in for Reflex's upload endpoint: reads the whole body, answers 200."""

    calls: int = 0
    bytes_read: int = 0
    disconnected: bool = False
    bodies: list[bytes] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                break
            body.extend(message.get("body", b""))
            self.bytes_read = len(body)
            if not message.get("more_body"):
                break
        self.bodies.append(bytes(body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"uploaded"})


def _app(downstream: Downstream) -> Starlette:
    api = build_api()
    api.mount("", downstream)  # what Reflex does with the api_transformer app
    return api


@pytest.fixture
def downstream() -> Downstream:
    return Downstream()


@pytest.fixture
def client(engine: Engine, downstream: Downstream) -> Iterator[TestClient]:
    with TestClient(_app(downstream)) as test_client:
        yield test_client


@pytest.fixture
def tokens(engine: Engine) -> dict[str, str]:
    found = {}
    for role in ("admin", "guru", "siswa"):
        auth.create_user(username=f"{role}1", password=PASSWORD, role=role)
        found[role] = auth.login(username=f"{role}1", password=PASSWORD).token
    return found


def _post(client: TestClient, handler: str, token: str | None, body: bytes = b"x" * 100):
    headers = {"reflex-client-token": "tab-1", "reflex-event-handler": handler}
    if token is not None:
        headers[TOKEN_HEADER] = token
    return client.post(
        "/_upload",
        content=body,
        headers={**headers, "Content-Type": "multipart/form-data; boundary=b"},
    )


def test_an_admin_upload_reaches_reflex(client, downstream, tokens) -> None:
    response = _post(client, BOOKS, tokens["admin"], b"a" * 1000)
    assert response.status_code == 200
    assert downstream.calls == 1 and downstream.bodies == [b"a" * 1000]
    # The guard's answers and the app's alike carry the security headers.
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("token", "status"),
    [(None, 401), ("", 401), ("not-a-token", 401), ("siswa", 403), ("guru", 403)],
)
def test_no_body_is_read_without_an_admin_login(client, downstream, tokens, token, status) -> None:
    sent = tokens.get(token, token) if token else token
    response = _post(client, BOOKS, sent)
    assert response.status_code == status
    assert "detail" in response.json()
    assert downstream.calls == 0


def test_a_logged_out_or_deactivated_admin_is_refused(client, downstream, tokens) -> None:
    auth.logout(tokens["admin"])
    assert _post(client, BOOKS, tokens["admin"]).status_code == 401
    assert downstream.calls == 0


def test_an_unknown_handler_is_refused_even_for_an_admin(client, downstream, tokens) -> None:
    for name in ("", "reflex___state____state.nexus_app___state___auth____auth_state.logout"):
        assert _post(client, name, tokens["admin"]).status_code == 403
    assert downstream.calls == 0


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    client, downstream, tokens
) -> None:
    limit = UPLOAD_RULES[USERS_CSV].max_bytes
    response = _post(client, USERS_CSV, tokens["admin"], b"z" * (limit + 1))
    assert response.status_code == 413
    assert "terlalu besar" in response.json()["detail"]
    assert downstream.calls == 0


def _raw_request(
    app: Starlette, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> tuple[int, int]:
    """Drive the ASGI app by hand: a client free to lie about Content-Length or to stream
    chunks. Returns (status, chunks the server pulled)."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/_upload",
        "raw_path": b"/_upload",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 3000),
    }
    pending = list(chunks)
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        if not pending:
            return {"type": "http.disconnect"}
        pulled += 1
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1, sent
    return starts[0]["status"], pulled


def _headers(token: str, *extra: tuple[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    return [
        (b"host", b"127.0.0.1:3000"),
        (b"content-type", b"multipart/form-data; boundary=b"),
        (b"reflex-client-token", b"tab-1"),
        (b"reflex-event-handler", USERS_CSV.encode()),
        (TOKEN_HEADER.lower().encode(), token.encode()),
        *extra,
    ]


@pytest.mark.parametrize("declared", [b"100", None], ids=["lying-length", "chunked"])
def test_a_body_longer_than_allowed_is_cut_off_while_streaming(
    engine, tokens, downstream, declared
) -> None:
    limit = UPLOAD_RULES[USERS_CSV].max_bytes
    chunk = b"y" * (256 * 1024)
    chunks = [chunk] * (limit // len(chunk) + 20)  # 5 MB past a 2 MB limit
    extra = [(b"content-length", declared)] if declared else [(b"transfer-encoding", b"chunked")]
    status, pulled = _raw_request(_app(downstream), _headers(tokens["admin"], *extra), chunks)
    assert status == 413
    # Reflex saw the client go away and never got the body past the limit.
    assert downstream.calls == 1 and downstream.disconnected
    assert downstream.bytes_read <= limit
    assert pulled <= limit // len(chunk) + 1 < len(chunks)


def test_a_body_within_the_limit_without_a_length_goes_through(engine, tokens, downstream) -> None:
    chunks = [b"q" * 1000] * 5
    extra = (b"transfer-encoding", b"chunked")
    status, _ = _raw_request(_app(downstream), _headers(tokens["admin"], extra), chunks)
    assert status == 200
    assert downstream.bodies == [b"q" * 5000]


def _upload_handlers() -> set[str]:
    """Every handler of every state that takes rx.UploadFile files."""
    found = set()
    # Subpackages too (state/admin/, pages/admin/).
    for info in pkgutil.walk_packages(nexus_app.state.__path__, prefix="nexus_app.state."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if not (inspect.isclass(value) and issubclass(value, AuthState)):
                continue
            for name, handler in value.event_handlers.items():
                hints = typing.get_type_hints(handler.fn) if name != "setvar" else {}
                if any("UploadFile" in str(hint) for hint in hints.values()):
                    found.add(handler_name(handler))
    return found


def test_every_upload_handler_is_in_the_registry() -> None:
    assert rx.UploadFile  # the annotation the scan looks for
    handlers = _upload_handlers()
    assert len(handlers) == 6
    assert handlers == set(UPLOAD_RULES)
    # Admin only, except the practice questions' CSV, which gurus import too.
    practice = handler_name(AdminPracticeQuestionsState.import_file)
    assert UPLOAD_RULES[practice].roles == ("admin", "guru")
    assert all(rule.roles == ("admin",) for name, rule in UPLOAD_RULES.items() if name != practice)
