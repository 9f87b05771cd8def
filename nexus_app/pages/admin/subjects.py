"""/admin/subjects: Mata pelajaran kelas 10-12: tambah, ubah, hapus (dengan ringkasan)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from nexus_app.components.admin import admin_page, either, error_callout, success_callout
from nexus_app.components.shell import SELECT_STYLE
from nexus_app.state.admin.sections import SECTION
from nexus_app.state.admin.subjects import (
    ALL_GRADES,
    AdminSubjectsState,
    CascadeItem,
    SubjectRow,
)


def _grade_options() -> list[rx.Component]:
    return [rx.el.option(f"Kelas {g}", value=str(g)) for g in (10, 11, 12)]


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1")


def _form_buttons() -> rx.Component:
    s = AdminSubjectsState
    editing = s.edit_id != 0
    return rx.hstack(
        rx.button(
            rx.cond(editing, rx.icon("save", size=16), rx.icon("plus", size=16)),
            either(editing, "Simpan perubahan", "Tambah"),
            on_click=s.save,
            id="subject-form-save",
        ),
        rx.cond(
            editing,
            rx.button(
                "Batal",
                variant="soft",
                color_scheme="gray",
                on_click=s.cancel_edit,
                id="subject-form-cancel",
            ),
        ),
        spacing="2",
    )


def _form() -> rx.Component:
    s = AdminSubjectsState
    editing = s.edit_id != 0
    return rx.card(
        rx.vstack(
            rx.heading(
                either(editing, "Ubah mata pelajaran", "Tambah mata pelajaran"),
                size="4",
                id="subject-form-title",
            ),
            rx.hstack(
                _field(
                    "Kelas",
                    rx.el.select(
                        *_grade_options(),
                        value=s.form_grade,
                        on_change=s.set_form_grade,
                        id="subject-form-grade",
                        style=SELECT_STYLE,
                    ),
                ),
                _field(
                    "Nama",
                    rx.input(
                        value=s.form_name,
                        on_change=s.set_form_name,
                        placeholder="Matematika",
                        max_length=100,
                        id="subject-form-name",
                        width="260px",
                    ),
                ),
                _field(
                    "Kode (unik)",
                    rx.input(
                        value=s.form_code,
                        on_change=s.set_form_code,
                        placeholder="MAT_10",
                        max_length=50,
                        id="subject-form-code",
                        width="180px",
                    ),
                ),
                _form_buttons(),
                align="end",
                spacing="4",
                wrap="wrap",
            ),
            rx.text(
                "Kode hanya huruf besar, angka dan garis bawah (misalnya MAT_10). Kode dipakai "
                "paket pengetahuan buku, jadi tidak bisa diubah setelah ada buku.",
                size="1",
                color_scheme="gray",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="subject-form",
    )


def _row(row: ObjectVar[SubjectRow]) -> rx.Component:
    s = AdminSubjectsState
    return rx.table.row(
        rx.table.cell(row.grade),
        rx.table.cell(rx.code(row.code)),
        rx.table.cell(row.name),
        rx.table.cell(row.books),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    rx.icon("pencil", size=14),
                    "Ubah",
                    size="1",
                    variant="soft",
                    on_click=s.start_edit(row.id),
                    id=f"subject-edit-{row.code}",
                ),
                rx.button(
                    rx.icon("trash-2", size=14),
                    "Hapus",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=s.ask_delete(row.id),
                    id=f"subject-delete-{row.code}",
                ),
                spacing="2",
            )
        ),
        id=f"subject-row-{row.code}",
        class_name="subject-row",
    )


def _list() -> rx.Component:
    s = AdminSubjectsState
    return rx.vstack(
        rx.hstack(
            rx.heading("Daftar mata pelajaran", size="4"),
            rx.spacer(),
            rx.el.select(
                rx.el.option("Semua kelas (10–12)", value=ALL_GRADES),
                *_grade_options(),
                value=s.grade_filter,
                on_change=s.set_grade_filter,
                id="subject-grade-filter",
                style=SELECT_STYLE,
            ),
            width="100%",
            align="center",
        ),
        rx.cond(
            s.subjects.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in ["Kelas", "Kode", "Nama", "Buku", ""]
                        ]
                    )
                ),
                rx.table.body(rx.foreach(s.subjects, _row)),
                variant="surface",
                size="1",
                width="100%",
                id="subjects-table",
            ),
            rx.text(
                "Belum ada mata pelajaran untuk pilihan ini.",
                color_scheme="gray",
                id="subjects-empty",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _cascade_item(item: ObjectVar[CascadeItem]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(item.label),
        rx.table.cell(rx.text.strong(item.count), id=f"cascade-{item.key}"),
        rx.table.cell(item.effect),
    )


def _cascade_summary() -> rx.Component:
    """What else goes with the subject, or that nothing does."""
    s = AdminSubjectsState
    return rx.cond(
        s.delete_has_cascade,
        rx.vstack(
            rx.callout(
                "Mata pelajaran ini masih dipakai. Menghapusnya juga akan "
                "memengaruhi data berikut, dalam satu langkah yang tidak bisa "
                "dibatalkan:",
                icon="triangle-alert",
                color_scheme="red",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Data"),
                        rx.table.column_header_cell("Jumlah"),
                        rx.table.column_header_cell("Akibat"),
                    )
                ),
                rx.table.body(rx.foreach(s.delete_items, _cascade_item)),
                size="1",
                width="100%",
                id="cascade-summary",
            ),
            spacing="3",
            width="100%",
        ),
        rx.text(
            "Tidak ada buku, riwayat atau data lain yang terkait. Mata pelajaran ini akan dihapus.",
            size="2",
            id="cascade-none",
        ),
    )


def _delete_dialog() -> rx.Component:
    s = AdminSubjectsState
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Hapus mata pelajaran"),
            rx.vstack(
                rx.text(rx.text.strong(s.delete_label)),
                _cascade_summary(),
                rx.hstack(
                    rx.alert_dialog.cancel(
                        rx.button(
                            "Batal",
                            variant="soft",
                            color_scheme="gray",
                            on_click=s.cancel_delete,
                            id="subject-delete-cancel",
                        )
                    ),
                    rx.button(
                        rx.icon("trash-2", size=16),
                        either(s.delete_has_cascade, "Hapus beserta data ini", "Hapus"),
                        color_scheme="red",
                        on_click=s.confirm_delete,
                        id="subject-delete-confirm",
                    ),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            max_width="640px",
            id="subject-delete-dialog",
        ),
        open=s.delete_open,
        on_open_change=s.set_delete_open,
    )


def _content() -> rx.Component:
    s = AdminSubjectsState
    return rx.vstack(
        error_callout(s.error, "subjects-error"),
        success_callout(s.message, "subjects-message"),
        _form(),
        _list(),
        _delete_dialog(),
        spacing="4",
        width="100%",
    )


def admin_subjects_page() -> rx.Component:
    return admin_page(SECTION["subjects"], _content)()
