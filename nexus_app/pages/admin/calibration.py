"""/admin/calibration: Kalibrasi 3PL."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from nexus_app.components.admin import admin_page, either, error_callout, success_callout
from nexus_app.components.shell import SELECT_STYLE, stat_card
from nexus_app.state.admin.calibration import AdminCalibrationState as S
from nexus_app.state.admin.calibration import CalibrationRow
from nexus_app.state.admin.sections import SECTION

_HEADERS = [
    "",
    "Soal",
    "n",
    "Lama (a / b / c)",
    "Baru (a / b / c)",
    "Δ (a / b / c)",
    "SE (a / b / c)",
    "Infit",
    "Outfit",
    "Kecocokan",
]


def _controls() -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text("Bank soal", size="2", weight="medium"),
            rx.el.select(
                rx.foreach(S.banks, lambda c: rx.el.option(c.label, value=c.value)),
                value=S.bank_id,
                on_change=S.set_bank,
                id="calibration-bank",
                style=SELECT_STYLE,
            ),
            spacing="1",
        ),
        rx.vstack(
            rx.text("Minimal jawaban per soal", size="2", weight="medium"),
            rx.el.select(
                rx.foreach(S.min_choices, lambda v: rx.el.option(v, value=v)),
                value=S.min_responses,
                on_change=S.set_min_responses,
                id="calibration-min-responses",
                style=SELECT_STYLE,
            ),
            spacing="1",
        ),
        rx.button(
            rx.icon("play", size=16),
            "Jalankan kalibrasi",
            on_click=S.run_calibration,
            loading=S.running,
            disabled=S.running | (S.bank_id == ""),
            id="calibration-run",
        ),
        spacing="4",
        align="end",
        wrap="wrap",
    )


def _bank_facts() -> rx.Component:
    return rx.vstack(
        rx.flex(
            stat_card("Siswa yang menjawab", S.students, "users", "calibration-students"),
            stat_card("Jawaban pertama", S.first_responses, "list-checks", "calibration-responses"),
            stat_card(
                f"Soal dengan ≥ {S.min_responses} jawaban",
                f"{S.items_ready} / {S.live_items}",
                "target",
                "calibration-items-ready",
            ),
            wrap="wrap",
            spacing="4",
        ),
        rx.hstack(
            rx.text("Status bank:", size="2"),
            rx.badge(
                S.bank_status,
                color_scheme=either(S.bank_calibrated, "green", "gray"),
                id="calibration-bank-status",
                # A long status ("Terkalibrasi <date> (sampel …)") wraps on a phone.
                white_space="normal",
                max_width="100%",
            ),
            align="center",
            wrap="wrap",
        ),
        rx.text(
            "Hanya jawaban pertama tiap siswa pada tiap soal yang dipakai. Soal dengan jawaban "
            "kurang dari batas minimal tidak diestimasi: parameternya ditahan dan menjadi "
            "jangkar skala.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            ~S.enough & (S.bank_id != ""),
            rx.callout(
                "Bank ini belum punya cukup jawaban untuk batas minimal yang dipilih "
                "(perlu minimal 2 soal yang memenuhi). Kalibrasi akan ditolak tanpa "
                "mengubah apa pun.",
                icon="info",
                color_scheme="amber",
                id="calibration-not-enough",
            ),
        ),
        rx.cond(
            S.low_minimum,
            rx.callout(
                "Di bawah 30 jawaban per soal taksiran 3PL masih kasar dan banyak ditopang "
                "prior. Periksa SE sebelum menerapkan.",
                icon="triangle-alert",
                color_scheme="orange",
                id="calibration-low-minimum",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _progress() -> rx.Component:
    return rx.cond(
        S.show_progress,
        rx.card(
            rx.vstack(
                rx.text(S.progress_message, size="2", id="calibration-progress-message"),
                rx.progress(value=S.progress, max=100, width="100%"),
                rx.text(f"{S.progress}%", size="1", color_scheme="gray"),
                spacing="2",
                width="100%",
            ),
            width="100%",
            id="calibration-progress",
        ),
    )


def _fit_badge(row: ObjectVar[CalibrationRow]) -> rx.Component | rx.Var[Any]:
    # rx.match is typed to give a component or a value; with badges as cases, a badge.
    return rx.match(
        row.fit,
        ("cocok", rx.badge("cocok", color_scheme="green")),
        ("tidak cocok", rx.badge("tidak cocok", color_scheme="red")),
        rx.badge("ditahan", color_scheme="gray"),
    )


def _item_row(row: ObjectVar[CalibrationRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(
                checked=S.selected.contains(row.id),
                on_change=lambda checked: S.toggle_item(row.id, checked),
                disabled=row.held,
                id=f"calibration-pick-{row.id}",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.link(
                    f"#{row.id}",
                    href=f"/admin/questions/{row.id}",
                    weight="medium",
                ),
                rx.text(row.section, size="1", color_scheme="gray"),
                rx.text(row.text, size="1", max_width="260px"),
                spacing="0",
            )
        ),
        rx.table.cell(row.n),
        rx.table.cell(row.old, white_space="nowrap"),
        rx.table.cell(row.new, white_space="nowrap"),
        rx.table.cell(
            rx.text(
                row.change,
                weight=either(row.large, "bold", "regular"),
                color_scheme=either(row.large, "orange", "gray"),
                size="2",
            ),
            white_space="nowrap",
        ),
        rx.table.cell(row.se, white_space="nowrap"),
        rx.table.cell(row.infit),
        rx.table.cell(row.outfit),
        rx.table.cell(_fit_badge(row)),
        class_name="calibration-item",
        id=f"calibration-item-{row.id}",
    )


def _result_actions() -> rx.Component:
    """Choosing the items to apply, applying them, or discarding the run."""
    return rx.flex(
        rx.button(
            "Pilih semua",
            on_click=S.select_all,
            variant="soft",
            size="1",
            id="calibration-select-all",
        ),
        rx.button(
            "Kosongkan",
            on_click=S.select_none,
            variant="soft",
            size="1",
            id="calibration-select-none",
        ),
        rx.button(
            "Hanya yang cocok",
            on_click=S.select_well_fitting,
            variant="soft",
            size="1",
            id="calibration-select-fit",
        ),
        rx.spacer(),
        rx.text(f"{S.selected_count} soal dipilih", size="2", id="calibration-selected"),
        rx.button(
            rx.icon("check", size=16),
            "Terapkan yang dipilih",
            on_click=S.apply_selected,
            disabled=(S.selected_count == 0) | S.running,
            id="calibration-apply",
        ),
        rx.button(
            "Buang hasil",
            on_click=S.discard,
            variant="outline",
            color_scheme="gray",
            disabled=S.running,
            id="calibration-discard",
        ),
        spacing="2",
        align="center",
        wrap="wrap",
        width="100%",
    )


def _result() -> rx.Component:
    return rx.cond(
        S.run_id != "",
        rx.vstack(
            rx.heading("Hasil kalibrasi", size="5"),
            rx.text(S.run_summary, size="2", id="calibration-summary"),
            rx.text(
                "Kecocokan: infit/outfit (mean square) dekat 1 berarti soal sesuai model; "
                "'tidak cocok' bila infit di luar 0,8–1,2, outfit di atas 1,5, atau uji "
                "chi-kuadrat butir signifikan (p < 0,01). Δ b yang besar (≥ 0,5) ditebalkan.",
                size="1",
                color_scheme="gray",
            ),
            _result_actions(),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(*[rx.table.column_header_cell(h) for h in _HEADERS])
                    ),
                    rx.table.body(rx.foreach(S.rows, _item_row)),
                    variant="surface",
                    size="1",
                    width="100%",
                    id="calibration-table",
                ),
                overflow_x="auto",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Estimasi ulang parameter 3PL (a = daya beda, b = kesulitan, c = tebakan) dari "
            "jawaban siswa dengan MML-EM. Tidak ada yang berubah sampai Anda menerapkan soal "
            "yang dipilih.",
            color_scheme="gray",
        ),
        rx.cond(
            S.banks.length() == 0,
            rx.callout(
                "Belum ada bank soal. Buat atau impor bank di bagian Bank soal.",
                icon="info",
                id="calibration-no-banks",
            ),
        ),
        _controls(),
        error_callout(S.error, "calibration-error"),
        success_callout(S.success, "calibration-success"),
        _bank_facts(),
        _progress(),
        _result(),
        spacing="4",
        width="100%",
    )


def admin_calibration_page() -> rx.Component:
    return admin_page(SECTION["calibration"], _content)()
