"""/admin/tryout: tryout blueprints, edited as the CSV `nexus blueprint import` reads."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from nexus_app.components.admin import admin_page, error_callout, success_callout
from nexus_app.components.shell import BRAND_COLOR
from nexus_app.state.admin.sections import SECTION
from nexus_app.state.admin.tryout import AdminTryoutState, BlueprintRow


def _row(row: ObjectVar[BlueprintRow]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(row.name, weight="medium"),
                rx.badge(row.summary, variant="soft"),
                rx.spacer(),
                rx.button(
                    "Ubah",
                    size="1",
                    variant="soft",
                    on_click=AdminTryoutState.edit(row.name),
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.text(row.sections, size="2", color_scheme="gray"),
            spacing="1",
            width="100%",
        ),
        width="100%",
    )


def _form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Ubah atau buat cetak biru", size="4"),
            rx.text(
                "Satu baris per subtes: order,section,items,minutes (kolom yang sama dengan "
                "`nexus blueprint import`). Menyimpan dengan nama yang sudah ada mengganti "
                "subtesnya; tryout yang sedang berjalan tidak berubah.",
                size="2",
                color_scheme="gray",
            ),
            rx.input(
                placeholder="Nama cetak biru",
                value=AdminTryoutState.form_name,
                on_change=AdminTryoutState.set_form_name,
                id="blueprint-name",
                width="100%",
            ),
            rx.text_area(
                value=AdminTryoutState.form_csv,
                on_change=AdminTryoutState.set_form_csv,
                id="blueprint-csv",
                rows="9",
                width="100%",
                font_family="monospace",
            ),
            error_callout(AdminTryoutState.error, "blueprint-error"),
            rx.foreach(
                AdminTryoutState.row_errors,
                lambda e: rx.text(e, size="2", color_scheme="red"),
            ),
            success_callout(AdminTryoutState.message, "blueprint-message"),
            rx.hstack(
                rx.button(
                    "Simpan",
                    id="blueprint-save",
                    on_click=AdminTryoutState.save,
                    color_scheme=BRAND_COLOR,
                ),
                rx.button(
                    "Cetak biru baru",
                    id="blueprint-new",
                    on_click=AdminTryoutState.new_blueprint,
                    variant="soft",
                ),
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Cetak biru menentukan subtes tryout lengkap di /tryout: urutan, jumlah soal dan "
            "menit. Bawaan mengikuti format SNBT; sumber berbeda antar tahun (docs/tryout.md).",
            size="2",
            color_scheme="gray",
        ),
        rx.vstack(rx.foreach(AdminTryoutState.blueprints, _row), width="100%", id="blueprints"),
        _form(),
        spacing="4",
        width="100%",
    )


def admin_tryout_page() -> rx.Component:
    return admin_page(SECTION["tryout"], _content)()
