"""Shared table builders: report-style tables, and stacked cards for phones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from nexus_app.components.shell import CARDS_ONLY
from nexus_app.state.admin.base import Paged


def simple_table(
    headers: list[str],
    rows: rx.Var,
    keys: list[str],
    table_id: str | None = None,
    *,
    row_class: str | None = None,
    variant: str = "surface",
) -> rx.Component:
    """A table of plain text cells: one column per key of each row dict."""
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(
            rx.foreach(
                rows,
                lambda r: rx.table.row(*[rx.table.cell(r[k]) for k in keys], class_name=row_class),
            )
        ),
        variant=variant,
        size="1",
        width="100%",
        id=table_id,
    )


def phone_cards(rows: rx.Var, render: Callable[[Any], rx.Component], cards_id: str) -> rx.Component:
    """The same rows as stacked cards, shown on phones only: a table's key columns (an
    answer, its key, a "Rincian" link) would otherwise sit off-screen. Pair it with a
    table given `display=TABLE_ONLY`."""
    return rx.flex(
        rx.foreach(rows, render),
        direction="column",
        gap="0.5em",
        width="100%",
        display=CARDS_ONLY,
        id=cards_id,
    )


def card_field(label: str, value: rx.Var | str) -> rx.Component:
    """ "Label value" on a card: the label grey, the value strong."""
    return rx.text(rx.text.span(label, " ", color_scheme="gray"), rx.text.strong(value), size="2")


def pager(state: type[Paged], prefix: str, label: rx.Var | None = None) -> rx.Component:
    """‹ Sebelumnya · "Halaman 2 dari 5" · Berikutnya › under a paged list (state/admin/base.py:
    Paged). Ids: `<prefix>-prev`, `<prefix>-page` (the label), `<prefix>-next`."""
    return rx.hstack(
        rx.button(
            rx.icon("chevron-left", size=16),
            "Sebelumnya",
            variant="soft",
            disabled=~state.has_previous,
            on_click=state.prev_page,
            id=f"{prefix}-prev",
        ),
        rx.text(state.page_text if label is None else label, size="2", id=f"{prefix}-page"),
        rx.button(
            "Berikutnya",
            rx.icon("chevron-right", size=16),
            variant="soft",
            disabled=~state.has_next,
            on_click=state.next_page,
            id=f"{prefix}-next",
        ),
        spacing="3",
        align="center",
        justify="center",
        width="100%",
    )
