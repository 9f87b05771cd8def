"""The app shell: top bar with role-based navigation (Bahasa Indonesia) and logout."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from nexus_app.state.auth import AuthState

# Only pages that exist are linked; each issue adds its own entries.
NAV_BY_ROLE: dict[str, list[tuple[str, str, str]]] = {
    "siswa": [
        ("Latihan", "/practice", "nav-practice"),
        ("Tutor AI", "/chat", "nav-chat"),
        ("Dasbor", "/dashboard", "nav-dashboard"),
    ],
    "guru": [("Kelas", "/teacher", "nav-teacher")],
    "admin": [("Admin", "/admin", "nav-admin"), ("Kelas", "/teacher", "nav-teacher")],
}

BRAND_COLOR = "indigo"


def _nav_links(role: str) -> rx.Component:
    return rx.hstack(
        *[
            rx.link(label, href=href, id=link_id, weight="medium", size="3", underline="none")
            for label, href, link_id in NAV_BY_ROLE[role]
        ],
        spacing="5",
    )


def _password_field(label: str, name: str, field_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(
            type="password",
            name=name,
            id=field_id,
            required=True,
            auto_complete="new-password" if name != "current_password" else "current-password",
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def password_dialog() -> rx.Component:
    """Change one's own password (every role), from the top bar of every private page."""
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("key-round", size=16),
                "Kata sandi",
                id="password-open",
                variant="ghost",
                on_click=AuthState.open_password_dialog,
            )
        ),
        rx.dialog.content(
            rx.dialog.title("Ubah kata sandi"),
            rx.form(
                rx.vstack(
                    _password_field("Kata sandi sekarang", "current_password", "password-current"),
                    _password_field(
                        "Kata sandi baru (minimal 8 karakter)", "new_password", "password-new"
                    ),
                    _password_field(
                        "Ulangi kata sandi baru", "confirm_password", "password-confirm"
                    ),
                    rx.cond(
                        AuthState.password_error != "",
                        rx.callout(
                            AuthState.password_error,
                            icon="triangle-alert",
                            color_scheme="red",
                            id="password-error",
                        ),
                    ),
                    rx.cond(
                        AuthState.password_message != "",
                        rx.callout(
                            AuthState.password_message,
                            icon="circle-check",
                            color_scheme="green",
                            id="password-message",
                        ),
                    ),
                    rx.hstack(
                        rx.button(
                            "Tutup",
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=AuthState.close_password_dialog,
                        ),
                        rx.button("Simpan", type="submit", id="password-submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=AuthState.change_password,
                reset_on_submit=True,
            ),
            max_width="420px",
        ),
        open=AuthState.password_dialog_open,
        on_open_change=AuthState.password_dialog_changed,
    )


def navbar() -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.hstack(
                rx.icon("graduation-cap", size=26, color=rx.color(BRAND_COLOR, 9)),
                rx.heading("Nexus", size="5", weight="bold"),
                align="center",
                spacing="2",
            ),
            rx.match(
                AuthState.role,
                ("siswa", _nav_links("siswa")),
                ("guru", _nav_links("guru")),
                ("admin", _nav_links("admin")),
                rx.fragment(),
            ),
            rx.spacer(),
            rx.hstack(
                rx.vstack(
                    rx.text(AuthState.full_name, size="2", weight="medium", id="user-name"),
                    rx.badge(AuthState.role_label, id="user-role", color_scheme=BRAND_COLOR),
                    spacing="0",
                    align="end",
                ),
                password_dialog(),
                rx.button(
                    rx.icon("log-out", size=16),
                    "Keluar",
                    id="logout",
                    variant="soft",
                    on_click=AuthState.logout,
                ),
                align="center",
                spacing="3",
            ),
            align="center",
            width="100%",
            spacing="6",
        ),
        padding_x="1.5em",
        padding_y="0.8em",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 1),
        width="100%",
    )


def access_denied() -> rx.Component:
    return rx.center(
        rx.callout(
            "Anda tidak memiliki akses ke halaman ini. Halaman ini hanya untuk peran lain.",
            icon="shield-alert",
            color_scheme="red",
            id="access-denied",
        ),
        padding="3em",
    )


def loading() -> rx.Component:
    return rx.center(rx.spinner(size="3"), padding="4em")


def app_shell(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """Wrap a private page: nothing private renders until the server said "ok"."""

    def page() -> rx.Component:
        return rx.box(
            navbar(),
            rx.match(
                AuthState.access,
                ("ok", rx.box(content(), padding="1.5em", max_width="1200px", margin="0 auto")),
                ("denied", access_denied()),
                loading(),
            ),
            min_height="100vh",
            background_color=rx.color("gray", 2),
        )

    page.__name__ = content.__name__
    return page


def stat_card(label: str, value: rx.Var | str | int, icon: str, card_id: str) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon(icon, size=28, color=rx.color(BRAND_COLOR, 9)),
            rx.vstack(
                rx.text(label, size="2", color_scheme="gray"),
                rx.heading(value, size="6", id=card_id),
                spacing="0",
            ),
            align="center",
            spacing="4",
        ),
        min_width="180px",
    )


# Native <select> elements (Playwright and screen readers handle them best), styled alike.
SELECT_STYLE = {
    "padding": "0.5em",
    "border_radius": "6px",
    "border": "1px solid var(--gray-7)",
    "background": "var(--gray-1)",
}
