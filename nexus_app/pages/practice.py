"""/practice: adaptive UTBK practice, one question at a time, keyboard friendly."""

from __future__ import annotations

from typing import Any

import reflex as rx

# rx.moment is Moment.create; mypy may bind the name `moment` to the package's submodule.
from reflex_components_moment.moment import Moment

from nexus_app.components.choices import answer_choices
from nexus_app.components.shell import BRAND_COLOR, SELECT_STYLE, app_shell
from nexus_app.components.values import either
from nexus_app.state.practice import PICK, PICK_FIRST, PracticeState

ROUTE = "/practice"
ROLES = ["siswa"]
_SELECT_STYLE = {**SELECT_STYLE, "width": "100%"}


def _error() -> rx.Component:
    # "Pick first" is answered by a click the server never sees (PICK): hide it once made.
    answered_by_pick = (PracticeState.error == PICK_FIRST) & (_lit_letter() != "")
    return rx.cond(
        (PracticeState.error != "") & ~answered_by_pick,
        rx.callout(
            PracticeState.error,
            icon="triangle-alert",
            color_scheme="red",
            id="practice-error",
            width="100%",
        ),
    )


def _chooser() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Mulai latihan", size="5"),
            rx.text(
                "Soal akan menyesuaikan kemampuanmu: benar → lebih menantang, salah → "
                "sedikit lebih mudah.",
                color_scheme="gray",
                size="2",
            ),
            rx.text("Subtes UTBK", size="2", weight="medium"),
            rx.el.select(
                rx.foreach(
                    PracticeState.sections,
                    lambda s: rx.el.option(s.label, value=s.code),
                ),
                id="section-select",
                value=PracticeState.section,
                on_change=PracticeState.set_section,
                style=_SELECT_STYLE,
            ),
            rx.text("Topik (opsional)", size="2", weight="medium"),
            rx.el.select(
                rx.foreach(
                    PracticeState.section_sub_types,
                    lambda t: rx.el.option(t[1], value=t[0]),
                ),
                id="topic-select",
                value=PracticeState.sub_type,
                on_change=PracticeState.set_sub_type,
                style=_SELECT_STYLE,
            ),
            rx.text("Mode", size="2", weight="medium"),
            rx.el.select(
                rx.el.option("Latihan adaptif", value="practice"),
                rx.el.option("Tryout (berhenti otomatis, perkiraan skor)", value="tryout"),
                id="mode-select",
                value=PracticeState.mode,
                on_change=PracticeState.set_mode,
                style=_SELECT_STYLE,
            ),
            rx.text(
                "Tryout berhenti sendiri saat skormu cukup pasti (galat baku ≤ 0,30) "
                "atau jumlah soal subtes tercapai.",
                size="1",
                color_scheme="gray",
            ),
            _error(),
            rx.button(
                "Mulai",
                id="start-practice",
                on_click=PracticeState.start,
                size="3",
                color_scheme=BRAND_COLOR,
            ),
            rx.button(
                "Ulangi soal yang salah (",
                PracticeState.review_due.to_string(),
                " jatuh tempo)",
                id="practice-review-due",
                on_click=PracticeState.start_review,
                variant="soft",
                disabled=PracticeState.review_due == 0,
            ),
            rx.divider(),
            rx.text(
                "Latihan mata pelajaran sekolah (soal guru per topik): ",
                rx.link(
                    "Latihan mata pelajaran", href="/practice/subject", id="school-practice-link"
                ),
                size="2",
            ),
            spacing="3",
            width="100%",
        ),
        max_width="560px",
        width="100%",
    )


def _status_bar() -> rx.Component:
    return rx.hstack(
        rx.badge(PracticeState.mode_label, color_scheme=BRAND_COLOR),
        rx.text("Soal ke-", PracticeState.position, size="2"),
        rx.cond(
            PracticeState.question_sub_type != "",
            rx.badge(PracticeState.question_sub_type, variant="soft"),
        ),
        rx.spacer(),
        rx.cond(
            PracticeState.phase == "question",
            rx.hstack(
                rx.icon("timer", size=16),
                Moment.create(
                    date=PracticeState.served_at,
                    duration_from_now=True,
                    interval=1000,
                    format="mm:ss",
                    id="question-timer",
                ),
                align="center",
                spacing="1",
            ),
        ),
        rx.text(PracticeState.theta_label, id="theta-value", size="2", weight="medium"),
        width="100%",
        align="center",
        wrap="wrap",
    )


def _resumed() -> rx.Component:
    """After a reload: say that this is the unfinished session and what is answered so far."""
    return rx.cond(
        PracticeState.resumed,
        rx.callout(
            "Melanjutkan sesi yang belum selesai: "
            + PracticeState.answered.to_string()
            + " soal sudah dijawab ("
            + PracticeState.correct_count.to_string()
            + " benar).",
            icon="history",
            size="1",
            id="practice-resumed",
            width="100%",
        ),
    )


def _result() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.cond(
                PracticeState.is_correct,
                rx.hstack(
                    rx.icon("party-popper", size=22, color=rx.color("green", 11)),
                    rx.heading("Benar!", size="5", color_scheme="green"),
                    align="center",
                    spacing="2",
                ),
                rx.heading(
                    "Belum tepat — tidak apa-apa, ayo pahami caranya.",
                    size="5",
                    color_scheme="orange",
                ),
            ),
            rx.text(
                "Jawabanmu ",
                rx.text.strong(PracticeState.selected),
                ", jawaban benar ",
                rx.text.strong(PracticeState.correct_answer),
                ".",
            ),
            rx.cond(
                PracticeState.explanation != "",
                rx.box(rx.text.strong("Pembahasan: "), PracticeState.explanation),
            ),
            rx.cond(
                PracticeState.strategy_tip != "",
                rx.box(rx.text.strong("Tips: "), PracticeState.strategy_tip),
            ),
            rx.cond(
                ~PracticeState.is_correct,
                rx.box(
                    rx.text.strong("Umpan balik: "),
                    rx.cond(
                        (PracticeState.feedback_text == "") & PracticeState.feedback_busy,
                        rx.text("Menyiapkan umpan balik…", as_="span", color_scheme="gray"),
                        rx.text(PracticeState.feedback_text, as_="span"),
                    ),
                    rx.cond(
                        PracticeState.feedback_queue > 0,
                        rx.text(
                            "Menunggu giliran AI: posisi antrean ",
                            PracticeState.feedback_queue.to_string(),
                            either(
                                PracticeState.feedback_wait != "",
                                ", " + PracticeState.feedback_wait,
                                "",
                            ),
                            ". Paling lama ",
                            PracticeState.feedback_max_wait.to_string(),
                            " detik, lalu pembahasan tersimpan ditampilkan.",
                            size="1",
                            color_scheme="gray",
                            id="feedback-queue",
                        ),
                    ),
                    rx.cond(
                        PracticeState.feedback_notice != "",
                        rx.text(
                            PracticeState.feedback_notice,
                            size="1",
                            color_scheme="gray",
                            id="feedback-notice",
                        ),
                    ),
                    rx.cond(
                        PracticeState.feedback_id > 0,
                        rx.hstack(
                            rx.text("Membantu?", size="1", color_scheme="gray"),
                            rx.button(
                                rx.icon("thumbs-up", size=14),
                                size="1",
                                id="feedback-up",
                                variant=either(
                                    PracticeState.feedback_rating == "up", "solid", "soft"
                                ),
                                on_click=PracticeState.rate_feedback(True),
                            ),
                            rx.button(
                                rx.icon("thumbs-down", size=14),
                                size="1",
                                id="feedback-down",
                                variant=either(
                                    PracticeState.feedback_rating == "down", "solid", "soft"
                                ),
                                on_click=PracticeState.rate_feedback(False),
                            ),
                            align="center",
                            margin_top="0.3em",
                        ),
                    ),
                    id="answer-feedback",
                ),
            ),
            rx.text(PracticeState.score_change, weight="medium"),
            rx.text(
                "Rentang perkiraan skor: ",
                PracticeState.predicted_range,
                " (perkiraan Nexus, bukan konversi resmi)",
                size="2",
                color_scheme="gray",
            ),
            spacing="2",
            id="answer-result",
        ),
        width="100%",
    )


def _lit_letter() -> rx.Var[str]:
    """The letter lit up: the browser's pick while answering, the submitted one after."""
    pick = PICK.value.to(str)
    prefix = PracticeState.pick_prefix.to(str)
    on_this_question = either(pick.startswith(prefix), pick.replace(prefix, ""), "")
    return either(PracticeState.phase == "question", on_this_question, PracticeState.selected)


def _pick(letter: rx.Var[str]) -> rx.Var[Any]:
    """A click on an option: stored in the page only (PICK), for the question on screen."""
    return PICK.set_value(PracticeState.pick_prefix.to(str) + letter.to(str))


def _question() -> rx.Component:
    return rx.vstack(
        _resumed(),
        _status_bar(),
        rx.card(
            rx.text(
                PracticeState.question_text, white_space="pre-wrap", size="4", id="question-text"
            ),
            width="100%",
        ),
        answer_choices(
            PracticeState.options,
            phase=PracticeState.phase,
            selected=_lit_letter(),
            correct_answer=PracticeState.correct_answer,
            is_correct=PracticeState.is_correct,
            choose=_pick,
            id_prefix="choice-",
        ),
        _error(),
        rx.cond(
            PracticeState.phase == "question",
            rx.hstack(
                rx.button(
                    "Kirim jawaban",
                    id="submit-answer",
                    on_click=PracticeState.submit_pick(PICK.value),
                    size="3",
                    color_scheme=BRAND_COLOR,
                ),
                rx.text(
                    "Tekan A–E untuk memilih, Enter untuk mengirim.", size="1", color_scheme="gray"
                ),
                align="center",
            ),
        ),
        rx.cond(PracticeState.phase == "result", _result()),
        rx.hstack(
            rx.cond(
                PracticeState.phase == "result",
                rx.button(
                    either(PracticeState.tryout_finished, "Lihat hasil tryout", "Soal berikutnya"),
                    id="next-question",
                    on_click=PracticeState.next_question,
                    size="3",
                    color_scheme=BRAND_COLOR,
                ),
            ),
            rx.button(
                "Akhiri sesi",
                id="end-session",
                on_click=PracticeState.end_session,
                variant="soft",
                color_scheme="gray",
                size="3",
            ),
            spacing="3",
        ),
        spacing="4",
        width="100%",
        max_width="820px",
    )


def _finished() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Sesi selesai", size="5"),
            rx.text(
                "Perkiraan skor: ",
                rx.text.strong(PracticeState.score),
                " (rentang ",
                PracticeState.predicted_range,
                ")",
                id="final-score",
            ),
            rx.text(
                "Skor ini perkiraan Nexus dari jawabanmu, bukan konversi resmi UTBK.",
                size="1",
                color_scheme="gray",
            ),
            rx.button(
                "Lihat rincian sesi",
                id="end-session",
                on_click=PracticeState.end_session,
                color_scheme=BRAND_COLOR,
            ),
            spacing="3",
        ),
        max_width="560px",
    )


def _content() -> rx.Component:
    return rx.vstack(
        PICK,
        rx.window_event_listener(on_key_down=PracticeState.on_key),
        rx.heading("Latihan UTBK", size="7"),
        rx.match(
            PracticeState.phase,
            ("choose", _chooser()),
            ("finished", _finished()),
            _question(),
        ),
        spacing="4",
        width="100%",
        on_unmount=PracticeState.leave,
    )


def practice_page() -> rx.Component:
    return app_shell(_content)()
