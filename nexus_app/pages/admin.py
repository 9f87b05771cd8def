"""/admin: the admin's overview of the school server."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.admin import admin_page
from nexus_app.components.shell import stat_card
from nexus_app.state.school import AdminOverviewState

ROUTE = "/admin"
ROLES = ["admin"]


def _content() -> rx.Component:
    state = AdminOverviewState
    return rx.vstack(
        rx.text("Ringkasan server Nexus. Database: ", rx.code(state.database), color_scheme="gray"),
        rx.flex(
            stat_card("Siswa", state.students, "users", "stat-students"),
            stat_card("Guru", state.teachers, "user-check", "stat-teachers"),
            stat_card("Admin", state.admins, "shield", "stat-admins"),
            stat_card("Mata pelajaran", state.subjects, "book-open", "stat-subjects"),
            stat_card("Bank soal", state.banks, "library", "stat-banks"),
            wrap="wrap",
            spacing="4",
        ),
        rx.heading("Soal per subtes UTBK", size="4", margin_top="1em"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Subtes"),
                    rx.table.column_header_cell("Jumlah soal"),
                )
            ),
            rx.table.body(
                rx.foreach(
                    state.questions_by_section,
                    lambda row: rx.table.row(
                        rx.table.cell(row["section"]), rx.table.cell(row["count"])
                    ),
                )
            ),
            variant="surface",
            id="questions-by-section",
        ),
        spacing="4",
        width="100%",
    )


def admin_home() -> rx.Component:
    return admin_page(ROUTE, "Admin sekolah", _content)()
