"""Who is logged in. Every private state inherits from AuthState and calls `require`."""

from __future__ import annotations

import reflex as rx

from nexus_app.services import auth
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import (
    NotAuthenticated,
    PermissionDenied,
    ServiceError,
)

HOME_BY_ROLE = {"siswa": "/dashboard", "guru": "/teacher", "admin": "/admin"}
ONBOARDING_ROUTE = "/onboarding"


class AuthState(rx.State):
    # The raw token lives only in this browser's localStorage and in this var.
    token: str = rx.LocalStorage("", name="nexus_token", sync=True)
    user_id: int = 0
    username: str = ""
    full_name: str = ""
    role: str = ""
    class_name: str = ""
    # "checking" until the server has looked at the token, then "ok" or "denied".
    access: str = "checking"

    login_username: str = ""
    login_error: str = ""
    login_busy: bool = False

    password_dialog_open: bool = False
    password_error: str = ""
    password_message: str = ""

    @rx.var
    def is_logged_in(self) -> bool:
        return self.user_id > 0

    @rx.var
    def role_label(self) -> str:
        return auth.ROLE_LABELS.get(self.role, "")

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

    def require(self, *roles: str) -> CurrentUser:
        """Re-check the token (and role) on the server; raises NotAuthenticated/PermissionDenied."""
        try:
            user = auth.current_user(self.token, roles=roles or None)
        except NotAuthenticated:
            self._forget_user()
            raise
        self._set_user(user)
        return user

    @rx.event
    def guard(self, roles: list[str]):
        """on_load of every private page: log in first, right role second; a new student
        answers the onboarding questions before anything else."""
        return self._guard(roles, onboarding_page=False)

    @rx.event
    def guard_onboarding(self, roles: list[str]):
        return self._guard(roles, onboarding_page=True)

    def _guard(self, roles: list[str], *, onboarding_page: bool):
        self.access = "checking"
        try:
            user = self.require(*roles)
        except NotAuthenticated as exc:
            self.token = ""
            self.login_error = exc.message
            self.access = "denied"
            return rx.redirect("/login")
        except PermissionDenied:
            self.access = "denied"
            return None
        if user.role == "siswa" and not user.onboarding_completed and not onboarding_page:
            return rx.redirect(ONBOARDING_ROUTE)
        self.access = "ok"
        return None

    @rx.event
    def go_home(self):
        """`/`: each role's own start page (or the login page)."""
        try:
            user = self.require()
        except ServiceError:
            return rx.redirect("/login")
        return rx.redirect(HOME_BY_ROLE.get(user.role, "/login"))

    @rx.event
    def redirect_if_logged_in(self):
        if not self.token:
            return None
        try:
            user = self.require()
        except ServiceError:
            self.token = ""
            return None
        return rx.redirect(HOME_BY_ROLE.get(user.role, "/"))

    @rx.event
    def login(self, form_data: dict[str, str]):
        self.login_error = ""
        username = (form_data.get("username") or "").strip()
        password = form_data.get("password") or ""
        self.login_username = username
        try:
            result = auth.login(username=username, password=password)
        except ServiceError as exc:
            self.login_error = exc.message
            return None
        self.token = result.token
        self._set_user(result.user)
        self.access = "ok"
        if result.user.role == "siswa" and not result.user.onboarding_completed:
            return rx.redirect(ONBOARDING_ROUTE)
        return rx.redirect(HOME_BY_ROLE.get(result.user.role, "/"))

    @rx.event
    def open_password_dialog(self) -> None:
        self.require()
        self.password_error = ""
        self.password_message = ""
        self.password_dialog_open = True

    @rx.event
    def close_password_dialog(self) -> None:
        self.password_dialog_open = False
        self.password_error = ""

    @rx.event
    def password_dialog_changed(self, is_open: bool) -> None:
        # Escape or a click outside closes the dialog too.
        if not is_open:
            self.close_password_dialog()

    @rx.event
    def change_password(self, form_data: dict[str, str]) -> None:
        """Every role changes its own password here: no admin (or shell) needed."""
        self.require()
        self.password_error = ""
        self.password_message = ""
        new_password = form_data.get("new_password") or ""
        if new_password != (form_data.get("confirm_password") or ""):
            self.password_error = "Konfirmasi kata sandi baru tidak sama."
            return
        try:
            ended = auth.change_own_password(
                token=self.token,
                current_password=form_data.get("current_password") or "",
                new_password=new_password,
            )
        except NotAuthenticated:
            raise
        except ServiceError as exc:
            self.password_error = exc.message
            return
        others = f" {ended} sesi di perangkat lain telah dikeluarkan." if ended else ""
        self.password_message = f"Kata sandi berhasil diubah.{others}"

    @rx.event
    def logout(self):
        auth.logout(self.token)
        self.token = ""
        self._forget_user()
        self.access = "checking"
        return rx.redirect("/login")
