"""The admin area's layout: one sub-navigation over every /admin section."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from nexus_app.components.shell import app_shell

# (label, route, link id). Every admin page module declares one of these routes.
ADMIN_SECTIONS: list[tuple[str, str, str]] = [
    ("Ringkasan", "/admin", "admin-nav-overview"),
    ("Pengguna", "/admin/users", "admin-nav-users"),
    ("Mata pelajaran", "/admin/subjects", "admin-nav-subjects"),
    ("Buku & paket", "/admin/books", "admin-nav-books"),
    ("Bank soal", "/admin/banks", "admin-nav-banks"),
    ("Kalibrasi", "/admin/calibration", "admin-nav-calibration"),
    ("Statistik soal", "/admin/statistics", "admin-nav-statistics"),
    ("Analitik", "/admin/analytics", "admin-nav-analytics"),
    ("Log error", "/admin/errors", "admin-nav-errors"),
    ("Langganan", "/admin/subscriptions", "admin-nav-subscriptions"),
    ("Cadangan", "/admin/backups", "admin-nav-backups"),
]


def _section_nav(active_route: str) -> rx.Component:
    return rx.flex(
        *[
            rx.link(
                rx.button(
                    label,
                    size="1",
                    variant="solid" if route == active_route else "soft",
                    color_scheme="indigo" if route == active_route else "gray",
                ),
                href=route,
                id=link_id,
                underline="none",
            )
            for label, route, link_id in ADMIN_SECTIONS
        ],
        wrap="wrap",
        spacing="2",
        id="admin-nav",
    )


def admin_page(
    active_route: str, title: str, content: Callable[[], rx.Component]
) -> Callable[[], rx.Component]:
    """An admin page: the app shell, the section navigation, a heading, then the content."""

    def body() -> rx.Component:
        return rx.vstack(
            _section_nav(active_route),
            rx.heading(title, size="7", margin_top="0.5em"),
            content(),
            spacing="4",
            width="100%",
        )

    body.__name__ = content.__name__
    return app_shell(body)


def error_callout(message: rx.Var, callout_id: str) -> rx.Component:
    """A red message for a refused action (Indonesian text from the service)."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", id=callout_id),
    )


def success_callout(message: rx.Var, callout_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle-check", color_scheme="green", id=callout_id),
    )
