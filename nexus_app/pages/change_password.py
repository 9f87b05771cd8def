"""/change-password: an account created or reset with a generated password sets its own
here at the first login; every other page sends it back here until it has."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.shell import BRAND_COLOR, TOUCH_CSS, loading
from nexus_app.state.auth import CHANGE_PASSWORD_ROUTE, AuthState

ROUTE = CHANGE_PASSWORD_ROUTE


def _field(label: str, name: str, field_id: str, auto_complete: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(
            type="password",
            name=name,
            id=field_id,
            required=True,
            max_length=256,
            auto_complete=auto_complete,
            width="100%",
            size="3",
        ),
        spacing="1",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Buat kata sandi Anda sendiri", size="6", id="first-password-heading"),
            rx.text(
                "Halo, ",
                rx.text.strong(AuthState.full_name),
                ". Akun ini masih memakai kata sandi yang dibuat admin. Ganti dengan kata "
                "sandi yang hanya Anda ketahui sebelum memakai Nexus.",
                size="2",
                color_scheme="gray",
            ),
            _field("Kata sandi dari admin", "current_password", "first-password-current", "off"),
            _field(
                "Kata sandi baru (minimal 8 karakter)",
                "new_password",
                "first-password-new",
                "new-password",
            ),
            _field(
                "Ulangi kata sandi baru",
                "confirm_password",
                "first-password-confirm",
                "new-password",
            ),
            rx.cond(
                AuthState.password_error != "",
                rx.callout(
                    AuthState.password_error,
                    icon="triangle-alert",
                    color_scheme="red",
                    id="first-password-error",
                    width="100%",
                ),
            ),
            rx.button(
                "Simpan dan lanjutkan",
                type="submit",
                id="first-password-submit",
                width="100%",
                size="3",
                color_scheme=BRAND_COLOR,
            ),
            rx.button(
                "Keluar",
                type="button",
                id="first-password-logout",
                variant="ghost",
                color_scheme="gray",
                width="100%",
                on_click=AuthState.logout,
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthState.set_first_password,
        reset_on_submit=True,
    )


def change_password_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.cond(AuthState.access == "ok", _form(), loading()),
            width="min(440px, 92vw)",
            size="4",
        ),
        rx.el.style(TOUCH_CSS),
        min_height="100vh",
        background=f"linear-gradient(160deg, {rx.color(BRAND_COLOR, 3)}, {rx.color('gray', 2)})",
    )
