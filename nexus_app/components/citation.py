"""A tutor citation's link to its page in the book (/sumber), opened in a new tab so the
chat (and an answer still streaming) stays where it was; on a phone the tab is one tap back."""

from __future__ import annotations

import reflex as rx


def citation_link(link: rx.Var[str], number: rx.Var[str]) -> rx.Component:
    """ "Buka di buku" for one source; nothing for old answers saved without a link."""
    return rx.cond(
        link != "",
        rx.link(
            rx.hstack(
                rx.icon("book-open", size=14), rx.text("Buka di buku", size="2"), spacing="1"
            ),
            href=link,
            is_external=True,
            id="citation-" + number.to(str),
            class_name="citation-link",
            # A finger-sized target on a phone.
            padding_y="0.35em",
            display="inline-flex",
        ),
    )
