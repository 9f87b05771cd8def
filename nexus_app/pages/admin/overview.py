"""/admin: the admin's overview of the school server."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar
from reflex_components_radix.themes.base import LiteralAccentColor

from nexus_app.components.admin import admin_page, either
from nexus_app.components.shell import stat_card
from nexus_app.components.tables import simple_table
from nexus_app.state.admin.overview import AdminOverviewState, JobRow
from nexus_app.state.admin.sections import SECTION

_STATUS_COLORS: dict[str, LiteralAccentColor] = {
    "success": "green",
    "failed": "red",
    "running": "blue",
    "skipped": "gray",
}


def _job_row(job: ObjectVar[JobRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(job.name)),
        rx.table.cell(
            rx.match(
                job.status,
                *[
                    (status, rx.badge(status, color_scheme=c))
                    for status, c in _STATUS_COLORS.items()
                ],
                rx.badge("belum pernah", color_scheme="orange"),
            )
        ),
        rx.table.cell(job.started_at),
        rx.table.cell(rx.text(job.detail, size="1", color_scheme="gray")),
        class_name="job-row",
    )


def _health() -> rx.Component:
    state = AdminOverviewState
    return rx.vstack(
        rx.heading("Kesehatan server", size="4", margin_top="1em"),
        rx.flex(
            rx.callout(
                rx.text("Cadangan terakhir: ", rx.code(state.last_backup)),
                icon=either(state.backup_stale, "triangle-alert", "circle-check"),
                color_scheme=either(state.backup_stale, "orange", "green"),
                id="health-backup",
            ),
            rx.link(
                rx.callout(
                    rx.text(state.errors_last_day, " error tercatat dalam 24 jam terakhir"),
                    icon=either(state.errors_last_day > 0, "triangle-alert", "circle-check"),
                    color_scheme=either(state.errors_last_day > 0, "red", "green"),
                    id="health-errors",
                ),
                href="/admin/errors",
                underline="none",
            ),
            wrap="wrap",
            spacing="3",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(h)
                        for h in ("Tugas terjadwal", "Status terakhir", "Mulai", "Keterangan")
                    ]
                )
            ),
            rx.table.body(rx.foreach(state.jobs, _job_row)),
            variant="surface",
            size="1",
            width="100%",
            id="job-health",
        ),
        spacing="3",
        width="100%",
    )


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
        _health(),
        rx.heading("Soal per subtes UTBK", size="4", margin_top="1em"),
        simple_table(
            ["Subtes", "Jumlah soal"],
            state.questions_by_section,
            ["section", "count"],
            "questions-by-section",
        ),
        spacing="4",
        width="100%",
    )


def admin_home() -> rx.Component:
    return admin_page(SECTION["overview"], _content)()
