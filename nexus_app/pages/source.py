"""/sumber: the book page (PDF) or section (Markdown, text) a tutor citation points at, with
the cited passage marked. Book text is shown as text, never as markup."""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.object import ObjectVar

from nexus_app.components.shell import app_shell
from nexus_app.state.source import ROLES as STATE_ROLES
from nexus_app.state.source import ROUTE as STATE_ROUTE
from nexus_app.state.source import SegmentRow, SourceState

ROUTE = STATE_ROUTE
ROLES = list(STATE_ROLES)


def _segment(seg: ObjectVar[SegmentRow]) -> rx.Component:
    return rx.cond(
        seg.marked,
        rx.el.mark(
            seg.text,
            class_name="source-highlight",
            style={"background_color": rx.color("amber", 5), "border_radius": "3px"},
        ),
        rx.text.span(seg.text),
    )


def _nav(nav_id: str) -> rx.Component:
    s = SourceState
    return rx.hstack(
        rx.cond(
            s.prev_link != "",
            rx.link(rx.button("‹ Sebelumnya", variant="soft", size="3"), href=s.prev_link),
            rx.button("‹ Sebelumnya", variant="soft", size="3", disabled=True),
        ),
        rx.cond(
            s.next_link != "",
            rx.link(rx.button("Berikutnya ›", variant="soft", size="3"), href=s.next_link),
            rx.button("Berikutnya ›", variant="soft", size="3", disabled=True),
        ),
        justify="between",
        width="100%",
        id=nav_id,
    )


def _view() -> rx.Component:
    s = SourceState
    return rx.vstack(
        rx.text(s.subject, " · paket v", s.version, size="2", color_scheme="gray"),
        rx.heading(s.title, size="6", id="source-title"),
        rx.hstack(
            rx.badge(s.where, size="2", id="source-where"),
            rx.text(s.heading, size="2", color_scheme="gray", id="source-heading"),
            wrap="wrap",
            align="center",
        ),
        rx.cond(
            s.notice != "",
            rx.callout(s.notice, icon="info", size="1", color_scheme="gray", id="source-notice"),
        ),
        rx.cond(
            s.cited_link != "",
            rx.callout(
                rx.text(
                    "Kutipan tutor ada di tempat lain. ",
                    rx.link("Kembali ke kutipan", href=s.cited_link, id="source-cited"),
                ),
                icon="bookmark",
                size="1",
            ),
        ),
        _nav("source-nav-top"),
        rx.card(
            rx.text(
                rx.foreach(s.segments, _segment),
                size="3",
                white_space="pre-wrap",
                overflow_wrap="anywhere",
                line_height="1.7",
            ),
            width="100%",
            id="source-text",
        ),
        rx.cond(
            s.image_link != "",
            rx.card(
                rx.text("Halaman aslinya:", size="2", color_scheme="gray"),
                rx.image(
                    src=s.image_link,
                    alt="Gambar halaman buku",
                    width="100%",
                    height="auto",
                    loading="lazy",
                    id="source-image",
                ),
                width="100%",
            ),
        ),
        _nav("source-nav-bottom"),
        spacing="3",
        width="100%",
    )


def _content() -> rx.Component:
    s = SourceState
    return rx.vstack(
        rx.cond(
            ~s.loaded,
            rx.center(rx.spinner(size="3"), padding="3em", width="100%"),
            rx.cond(
                s.error != "",
                rx.vstack(
                    rx.callout(
                        s.error,
                        icon="book-x",
                        color_scheme="amber",
                        id="source-error",
                        width="100%",
                    ),
                    rx.cond(
                        s.current_link != "",
                        rx.link(
                            "Buka versi terbaru buku ini", href=s.current_link, id="source-current"
                        ),
                    ),
                    rx.link("Kembali ke Tutor AI", href="/chat"),
                    width="100%",
                ),
                _view(),
            ),
        ),
        spacing="4",
        width="100%",
        max_width="820px",
        margin="0 auto",
    )


def source_page() -> rx.Component:
    return app_shell(_content)()
