"""/admin/users: Pengguna (search and paging, create, CSV import, profile edits, a guru's
classes, role, (de)activation, password reset)."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.admin import admin_page, error_callout, success_callout
from nexus_app.components.tables import pager
from nexus_app.pages.admin.users._common import S
from nexus_app.pages.admin.users.create import create_card
from nexus_app.pages.admin.users.csv_import import import_card
from nexus_app.pages.admin.users.listing import filters, table
from nexus_app.pages.admin.users.move import move_card
from nexus_app.pages.admin.users.panel import account_panel
from nexus_app.pages.admin.users.plan import plan_card
from nexus_app.state.admin.sections import SECTION

__all__ = ["admin_users_page"]


def _content() -> rx.Component:
    return rx.vstack(
        filters(),
        error_callout(S.list_error, "users-list-error"),
        success_callout(S.removed_message, "users-removed-message"),
        rx.cond(~S.plan_chosen, plan_card()),
        error_callout(S.panel_error, "panel-error"),
        account_panel(),
        table(),
        pager(S, "users"),
        rx.grid(
            create_card(),
            import_card(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        move_card(),
        # Once chosen, the setting waits at the bottom for a later change.
        rx.cond(S.plan_chosen, plan_card()),
        spacing="4",
        width="100%",
    )


def admin_users_page() -> rx.Component:
    return admin_page(SECTION["users"], _content)()
