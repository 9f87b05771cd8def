"""/login: username and password; errors in Bahasa Indonesia on the page."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.shell import BRAND_COLOR, TOUCH_CSS
from nexus_app.state.auth import AuthState

ROUTE = "/login"


def login_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.hstack(
                        rx.icon("graduation-cap", size=32, color=rx.color(BRAND_COLOR, 9)),
                        rx.heading("Nexus", size="7"),
                        align="center",
                    ),
                    rx.text(
                        "Masuk untuk berlatih UTBK dan bertanya ke tutor AI.",
                        color_scheme="gray",
                        size="2",
                    ),
                    rx.cond(
                        AuthState.login_error != "",
                        rx.callout(
                            AuthState.login_error,
                            icon="triangle-alert",
                            color_scheme="red",
                            id="login-error",
                            width="100%",
                        ),
                    ),
                    rx.text("Nama pengguna", size="2", weight="medium"),
                    rx.input(
                        id="login-username",
                        name="username",
                        placeholder="mis. siswa01",
                        # No value from the state: a hydrate arriving while someone types
                        # put the remembered name back and the typing ran on after it
                        # ("siswa_bimasiswa_bima" in a CI run). After a wrong password the
                        # form is not reset, so what was typed stays anyway.
                        auto_focus=True,
                        max_length=50,
                        width="100%",
                        size="3",
                    ),
                    rx.text("Kata sandi", size="2", weight="medium"),
                    rx.input(
                        id="login-password",
                        name="password",
                        type="password",
                        placeholder="Kata sandi",
                        max_length=256,
                        width="100%",
                        size="3",
                    ),
                    rx.button(
                        "Masuk",
                        id="login-submit",
                        type="submit",
                        width="100%",
                        size="3",
                        color_scheme=BRAND_COLOR,
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=AuthState.login,
                reset_on_submit=False,
            ),
            width="min(400px, 92vw)",
            size="4",
        ),
        rx.el.style(TOUCH_CSS),
        min_height="100vh",
        background=f"linear-gradient(160deg, {rx.color(BRAND_COLOR, 3)}, {rx.color('gray', 2)})",
    )
