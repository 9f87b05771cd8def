"""/admin/errors: Log error."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from nexus_app.components.admin import admin_page, either, error_callout, success_callout
from nexus_app.components.shell import SELECT_STYLE
from nexus_app.components.tables import pager
from nexus_app.state.admin.errors import (
    RETENTION_DAYS,
    SEVERITY_OPTIONS,
    AdminErrorsState,
    ErrorRow,
)
from nexus_app.state.admin.sections import SECTION

HEADERS = ["Waktu", "Tingkat", "Jenis", "Pesan", "Pengguna", "Endpoint"]


def _filters() -> rx.Component:
    s = AdminErrorsState
    return rx.flex(
        rx.el.select(
            *[rx.el.option(label, value=value) for value, label in SEVERITY_OPTIONS],
            value=s.severity,
            on_change=s.set_severity,
            id="error-severity",
            style=SELECT_STYLE,
        ),
        rx.el.select(
            rx.el.option("Semua jenis", value=""),
            rx.foreach(s.types, lambda t: rx.el.option(t, value=t)),
            value=s.error_type,
            on_change=s.set_error_type,
            id="error-type",
            style=SELECT_STYLE,
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    name="search",
                    value=s.search,
                    on_change=s.set_search,
                    placeholder="Cari pesan, jenis, endpoint…",
                    id="error-search",
                    width="16em",
                ),
                rx.button("Cari", type="submit", variant="soft", id="error-search-submit"),
                spacing="2",
            ),
            on_submit=s.apply_search,
            reset_on_submit=False,
        ),
        rx.hstack(
            rx.text("Dari", size="2"),
            rx.input(
                type="date", value=s.date_from, on_change=s.set_date_from, id="error-date-from"
            ),
            rx.text("sampai", size="2"),
            rx.input(type="date", value=s.date_to, on_change=s.set_date_to, id="error-date-to"),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        rx.button(
            "Hapus filter", variant="ghost", on_click=s.clear_filters, id="error-clear-filters"
        ),
        wrap="wrap",
        spacing="3",
        align="center",
    )


def _row(r: ObjectVar[ErrorRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.when, white_space="nowrap"),
        rx.table.cell(rx.badge(r.severity, color_scheme=r.color)),
        rx.table.cell(rx.code(r.type)),
        rx.table.cell(r.summary),
        rx.table.cell(r.user),
        rx.table.cell(r.endpoint),
        on_click=AdminErrorsState.open_detail(r.id),
        id=f"error-row-{r.id}",
        class_name="error-row",
        cursor="pointer",
        _hover={"background": "var(--gray-3)"},
    )


def _table() -> rx.Component:
    s = AdminErrorsState
    return rx.cond(
        s.rows.length() > 0,
        rx.vstack(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in HEADERS])),
                rx.table.body(rx.foreach(s.rows, _row)),
                variant="surface",
                size="1",
                width="100%",
                id="error-table",
            ),
            pager(s, "error"),
            width="100%",
            spacing="3",
        ),
        rx.text(
            "Tidak ada log error yang cocok dengan filter.",
            color_scheme="gray",
            size="2",
            id="error-empty",
        ),
    )


def _field(label: str, value: rx.Var[str] | str) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray", min_width="6em"),
        rx.text(value, size="2"),
        spacing="2",
    )


def _detail() -> rx.Component:
    s = AdminErrorsState
    d = s.detail
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.hstack(rx.code(d.type), rx.badge(d.severity, color_scheme=d.color))),
            rx.vstack(
                _field("Waktu", d.when),
                _field("Pengguna", d.user),
                _field("Endpoint", d.endpoint),
                _field("Metode", d.method),
                _field("Lingkungan", d.environment),
                rx.text("Pesan", weight="medium", size="2"),
                rx.el.pre(
                    d.message,
                    white_space="pre-wrap",
                    font_size="0.85em",
                    id="error-detail-message",
                ),
                rx.text("Jejak tumpukan (stack trace)", weight="medium", size="2"),
                rx.el.pre(
                    d.stack,
                    font_size="0.75em",
                    max_height="50vh",
                    overflow="auto",
                    width="100%",
                    padding="0.75em",
                    background="var(--gray-3)",
                    border_radius="6px",
                    id="error-detail-stack",
                ),
                rx.hstack(
                    rx.spacer(),
                    rx.button(
                        "Tutup", variant="soft", on_click=s.close_detail, id="error-detail-close"
                    ),
                    width="100%",
                ),
                spacing="2",
                width="100%",
            ),
            max_width="900px",
            id="error-detail",
        ),
        open=s.detail_open,
        on_open_change=s.set_detail_open,
    )


def _purge() -> rx.Component:
    s = AdminErrorsState
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(f"Hapus log error lebih dari {RETENTION_DAYS} hari?"),
            rx.alert_dialog.description(
                either(
                    s.purge_count > 0,
                    s.purge_count.to_string()
                    + f" log error yang dicatat lebih dari {RETENTION_DAYS} hari lalu akan "
                    "dihapus permanen. Log yang lebih baru tidak berubah.",
                    f"Tidak ada log error yang lebih lama dari {RETENTION_DAYS} hari.",
                ),
                id="purge-description",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button("Batal", variant="soft", color_scheme="gray", id="purge-cancel")
                ),
                rx.alert_dialog.action(
                    rx.button(
                        "Hapus",
                        color_scheme="red",
                        disabled=s.purge_count == 0,
                        on_click=s.confirm_purge,
                        id="purge-confirm",
                    )
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
        open=s.purge_open,
        on_open_change=s.set_purge_open,
    )


def _content() -> rx.Component:
    s = AdminErrorsState
    return rx.vstack(
        rx.text(
            "Error yang tidak terduga dari aksi di halaman dan dari tugas terjadwal dicatat "
            "otomatis. Klik sebuah baris untuk melihat jejak tumpukan lengkapnya.",
            color_scheme="gray",
            size="2",
        ),
        _filters(),
        error_callout(s.error, "error-log-error"),
        success_callout(s.notice, "error-log-notice"),
        rx.hstack(
            rx.text(s.total, " log cocok", size="2", id="error-total"),
            rx.spacer(),
            rx.button(
                f"Hapus log lebih dari {RETENTION_DAYS} hari",
                variant="soft",
                color_scheme="red",
                on_click=s.ask_purge,
                id="error-purge",
            ),
            width="100%",
            align="center",
        ),
        _table(),
        _detail(),
        _purge(),
        spacing="4",
        width="100%",
    )


def admin_errors_page() -> rx.Component:
    return admin_page(SECTION["errors"], _content)()
