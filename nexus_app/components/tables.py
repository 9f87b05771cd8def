"""Shared table builder for the report-style tables of teachers and admins."""

from __future__ import annotations

import reflex as rx


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
