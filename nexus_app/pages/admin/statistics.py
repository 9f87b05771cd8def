"""/admin/statistics: Statistik soal."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar
from reflex_components_radix.themes.base import LiteralAccentColor

from nexus_app.components.admin import admin_page, either, error_callout
from nexus_app.components.shell import SELECT_STYLE
from nexus_app.state.admin.sections import SECTION
from nexus_app.state.admin.statistics import ASSESSMENTS, StatRow
from nexus_app.state.admin.statistics import AdminStatisticsState as S

BADGE_COLORS: dict[str, LiteralAccentColor] = {
    "TOO_EASY": "blue",
    "TOO_HARD": "red",
    "OPTIMAL": "green",
    "ACCEPTABLE": "amber",
    "NO_DATA": "gray",
}
NO_DATA_LABEL = next(label for code, label, _ in ASSESSMENTS if code == "NO_DATA")
_HEADERS = [
    "Soal",
    "Kesulitan (b)",
    "Jawaban",
    "Benar",
    "Rata-rata waktu",
    "Siswa",
    "Penilaian",
]


def _badge(code: str, label: str, title: str | rx.Var[str] = "") -> rx.Component:
    return rx.badge(
        label, color_scheme=BADGE_COLORS[code], title=title, class_name=f"assessment-{code}"
    )


def _legend() -> rx.Component:
    return rx.card(
        rx.vstack(
            *[
                rx.hstack(
                    _badge(code, label),
                    rx.text(explanation, size="2"),
                    align="center",
                    spacing="3",
                )
                for code, label, explanation in ASSESSMENTS
            ],
            spacing="2",
        ),
        id="statistics-legend",
        width="100%",
    )


def _filters() -> rx.Component:
    def labelled(label: str, control: rx.Component) -> rx.Component:
        return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1")

    return rx.flex(
        labelled(
            "Subtes",
            rx.el.select(
                rx.el.option("Semua subtes", value=""),
                rx.foreach(S.sections, lambda c: rx.el.option(c.label, value=c.value)),
                value=S.section,
                on_change=S.set_section,
                id="statistics-section",
                style=SELECT_STYLE,
            ),
        ),
        labelled(
            "Bank soal",
            rx.el.select(
                rx.el.option("Semua bank", value=""),
                rx.foreach(S.banks, lambda c: rx.el.option(c.label, value=c.value)),
                value=S.bank_id,
                on_change=S.set_bank,
                id="statistics-bank",
                style=SELECT_STYLE,
            ),
        ),
        labelled(
            "Minimal siswa yang menjawab",
            rx.input(
                value=S.min_users,
                on_change=S.set_min_users,
                type="number",
                min=1,
                width="8em",
                id="statistics-min-users",
            ),
        ),
        labelled(
            "Tampilkan",
            rx.el.select(
                rx.foreach(S.limit_choices, lambda n: rx.el.option(f"{n} teratas", value=n)),
                value=S.limit,
                on_change=S.set_limit,
                id="statistics-limit",
                style=SELECT_STYLE,
            ),
        ),
        rx.button(
            rx.icon("download", size=16),
            "Unduh CSV",
            on_click=S.download_csv,
            variant="soft",
            id="statistics-csv",
        ),
        spacing="4",
        align="end",
        wrap="wrap",
    )


def _assessment_badge(row: ObjectVar[StatRow]) -> rx.Component | rx.Var[Any]:
    # rx.match is typed to give a component or a value; with badges as cases, a badge.
    return rx.match(
        row.code,
        *[
            (code, _badge(code, label, row.explanation))
            for code, label, _ in ASSESSMENTS
            if code != "NO_DATA"
        ],
        _badge("NO_DATA", NO_DATA_LABEL, row.explanation),
    )


def _stat_row(row: ObjectVar[StatRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    rx.link(
                        f"#{row.id}",
                        href=f"/admin/questions/{row.id}",
                        weight="medium",
                        id=f"statistics-link-{row.id}",
                    ),
                    rx.text(row.section, size="1", color_scheme="gray"),
                    align="center",
                ),
                rx.text(row.text, size="1", max_width="420px"),
                spacing="0",
            )
        ),
        rx.table.cell(row.b),
        rx.table.cell(row.attempts),
        rx.table.cell(row.rate),
        rx.table.cell(row.time),
        rx.table.cell(row.users),
        rx.table.cell(_assessment_badge(row)),
        class_name="statistics-row",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Soal yang paling sering dijawab, dengan penilaian kesulitan dari persentase "
            "jawaban benar (kueri statistik soal dari rancangan basis data). Hanya soal yang "
            "dijawab oleh cukup banyak siswa berbeda yang ditampilkan, urut dari jawaban "
            "terbanyak.",
            color_scheme="gray",
        ),
        _legend(),
        _filters(),
        error_callout(S.error, "statistics-error"),
        rx.text(
            either(
                S.rows.length() > 0,
                f"{S.rows.length()} soal. {S.label_counts}",
                "Belum ada soal yang memenuhi filter ini.",
            ),
            size="2",
            id="statistics-count",
        ),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in _HEADERS])),
                rx.table.body(rx.foreach(S.rows, _stat_row)),
                variant="surface",
                size="1",
                width="100%",
                id="statistics-table",
            ),
            overflow_x="auto",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def admin_statistics_page() -> rx.Component:
    return admin_page(SECTION["statistics"], _content)()
