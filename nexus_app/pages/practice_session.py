"""/practice/session/[id]: the review of one practice session."""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.object import ObjectVar

from nexus_app.components.shell import TABLE_ONLY, app_shell, stat_card
from nexus_app.components.tables import card_field, phone_cards
from nexus_app.components.values import either
from nexus_app.state.practice import ReviewRow, SessionReviewState

ROUTE = "/practice/session/[id]"
ROLES = ["siswa", "guru", "admin"]


def _row(r: ObjectVar[ReviewRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.position),
        rx.table.cell(r.sub_type),
        rx.table.cell(r.text),
        rx.table.cell(r.selected),
        rx.table.cell(r.correct_answer),
        rx.table.cell(_result_badge(r)),
        rx.table.cell(r.time),
        class_name="review-row",
    )


def _result_badge(r: ObjectVar[ReviewRow]) -> rx.Component:
    return rx.badge(r.result, color_scheme=either(r.is_correct, "green", "orange"))


def _card(r: ObjectVar[ReviewRow]) -> rx.Component:
    """A phone's row: the question, then the answer, the key and the result side by side."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text("No. ", r.position, weight="bold", size="2"),
                rx.badge(r.sub_type, variant="soft"),
                rx.spacer(),
                _result_badge(r),
                width="100%",
                align="center",
            ),
            rx.text(r.text, size="2", overflow_wrap="anywhere"),
            rx.flex(
                card_field("Jawabanmu", r.selected),
                card_field("Kunci", r.correct_answer),
                card_field("Waktu", r.time),
                wrap="wrap",
                column_gap="1.2em",
            ),
            spacing="2",
            width="100%",
        ),
        class_name="review-card",
        width="100%",
    )


def _content() -> rx.Component:
    state = SessionReviewState
    return rx.cond(
        state.found,
        rx.vstack(
            rx.heading("Rincian sesi latihan", size="7"),
            rx.hstack(rx.badge(state.mode), rx.badge(state.section, variant="soft")),
            rx.cond(state.score_line != "", rx.text(state.score_line, weight="medium")),
            rx.flex(
                stat_card("Soal dijawab", state.total, "list-checks", "review-total"),
                stat_card("Benar", state.correct, "check", "review-correct"),
                stat_card("Akurasi", state.accuracy, "target", "review-accuracy"),
                stat_card("Rata-rata waktu", state.avg_time, "timer", "review-avg-time"),
                wrap="wrap",
                spacing="4",
            ),
            rx.text(
                "Waktu tercepat ",
                state.min_time,
                " detik, terlama ",
                state.max_time,
                " detik.",
                size="2",
                color_scheme="gray",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("No"),
                        rx.table.column_header_cell("Topik"),
                        rx.table.column_header_cell("Soal"),
                        rx.table.column_header_cell("Jawabanmu"),
                        rx.table.column_header_cell("Kunci"),
                        rx.table.column_header_cell("Hasil"),
                        rx.table.column_header_cell("Waktu"),
                    )
                ),
                rx.table.body(rx.foreach(state.rows, _row)),
                variant="surface",
                width="100%",
                id="review-table",
                display=TABLE_ONLY,
            ),
            phone_cards(state.rows, _card, "review-cards"),
            rx.link(rx.button("Latihan lagi", id="practice-again"), href="/practice"),
            spacing="4",
            width="100%",
        ),
        rx.callout(
            either(state.error != "", state.error, "Memuat…"), icon="info", id="review-missing"
        ),
    )


def session_review_page() -> rx.Component:
    return app_shell(_content)()
