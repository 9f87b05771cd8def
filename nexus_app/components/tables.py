"""Shared table builders: report-style tables, and stacked cards for phones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import reflex as rx
from reflex.vars import ArrayVar

from nexus_app.components.shell import CARDS_ONLY
from nexus_app.state.admin.base import Paged


def simple_table(
    headers: list[str],
    rows: rx.Var[Any],
    keys: list[str],
    table_id: str | None = None,
    *,
    row_class: str | None = None,
    variant: Literal["surface", "ghost"] = "surface",
) -> rx.Component:
    """A table of plain text cells: one column per key (a field of each row)."""
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


def report_table(
    columns: Sequence[tuple[str, str]],
    rows: ArrayVar[Any],
    table_id: str,
    *,
    row_class: str | None = None,
    empty: str = "",
) -> rx.Component:
    """A report's table: `columns` are (header, field) pairs; while there are no rows the
    table is left out and the grey `empty` text (if any) stands in its place."""
    table = simple_table(
        [header for header, _ in columns],
        rows,
        [field for _, field in columns],
        table_id,
        row_class=row_class,
    )
    if not empty:
        return rx.cond(rows.length() > 0, table)
    return rx.cond(rows.length() > 0, table, rx.text(empty, size="2", color_scheme="gray"))


def phone_cards(
    rows: rx.Var[Any], render: Callable[[Any], rx.Component], cards_id: str
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


def card_field(label: str, value: rx.Var[Any] | str) -> rx.Component:
    """ "Label value" on a card: the label grey, the value strong."""
    return rx.text(rx.text.span(label, " ", color_scheme="gray"), rx.text.strong(value), size="2")


def pager(state: type[Paged], prefix: str, label: rx.Var[str] | None = None) -> rx.Component:
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
