"""/admin/backups: create now, list with sizes and dates, download, upload, restore."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from nexus_app.components.admin import admin_page, error_callout, success_callout
from nexus_app.state.admin.backups import AdminBackupsState, BackupEntry
from nexus_app.state.admin.sections import SECTION
from nexus_app.state.uploads import upload_headers

UPLOAD_ID = "backup-upload"


def _create() -> rx.Component:
    s = AdminBackupsState
    return rx.card(
        rx.vstack(
            rx.heading("Buat cadangan sekarang", size="4"),
            rx.text(
                "Cadangan otomatis dibuat setiap malam dan disimpan 28 hari. Buat cadangan "
                "manual sebelum perubahan besar (impor pengguna, pemulihan, ujian).",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.input(
                    placeholder="Label (opsional), misalnya sebelum-ujian",
                    value=s.label,
                    on_change=s.set_label,
                    id="backup-label",
                    width="320px",
                ),
                rx.button(
                    rx.cond(s.busy, rx.spinner(size="1"), rx.icon("database-backup", size=16)),
                    "Buat cadangan",
                    on_click=s.create_now,
                    disabled=s.busy,
                    id="backup-create",
                ),
                spacing="3",
                wrap="wrap",
            ),
            spacing="3",
        ),
        width="100%",
    )


def _row(row: ObjectVar[BackupEntry]) -> rx.Component:
    s = AdminBackupsState
    return rx.table.row(
        rx.table.cell(rx.code(row.name)),
        rx.table.cell(row.created_at),
        rx.table.cell(row.size),
        rx.table.cell(row.database),
        rx.table.cell(row.revision),
        rx.table.cell(row.rows),
        rx.table.cell(row.label),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    rx.icon("download", size=14),
                    "Unduh",
                    size="1",
                    variant="soft",
                    on_click=s.download(row.name),
                ),
                rx.button(
                    rx.icon("history", size=14),
                    "Pulihkan",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=s.ask_restore(row.name),
                    class_name="backup-restore",
                ),
                spacing="2",
            )
        ),
        class_name="backup-row",
    )


def _list() -> rx.Component:
    s = AdminBackupsState
    headers = ["Berkas", "Dibuat", "Ukuran", "Basis data", "Revisi", "Baris", "Label", ""]
    return rx.vstack(
        rx.heading("Daftar cadangan", size="4"),
        rx.cond(
            s.backups.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                rx.table.body(rx.foreach(s.backups, _row)),
                variant="surface",
                size="1",
                width="100%",
                id="backup-list",
            ),
            rx.text("Belum ada cadangan.", color_scheme="gray", id="backup-empty"),
        ),
        width="100%",
        spacing="3",
    )


def _upload() -> rx.Component:
    s = AdminBackupsState
    return rx.card(
        rx.vstack(
            rx.heading("Unggah cadangan", size="4"),
            rx.text(
                "Berkas dari server lain atau unduhan sebelumnya (.sqlite.gz atau .pgdump). "
                "Berkas diperiksa dulu; yang bukan cadangan Nexus ditolak.",
                size="2",
                color_scheme="gray",
            ),
            rx.upload(
                rx.vstack(
                    rx.icon("upload", size=20),
                    rx.text("Seret berkas ke sini atau klik untuk memilih", size="2"),
                    rx.foreach(rx.selected_files(UPLOAD_ID), lambda f: rx.code(f)),
                    align="center",
                    spacing="1",
                ),
                id=UPLOAD_ID,
                multiple=False,
                border="1px dashed var(--gray-7)",
                padding="1em",
                width="100%",
            ),
            rx.button(
                "Unggah dan periksa",
                on_click=s.upload(
                    rx.upload_files(upload_id=UPLOAD_ID, extra_headers=upload_headers())
                ),
                id="backup-upload-submit",
                variant="soft",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _restore_dialog() -> rx.Component:
    s = AdminBackupsState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Pulihkan basis data"),
            rx.vstack(
                rx.callout(
                    "Semua data sekarang akan diganti dengan isi cadangan ini. Keadaan "
                    "sekarang disimpan dulu sebagai cadangan 'pre-restore'.",
                    icon="triangle-alert",
                    color_scheme="red",
                ),
                rx.text(rx.code(s.restore_name), " — ", s.restore_summary, size="2"),
                rx.text("Ketik nama berkas untuk mengonfirmasi:", size="2"),
                rx.input(
                    value=s.confirmation,
                    on_change=s.set_confirmation,
                    placeholder=s.restore_name,
                    id="restore-confirmation",
                    width="100%",
                ),
                error_callout(s.error, "restore-error"),
                rx.hstack(
                    rx.button("Batal", variant="soft", on_click=s.cancel_restore),
                    rx.button(
                        rx.cond(s.busy, rx.spinner(size="1"), rx.icon("history", size=16)),
                        "Pulihkan sekarang",
                        color_scheme="red",
                        on_click=s.restore,
                        disabled=~s.confirmation_matches | s.busy,
                        id="restore-submit",
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
            ),
            max_width="560px",
            id="restore-dialog",
        ),
        open=s.restore_open,
    )


def _content() -> rx.Component:
    s = AdminBackupsState
    return rx.vstack(
        error_callout(s.error, "backup-error"),
        success_callout(s.message, "backup-message"),
        _create(),
        _list(),
        _upload(),
        _restore_dialog(),
        spacing="4",
        width="100%",
    )


def admin_backups_page() -> rx.Component:
    return admin_page(SECTION["backups"], _content)()
