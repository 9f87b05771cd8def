"""The admin area's layout: one sub-navigation over every /admin section."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from nexus_app.components.shell import app_shell
from nexus_app.components.values import either as either  # re-exported for admin pages
from nexus_app.state.admin.sections import NAV_SECTIONS, AdminSection
from nexus_app.state.auth import AuthState


def _section_nav(active_route: str) -> rx.Component:
    return rx.flex(
        *[
            rx.link(
                rx.button(
                    s.label,
                    size="1",
                    variant="solid" if s.route == active_route else "soft",
                    color_scheme="indigo" if s.route == active_route else "gray",
                ),
                href=s.route,
                id=s.link_id,
                underline="none",
            )
            for s in NAV_SECTIONS
        ],
        wrap="wrap",
        spacing="2",
        id="admin-nav",
    )


def admin_page(
    section: AdminSection, content: Callable[[], rx.Component]
) -> Callable[[], rx.Component]:
    """An admin page: the app shell, the section navigation, a heading, then the content."""

    def body() -> rx.Component:
        return rx.vstack(
            # A section a guru may open too (the practice questions) shows her no admin nav.
            rx.cond(AuthState.role == "admin", _section_nav(section.active_route)),
            rx.heading(section.heading, size="7", margin_top="0.5em"),
            content(),
            spacing="4",
            width="100%",
        )

    body.__name__ = content.__name__
    return app_shell(body)


def error_callout(message: rx.Var[str], callout_id: str) -> rx.Component:
    """A red message for a refused action (Indonesian text from the service)."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", id=callout_id),
    )


def success_callout(message: rx.Var[str], callout_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle-check", color_scheme="green", id=callout_id),
    )
