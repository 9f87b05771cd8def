"""Helpers the cards and panels of /admin/users share: the state alias, the selected
account, field and option builders, the status badge and the shown-once password box."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar
from reflex_base.event import EventCallback

from nexus_app.state.admin.users import AdminUsersState, UserListRow

S = AdminUsersState
# The panel's account. Typed by hand: mypy reads `rx.Field` of a dataclass as an array here;
# `.to` only names the type (the same JavaScript as `S.selected`).
SELECTED = S.selected.to(ObjectVar, UserListRow)
ROLE_OPTIONS = [("siswa", "Siswa"), ("guru", "Guru"), ("admin", "Admin")]
INPUT_WIDTH = "100%"


def role_options() -> list[rx.Component]:
    return [rx.el.option(label, value=value) for value, label in ROLE_OPTIONS]


def status_badge(active: rx.Var[bool] | bool, status: rx.Var[str] | str) -> rx.Component:
    return rx.cond(
        active,
        rx.badge(status, color_scheme="green"),
        rx.badge(status, color_scheme="red"),
    )


def shown_once(password: rx.Var[str], box_id: str, on_dismiss: EventCallback[()]) -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text("Kata sandi baru (hanya ditampilkan sekali, catat sekarang):"),
            rx.code(password, size="4", id=box_id),
            rx.button(
                "Sudah dicatat, sembunyikan",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=on_dismiss,
                id=box_id + "-dismiss",
            ),
            spacing="2",
        ),
        icon="key-round",
        color_scheme="amber",
    )


def grade_options() -> list[rx.Component]:
    return [rx.el.option(str(grade), value=str(grade)) for grade in (10, 11, 12)]


def field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1", width="100%")
