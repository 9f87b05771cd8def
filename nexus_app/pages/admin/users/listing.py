"""/admin/users: the filters and the paged table of accounts."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.shell import SELECT_STYLE
from nexus_app.pages.admin.users._common import S, role_options, status_badge
from nexus_app.state.admin.users import UserListRow


def filters() -> rx.Component:
    return rx.flex(
        rx.form(
            rx.hstack(
                rx.input(
                    name="search",
                    placeholder="Cari nama pengguna, nama lengkap atau kelas…",
                    default_value=S.search,
                    id="users-search",
                    width="340px",
                ),
                rx.button(
                    rx.icon("search", size=16), "Cari", type="submit", id="users-search-submit"
                ),
                spacing="2",
            ),
            on_submit=S.apply_search,
            # A new key remounts the (uncontrolled) search box, so "Hapus filter" empties it.
            key=S.search_form_key,
        ),
        rx.el.select(
            rx.el.option("Semua peran", value=""),
            *role_options(),
            value=S.role_filter,
            on_change=S.set_role_filter,
            id="users-role-filter",
            style=SELECT_STYLE,
        ),
        rx.el.select(
            rx.el.option("Aktif & nonaktif", value="all"),
            rx.el.option("Hanya aktif", value="active"),
            rx.el.option("Hanya nonaktif", value="inactive"),
            value=S.status_filter,
            on_change=S.set_status_filter,
            id="users-status-filter",
            style=SELECT_STYLE,
        ),
        rx.button(
            "Hapus filter",
            variant="soft",
            color_scheme="gray",
            on_click=S.clear_search,
            id="users-clear-filters",
        ),
        rx.spacer(),
        rx.badge(S.total_text, size="3", id="users-total"),
        wrap="wrap",
        spacing="3",
        align="center",
        width="100%",
    )


def _user_row(row: UserListRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.username, weight="medium")),
        rx.table.cell(row.full_name),
        rx.table.cell(row.role_label),
        rx.table.cell(row.class_cell, id="user-classes-" + row.username),
        rx.table.cell(row.grade),
        rx.table.cell(status_badge(row.active, row.status)),
        rx.table.cell(row.last_login),
        rx.table.cell(
            rx.button(
                "Kelola",
                size="1",
                variant="soft",
                on_click=S.open_user(row.id),
                id="user-manage-" + row.username,
            )
        ),
        id="user-row-" + row.username,
        class_name="user-row",
    )


def table() -> rx.Component:
    headers = [
        "Nama pengguna",
        "Nama lengkap",
        "Peran",
        "Kelas",
        "Tingkat",
        "Status",
        "Masuk terakhir",
        "",
    ]
    return rx.cond(
        S.total > 0,
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(S.rows, _user_row)),
            variant="surface",
            size="1",
            width="100%",
            id="users-table",
        ),
        rx.callout(
            "Tidak ada pengguna yang cocok dengan pencarian ini.",
            icon="info",
            color_scheme="gray",
            id="users-empty",
        ),
    )
