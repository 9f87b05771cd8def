"""/practice/subject: practise a school subject's topic (the OpenClass loop)."""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.object import ObjectVar

from nexus_app.components.choices import answer_choices
from nexus_app.components.open_answer import open_answer
from nexus_app.components.shell import BRAND_COLOR, app_shell
from nexus_app.components.values import either
from nexus_app.state.school_practice import ROUTE as STATE_ROUTE
from nexus_app.state.school_practice import SchoolPracticeState as S
from nexus_app.state.school_practice import TopicRow

ROUTE = STATE_ROUTE
ROLES = ["siswa"]


def _error() -> rx.Component:
    return rx.cond(
        S.error != "",
        rx.callout(S.error, icon="triangle-alert", color_scheme="red", id="school-error"),
    )


def _topic_row(t: ObjectVar[TopicRow]) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(t.topic, weight="bold"),
                rx.text(
                    t.subject,
                    " · kelas ",
                    t.grade,
                    " · ",
                    t.count,
                    " soal · penguasaan ",
                    t.mastery,
                    size="2",
                    color_scheme="gray",
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.link(
                rx.button("Latihan", color_scheme=BRAND_COLOR, variant="soft"),
                href=t.link,
            ),
            align="center",
            width="100%",
        ),
        class_name="school-topic",
        width="100%",
    )


def _chooser() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Pilih topik mata pelajaran. Setiap jawaban memperbarui penguasaan topikmu; topik "
            "yang masih lemah muncul di dasbor.",
            color_scheme="gray",
            size="2",
        ),
        _error(),
        rx.cond(
            S.topics.length() > 0,
            rx.vstack(rx.foreach(S.topics, _topic_row), width="100%", id="school-topics"),
            rx.callout(
                "Belum ada soal latihan mata pelajaran. Guru atau admin dapat mengimpornya.",
                icon="info",
                id="school-no-topics",
            ),
        ),
        rx.link("Kembali ke latihan UTBK", href="/practice", size="2"),
        spacing="3",
        width="100%",
        max_width="720px",
    )


def _open_answer() -> rx.Component:
    return open_answer(
        phase=S.phase,
        revealed=S.revealed,
        model_answer=S.model_answer,
        reveal=S.reveal,
        mark=S.mark,
        id_prefix="school-",
        draft=S.draft,
        set_draft=S.set_draft,
    )


def _result() -> rx.Component:
    return rx.vstack(
        rx.callout(
            rx.cond(
                S.is_correct,
                "Benar.",
                rx.cond(
                    S.is_multiple_choice,
                    rx.text("Belum tepat. Jawaban yang benar: ", S.correct_answer, "."),
                    "Belum tepat, pelajari lagi jawaban modelnya.",
                ),
            ),
            icon=either(S.is_correct, "circle-check", "circle-x"),
            color_scheme=either(S.is_correct, "green", "red"),
            id="school-verdict",
            width="100%",
        ),
        rx.text(
            "Penguasaan topik: ",
            rx.text.strong(S.mastery),
            " dari ",
            S.answers,
            " jawaban.",
            id="school-mastery",
            size="2",
        ),
        rx.cond(
            S.weak,
            rx.callout(
                "Topik ini sekarang tercatat sebagai area lemah di dasbormu. Terus berlatih!",
                icon="triangle-alert",
                color_scheme="amber",
                id="school-weak",
                width="100%",
            ),
        ),
        rx.button(
            either(S.position >= S.total, "Selesai", "Soal berikutnya"),
            id="school-next",
            on_click=S.next_question,
            color_scheme=BRAND_COLOR,
        ),
        spacing="3",
        width="100%",
    )


def _question() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(S.subject_name, variant="soft"),
                rx.badge(S.topic, variant="outline"),
                rx.cond(S.difficulty != "", rx.badge(S.difficulty, color_scheme="gray")),
                rx.spacer(),
                rx.text("Soal ", S.position, " dari ", S.total, size="2", id="school-position"),
                width="100%",
                wrap="wrap",
            ),
            rx.text(S.question_text, size="4", white_space="pre-wrap", id="school-question"),
            rx.cond(
                S.is_multiple_choice,
                rx.vstack(
                    answer_choices(
                        S.options,
                        phase=S.phase,
                        selected=S.selected,
                        correct_answer=S.correct_answer,
                        is_correct=S.is_correct,
                        choose=S.choose,
                        id_prefix="school-choice-",
                    ),
                    rx.cond(
                        S.phase == "question",
                        rx.button(
                            "Jawab",
                            id="school-submit",
                            on_click=S.submit,
                            color_scheme=BRAND_COLOR,
                            disabled=S.selected == "",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                ),
                _open_answer(),
            ),
            _error(),
            rx.cond(S.phase == "result", _result()),
            spacing="4",
            width="100%",
        ),
        width="100%",
        max_width="820px",
    )


def _finished() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Latihan topik selesai", size="5"),
            rx.text(
                S.correct_count,
                " dari ",
                S.answered,
                " benar. Penguasaan ",
                S.topic,
                ": ",
                rx.text.strong(S.mastery),
                ".",
                id="school-summary",
            ),
            rx.hstack(
                rx.button(
                    "Ulangi topik ini",
                    id="school-again",
                    on_click=S.again,
                    color_scheme=BRAND_COLOR,
                ),
                rx.button(
                    "Pilih topik lain",
                    id="school-topics-back",
                    on_click=S.back_to_topics,
                    variant="soft",
                ),
                rx.link(rx.button("Ke dasbor", variant="outline"), href="/dashboard"),
                wrap="wrap",
            ),
            spacing="3",
        ),
        max_width="560px",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.heading("Latihan mata pelajaran", size="7"),
        rx.match(
            S.phase,
            ("choose", _chooser()),
            ("finished", _finished()),
            _question(),
        ),
        spacing="4",
        width="100%",
    )


def school_practice_page() -> rx.Component:
    return app_shell(_content)()
