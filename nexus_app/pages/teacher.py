"""/teacher: the teacher's classes and their students."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.shell import app_shell
from nexus_app.state.school import ClassRosterState

ROUTE = "/teacher"
ROLES = ["guru", "admin"]


def _content() -> rx.Component:
    state = ClassRosterState
    return rx.vstack(
        rx.heading("Kelas", size="7"),
        rx.hstack(
            rx.text("Tampilkan:", size="2"),
            rx.select(
                state.class_names,
                value=state.class_filter,
                on_change=state.set_class_filter,
                id="class-filter",
            ),
            align="center",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Kelas"),
                    rx.table.column_header_cell("Nama"),
                    rx.table.column_header_cell("Pengguna"),
                    rx.table.column_header_cell("Terakhir masuk (UTC)"),
                    rx.table.column_header_cell("Onboarding"),
                )
            ),
            rx.table.body(
                rx.foreach(
                    state.visible_rows,
                    lambda r: rx.table.row(
                        rx.table.cell(r["class_name"]),
                        rx.table.cell(r["full_name"]),
                        rx.table.cell(r["username"]),
                        rx.table.cell(r["last_login"]),
                        rx.table.cell(r["onboarding"]),
                    ),
                )
            ),
            variant="surface",
            id="class-roster",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def teacher_home() -> rx.Component:
    return app_shell(_content)()
