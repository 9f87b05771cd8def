"""/teacher: class mastery heatmap with drill-down, summaries and weekly report."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import EventType

from nexus_app.components.shell import SELECT_STYLE, app_shell
from nexus_app.components.tables import simple_table
from nexus_app.state.teacher import (
    ALL_CLASSES,
    ALL_CLASSES_LABEL,
    ALL_GRADES,
    HeatCell,
    HeatRow,
    TeacherState,
)

ROUTE = "/teacher"
ROLES = ["guru", "admin"]


def _labelled(label: str, control: rx.Component, control_id: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=control_id, style={"font_size": "13px", "font_weight": "500"}),
        control,
        spacing="1",
    )


def _filters() -> rx.Component:
    """Three filters, each named for what it narrows: "kelas" alone meant both a class
    (rombel, e.g. XI IPA 1) and a grade (10–12)."""
    s = TeacherState
    return rx.hstack(
        _labelled(
            "Subtes / mata pelajaran",
            rx.el.select(
                rx.foreach(s.views, lambda v: rx.el.option(v.label, value=v.key)),
                value=s.view_key,
                on_change=s.set_view,
                id="view-filter",
                style=SELECT_STYLE,
            ),
            "view-filter",
        ),
        _labelled(
            "Rombel",
            rx.el.select(
                rx.foreach(
                    s.class_choices,
                    lambda c: rx.el.option(
                        rx.cond(c == ALL_CLASSES, ALL_CLASSES_LABEL, c), value=c
                    ),
                ),
                value=s.class_filter,
                on_change=s.set_class_filter,
                id="class-filter",
                style=SELECT_STYLE,
            ),
            "class-filter",
        ),
        _labelled(
            "Tingkat",
            rx.el.select(
                rx.el.option("Semua tingkat (10–12)", value=ALL_GRADES),
                rx.el.option("Tingkat 10", value="10"),
                rx.el.option("Tingkat 11", value="11"),
                rx.el.option("Tingkat 12", value="12"),
                value=s.grade_filter,
                on_change=s.set_grade_filter,
                id="grade-filter",
                style=SELECT_STYLE,
            ),
            "grade-filter",
        ),
        wrap="wrap",
        spacing="3",
    )


def _cell(row: HeatRow, cell: HeatCell) -> rx.Component:
    return rx.el.td(
        cell.label,
        id=cell.cell_id,
        title=cell.title,
        on_click=TeacherState.open_cell(row.username, cell.topic),
        style={
            "background": cell.color,
            "text_align": "center",
            "cursor": "pointer",
            "min_width": "64px",
            "padding": "6px",
            "font_weight": "600",
            "border": "2px solid var(--gray-1)",
            "border_radius": "6px",
        },
        class_name="heat-cell",
    )


def _heatmap() -> rx.Component:
    s = TeacherState
    return rx.box(
        rx.el.table(
            rx.el.thead(
                rx.el.tr(
                    rx.el.th("Siswa", style={"text_align": "left", "padding": "6px"}),
                    rx.foreach(
                        s.topics,
                        lambda t: rx.el.th(
                            t, style={"font_size": "12px", "padding": "6px", "font_weight": "500"}
                        ),
                    ),
                )
            ),
            rx.el.tbody(
                rx.foreach(
                    s.rows,
                    lambda row: rx.el.tr(
                        rx.el.td(
                            rx.text(row.full_name, size="2", weight="medium"),
                            rx.text(
                                row.username, " · ", row.class_name, size="1", color_scheme="gray"
                            ),
                            style={"padding": "4px 8px", "white_space": "nowrap"},
                        ),
                        rx.foreach(row.cells, lambda cell: _cell(row, cell)),
                    ),
                )
            ),
            style={"border_collapse": "separate", "border_spacing": "2px"},
        ),
        rx.hstack(
            rx.text("Penguasaan (%): ", size="1"),
            rx.badge("< 30", style={"background": "var(--red-8)"}),
            rx.badge("30–49", style={"background": "var(--orange-7)"}),
            rx.badge("50–69", style={"background": "var(--yellow-7)"}),
            rx.badge("≥ 70", style={"background": "var(--green-8)"}),
            rx.badge("– belum ada data", style={"background": "var(--gray-4)"}),
            rx.text("Klik sel untuk melihat rinciannya.", size="1", color_scheme="gray"),
            spacing="2",
            wrap="wrap",
            margin_top="0.5em",
        ),
        overflow_x="auto",
        width="100%",
        id="heatmap",
    )


def _drilldown() -> rx.Component:
    s = TeacherState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(s.drill_name),
            rx.vstack(
                rx.hstack(
                    rx.spacer(),
                    rx.button("Tutup", variant="soft", on_click=s.close_drill, id="drill-close"),
                    width="100%",
                ),
                rx.text(
                    "Topik: ",
                    rx.text.strong(s.drill_topic),
                    " · penguasaan saat ini ",
                    rx.text.strong(s.drill_mastery),
                ),
                rx.cond(
                    s.drill_trend.length() > 1,
                    rx.recharts.line_chart(
                        rx.recharts.line(data_key="penguasaan", stroke="#4f46e5"),
                        rx.recharts.x_axis(data_key="n"),
                        rx.recharts.y_axis(domain=[0, 100]),
                        rx.recharts.graphing_tooltip(),
                        data=s.drill_trend,
                        width="100%",
                        height=180,
                    ),
                ),
                rx.heading("Jawaban latihan", size="3"),
                rx.cond(
                    s.drill_attempts.length() > 0,
                    simple_table(
                        ["Waktu", "Soal", "Jawaban", "Hasil", "Durasi", "Penguasaan"],
                        s.drill_attempts,
                        ["when", "text", "answer", "result", "seconds", "mastery"],
                        row_class="drill-attempt",
                        variant="ghost",
                    ),
                    rx.text(
                        s.drill_attempts_note, size="2", color_scheme="gray", id="drill-no-attempts"
                    ),
                ),
                rx.heading("Pertanyaan ke tutor AI", size="3"),
                rx.cond(
                    s.drill_chat.length() > 0,
                    rx.vstack(
                        rx.foreach(
                            s.drill_chat,
                            lambda c: rx.text(c.when, " · ", c.question, size="2"),
                        )
                    ),
                    rx.text("Belum ada pertanyaan pada topik ini.", size="2", color_scheme="gray"),
                ),
                rx.heading("Riwayat area lemah", size="3"),
                rx.cond(
                    s.drill_weak.length() > 0,
                    rx.vstack(
                        rx.foreach(
                            s.drill_weak,
                            lambda w: rx.text(
                                w.when, " · skor ", w.score, " · ", w.status, size="2"
                            ),
                        )
                    ),
                    rx.text(
                        "Topik ini belum pernah tercatat sebagai area lemah.",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            id="drilldown",
            max_width="900px",
        ),
        open=s.drill_open,
        on_open_change=s.set_drill_open,
    )


def _report_heading(title: str, download: EventType[()], button_id: str) -> rx.Component:
    return rx.hstack(
        rx.heading(title, size="4"),
        rx.button("Unduh CSV", size="1", variant="soft", on_click=download, id=button_id),
        align="center",
    )


def _content() -> rx.Component:
    s = TeacherState
    return rx.vstack(
        rx.hstack(
            rx.heading("Kelas", size="7"),
            rx.spacer(),
            rx.link(
                rx.button("Tugas kelas", variant="soft", id="teacher-tasks-link"),
                href="/teacher/tugas",
            ),
            width="100%",
            align="center",
        ),
        _filters(),
        rx.cond(
            s.error != "",
            rx.callout(s.error, icon="shield-alert", color_scheme="red", id="teacher-error"),
        ),
        rx.cond(
            s.notice != "",
            rx.callout(s.notice, icon="info", color_scheme="amber", id="teacher-no-classes"),
            _class_reports(),
        ),
        spacing="4",
        width="100%",
    )


def _class_reports() -> rx.Component:
    s = TeacherState
    return rx.vstack(
        rx.heading("Peta penguasaan · ", s.view_label, size="4"),
        _heatmap(),
        _drilldown(),
        _report_heading("Ringkasan penguasaan kelas", s.download_summary, "download-summary"),
        simple_table(
            ["Topik", "Siswa", "Rata-rata", "Terendah", "Tertinggi"],
            s.summary,
            ["topic", "students", "avg", "low", "high"],
            "class-summary",
        ),
        _report_heading(
            "Siswa yang perlu pendampingan (≥ 3 area lemah)",
            s.download_intervention,
            "download-intervention",
        ),
        rx.cond(
            s.intervention.length() > 0,
            simple_table(
                ["Siswa", "Nama", "Bidang", "Area lemah"],
                s.intervention,
                ["username", "name", "area", "count"],
                "intervention",
            ),
            rx.text(
                "Tidak ada siswa dengan tiga area lemah atau lebih.", size="2", color_scheme="gray"
            ),
        ),
        _report_heading("Laporan aktivitas 7 hari terakhir", s.download_weekly, "download-weekly"),
        simple_table(
            ["Siswa", "Nama", "Kelas", "Jawaban", "Akurasi", "Sesi", "Tanya tutor"],
            s.weekly,
            ["username", "name", "class_name", "answers", "accuracy", "sessions", "tutor"],
            "weekly-report",
        ),
        spacing="4",
        width="100%",
    )


def teacher_home() -> rx.Component:
    return app_shell(_content)()
