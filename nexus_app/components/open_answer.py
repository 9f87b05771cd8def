"""An open question, self-marked: one block for school-subject practice and assigned tasks.

The student writes her answer (on /practice/subject, in a box whose text is never stored),
opens the model answer ("Lihat jawaban model"), then says whether hers was right
("Jawabanku benar" / "Jawabanku salah"). The state side is
state/self_marked.py:SelfMarkedQuestion. Each page passes its state's vars and handlers and
the prefix of the elements' ids (`school-reveal`, `task-reveal`, ...), which the browser
tests use.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.event import EventCallback

from nexus_app.components.shell import BRAND_COLOR


def _draft_box(
    draft: rx.Var[str], set_draft: EventCallback[str], *, phase: rx.Var[str], id_prefix: str
) -> rx.Component:
    return rx.text_area(
        placeholder="Tulis jawabanmu di sini (tidak disimpan), lalu bandingkan.",
        value=draft,
        on_change=set_draft,
        id=f"{id_prefix}draft",
        width="100%",
        disabled=phase == "result",
    )


def open_answer(
    *,
    phase: rx.Var[str],
    revealed: rx.Var[bool],
    model_answer: rx.Var[str],
    reveal: EventCallback[()],
    mark: EventCallback[bool],
    id_prefix: str,
    draft: rx.Var[str] | None = None,
    set_draft: EventCallback[str] | None = None,
) -> rx.Component:
    """The model answer once revealed, and while the question is open either the reveal
    button or the two self-marking buttons. With `draft` and `set_draft`, a box to write
    one's answer in first (ids: `{id_prefix}draft`, `model-answer`, `reveal`, `mark-right`,
    `mark-wrong`)."""
    parts: list[rx.Component] = []
    if draft is not None and set_draft is not None:
        parts.append(_draft_box(draft, set_draft, phase=phase, id_prefix=id_prefix))
    parts.append(
        rx.cond(
            revealed,
            rx.callout(
                rx.text(rx.text.strong("Jawaban model: "), model_answer),
                icon="book-open",
                color_scheme="blue",
                id=f"{id_prefix}model-answer",
                width="100%",
            ),
        )
    )
    parts.append(
        rx.cond(
            phase == "question",
            rx.cond(
                revealed,
                rx.hstack(
                    rx.text("Apakah jawabanmu benar?", size="2"),
                    rx.button(
                        "Jawabanku benar",
                        id=f"{id_prefix}mark-right",
                        on_click=mark(True),
                        color_scheme="green",
                    ),
                    rx.button(
                        "Jawabanku salah",
                        id=f"{id_prefix}mark-wrong",
                        on_click=mark(False),
                        color_scheme="red",
                        variant="soft",
                    ),
                    align="center",
                    wrap="wrap",
                ),
                rx.button(
                    "Lihat jawaban model",
                    id=f"{id_prefix}reveal",
                    on_click=reveal,
                    color_scheme=BRAND_COLOR,
                ),
            ),
        )
    )
    return rx.vstack(*parts, spacing="3", width="100%")
