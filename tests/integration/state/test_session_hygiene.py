"""Finding 1 at the state level: nothing of one login survives into the next on the same tab.

The state tree is built as Reflex builds it, the handlers run against the real database,
and background tasks run through Reflex's own StateProxy and in-memory state manager.
The browser's side of the same story is tests/e2e/test_session_handover.py.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import pickle
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from reflex.istate.manager.memory import StateManagerMemory
from reflex.istate.manager.token import BaseStateToken
from reflex.istate.proxy import StateProxy
from reflex.state import BaseState, OnLoadInternalState, State
from reflex_base.event.context import EventContext
from sqlalchemy.engine import Engine

from nexus_app.services import auth, feedback, tutor
from nexus_app.services.errors import NotAuthenticated, ServiceError
from nexus_app.state.admin.overview import AdminOverviewState
from nexus_app.state.admin.users import AdminUsersState, CredentialRow
from nexus_app.state.auth import (
    LOGOUT_SCRIPT,
    AuthState,
    SessionHygieneMiddleware,
    SessionPending,
)
from nexus_app.state.chat import ChatState
from nexus_app.state.practice import PracticeState
from nexus_app.state.teacher import TeacherState

PASSWORD = "kata-sandi-aman"
# What an admin's tab holds after creating an account and resetting a password.
ADMIN_LEFTOVERS = {
    "created_password": "Rahasia-Baru-1",
    "reset_password_shown": "Rahasia-Reset-2",
    "import_credentials": [{"username": "impor01", "password": "Rahasia-Impor-3"}],
    "_credentials_csv": "username,password\nimpor01,Rahasia-Impor-3\n",
    "rows": [{"username": "guru_rahasia", "full_name": "Ibu Rahasia"}],
    "selected": {"username": "siswa_rahasia"},
    "create_message": "Akun siswa_rahasia (Siswa) dibuat.",
}
# AuthState's fields that a fresh login sets; everything else must be at its default.
LOGIN_FIELDS = {
    "user_id",
    "username",
    "full_name",
    "role",
    "class_name",
    "access",
    "_session_digest",
    "_login_nonce",
}


@pytest.fixture
def people(engine: Engine) -> Iterator[dict[str, auth.CurrentUser]]:
    yield {
        "admin": auth.create_user(
            username="admin_serah", password=PASSWORD, role="admin", full_name="Bu Kepala"
        ),
        "siswa": auth.create_user(
            username="siswa_serah", password=PASSWORD, role="siswa", full_name="Ahmad Rizki"
        ),
    }


def _tree(path: str = "/login") -> State:
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    router = {"pathname": path, "asPath": path, "headers": {"asgi-scope-client": "10.9.8.7"}}
    root.router_data = root._update_router_vars({**router, "ip": "10.9.8.7"}, {})
    return root


def _go(root: State, path: str) -> None:
    """The tab's next page load comes from ``path``."""
    router = {"pathname": path, "asPath": path, "headers": {"asgi-scope-client": "10.9.8.7"}}
    root.router_data = root._update_router_vars({**router, "ip": "10.9.8.7"}, {})


def _sub(root: BaseState, cls: type[BaseState]) -> Any:
    return root.get_substate(cls.get_full_name().split("."))


def _call(state: BaseState, name: str, *args: Any) -> Any:
    result = type(state).event_handlers[name].fn(state, *args)
    if inspect.iscoroutine(result):
        return asyncio.run(result)
    return result


def _arg(event: Any, name: str) -> Any:
    """An argument of an EventSpec (rx.call_script's code, rx.redirect's path)."""
    return {str(key): value._var_value for key, value in event.args}[name]


def _private_states(root: BaseState) -> list[BaseState]:
    found, stack = [], [_sub(root, AuthState)]
    while stack:
        state = stack.pop()
        found.append(state)
        stack.extend(state.substates.values())
    return found


def _not_default(root: BaseState, allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Every field of every private state (backend vars too) that is not at its default."""
    left = []
    for state in _private_states(root):
        cls = type(state)
        for name, field in cls.__fields__.items():
            if field._owner is not cls or (cls is AuthState and name in allowed):
                continue
            value = getattr(state, name)
            if value != field.default_value():
                left.append(f"{cls.__name__}.{name}={value!r}")
    return left


def _everything(root: BaseState) -> str:
    """All a persisted tree holds: what the browser gets, backend vars, the pickle."""
    backend = [
        {k: v for k, v in vars(s).items() if k.startswith("_")} for s in _private_states(root)
    ]
    return (
        json.dumps(root.dict(), default=str)
        + json.dumps(backend, default=str)
        + repr(pickle.dumps(root))
    )


def _leave_admin_data(root: BaseState, people: dict[str, auth.CurrentUser]) -> str:
    """An admin's tab with secrets on show; returns the admin's raw token."""
    login = auth.login(username="admin_serah", password=PASSWORD)
    admin_tab = _sub(root, AuthState)
    admin_tab._start_session(login.session_digest, login.user)
    users = _sub(root, AdminUsersState)
    for name, value in ADMIN_LEFTOVERS.items():
        setattr(users, name, value)
    _sub(root, ChatState).history = [{"question": "soal rahasia admin"}]
    _sub(root, TeacherState).rows = [{"name": "Ibu Rahasia"}]
    return login.token


def test_login_resets_every_private_state_and_keeps_only_the_digest(engine: Engine, people) -> None:
    root = _tree()
    admin_token = _leave_admin_data(root, people)
    assert _not_default(root, LOGIN_FIELDS)  # the leftovers are there to be found

    events = _call(
        _sub(root, AuthState), "login", {"username": "siswa_serah", "password": PASSWORD}
    )

    tab = _sub(root, AuthState)
    assert tab.username == "siswa_serah" and tab.role == "siswa"
    assert _not_default(root, LOGIN_FIELDS) == []
    # The admin's session on this tab ended with the new login.
    with pytest.raises(NotAuthenticated):
        auth.current_user(admin_token)
    # The new raw token went to the browser as an event, and is nowhere in the state.
    script = _arg(events[0], "javascript_code")
    token = json.loads(script.removeprefix("localStorage.setItem('nexus_token', ").rstrip(")"))
    assert auth.current_user(token).username == "siswa_serah"
    assert tab._session_digest == auth.hash_token(token)
    stored = _everything(root)
    assert token not in stored and admin_token not in stored
    # The attempt was recorded with the client's address.
    with engine.connect() as conn:
        ips = conn.execute(sa.text("SELECT ip_address FROM login_attempts")).scalars().all()
    assert set(ips) == {"10.9.8.7", None}  # the admin's login above came from no client


def test_logout_resets_ends_the_session_and_gives_the_tab_a_new_client_token(
    engine: Engine, people
) -> None:
    root = _tree("/admin/users")
    admin_token = _leave_admin_data(root, people)
    event = _call(_sub(root, AuthState), "logout")
    assert _not_default(root) == []
    with pytest.raises(NotAuthenticated):
        auth.current_user(admin_token)
    assert _arg(event, "javascript_code") == LOGOUT_SCRIPT
    assert "sessionStorage.removeItem('token')" in LOGOUT_SCRIPT
    assert "localStorage.removeItem('nexus_token')" in LOGOUT_SCRIPT


def test_a_dead_session_resets_the_tab_at_the_guard_and_before_a_hydrate(
    engine: Engine, people
) -> None:
    root = _tree("/admin")
    admin_token = _leave_admin_data(root, people)
    auth.logout(admin_token)  # e.g. expired, or ended from another device
    event = _call(_sub(root, AuthState), "guard", ["admin"])
    assert _arg(event, "path") == "/login"
    tab = _sub(root, AuthState)
    assert tab.login_error.startswith("Sesi Anda telah berakhir")
    assert _not_default(root, {"access", "login_error", "_token_answer", "_token_answer_for"}) == []

    # Reloading the page sends the whole tree: the middleware resets it first.
    root = _tree("/admin")
    admin_token = _leave_admin_data(root, people)
    auth.logout(admin_token)
    hydrate = SimpleNamespace(name=f"{State.get_full_name()}.hydrate_and_load")
    asyncio.run(SessionHygieneMiddleware().preprocess(None, root, hydrate))  # type: ignore[arg-type]
    assert _not_default(root) == []


def test_one_time_passwords_end_with_their_panel(engine: Engine, people) -> None:
    root = _tree("/admin/users")
    tab = _sub(root, AuthState)
    login = auth.login(username="admin_serah", password=PASSWORD)
    tab._start_session(login.session_digest, login.user)
    users = _sub(root, AdminUsersState)

    users.new_role = "guru"
    _call(users, "create_user", {"username": "guru_baru", "full_name": "Guru Baru"})
    assert users.created_password, users.create_error  # generated, shown once
    _call(users, "dismiss_created")
    assert users.created_password == ""

    _call(users, "create_user", {"username": "guru_baru2", "full_name": "Guru Baru"})
    assert users.created_password
    # A page load (any private page) ends it, and so does a reconnect's hydrate.
    _call(tab, "guard", ["admin"])
    assert users.created_password == ""

    _call(users, "open_user", str(people["siswa"].id))
    _call(users, "reset_password_generated")
    assert users.reset_password_shown
    _call(users, "close_panel")
    assert users.reset_password_shown == ""

    users.import_credentials = [CredentialRow(username="x", password="Rahasia-Impor-3")]
    users._credentials_csv = "username,password\nx,Rahasia-Impor-3\n"
    download = _call(users, "download_credentials")  # works while the panel shows them
    assert _arg(download, "filename") == "akun-baru-nexus.csv"
    hydrate = SimpleNamespace(name=f"{State.get_full_name()}.hydrate")
    asyncio.run(SessionHygieneMiddleware().preprocess(None, root, hydrate))  # type: ignore[arg-type]
    assert users.import_credentials == [] and users._credentials_csv == ""
    assert tab.username == "admin_serah"  # a live session is left alone


def test_a_refused_page_load_sends_the_tab_to_login_once_with_its_message(
    engine: Engine, people
) -> None:
    """A forged token: the guard sends the tab to /login saying the session ended; the
    page's own load, run after it, must not send a second redirect that races the first
    (the second /login load asked the browser again and wiped the message)."""
    from nexus_app.nexus_app import handle_backend_error

    root = _tree("/admin")
    tab = _sub(root, AuthState)
    ask = _call(tab, "guard", ["admin"])
    request = _arg(ask, "javascript_code").split('"')[1]
    _call(tab, "adopt_token", [request, "forged-token-value"])
    refused = _call(tab, "guard", ["admin"])
    assert _arg(refused, "path") == "/login" and tab.access == "denied"
    assert "Sesi Anda telah berakhir" in tab.login_error
    with pytest.raises(SessionPending) as quiet:
        _call(_sub(root, AdminOverviewState), "load")
    assert handle_backend_error(quiet.value) == []
    # A click later, with no page load refusing anything first, is still sent to /login.
    tab.access = "checking"
    with pytest.raises(NotAuthenticated):
        _call(_sub(root, AdminOverviewState), "load")


def test_an_answer_for_a_page_the_tab_left_is_not_used_by_the_next_page(
    engine: Engine, people
) -> None:
    """/login asked for the token and got "none" just as the tab went on to /admin with a
    (forged) token: /admin asks again instead of taking /login's answer as its own."""
    login_tab = _sub(_tree("/login"), AuthState)
    ask = _call(login_tab, "redirect_if_logged_in")
    request = _arg(ask, "javascript_code").split('"')[1]
    _call(login_tab, "adopt_token", [request, None])  # its page load never runs again
    assert login_tab._token_answer == "missing"

    admin_root = _tree("/admin")
    admin_tab = _sub(admin_root, AuthState)
    admin_tab._token_answer, admin_tab._token_answer_for = "missing", "/login"
    again = _call(admin_tab, "guard", ["admin"])
    assert "localStorage.getItem" in _arg(again, "javascript_code")
    request = _arg(again, "javascript_code").split('"')[1]
    _call(admin_tab, "adopt_token", [request, "forged-token-value"])
    refused = _call(admin_tab, "guard", ["admin"])
    assert _arg(refused, "path") == "/login"
    assert "Sesi Anda telah berakhir" in admin_tab.login_error
    # /login, where the guard sent the tab, uses the answer and keeps the message.
    _go(admin_root, "/login")
    assert _call(admin_tab, "redirect_if_logged_in") is None
    assert "Sesi Anda telah berakhir" in admin_tab.login_error


def test_a_new_tab_fetches_the_token_once_and_keeps_only_its_digest(engine: Engine, people) -> None:
    from nexus_app.nexus_app import handle_backend_error

    token = auth.login(username="admin_serah", password=PASSWORD).token
    root = _tree("/admin")
    tab = _sub(root, AuthState)
    ask = _call(tab, "guard", ["admin"])
    request = tab._token_request
    assert _arg(ask, "javascript_code") == f"[\"{request}\", localStorage.getItem('nexus_token')]"
    assert "adopt_token" in _arg(ask, "callback")
    # The page's own load, queued behind the guard, waits instead of going to /login.
    with pytest.raises(SessionPending) as pending:
        _call(_sub(root, AdminOverviewState), "load")
    assert handle_backend_error(pending.value) == []

    # An answer to an earlier request (the tab moved on before it came back) is ignored.
    assert _call(tab, "adopt_token", ["an-earlier-request", None]) is None
    assert _call(tab, "adopt_token", token) is None  # and so is a bare token
    events = _call(tab, "adopt_token", [request, token])
    assert events[-1].fn is OnLoadInternalState.on_load_internal.fn  # the load runs again
    assert tab.username == "admin_serah" and tab._session_digest == auth.hash_token(token)
    assert token not in _everything(root)
    assert _call(tab, "guard", ["admin"]) is None and tab.access == "ok"
    _call(_sub(root, AdminOverviewState), "load")
    # An answer nobody asked for is ignored (no switching users by a crafted event).
    other = auth.login(username="siswa_serah", password=PASSWORD).token
    assert _call(tab, "adopt_token", [request, other]) is None
    assert tab.username == "admin_serah"


def test_a_forged_token_is_dropped_and_the_tab_goes_to_login(engine: Engine, people) -> None:
    root = _tree("/admin")
    tab = _sub(root, AuthState)
    _call(tab, "guard", ["admin"])
    events = _call(tab, "adopt_token", [tab._token_request, "forged-token-value"])
    assert _arg(events[0], "javascript_code") == "localStorage.removeItem('nexus_token')"
    redirect = _call(tab, "guard", ["admin"])
    assert _arg(redirect, "path") == "/login"
    assert tab.login_error.startswith("Sesi Anda telah berakhir")
    # /login does not ask the browser again, and keeps the message.
    _go(root, "/login")
    assert _call(tab, "redirect_if_logged_in") is None
    assert tab.login_error.startswith("Sesi Anda telah berakhir")


# --- background tasks that outlive a logout ---------------------------------------------------


class _Handover:
    """Drives a background handler through Reflex's real StateProxy; between two streamed
    updates, the tab logs out and another student logs in on it."""

    def __init__(self) -> None:
        self.manager = StateManagerMemory()
        self.deltas: list[dict[str, Any]] = []
        self.first_update_out = threading.Event()
        self.handover_done = threading.Event()

    async def start(self) -> None:
        async def enqueue(token: str, *events: Any) -> None:
            return None

        async def emit_delta(token: str, delta: dict[str, Any]) -> None:
            self.deltas.append(delta)

        EventContext.set(
            EventContext(
                token="tab-1",
                state_manager=self.manager,
                enqueue_impl=enqueue,
                emit_delta_impl=emit_delta,
                emit_event_impl=enqueue,
            )
        )

    def updates(self, first: Any, later: list[Any] | Exception) -> Iterator[Any]:
        yield first
        self.first_update_out.set()
        assert self.handover_done.wait(20)
        if isinstance(later, Exception):
            raise later
        yield from later

    async def tree(self) -> Any:
        return self.manager.modify_state(BaseStateToken(ident="tab-1", cls=State))

    async def hand_over(self) -> None:
        while not self.first_update_out.is_set():
            await asyncio.sleep(0.01)
        async with await self.tree() as root:
            handlers = AuthState.event_handlers
            await handlers["logout"].fn(_sub(root, AuthState))
            await handlers["login"].fn(
                _sub(root, AuthState), {"username": "siswa_lain", "password": PASSWORD}
            )
        self.handover_done.set()


@pytest.mark.parametrize("handler", ["chat", "feedback"])
def test_a_background_task_from_the_previous_login_writes_nothing(
    engine: Engine, people, monkeypatch: pytest.MonkeyPatch, handler: str
) -> None:
    auth.create_user(username="siswa_lain", password=PASSWORD, role="siswa")
    login = auth.login(username="siswa_serah", password=PASSWORD)
    run = _Handover()
    secret = "jawaban untuk siswa_serah"

    if handler == "chat":
        cls: type[AuthState] = ChatState
        monkeypatch.setattr(
            tutor,
            "stream",
            lambda **_: run.updates(
                tutor.TutorUpdate(kind="token", text="Halo "),
                [tutor.TutorUpdate(kind="token", text=secret)],
            ),
        )
        monkeypatch.setattr(
            tutor,
            "history",
            lambda actor: [
                SimpleNamespace(
                    when="kemarin",
                    subject="MAT",
                    question=f"soal {actor.username}",
                    answer=secret,
                    sources=[],
                )
            ],
        )
    else:
        cls = PracticeState
        monkeypatch.setattr(
            feedback,
            "stream_feedback",
            # The old check (is this still the same question?) already stopped the tokens;
            # an error after the hand-over went through.
            lambda **_: run.updates(
                SimpleNamespace(kind="token", text="Bagus. "), ServiceError(secret)
            ),
        )

    async def scenario() -> Any:
        await run.start()
        async with await run.tree() as root:
            root.router_data = root._update_router_vars({"pathname": "/chat"}, {})
            _sub(root, AuthState)._start_session(login.session_digest, login.user)
            state = _sub(root, cls)
            if cls is ChatState:
                state.question = "Apa itu limit?"
            else:
                state.attempt_id = 42
        root = await run.manager.get_state(BaseStateToken(ident="tab-1", cls=State))
        proxy = StateProxy(_sub(root, cls))
        name = "send" if cls is ChatState else "stream_feedback"
        await asyncio.gather(cls.event_handlers[name].fn(proxy), run.hand_over())
        return await run.manager.get_state(BaseStateToken(ident="tab-1", cls=State))

    root = asyncio.run(scenario())
    assert _sub(root, AuthState).username == "siswa_lain"
    assert _not_default(root, LOGIN_FIELDS) == []
    after_handover = json.dumps(run.deltas[-1:], default=str)
    assert secret not in json.dumps(root.dict(), default=str)
    assert secret not in after_handover


def test_the_middleware_knows_the_hydrate_events_reflex_sends() -> None:
    from reflex_base.utils.format import format_event_handler

    sent = {format_event_handler(State.event_handlers[n]) for n in ("hydrate", "hydrate_and_load")}
    assert sent == SessionHygieneMiddleware.HYDRATE_EVENTS
