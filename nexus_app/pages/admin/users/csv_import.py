"""/admin/users: the CSV import card, its report and the shown-once credentials."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.admin import either, error_callout
from nexus_app.components.csv_import import template_button
from nexus_app.pages.admin.users._common import S
from nexus_app.state.admin.users import MAX_IMPORT_BYTES, UPLOAD_ID
from nexus_app.state.uploads import upload_headers


def _credentials_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(h)
                    for h in [
                        "Nama pengguna",
                        "Nama lengkap",
                        "Peran",
                        "Kelas",
                        "Kata sandi",
                    ]
                ]
            )
        ),
        rx.table.body(
            rx.foreach(
                S.import_credentials,
                lambda c: rx.table.row(
                    rx.table.cell(c.username),
                    rx.table.cell(c.full_name),
                    rx.table.cell(c.role_label),
                    rx.table.cell(c.class_name),
                    rx.table.cell(rx.code(c.password)),
                ),
            )
        ),
        variant="surface",
        size="1",
        width="100%",
        id="import-credentials",
    )


def _credentials() -> rx.Component:
    return rx.cond(
        S.import_credentials.length() > 0,
        rx.vstack(
            rx.callout(
                "Kata sandi di bawah dibuat otomatis dan hanya ditampilkan sekali. Unduh atau "
                "catat sekarang, lalu bagikan kepada masing-masing pemilik akun.",
                icon="key-round",
                color_scheme="amber",
            ),
            rx.hstack(
                rx.button(
                    rx.icon("download", size=16),
                    "Unduh kata sandi (CSV)",
                    on_click=S.download_credentials,
                    id="import-download-credentials",
                ),
                rx.button(
                    "Sudah dicatat, sembunyikan",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.dismiss_credentials,
                    id="import-credentials-dismiss",
                ),
                spacing="3",
            ),
            _credentials_table(),
            spacing="2",
            width="100%",
        ),
    )


def _import_report() -> rx.Component:
    return rx.fragment(
        rx.cond(
            S.import_summary != "",
            rx.callout(
                S.import_summary,
                icon=either(S.import_ok, "circle-check", "triangle-alert"),
                color_scheme=either(S.import_ok, "green", "red"),
                id="import-result",
            ),
        ),
        rx.cond(
            S.import_errors.length() > 0,
            rx.box(
                rx.text("Baris yang salah:", weight="medium", size="2"),
                rx.el.ul(
                    rx.foreach(
                        S.import_errors,
                        lambda e: rx.el.li(rx.text(e, size="2"), class_name="import-error-row"),
                    ),
                    style={"margin": "0.3em 0 0 1.2em", "max_height": "16em", "overflow_y": "auto"},
                ),
                id="import-errors",
                width="100%",
            ),
        ),
        _credentials(),
    )


def _file_drop() -> rx.Component:
    return rx.upload(
        rx.vstack(
            rx.icon("file-spreadsheet", size=28, color=rx.color("indigo", 9)),
            rx.text("Seret berkas .csv ke sini atau klik untuk memilih", size="2"),
            align="center",
            spacing="1",
        ),
        id=UPLOAD_ID,
        accept={"text/csv": [".csv"]},
        multiple=False,
        max_files=1,
        max_size=MAX_IMPORT_BYTES,
        on_drop_rejected=S.upload_rejected,
        border="1px dashed var(--gray-8)",
        border_radius="8px",
        padding="1em",
        width="100%",
        cursor="pointer",
    )


def _progress() -> rx.Component:
    return rx.cond(
        S.import_busy,
        rx.vstack(
            rx.progress(value=S.import_progress, width="100%", id="import-progress"),
            rx.text(S.import_progress_text, size="2"),
            width="100%",
        ),
    )


def import_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Impor dari CSV", size="4"),
            rx.text(
                "Kolom: username, full_name, role (siswa/guru/admin), class_name dan grade "
                "(10–12, wajib untuk siswa), email, password (boleh kosong: dibuat otomatis), "
                "classes (kelas yang diajar guru, dipisah ';'). "
                "Setiap baris diperiksa dulu; satu baris salah berarti tidak ada yang diimpor, "
                "kecuali Anda memilih melewati baris yang salah.",
                size="2",
                color_scheme="gray",
            ),
            template_button(S.download_template, "import-download-template"),
            _file_drop(),
            rx.foreach(
                rx.selected_files(UPLOAD_ID),
                lambda name: rx.text("Berkas: ", name, size="2", id="import-selected-file"),
            ),
            rx.hstack(
                rx.checkbox(
                    "Lewati baris yang salah (impor hanya baris yang benar)",
                    checked=S.import_skip,
                    on_change=S.set_import_skip,
                    id="import-skip-invalid",
                ),
                spacing="2",
            ),
            rx.button(
                rx.icon("upload", size=16),
                "Periksa & impor",
                on_click=S.import_csv(
                    rx.upload_files(upload_id=UPLOAD_ID, extra_headers=upload_headers())
                ),
                loading=S.import_busy,
                id="import-submit",
            ),
            _progress(),
            error_callout(S.import_error, "import-error"),
            _import_report(),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
