"""/dashboard: readiness per section, ability over time, weak areas, plan, history."""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.object import ObjectVar

from nexus_app.components.shell import BRAND_COLOR, TABLE_ONLY, app_shell
from nexus_app.components.student_tasks import student_tasks
from nexus_app.components.tables import phone_cards
from nexus_app.components.values import either
from nexus_app.state.dashboard import (
    DashboardState,
    PlanRow,
    ReadinessCard,
    SchoolMasteryRow,
    SchoolWeakAreaRow,
    SessionRow,
    WeakAreaRow,
)

ROUTE = "/dashboard"
ROLES = ["siswa"]


def _card(c: ObjectVar[ReadinessCard]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(c.section, size="2"),
                rx.text(c.name, size="2", weight="medium"),
                align="center",
            ),
            rx.cond(
                c.has_data,
                rx.vstack(
                    rx.text("Perkiraan skor ", rx.text.strong(c.score_range), size="3"),
                    rx.text("Kesiapan: ", rx.text.strong(c.readiness), size="2"),
                    rx.text(
                        "kemajuan perkiraan skor menuju skor target",
                        size="1",
                        color_scheme="gray",
                    ),
                    rx.box(
                        rx.box(
                            width=c.readiness_width,
                            height="100%",
                            background_color=rx.color(BRAND_COLOR, 9),
                            border_radius="4px",
                        ),
                        width="100%",
                        height="8px",
                        border_radius="4px",
                        background_color=rx.color("gray", 4),
                    ),
                    rx.text(
                        "Peluang skormu sekarang sudah mencapai target: ",
                        c.chance,
                        size="1",
                        color_scheme="gray",
                    ),
                    rx.text("Siap pada: ", c.ready_by, size="1", color_scheme="gray"),
                    rx.text(
                        c.answered,
                        " soal · akurasi ",
                        c.accuracy,
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="1",
                    width="100%",
                ),
                rx.text("Belum ada latihan di subtes ini.", size="2", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        id="readiness-" + c.section.to(str),
        width="260px",
    )


def _chart() -> rx.Component:
    return rx.cond(
        DashboardState.history.length() > 0,
        rx.recharts.line_chart(
            rx.foreach(
                DashboardState.history_lines,
                lambda line: rx.recharts.line(
                    data_key=line.section,
                    stroke=line.color,
                    type_="monotone",
                    connect_nulls=True,
                ),
            ),
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(domain=[200, 900]),
            rx.recharts.legend(),
            rx.recharts.graphing_tooltip(),
            data=DashboardState.history,
            width="100%",
            height=260,
        ),
        rx.text("Grafik muncul setelah kamu mulai berlatih.", color_scheme="gray", size="2"),
    )


def _tryout_trend() -> rx.Component:
    """Total score over the student's finished tryouts, one point per sitting."""
    return rx.card(
        rx.vstack(
            rx.heading("Tren skor tryout", size="4"),
            rx.cond(
                DashboardState.tryout_trend.length() > 0,
                rx.vstack(
                    rx.recharts.line_chart(
                        rx.recharts.line(
                            data_key="total", stroke=rx.color(BRAND_COLOR, 9), type_="monotone"
                        ),
                        rx.recharts.x_axis(data_key="label"),
                        rx.recharts.y_axis(domain=[200, 900]),
                        rx.recharts.graphing_tooltip(),
                        data=DashboardState.tryout_trend,
                        width="100%",
                        height=160,
                    ),
                    # The same points as text (screen readers, and a chart too small to read).
                    rx.flex(
                        rx.foreach(
                            DashboardState.tryout_trend,
                            lambda p: rx.badge(
                                p["label"],
                                ": ",
                                p["total"],
                                title=p["title"].to(str),
                                class_name="tryout-trend-point",
                                variant="soft",
                            ),
                        ),
                        wrap="wrap",
                        spacing="2",
                    ),
                    width="100%",
                ),
                rx.text(
                    "Belum ada tryout yang selesai. ",
                    rx.link("Ikuti tryout lengkap", href="/tryout"),
                    " untuk melihat tren skormu.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            rx.text(
                "Total tiap tryout (rata-rata skor subtes). Hasil tryout juga ikut dihitung "
                "dalam perkiraan skor dan kesiapan di atas.",
                size="1",
                color_scheme="gray",
            ),
            width="100%",
        ),
        id="tryout-trend",
        width="100%",
    )


def _weak_area(w: ObjectVar[WeakAreaRow]) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.hstack(rx.badge(w.section), rx.text(w.topic, weight="medium")),
                rx.text(w.recommendation, size="2", color_scheme="gray"),
                spacing="1",
            ),
            rx.spacer(),
            rx.link(rx.button("Latihan topik ini", variant="soft"), href=w.href),
            align="center",
            width="100%",
        ),
        class_name="weak-area",
        width="100%",
    )


def _school_weak_area(w: ObjectVar[SchoolWeakAreaRow]) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.hstack(rx.badge(w.subject, color_scheme="amber"), rx.text(w.topic)),
                rx.text(w.recommendation, size="2", color_scheme="gray"),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                w.href != "",
                rx.link(rx.button("Latihan topik ini", variant="soft"), href=w.href),
            ),
            align="center",
            width="100%",
        ),
        class_name="school-weak-area",
        width="100%",
    )


def _school_mastery_row(m: ObjectVar[SchoolMasteryRow]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(m.topic, weight="medium", size="2"),
            rx.text(m.subject, " · ", m.answers, size="1", color_scheme="gray"),
            spacing="0",
            min_width="40%",
        ),
        rx.box(
            rx.box(height="8px", width=m.width, background_color=rx.color("teal", 9)),
            width="100%",
            background_color=rx.color("gray", 4),
            border_radius="4px",
            overflow="hidden",
        ),
        rx.text(m.mastery, size="2", min_width="3em"),
        rx.cond(m.href != "", rx.link("Latihan", href=m.href, size="2")),
        align="center",
        width="100%",
        class_name="school-mastery-row",
    )


def _school_subjects(s: type[DashboardState]) -> rx.Component:
    return rx.vstack(
        rx.heading("Mata pelajaran sekolah", size="4"),
        rx.cond(
            s.school_weak_areas.length() > 0,
            rx.vstack(
                rx.foreach(s.school_weak_areas, _school_weak_area),
                width="100%",
                id="school-weak-areas",
            ),
        ),
        rx.cond(
            s.school_mastery.length() > 0,
            rx.card(
                rx.vstack(
                    rx.text("Penguasaan topik", weight="medium"),
                    rx.foreach(s.school_mastery, _school_mastery_row),
                    width="100%",
                ),
                width="100%",
                id="school-mastery",
            ),
            rx.text(
                "Belum ada latihan mata pelajaran. ",
                rx.link("Mulai latihan mata pelajaran", href="/practice/subject"),
                size="2",
                color_scheme="gray",
            ),
        ),
        width="100%",
        spacing="3",
    )


def _plan_row(p: ObjectVar[PlanRow]) -> rx.Component:
    return rx.hstack(
        rx.badge(p.section),
        rx.text(
            p.minutes,
            " menit · ",
            p.topic,
            " · ±",
            p.questions,
            " soal",
            weight="medium",
            size="2",
        ),
        rx.text("(", p.reason, ")", size="1", color_scheme="gray"),
        rx.spacer(),
        rx.link("Mulai", href=p.href, size="2"),
        width="100%",
        align="center",
        wrap="wrap",
        class_name="plan-row",
    )


def _session_card(x: ObjectVar[SessionRow]) -> rx.Component:
    """A phone's row of the sessions table, its "Rincian" a full-size button."""
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(x.section, " · ", x.mode, weight="medium", size="2"),
                rx.text(x.started, size="1", color_scheme="gray"),
                rx.text(x.answered, " soal · akurasi ", x.accuracy, size="1", color_scheme="gray"),
                spacing="1",
            ),
            rx.spacer(),
            rx.link(rx.button("Rincian", variant="soft"), href=x.href),
            align="center",
            width="100%",
        ),
        class_name="session-card",
        width="100%",
    )


def _rating_icon(name: str, label: rx.Var[str]) -> rx.Component:
    """The student's rating of a feedback, as an icon (emoji need a font that has them)."""
    return rx.icon(
        name, size=14, color=rx.color("gray", 11), aria_label=label, class_name="feedback-rating"
    )


def _content() -> rx.Component:
    s = DashboardState
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.heading("Dasbor kesiapan UTBK", size="7"),
                rx.cond(
                    (s.target_line != "") | (s.exam_line != ""),
                    rx.text(
                        s.target_line,
                        either((s.target_line != "") & (s.exam_line != ""), " · ", ""),
                        s.exam_line,
                        color_scheme="gray",
                        size="2",
                    ),
                    # Onboarding skipped (kelas 10/11): no lone "·" under the heading.
                    rx.text(
                        "Belum ada target UTBK; tambahkan kapan saja lewat Ubah target.",
                        color_scheme="gray",
                        size="2",
                        id="no-utbk-target",
                    ),
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.link(
                rx.button("Ubah target", variant="soft", id="edit-onboarding"), href="/onboarding"
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Rencana hari ini", size="4"),
                rx.text(s.plan_line, size="2", color_scheme="gray"),
                rx.foreach(s.plan, _plan_row),
                spacing="2",
                width="100%",
            ),
            width="100%",
            id="todays-plan",
        ),
        rx.text(
            "Soal salah yang perlu diulang hari ini: ",
            s.review_due_today.to_string(),
            " · ",
            rx.link("ulangi di halaman Latihan", href="/practice"),
            size="2",
            id="review-due-today",
        ),
        student_tasks(),
        rx.flex(rx.foreach(s.cards, _card), wrap="wrap", spacing="3", id="readiness-cards"),
        rx.text(
            "Kesiapan menunjukkan seberapa jauh perkiraan skormu sudah bergerak dari 200 menuju "
            "skor target (100% berarti perkiraan skormu sudah sampai target). Peluang adalah "
            "kemungkinan skormu yang sebenarnya sudah mencapai target; angka ini tetap kecil "
            "sampai perkiraan skormu mendekati target dan makin pasti, jadi Kesiapan 60% dengan "
            "Peluang 3% itu wajar: kamu sudah maju, tetapi belum sampai target.",
            size="1",
            color_scheme="gray",
            id="readiness-help",
        ),
        rx.text(
            "Skor adalah perkiraan Nexus dari kemampuan (θ) dengan skala 500 + 100·θ, "
            "bukan konversi resmi UTBK.",
            size="1",
            color_scheme="gray",
        ),
        rx.card(
            rx.vstack(rx.heading("Perkembangan kemampuan", size="4"), _chart(), width="100%"),
            width="100%",
        ),
        _tryout_trend(),
        rx.heading("Topik yang perlu latihan lagi", size="4"),
        rx.cond(
            s.weak_areas.length() > 0,
            rx.vstack(rx.foreach(s.weak_areas, _weak_area), width="100%", id="weak-areas"),
            rx.text(
                "Belum ada topik yang perlu perhatian khusus. Terus berlatih!",
                color_scheme="gray",
                size="2",
            ),
        ),
        _school_subjects(s),
        rx.heading("Umpan balik terbaru", size="4"),
        rx.cond(
            s.feedback.length() > 0,
            rx.vstack(
                rx.foreach(
                    s.feedback,
                    lambda f: rx.card(
                        rx.text(rx.badge(f.section), " ", f.question, size="2"),
                        rx.hstack(
                            rx.text(f.answer, " · ", size="1", color_scheme="gray"),
                            rx.cond(
                                f.helpful,
                                _rating_icon("thumbs-up", f.helpful_label),
                                _rating_icon("thumbs-down", f.helpful_label),
                            ),
                            rx.text(" · ", f.when, size="1", color_scheme="gray"),
                            align="center",
                            spacing="1",
                            wrap="wrap",
                        ),
                        rx.text(f.text, size="2"),
                        width="100%",
                    ),
                ),
                width="100%",
            ),
            rx.text(
                "Umpan balik yang kamu nilai (membantu atau tidak) akan muncul di sini.",
                color_scheme="gray",
                size="2",
            ),
        ),
        rx.heading("Sesi belajar", size="4"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Mulai"),
                    rx.table.column_header_cell("Subtes"),
                    rx.table.column_header_cell("Mode"),
                    rx.table.column_header_cell("Soal"),
                    rx.table.column_header_cell("Akurasi"),
                    rx.table.column_header_cell(""),
                )
            ),
            rx.table.body(
                rx.foreach(
                    s.sessions,
                    lambda x: rx.table.row(
                        rx.table.cell(x.started, white_space="nowrap"),
                        rx.table.cell(x.section),
                        rx.table.cell(x.mode),
                        rx.table.cell(x.answered),
                        rx.table.cell(x.accuracy),
                        rx.table.cell(rx.link("Rincian", href=x.href)),
                    ),
                )
            ),
            variant="surface",
            width="100%",
            id="study-sessions",
            display=TABLE_ONLY,
        ),
        phone_cards(s.sessions, _session_card, "study-session-cards"),
        rx.link(rx.button("Mulai latihan", size="3", color_scheme=BRAND_COLOR), href="/practice"),
        spacing="4",
        width="100%",
    )


def dashboard_page() -> rx.Component:
    return app_shell(_content)()
