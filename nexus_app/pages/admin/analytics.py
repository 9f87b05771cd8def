"""/admin/analytics: Analitik."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.admin import admin_page, error_callout
from nexus_app.components.shell import SELECT_STYLE, stat_card
from nexus_app.components.tables import report_table
from nexus_app.state.admin.analytics import RANGE_OPTIONS, AdminAnalyticsState
from nexus_app.state.admin.sections import SECTION

INDIGO = "#4f46e5"
TEAL = "#0d9488"
ORANGE = "#ea580c"
GRAY = "#94a3b8"
PINK = "#db2777"


def _section(title: str, note: str, *children: rx.Component, section_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4"),
            rx.text(note, size="2", color_scheme="gray"),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
        id=section_id,
    )


def _growth() -> rx.Component:
    s = AdminAnalyticsState
    return _section(
        "Pertumbuhan dan retensi pengguna",
        "12 minggu terakhir (minggu mulai Senin, UTC). Pengguna aktif: berlatih atau bertanya "
        "ke tutor pada minggu itu. Retensi: bagian dari pendaftar minggu itu yang masuk dalam "
        "7 hari terakhir.",
        rx.box(
            rx.recharts.composed_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
                rx.recharts.bar(data_key="new", name="Pengguna baru", fill=INDIGO),
                rx.recharts.bar(data_key="active", name="Pengguna aktif", fill=TEAL),
                rx.recharts.line(
                    data_key="retention",
                    name="Retensi (%)",
                    stroke=ORANGE,
                    y_axis_id="pct",
                    type_="linear",
                ),
                rx.recharts.x_axis(data_key="week"),
                rx.recharts.y_axis(allow_decimals=False),
                rx.recharts.y_axis(y_axis_id="pct", orientation="right", domain=[0, 100], unit="%"),
                rx.recharts.legend(),
                rx.recharts.graphing_tooltip(),
                data=s.growth_chart,
                width="100%",
                height=280,
            ),
            width="100%",
            id="growth-chart",
        ),
        report_table(
            [
                ("Minggu", "week"),
                ("Pengguna baru", "new"),
                ("Gratis / premium / premium+", "tiers"),
                ("Aktif minggu itu", "active"),
                ("Pendaftar aktif 7 hari", "cohort"),
                ("Retensi", "retention"),
            ],
            s.growth_rows,
            "growth-table",
            row_class="growth-row",
            empty="Belum ada pendaftar atau aktivitas dalam 12 minggu terakhir.",
        ),
        section_id="growth-section",
    )


def _helpfulness() -> rx.Component:
    s = AdminAnalyticsState
    return _section(
        "Umpan balik AI yang membantu",
        "Per model dan versi prompt, umpan balik yang ditulis dalam rentang waktu ini. "
        "Persentase dihitung dari umpan balik yang sudah dinilai siswa.",
        rx.cond(
            s.helpful_chart.length() > 0,
            rx.box(
                rx.recharts.bar_chart(
                    rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
                    rx.recharts.bar(data_key="helpful", name="Membantu (%)", fill=TEAL),
                    rx.recharts.x_axis(data_key="label"),
                    rx.recharts.y_axis(domain=[0, 100], unit="%"),
                    rx.recharts.graphing_tooltip(),
                    data=s.helpful_chart,
                    width="100%",
                    height=240,
                ),
                width="100%",
                id="helpful-chart",
            ),
        ),
        report_table(
            [
                ("Model", "model"),
                ("Versi prompt", "version"),
                ("Umpan balik", "feedback"),
                ("Dinilai", "rated"),
                ("Membantu", "helpful"),
                ("Tidak membantu", "not_helpful"),
                ("% membantu", "share"),
            ],
            s.helpful_rows,
            "helpful-table",
            row_class="helpful-row",
            empty="Belum ada umpan balik AI dalam rentang waktu ini.",
        ),
        section_id="helpful-section",
    )


_USAGE_NOTE = (
    "Model berjalan di server sekolah, jadi tidak ada biaya per permintaan: yang dihitung "
    "adalah generasi, token, dan detik komputasi, untuk umpan balik dan tutor. Umpan "
    "balik yang dipakai ulang atau berupa penjelasan tersimpan tidak menjalankan model; "
    "begitu juga jawaban tutor yang berupa kutipan buku tanpa model. Jawaban tutor dari "
    "sebelum token dan waktu dicatat dihitung sebagai jawaban saja. Tabel model hanya "
    "memuat umpan balik."
)


def _usage_totals() -> rx.Component:
    s = AdminAnalyticsState
    return rx.flex(
        stat_card("Umpan balik oleh model", s.total_generations, "sparkles", "total-generations"),
        stat_card("Dipakai ulang", s.total_reused, "recycle", "total-reused"),
        stat_card("Jawaban tutor", s.total_tutor, "message-circle", "total-tutor"),
        stat_card(
            "Jawaban tutor oleh model", s.total_tutor_generated, "bot", "total-tutor-generated"
        ),
        stat_card("Token (umpan balik + tutor)", s.total_tokens, "hash", "total-tokens"),
        stat_card("Detik komputasi (umpan balik + tutor)", s.total_compute, "cpu", "total-compute"),
        stat_card("Detik komputasi tutor", s.total_tutor_compute, "timer", "total-tutor-compute"),
        wrap="wrap",
        spacing="3",
    )


def _generations_chart() -> rx.Component:
    return rx.box(
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            rx.recharts.bar(
                data_key="feedback", name="Umpan balik (model)", fill=INDIGO, stack_id="f"
            ),
            rx.recharts.bar(data_key="reused", name="Dipakai ulang", fill=GRAY, stack_id="f"),
            rx.recharts.bar(data_key="tutor", name="Jawaban tutor", fill=TEAL),
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.legend(),
            rx.recharts.graphing_tooltip(),
            data=AdminAnalyticsState.usage_chart,
            width="100%",
            height=260,
        ),
        width="100%",
        id="usage-chart",
    )


def _compute_chart() -> rx.Component:
    return rx.box(
        rx.recharts.line_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            rx.recharts.line(
                data_key="feedback_tokens",
                name="Token umpan balik",
                stroke=INDIGO,
                type_="linear",
            ),
            rx.recharts.line(
                data_key="tutor_tokens", name="Token tutor", stroke=TEAL, type_="linear"
            ),
            rx.recharts.line(
                data_key="feedback_seconds",
                name="Detik umpan balik",
                stroke=ORANGE,
                y_axis_id="sec",
                type_="linear",
            ),
            rx.recharts.line(
                data_key="tutor_seconds",
                name="Detik tutor",
                stroke=PINK,
                y_axis_id="sec",
                type_="linear",
            ),
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.y_axis(y_axis_id="sec", orientation="right", unit=" d"),
            rx.recharts.legend(),
            rx.recharts.graphing_tooltip(),
            data=AdminAnalyticsState.usage_chart,
            width="100%",
            height=240,
        ),
        width="100%",
        id="compute-chart",
    )


def _usage() -> rx.Component:
    s = AdminAnalyticsState
    return _section(
        "Pemakaian AI per hari",
        _USAGE_NOTE,
        _usage_totals(),
        rx.text("Generasi per hari", weight="medium", size="2"),
        _generations_chart(),
        rx.text("Token dan detik komputasi per hari", weight="medium", size="2"),
        _compute_chart(),
        report_table(
            [
                ("Model", "model"),
                ("Generasi", "generations"),
                ("Dipakai ulang", "reused"),
                ("Token", "tokens"),
                ("Detik komputasi", "seconds"),
                ("Rata-rata detik/generasi", "avg"),
            ],
            s.model_rows,
            "model-table",
            row_class="model-row",
        ),
        report_table(
            [
                ("Tanggal", "day"),
                ("Umpan balik (model)", "feedback"),
                ("Dipakai ulang", "reused"),
                ("Token umpan balik (masuk / keluar)", "feedback_tokens"),
                ("Detik umpan balik", "feedback_seconds"),
                ("Jawaban tutor", "tutor"),
                ("Token tutor (masuk / keluar)", "tutor_tokens"),
                ("Detik tutor", "tutor_seconds"),
            ],
            s.usage_rows,
            "usage-table",
            row_class="usage-row",
            empty="Belum ada pemakaian AI dalam rentang waktu ini.",
        ),
        section_id="usage-section",
    )


def _content() -> rx.Component:
    s = AdminAnalyticsState
    return rx.vstack(
        rx.hstack(
            rx.text("Rentang waktu:", size="2"),
            rx.el.select(
                *[rx.el.option(label, value=value) for value, label in RANGE_OPTIONS],
                value=s.range_days,
                on_change=s.set_range,
                id="analytics-range",
                style=SELECT_STYLE,
            ),
            rx.text(s.period, size="2", color_scheme="gray", id="analytics-period"),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        error_callout(s.error, "analytics-error"),
        _growth(),
        _helpfulness(),
        _usage(),
        spacing="4",
        width="100%",
    )


def admin_analytics_page() -> rx.Component:
    return admin_page(SECTION["analytics"], _content)()
