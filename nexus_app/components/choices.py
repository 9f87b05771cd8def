"""The answer options of a multiple-choice question: one list for both practice pages.

UTBK practice (/practice) and school-subject practice (/practice/subject) show the same
buttons: the letter as a badge, the option's text, and after the answer the key in green
(a check) and a wrong pick in red (a cross). Each page passes its own state's vars and the
prefix of the buttons' ids (`choice-A`, `school-choice-A`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx
from reflex_base.event import EventCallback
from reflex_base.vars.object import ObjectVar

from nexus_app.components.shell import BRAND_COLOR
from nexus_app.components.values import either
from nexus_app.state.practice import Choice


def answer_choice(
    option: ObjectVar[Choice],
    *,
    phase: rx.Var[str],
    selected: rx.Var[str],
    correct_answer: rx.Var[str],
    is_correct: rx.Var[bool],
    choose: EventCallback[str] | Callable[[rx.Var[str]], Any],
    id_prefix: str,
) -> rx.Component:
    """One option as a button; chosen: soft indigo; once answered: the key green, a wrong
    pick red, and no more clicks."""
    letter = option.letter.to(str)
    answered = phase == "result"
    is_key = answered & (correct_answer == letter)
    is_wrong_pick = answered & (selected == letter) & ~is_correct
    return rx.button(
        rx.hstack(
            rx.badge(letter, size="2", variant="solid"),
            rx.text(option.text, text_align="left", white_space="normal"),
            rx.cond(is_key, rx.icon("circle-check", size=18)),
            rx.cond(is_wrong_pick, rx.icon("circle-x", size=18)),
            align="center",
            spacing="3",
            width="100%",
        ),
        id=id_prefix + letter,
        on_click=choose(letter),
        variant=either(is_key | is_wrong_pick | (selected == letter), "soft", "outline"),
        color_scheme=either(
            is_key,
            "green",
            either(is_wrong_pick, "red", either(selected == letter, BRAND_COLOR, "gray")),
        ),
        width="100%",
        height="auto",
        padding="0.8em",
        justify_content="flex-start",
        cursor=either(answered, "default", "pointer"),
        pointer_events=either(answered, "none", "auto"),
    )


def answer_choices(
    options: rx.Var[Sequence[Choice]],
    *,
    phase: rx.Var[str],
    selected: rx.Var[str],
    correct_answer: rx.Var[str],
    is_correct: rx.Var[bool],
    choose: EventCallback[str] | Callable[[rx.Var[str]], Any],
    id_prefix: str,
) -> rx.Component:
    """Every option of the question on screen, one under another."""
    return rx.vstack(
        rx.foreach(
            options,
            lambda option: answer_choice(
                option,
                phase=phase,
                selected=selected,
                correct_answer=correct_answer,
                is_correct=is_correct,
                choose=choose,
                id_prefix=id_prefix,
            ),
        ),
        width="100%",
        spacing="2",
    )
