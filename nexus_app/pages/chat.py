"""/chat: the AI tutor that answers from the school's books, with its sources."""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.object import ObjectVar

from nexus_app.components.citation import citation_link
from nexus_app.components.shell import BRAND_COLOR, SELECT_STYLE, app_shell
from nexus_app.components.values import either
from nexus_app.state.chat import ChatState, SourceRow

ROUTE = "/chat"
ROLES = ["siswa"]


def _source(s: ObjectVar[SourceRow]) -> rx.Component:
    return rx.card(
        rx.text(
            rx.badge("[", s.n, "]"),
            " ",
            rx.text.strong(s.book),
            ", ",
            s.where,
            " · paket v",
            s.version,
            either(s.heading != "", " · " + s.heading.to(str), ""),
            size="2",
        ),
        rx.text(s.text, size="2", color_scheme="gray", white_space="pre-wrap"),
        citation_link(s.link, s.n),
        width="100%",
        class_name="chat-source",
    )


def _answer() -> rx.Component:
    s = ChatState
    return rx.cond(
        s.asked != "",
        rx.card(
            rx.vstack(
                rx.text(rx.text.strong("Kamu: "), s.asked, size="2"),
                # A follow-up is searched as a standalone question: say which one.
                rx.cond(
                    s.searched != "",
                    rx.text(
                        "Dicari: ",
                        s.searched,
                        size="1",
                        color_scheme="gray",
                        id="chat-searched-question",
                    ),
                ),
                rx.cond(
                    s.queue_position > 0,
                    rx.callout(
                        "Menunggu giliran model… posisi antrean "
                        + s.queue_position.to_string()
                        + either(s.queue_wait != "", ", " + s.queue_wait, "").to(str),
                        icon="hourglass",
                        size="1",
                        id="chat-queue",
                    ),
                ),
                rx.box(
                    rx.cond(
                        (s.answer == "") & s.streaming,
                        rx.hstack(rx.spinner(size="2"), rx.text("Mencari di buku…", size="2")),
                        rx.text(s.answer, white_space="pre-wrap", overflow_wrap="anywhere"),
                    ),
                    id="chat-answer",
                    width="100%",
                ),
                rx.cond(
                    s.notice != "",
                    rx.callout(
                        s.notice, icon="info", size="1", color_scheme="amber", id="chat-notice"
                    ),
                ),
                rx.cond(
                    s.confidence != "",
                    rx.text("Kecocokan dengan buku: ", s.confidence, size="1", color_scheme="gray"),
                ),
                rx.cond(
                    (s.practice_link != "") & ~s.streaming,
                    rx.callout(
                        rx.text(
                            "Ada soal latihan tentang ",
                            rx.text.strong(s.practice_topic),
                            ". ",
                            rx.link("Latihan topik ini", href=s.practice_link),
                        ),
                        icon="pencil",
                        size="1",
                        color_scheme="teal",
                        id="chat-practice",
                    ),
                ),
                rx.cond(
                    s.streaming,
                    rx.button(
                        "Berhenti", size="1", variant="soft", on_click=s.stop, id="chat-stop"
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
    )


def _content() -> rx.Component:
    s = ChatState
    return rx.vstack(
        rx.heading("Tutor AI", size="7"),
        rx.text(
            "Tutor menjawab hanya dari buku pelajaran sekolahmu dan selalu menunjukkan "
            "sumbernya. Jika buku tidak membahasnya, tutor akan bilang terus terang.",
            color_scheme="gray",
            size="2",
        ),
        rx.cond(
            s.model_notice != "",
            rx.callout(
                s.model_notice, icon="cpu", size="1", color_scheme="amber", id="chat-model-notice"
            ),
        ),
        rx.cond(
            s.subjects.length() == 0,
            rx.callout(
                "Belum ada buku yang diunggah. Minta admin mengunggah buku pelajaran.",
                icon="book-x",
                id="chat-no-books",
            ),
            rx.el.select(
                rx.foreach(s.subjects, lambda x: rx.el.option(x.label, value=x.code)),
                value=s.subject,
                on_change=s.set_subject,
                id="chat-subject",
                style=SELECT_STYLE,
            ),
        ),
        rx.text_area(
            value=s.question,
            on_change=s.set_question,
            id="chat-input",
            placeholder="Tulis pertanyaanmu, misalnya: Apa itu barisan aritmetika?",
            max_length=s.max_chars,
            rows="3",
            width="100%",
        ),
        rx.hstack(
            rx.button(
                "Tanya",
                id="chat-send",
                on_click=s.send,
                loading=s.streaming,
                color_scheme=BRAND_COLOR,
                size="3",
            ),
            rx.text(
                s.question.length(), " / ", s.max_chars, " karakter", size="1", color_scheme="gray"
            ),
            align="center",
        ),
        rx.cond(
            s.error != "",
            rx.callout(
                s.error, icon="triangle-alert", color_scheme="red", id="chat-error", width="100%"
            ),
        ),
        _answer(),
        rx.cond(
            s.sources.length() > 0,
            rx.vstack(
                rx.heading("Sumber", size="4"),
                rx.foreach(s.sources, _source),
                id="chat-sources",
                width="100%",
            ),
        ),
        rx.heading("Riwayat pertanyaan", size="4"),
        rx.cond(
            s.history.length() > 0,
            rx.vstack(
                rx.foreach(
                    s.history,
                    lambda h: rx.card(
                        rx.text(h.when, " · ", h.subject, size="1", color_scheme="gray"),
                        rx.text(rx.text.strong(h.question), size="2"),
                        rx.text(
                            h.answer, size="2", white_space="pre-wrap", overflow_wrap="anywhere"
                        ),
                        rx.cond(
                            h.sources != "",
                            rx.text(
                                "Sumber: ",
                                h.sources,
                                size="1",
                                color_scheme="gray",
                                class_name="chat-history-sources",
                            ),
                        ),
                        width="100%",
                    ),
                ),
                width="100%",
                id="chat-history",
            ),
            rx.text("Belum ada pertanyaan.", size="2", color_scheme="gray"),
        ),
        spacing="4",
        width="100%",
        max_width="900px",
        on_unmount=s.leave,
    )


def chat_page() -> rx.Component:
    return app_shell(_content)()
