"""Shared table builders: report-style tables, and stacked cards for phones."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from nexus_app.components.shell import CARDS_ONLY


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


def phone_cards(
    rows: rx.Var, render: Callable[[rx.Var], rx.Component], cards_id: str
) -> rx.Component:
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
