"""Who is logged in. Every private state inherits from AuthState and checks the session in
each handler: `_require_async` in an async handler, `_require_reused` in a body that runs in a
worker thread (state/off_loop.py); both reuse this worker's recent check. Nothing blocking
runs on the event loop (issue 16).

The raw session token lives only in the browser (localStorage `nexus_token`). The server
state keeps its SHA-256 in a backend var, never the token: the state tree is persisted (disk
or Redis) and may be read by whoever reads those. The token reaches the browser at login as
an `rx.call_script` event (not state), and a new tab hands it over once, on request, when its
first page loads (`_identify` → `adopt_token`).

Login, logout and a dead session reset AuthState and every child state (all private states
are children) to their defaults, so nothing of one user's tab reaches the next user of the
same tab. See docs/security.md.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import reflex as rx
from reflex.middleware import Middleware
from reflex.state import OnLoadInternalState
from reflex_base.event import EventSpec

from nexus_app.services import auth, session_cache
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import (
    NotAuthenticated,
    PasswordChangeRequired,
    PermissionDenied,
    ServiceError,
)
from nexus_app.state.events import Events, event

if TYPE_CHECKING:
    from reflex.app import App
    from reflex.event import Event
    from reflex.state import BaseState, StateUpdate

HOME_BY_ROLE = {"siswa": "/dashboard", "guru": "/teacher", "admin": "/admin"}
ONBOARDING_ROUTE = "/onboarding"
# An account with a generated password goes here first, and nowhere else until it is replaced.
CHANGE_PASSWORD_ROUTE = "/change-password"
LOGIN_ROUTE = "/login"
TOKEN_KEY = "nexus_token"  # the browser's localStorage key for the raw session token
# How long a request for the browser's token stays open (the answer takes one round trip).
TOKEN_REQUEST_SECONDS = 15.0
# The guard of a page load reuses the database check its hydrate made this long ago at most
# (the hydrate's events run right before the page's on_load).
HYDRATE_CHECK_SECONDS = 2.0

# Logging out also gives the tab a new Reflex client token (kept by Reflex in
# sessionStorage 'token'): the reload starts a fresh state tree; the old one was reset.
LOGOUT_SCRIPT = (
    f"localStorage.removeItem('{TOKEN_KEY}'); sessionStorage.removeItem('token'); "
    f"window.location.replace('{LOGIN_ROUTE}')"
)
FORGET_TOKEN_SCRIPT = f"localStorage.removeItem('{TOKEN_KEY}')"
NOT_LOGGED_IN = "Silakan masuk terlebih dahulu."


class SessionPending(Exception):
    """The tab has asked the browser for its token and the answer has not come yet.

    A page's own load handler queued behind the guard raises this instead of sending the
    tab to /login; the page's load runs again once the token has been checked. Also raised
    when the guard has just refused the page load: its redirect is the only one. Not a
    ServiceError on purpose: no handler shows it, the app's error handler ignores it."""


class AuthState(rx.State):
    user_id: rx.Field[int] = rx.field(0)
    username: rx.Field[str] = rx.field("")
    full_name: rx.Field[str] = rx.field("")
    role: rx.Field[str] = rx.field("")
    class_name: rx.Field[str] = rx.field("")
    # "checking" until the server has looked at the session, then "ok" or "denied".
    access: rx.Field[str] = rx.field("checking")

    login_error: rx.Field[str] = rx.field("")

    password_dialog_open: rx.Field[bool] = rx.field(False)
    password_error: rx.Field[str] = rx.field("")
    password_message: rx.Field[str] = rx.field("")

    # Backend only: never sent to the browser.
    # SHA-256 of this tab's session token; the token itself is never on the server.
    _session_digest: str = ""
    # Changes with every login and logout: a background task that started under another
    # login writes nothing (see `_same_login`).
    _login_nonce: str = ""
    # When this tab asked the browser for its token (0: no open request), and what the
    # answer was when it brought no session ("missing" or "invalid").
    _token_asked_at: float = 0.0
    _token_answer: str = ""
    # The page that answer is for: the page that asked, or /login when the guard sends the
    # tab there with it. A page left before its answer was used must not hand it to the next
    # page (a "missing" answer from /login turned a forged token's message into "log in").
    _token_answer_for: str = ""
    # Which request the answer must name: an answer to an earlier page's request (the tab
    # moved on before it came back) says nothing about the browser's token now.
    _token_request: str = ""
    # When SessionHygieneMiddleware last found this tab's session valid in the database (a
    # page load's hydrate, wall-clock seconds; 0: not since the last guard). The guard of
    # that same page load reuses the check instead of asking the database again.
    _hydrate_checked_at: float = 0.0

    @rx.var
    def is_logged_in(self) -> bool:
        return self.user_id > 0

    @rx.var
    def role_label(self) -> str:
        return auth.ROLE_LABELS.get(self.role, "")

    # --- the session ---------------------------------------------------------------------

    def _set_user(self, user: CurrentUser) -> None:
        self.user_id = user.id
        self.username = user.username
        self.full_name = user.full_name
        self.role = user.role
        self.class_name = user.class_name or ""

    def _forget_user(self) -> None:
        self.user_id = 0
        self.username = ""
        self.full_name = ""
        self.role = ""
        self.class_name = ""

    def _auth_root(self) -> AuthState:
        """The AuthState instance itself, also when called from a child state."""
        state: Any = self
        while type(state) is not AuthState:
            state = state.parent_state
        return state

    def _start_session(self, session_digest: str, user: CurrentUser) -> None:
        """A new login in this tab: nothing of the previous one survives."""
        root = self._auth_root()
        root.reset()
        root._session_digest = session_digest
        root._login_nonce = uuid.uuid4().hex
        root._set_user(user)
        root.access = "ok"

    def _end_session(self, *, message: str = "", answer: str = "") -> None:
        """Back to a fresh tab's state: every private state at its defaults."""
        root = self._auth_root()
        root.reset()
        root.login_error = message
        root._token_answer = answer
        root._token_answer_for = self.router.page.path if answer else ""

    def _token_pending(self) -> bool:
        asked = self._token_asked_at
        return asked > 0 and time.time() - asked < TOKEN_REQUEST_SECONDS

    def _client_ip(self) -> str | None:
        headers = self.router.headers.raw_headers
        # Reflex puts the socket's peer here before any X-Forwarded-For handling.
        peer = headers.get("asgi-scope-client") or self.router.session.client_ip
        return auth.resolve_client_ip(peer, headers.get("x-forwarded-for"))

    def _same_login(self, login_id: str) -> bool:
        """Background tasks capture `_login_nonce` when they start and call this inside
        every `async with self:` before writing: False once the tab has logged out or
        someone else has logged in on it."""
        return bool(login_id) and self._login_nonce == login_id

    def _require(self, *roles: str, pending_password_ok: bool = False) -> CurrentUser:
        """Re-check the session (and role) on the server; raises NotAuthenticated or
        PermissionDenied (or SessionPending while the tab's token is being fetched).
        An account that must still replace its generated password is refused with
        PasswordChangeRequired unless `pending_password_ok`."""
        digest = self._session_digest
        if not digest:
            # Pending: the token is on its way. Denied: the guard of this very page load has
            # already sent the tab to /login with its message; a second redirect from the
            # page's own load would race it and lose the message.
            if self._token_pending() or self.access == "denied":
                raise SessionPending()
            self._forget_user()
            raise NotAuthenticated()
        try:
            user = auth.current_user_for_digest(
                digest, roles=roles or None, pending_password_ok=pending_password_ok
            )
        except NotAuthenticated:
            self._forget_user()
            raise
        self._set_user(user)
        return user

    async def _require_async(self, *roles: str, pending_password_ok: bool = False) -> CurrentUser:
        """`require` for async handlers, off the event loop: a check this worker made in the
        last few seconds is reused (services/session_cache.py states how stale it may be),
        otherwise the database is asked in a thread."""
        return await self._check_session(
            roles, fresh=False, pending_password_ok=pending_password_ok
        )

    def _require_reused(self, *roles: str, pending_password_ok: bool = False) -> CurrentUser:
        """`_require_async` for a handler body that runs in a worker thread (state/off_loop.py):
        the same reuse of this worker's recent check, the same refusals. It blocks when it
        has to ask the database, so never call it on the event loop."""
        digest = self._session_digest
        if not digest:
            return self._require(*roles, pending_password_ok=pending_password_ok)
        wanted = roles or None
        try:
            user = session_cache.recent_user(
                digest, wanted, pending_password_ok=pending_password_ok
            ) or session_cache.validate(digest, wanted, pending_password_ok=pending_password_ok)
        except NotAuthenticated:
            self._forget_user()
            raise
        self._set_user(user)
        return user

    async def _require_fresh(self, *roles: str) -> CurrentUser:
        """Page loads ask the database (in a thread), and refresh the reused check; the
        first one right after this tab's hydrate found the session valid in the database
        (at most HYDRATE_CHECK_SECONDS ago) reuses that check instead of repeating it."""
        root = self._auth_root()
        checked, root._hydrate_checked_at = root._hydrate_checked_at, 0.0
        just_checked = 0.0 <= time.time() - checked <= HYDRATE_CHECK_SECONDS
        return await self._check_session(roles, fresh=not just_checked)

    async def _check_session(
        self, roles: tuple[str, ...], *, fresh: bool, pending_password_ok: bool = False
    ) -> CurrentUser:
        digest = self._session_digest
        if not digest:
            return self._require(*roles)  # refuses without asking the database
        wanted = roles or None
        try:
            user = (
                None
                if fresh
                else session_cache.recent_user(
                    digest, wanted, pending_password_ok=pending_password_ok
                )
            )
            if user is None:
                user = await asyncio.to_thread(
                    session_cache.validate, digest, wanted, pending_password_ok=pending_password_ok
                )
        except NotAuthenticated:
            self._forget_user()
            raise
        self._set_user(user)
        return user

    def _identify(self) -> EventSpec | None:
        """At a page load without a session in this tab: ask the browser for its token once
        (the answer comes to `adopt_token`, which runs the page load again); None when there
        is nothing to wait for."""
        if self._session_digest:
            return None
        if self._token_answer and self._token_answer_for == self.router.page.path:
            return None  # the browser has answered for this page load
        self._token_answer = ""
        self._token_asked_at = time.time()
        self._token_request = uuid.uuid4().hex
        return rx.call_script(
            f"[{json.dumps(self._token_request)}, localStorage.getItem('{TOKEN_KEY}')]",
            callback=AuthState.adopt_token,
        )

    @rx.event
    async def adopt_token(self, answer: Any = None) -> Events:
        """The browser's answer to `_identify`: [request id, raw token or null]. Only the
        digest is kept. An answer nobody asked for, or to an earlier request, is ignored."""
        if not self._token_pending():
            return None
        if not (isinstance(answer, list) and len(answer) == 2 and answer[0] == self._token_request):
            return None
        self._token_asked_at = 0.0
        self._token_request = ""
        token = answer[1]
        raw = token if isinstance(token, str) else ""
        events: list[Any] = []
        if not raw:
            self._end_session(answer="missing")
        else:
            digest = auth.hash_token(raw)
            try:
                user = await asyncio.to_thread(
                    session_cache.validate, digest, None, pending_password_ok=True
                )
            except NotAuthenticated as exc:
                self._end_session(message=exc.message, answer="invalid")
                events.append(rx.call_script(FORGET_TOKEN_SCRIPT))
            else:
                self._start_session(digest, user)
        # Run the page's on_load again, now that the tab knows who it is.
        events.append(OnLoadInternalState.on_load_internal)
        return events

    def _forget_one_time_secrets(self) -> None:
        """Generated passwords live only as long as the panel that shows them: a page load
        (or a new connection) ends them. Child states opt in with `_forget_secrets()`."""
        stack = list(self._auth_root().substates.values())
        while stack:
            state = stack.pop()
            forget = getattr(state, "_forget_secrets", None)
            if callable(forget):
                forget()
            stack.extend(state.substates.values())

    # --- page loads ----------------------------------------------------------------------

    @event
    async def guard(self, roles: list[str]) -> Events:
        """on_load of every private page: log in first, right role second; a new student
        answers the onboarding questions before anything else."""
        return await self._guard(roles, onboarding_page=False)

    @event
    async def guard_onboarding(self, roles: list[str]) -> Events:
        return await self._guard(roles, onboarding_page=True)

    async def _guard(self, roles: list[str], *, onboarding_page: bool) -> Events:
        self._forget_one_time_secrets()
        self.access = "checking"
        if (ask := self._identify()) is not None:
            return ask
        answer, self._token_answer = self._token_answer, ""
        try:
            user = await self._require_fresh(*roles)
        except NotAuthenticated as exc:
            message = NOT_LOGGED_IN if answer == "missing" else exc.message
            # /login sees the answer too, and does not ask the browser again.
            self._end_session(message=message, answer=answer or "invalid")
            self._token_answer_for = LOGIN_ROUTE
            self.access = "denied"
            return rx.redirect(LOGIN_ROUTE)
        except PasswordChangeRequired:
            return rx.redirect(CHANGE_PASSWORD_ROUTE)
        except PermissionDenied:
            self.access = "denied"
            return None
        if user.role == "siswa" and not user.onboarding_completed and not onboarding_page:
            return rx.redirect(ONBOARDING_ROUTE)
        self.access = "ok"
        return None

    @rx.event
    async def go_home(self) -> Events:
        """`/`: each role's own start page (or the login page)."""
        if (ask := self._identify()) is not None:
            return ask
        try:
            user = await self._require_fresh()
        except PasswordChangeRequired:
            return rx.redirect(CHANGE_PASSWORD_ROUTE)
        except ServiceError:
            return rx.redirect(LOGIN_ROUTE)
        return rx.redirect(HOME_BY_ROLE.get(user.role, LOGIN_ROUTE))

    @rx.event
    async def redirect_if_logged_in(self) -> Events:
        """on_load of /login: a live session goes home; otherwise whatever a previous user
        left in this tab is wiped (the message that sent the tab here stays)."""
        if (ask := self._identify()) is not None:
            return ask
        if self._session_digest:
            try:
                user = await self._require_fresh()
            except PasswordChangeRequired:
                return rx.redirect(CHANGE_PASSWORD_ROUTE)
            except ServiceError:
                pass
            else:
                return rx.redirect(HOME_BY_ROLE.get(user.role, "/"))
        self._end_session(message=self.login_error)
        return None

    # --- login, logout, own password ------------------------------------------------------

    @rx.event
    async def login(self, form_data: dict[str, str]) -> Events:
        self.login_error = ""
        username = (form_data.get("username") or "").strip()
        password = form_data.get("password") or ""
        try:
            # argon2 (~0.2 s) runs in its own thread pool, never on the event loop.
            result = await auth.run_password_work(
                auth.login, username=username, password=password, client_ip=self._client_ip()
            )
        except ServiceError as exc:
            self.login_error = exc.message
            return None
        # One tab, one session: a login over another one ends the old one.
        await self._end_stored_session()
        self._start_session(result.session_digest, result.user)
        # The raw token goes to the browser as an event, never into the state.
        store = rx.call_script(f"localStorage.setItem('{TOKEN_KEY}', {json.dumps(result.token)})")
        if result.user.must_change_password:
            return [store, rx.redirect(CHANGE_PASSWORD_ROUTE)]
        if result.user.role == "siswa" and not result.user.onboarding_completed:
            return [store, rx.redirect(ONBOARDING_ROUTE)]
        return [store, rx.redirect(HOME_BY_ROLE.get(result.user.role, "/"))]

    @rx.event
    async def open_password_dialog(self) -> None:
        await self._require_async()
        self.password_error = ""
        self.password_message = ""
        self.password_dialog_open = True

    @event
    def close_password_dialog(self) -> None:
        self.password_dialog_open = False
        self.password_error = ""

    @rx.event
    def password_dialog_changed(self, is_open: bool) -> None:
        # Escape or a click outside closes the dialog too.
        if not is_open:
            self.close_password_dialog()

    @rx.event
    async def change_password(self, form_data: dict[str, str]) -> None:
        """Every role changes its own password here: no admin (or shell) needed."""
        await self._require_async()
        self.password_error = ""
        self.password_message = ""
        new_password = form_data.get("new_password") or ""
        if new_password != (form_data.get("confirm_password") or ""):
            self.password_error = "Konfirmasi kata sandi baru tidak sama."
            return
        try:
            ended = await auth.run_password_work(
                auth.change_own_password,
                session_digest=self._session_digest,
                current_password=form_data.get("current_password") or "",
                new_password=new_password,
                client_ip=self._client_ip(),
            )
        except NotAuthenticated:
            raise
        except ServiceError as exc:
            self.password_error = exc.message
            return
        # Its other sessions ended: this worker stops reusing their checks at once.
        session_cache.forget_user(self.user_id)
        others = f" {ended} sesi di perangkat lain telah dikeluarkan." if ended else ""
        self.password_message = f"Kata sandi berhasil diubah.{others}"

    # --- the first password of one's own (generated passwords) ----------------------------

    @rx.event
    async def guard_password_change(self) -> EventSpec | None:
        """on_load of /change-password: only for an account that still has a generated
        password; anyone else goes on to their start page."""
        self._forget_one_time_secrets()
        self.access = "checking"
        if (ask := self._identify()) is not None:
            return ask
        self._token_answer = ""
        try:
            # A page load: the database is asked (in a thread), as `_guard` does.
            user = await self._check_session((), fresh=True, pending_password_ok=True)
        except NotAuthenticated as exc:
            self._end_session(message=exc.message, answer="invalid")
            self._token_answer_for = LOGIN_ROUTE
            self.access = "denied"
            return rx.redirect(LOGIN_ROUTE)
        if not user.must_change_password:
            return rx.redirect(self._start_page(user))
        self.password_error = ""
        self.access = "ok"
        return None

    @staticmethod
    def _start_page(user: CurrentUser) -> str:
        if user.role == "siswa" and not user.onboarding_completed:
            return ONBOARDING_ROUTE
        return HOME_BY_ROLE.get(user.role, "/")

    @rx.event
    async def set_first_password(self, form_data: dict[str, str]) -> EventSpec | None:
        """Replace the generated password (proved by typing it once more); then on to the
        start page, which no longer refuses."""
        user = await self._require_async(pending_password_ok=True)
        self.password_error = ""
        new_password = form_data.get("new_password") or ""
        if new_password != (form_data.get("confirm_password") or ""):
            self.password_error = "Konfirmasi kata sandi baru tidak sama."
            return None
        try:
            await auth.run_password_work(
                auth.change_own_password,
                session_digest=self._session_digest,
                current_password=form_data.get("current_password") or "",
                new_password=new_password,
                client_ip=self._client_ip(),
            )
        except NotAuthenticated:
            raise
        except ServiceError as exc:
            self.password_error = exc.message
            return None
        # The worker's remembered check still says "must change": forget it.
        session_cache.forget_user(user.id)
        return rx.redirect(self._start_page(user))

    @rx.event
    async def logout(self) -> Events:
        await self._end_stored_session()
        self._end_session()
        return rx.call_script(LOGOUT_SCRIPT)

    async def _end_stored_session(self) -> None:
        """This tab's session ends in the database (in a thread) and in this worker's cache."""
        digest = self._session_digest
        if digest:
            session_cache.forget(digest)
            await asyncio.to_thread(auth.logout_digest, digest)


class SessionHygieneMiddleware(Middleware):
    """Before a hydrate (a page load or reconnect sends the whole state tree to the
    browser): one-time secrets end, and a tab whose session has died (expired, logged out
    elsewhere, account deactivated) is reset first, so the tree sent holds nothing of it."""

    HYDRATE_EVENTS = frozenset(
        f"{rx.State.get_full_name()}.{name}" for name in ("hydrate", "hydrate_and_load")
    )

    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        if event.name not in self.HYDRATE_EVENTS:
            return None
        tab = state.get_substate(AuthState.get_full_name().split("."))
        assert isinstance(tab, AuthState)
        tab._forget_one_time_secrets()
        if tab._session_digest:
            try:
                await asyncio.to_thread(
                    session_cache.validate, tab._session_digest, None, pending_password_ok=True
                )
            except NotAuthenticated:
                tab._end_session()
            else:
                # The page's guard, next, need not ask the database again.
                tab._hydrate_checked_at = time.time()
        return None
