"""The app shell: top bar with role-based navigation (Bahasa Indonesia) and logout."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from reflex_base.event import EventType

from nexus_app.components.values import ColorScheme
from nexus_app.state.auth import AuthState

# Only pages that exist are linked; each issue adds its own entries.
NAV_BY_ROLE: dict[str, list[tuple[str, str, str]]] = {
    "siswa": [
        ("Latihan", "/practice", "nav-practice"),
        ("Tryout", "/tryout", "nav-tryout"),
        ("Tutor AI", "/chat", "nav-chat"),
        ("Dasbor", "/dashboard", "nav-dashboard"),
    ],
    "guru": [
        ("Kelas", "/teacher", "nav-teacher"),
        ("Soal latihan", "/admin/practice-questions", "nav-practice-questions"),
    ],
    "admin": [("Admin", "/admin", "nav-admin"), ("Kelas", "/teacher", "nav-teacher")],
}

BRAND_COLOR: ColorScheme = "indigo"

# Reflex's breakpoints: xs 30em (480 px), sm 48em (768 px), md 62em (992 px), lg 80em.
# Below md the top bar's links and buttons do not fit in one row (a student's bar is about
# 650 px wide): they move into a menu.
WIDE_ONLY = rx.breakpoints(initial="none", md="flex")
NARROW_ONLY = rx.breakpoints(initial="flex", md="none")
# Below sm (phones) some tables show as stacked cards instead (see components/tables.py).
CARDS_ONLY = rx.breakpoints(initial="flex", sm="none")
TABLE_ONLY = rx.breakpoints(initial="none", sm="block")
PAGE_PADDING = rx.breakpoints(initial="0.75em", xs="1.5em")

# On touch screens and narrow windows every control is at least 44 × 44 px, the common
# touch-target guideline: Radix's small buttons, links and fields are 16-32 px tall.
TOUCH_CSS = """
@media (pointer: coarse), (max-width: 47.99em) {
  .rt-Button, .rt-IconButton, .rt-BaseMenuItem, select { min-height: 44px; }
  .rt-Button, .rt-IconButton { min-width: 44px; }
  .rt-TextFieldRoot { --text-field-height: 44px; }
  input.rt-TextFieldInput { min-height: 44px; }
  a.rt-Link:not(:has(.rt-Button, .rt-IconButton)) {
    display: inline-flex; align-items: center; min-height: 44px; min-width: 44px;
  }
}
/* A native select is as wide as its longest option: never wider than a phone's screen. */
@media (max-width: 47.99em) {
  select, .rt-TextFieldRoot, .rt-TextAreaRoot { max-width: calc(100vw - 3em); }
}
"""


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
    """Change one's own password (every role). Rendered once per page and opened from the
    top bar (laptop) or its menu (phone): two dialogs would both open on the same flag."""
    return rx.dialog.root(
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


def _role_nav(render: Callable[[str], rx.Component]) -> rx.Component:
    nav = rx.match(
        AuthState.role,
        *[(role, render(role)) for role in NAV_BY_ROLE],
        rx.fragment(),
    )
    # rx.match returns a component when its cases are components (a Var for plain values).
    assert isinstance(nav, rx.Component)
    return nav


def _brand() -> rx.Component:
    return rx.hstack(
        rx.icon("graduation-cap", size=26, color=rx.color(BRAND_COLOR, 9)),
        rx.heading("Nexus", size="5", weight="bold"),
        align="center",
        spacing="2",
        flex_shrink="0",
    )


def _wide_bar() -> rx.Component:
    """Laptops: brand, links, then name, password and logout in one row."""
    return rx.hstack(
        _brand(),
        _role_nav(_nav_links),
        rx.spacer(),
        rx.hstack(
            rx.vstack(
                rx.text(AuthState.full_name, size="2", weight="medium", id="user-name"),
                rx.badge(AuthState.role_label, id="user-role", color_scheme=BRAND_COLOR),
                spacing="0",
                align="end",
            ),
            rx.button(
                rx.icon("key-round", size=16),
                "Kata sandi",
                id="password-open",
                variant="ghost",
                on_click=AuthState.open_password_dialog,
            ),
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
        display=WIDE_ONLY,
    )


def _menu_item(label: str, icon: str, item_id: str, on_click: EventType[()]) -> rx.Component:
    return rx.menu.item(
        rx.icon(icon, size=18), label, id=item_id, on_click=on_click, min_height="44px"
    )


def _menu_links(role: str) -> rx.Component:
    return rx.fragment(
        *[
            _menu_item(label, "chevron-right", f"menu-{link_id}", rx.redirect(href))
            for label, href, link_id in NAV_BY_ROLE[role]
        ]
    )


def _narrow_bar() -> rx.Component:
    """Phones and small tablets: brand, the signed-in name, and everything else in a menu."""
    return rx.hstack(
        _brand(),
        rx.text(
            AuthState.full_name,
            size="2",
            weight="medium",
            id="menu-user-name",
            overflow="hidden",
            text_overflow="ellipsis",
            white_space="nowrap",
            min_width="0",
            flex="1",
            text_align="right",
        ),
        rx.menu.root(
            rx.menu.trigger(
                rx.icon_button(
                    rx.icon("menu", size=22),
                    id="nav-menu",
                    variant="soft",
                    size="3",
                    aria_label="Menu",
                    width="44px",
                    height="44px",
                ),
            ),
            rx.menu.content(
                rx.box(
                    rx.badge(AuthState.role_label, id="menu-user-role", color_scheme=BRAND_COLOR),
                    padding="0.5em",
                ),
                _role_nav(_menu_links),
                rx.menu.separator(),
                _menu_item(
                    "Kata sandi", "key-round", "menu-password", AuthState.open_password_dialog
                ),
                _menu_item("Keluar", "log-out", "menu-logout", AuthState.logout),
                align="end",
                min_width="200px",
            ),
        ),
        align="center",
        width="100%",
        spacing="3",
        display=NARROW_ONLY,
    )


def navbar() -> rx.Component:
    return rx.box(
        _wide_bar(),
        _narrow_bar(),
        password_dialog(),
        padding_x=PAGE_PADDING,
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
            rx.el.style(TOUCH_CSS),
            rx.match(
                AuthState.access,
                (
                    "ok",
                    rx.box(
                        content(),
                        padding=PAGE_PADDING,
                        max_width="1200px",
                        margin="0 auto",
                    ),
                ),
                ("denied", access_denied()),
                loading(),
            ),
            min_height="100vh",
            background_color=rx.color("gray", 2),
        )

    page.__name__ = content.__name__
    return page


def stat_card(
    label: str, value: rx.Var[int] | rx.Var[str] | str | int, icon: str, card_id: str
) -> rx.Component:
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
