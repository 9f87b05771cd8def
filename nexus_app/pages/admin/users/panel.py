"""/admin/users: the Kelola panel of one account, assembled from its parts."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.admin import success_callout
from nexus_app.pages.admin.users._common import SELECTED, S
from nexus_app.pages.admin.users.panel_access import panel_password, panel_removal, panel_status
from nexus_app.pages.admin.users.panel_account import panel_classes, panel_profile, panel_role


def account_panel() -> rx.Component:
    return rx.cond(
        S.selected_id > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(
                        SELECTED.full_name.to(str) + " (" + SELECTED.username.to(str) + ")",
                        size="4",
                        id="panel-title",
                    ),
                    rx.spacer(),
                    rx.button(
                        rx.icon("x", size=16),
                        "Tutup",
                        variant="ghost",
                        on_click=S.close_panel,
                        id="panel-close",
                    ),
                    width="100%",
                ),
                rx.text(
                    "Kelas: "
                    + SELECTED.class_name.to(str)
                    + " · Tingkat: "
                    + SELECTED.grade.to(str)
                    + " · Email: "
                    + SELECTED.email.to(str)
                    + " · Masuk terakhir: "
                    + SELECTED.last_login.to(str),
                    size="2",
                    color_scheme="gray",
                ),
                success_callout(S.panel_message, "panel-message"),
                panel_profile(),
                rx.cond(SELECTED.role == "guru", panel_classes()),
                panel_role(),
                panel_status(),
                panel_password(),
                panel_removal(),
                spacing="3",
                width="100%",
            ),
            id="user-panel",
            width="100%",
        ),
    )
