"""/admin/users: the card that moves students to another class."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.admin import error_callout, success_callout
from nexus_app.components.shell import SELECT_STYLE
from nexus_app.pages.admin.users._common import INPUT_WIDTH, S, field


def _move_preview() -> rx.Component:
    return rx.cond(
        S.move_summary != "",
        rx.vstack(
            rx.callout(S.move_summary, icon="info", color_scheme="blue", id="move-summary"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in ["Nama pengguna", "Nama lengkap", "Tingkat", "Status"]
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        S.move_rows,
                        lambda r: rx.table.row(
                            rx.table.cell(r.username),
                            rx.table.cell(r.full_name),
                            rx.table.cell(r.grade),
                            rx.table.cell(r.status),
                            class_name="move-row",
                        ),
                    )
                ),
                variant="surface",
                size="1",
                width="100%",
                id="move-preview",
            ),
            rx.hstack(
                rx.button(
                    "Pindahkan " + S.move_rows.length().to_string() + " siswa",
                    color_scheme="amber",
                    on_click=S.confirm_move,
                    id="move-confirm",
                ),
                rx.button("Batal", variant="soft", color_scheme="gray", on_click=S.cancel_move),
                spacing="3",
            ),
            spacing="2",
            width="100%",
        ),
    )


def _move_form() -> rx.Component:
    return rx.form(
        rx.flex(
            field(
                "Kelas sekarang",
                rx.el.select(
                    rx.el.option("Pilih kelas…", value=""),
                    rx.foreach(S.move_classes, lambda c: rx.el.option(c, value=c)),
                    name="move_from",
                    id="move-from",
                    style=SELECT_STYLE,
                ),
            ),
            field(
                "Nama kelas baru",
                rx.input(
                    name="move_to",
                    placeholder="XI IPA 1",
                    id="move-to",
                    width=INPUT_WIDTH,
                ),
            ),
            field(
                "Tingkat",
                rx.el.select(
                    rx.el.option("Naik satu tingkat", value="up"),
                    rx.el.option("Tetap (hanya ganti nama)", value="keep"),
                    value=S.move_grade_mode,
                    on_change=S.set_move_grade_mode,
                    id="move-grade-mode",
                    name="grade_mode",  # submitted too; the handler reads the state's copy
                    style=SELECT_STYLE,
                ),
            ),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        rx.hstack(
            rx.checkbox(
                "Guru kelas ini ikut pindah ke nama kelas baru",
                checked=S.move_teachers,
                on_change=S.set_move_teachers,
                id="move-teachers",
                name="teachers_follow",  # submitted too; the handler reads the state's copy
            ),
            rx.spacer(),
            rx.button("Pratinjau", type="submit", id="move-preview-submit"),
            align="center",
            width="100%",
            margin_top="0.5em",
        ),
        on_submit=S.preview_move,
        key=S.move_form_key,
        width="100%",
    )


def move_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Ganti nama kelas / kenaikan kelas", size="4"),
            rx.text(
                "Memindahkan semua siswa satu kelas sekaligus, misalnya X IPA 1 menjadi "
                "XI IPA 1 di awal tahun ajaran. Mulailah dari kelas 12 yang lulus "
                "(nonaktifkan), lalu kelas 11, lalu kelas 10: kelas tidak digabung.",
                size="2",
                color_scheme="gray",
            ),
            _move_form(),
            error_callout(S.move_error, "move-error"),
            success_callout(S.move_message, "move-message"),
            _move_preview(),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="move-card",
    )
