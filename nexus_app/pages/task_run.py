"""/tugas?id=N: a student does an assigned task, one question at a time."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ArrayVar

from nexus_app.components.open_answer import open_answer
from nexus_app.components.shell import BRAND_COLOR, app_shell
from nexus_app.components.values import either
from nexus_app.state.student_tasks import RUN_ROUTE
from nexus_app.state.student_tasks import TaskRunState as S

ROUTE = RUN_ROUTE
ROLES = ["siswa"]


def _choice(option: ArrayVar[list[str]]) -> rx.Component:
    letter = option[0]
    answered = S.phase == "result"
    is_key = answered & (S.correct_answer == letter)
    is_wrong_pick = answered & (S.selected == letter) & ~S.is_correct
    return rx.button(
        rx.hstack(
            rx.badge(letter, size="2", variant="solid"),
            rx.text(option[1], text_align="left", white_space="normal"),
            align="center",
            spacing="3",
            width="100%",
        ),
        id="task-choice-" + letter.to(str),
        on_click=S.choose(letter),
        variant=either(is_key | is_wrong_pick | (S.selected == letter), "soft", "outline"),
        color_scheme=either(
            is_key,
            "green",
            either(is_wrong_pick, "red", either(S.selected == letter, BRAND_COLOR, "gray")),
        ),
        width="100%",
        height="auto",
        padding_y="0.6em",
        disabled=answered,
    )


def _open_answer() -> rx.Component:
    return open_answer(
        phase=S.phase,
        revealed=S.revealed,
        model_answer=S.model_answer,
        reveal=S.reveal,
        mark=S.mark,
        id_prefix="task-",
    )


def _question() -> rx.Component:
    return rx.vstack(
        rx.text(S.text, id="task-question", size="4", white_space="pre-wrap"),
        rx.cond(
            S.is_multiple_choice,
            rx.vstack(
                rx.foreach(S.options, _choice),
                rx.cond(
                    S.phase == "question",
                    rx.button(
                        "Kirim jawaban",
                        id="task-submit",
                        on_click=S.submit,
                        disabled=S.selected == "",
                        color_scheme=BRAND_COLOR,
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            _open_answer(),
        ),
        rx.cond(S.phase == "result", _result()),
        spacing="3",
        width="100%",
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
            id="task-verdict",
            width="100%",
        ),
        rx.cond(S.explanation != "", rx.text(S.explanation, size="2", color_scheme="gray")),
        rx.button(
            either(S.answered >= S.total, "Selesai", "Soal berikutnya"),
            id="task-next",
            on_click=S.next_item,
            color_scheme=BRAND_COLOR,
        ),
        spacing="3",
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.heading("Tugas", size="7"),
        rx.cond(
            S.title != "",
            rx.vstack(
                rx.heading(S.title, size="4", id="task-title"),
                rx.text(S.target, " · batas ", S.due, size="2", color_scheme="gray"),
                rx.text(
                    S.answered,
                    " dari ",
                    S.total,
                    " soal dijawab",
                    id="task-progress",
                    size="2",
                    weight="medium",
                ),
                spacing="1",
            ),
        ),
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="triangle-alert", color_scheme="red", id="task-error"),
        ),
        rx.match(
            S.phase,
            (
                "done",
                rx.callout(
                    rx.text(
                        "Tugas selesai: ",
                        S.correct,
                        " dari ",
                        S.total,
                        " benar. Hasilnya sudah terkirim ke gurumu.",
                    ),
                    icon="circle-check",
                    color_scheme="green",
                    id="task-done",
                    width="100%",
                ),
            ),
            ("empty", rx.fragment()),
            _question(),
        ),
        rx.link("Kembali ke dasbor", href="/dashboard", size="2", id="task-back"),
        spacing="4",
        width="100%",
        max_width="720px",
    )


def task_run_page() -> rx.Component:
    return app_shell(_content)()
