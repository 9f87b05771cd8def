"""/admin/users: the card that creates one account."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.admin import error_callout, success_callout
from nexus_app.components.shell import SELECT_STYLE
from nexus_app.pages.admin.users._common import (
    INPUT_WIDTH,
    S,
    field,
    grade_options,
    role_options,
    shown_once,
)


def _student_fields() -> rx.Component:
    return rx.cond(
        S.new_role == "siswa",
        rx.grid(
            field(
                "Kelas",
                rx.input(
                    name="class_name", placeholder="XII IPA 1", id="new-class", width=INPUT_WIDTH
                ),
            ),
            field(
                "Tingkat",
                rx.el.select(
                    *grade_options(),
                    name="grade",
                    default_value="12",
                    id="new-grade",
                    style=SELECT_STYLE,
                ),
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
    )


def _teacher_fields() -> rx.Component:
    return rx.cond(
        S.new_role == "guru",
        field(
            "Kelas yang diajar (boleh kosong; pisahkan dengan ;)",
            rx.input(
                name="classes",
                placeholder="XII IPA 1; XII IPA 2",
                id="new-classes",
                width=INPUT_WIDTH,
            ),
        ),
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field(
                "Peran",
                rx.el.select(
                    *role_options(),
                    value=S.new_role,
                    on_change=S.set_new_role,
                    id="new-role",
                    name="role",  # submitted too; the handler reads the state's copy
                    style=SELECT_STYLE,
                ),
            ),
            field(
                "Nama pengguna",
                rx.input(
                    name="username",
                    placeholder="misalnya siswa31",
                    auto_complete="off",
                    id="new-username",
                    width=INPUT_WIDTH,
                ),
            ),
            field(
                "Nama lengkap",
                rx.input(name="full_name", id="new-full-name", width=INPUT_WIDTH),
            ),
            _student_fields(),
            _teacher_fields(),
            field(
                "Email (boleh kosong)",
                rx.input(name="email", type="email", id="new-email", width=INPUT_WIDTH),
            ),
            field(
                "Kata sandi awal (kosongkan agar dibuat otomatis)",
                rx.input(
                    name="password",
                    type="password",
                    auto_complete="new-password",
                    id="new-password",
                    width=INPUT_WIDTH,
                ),
            ),
            rx.button(rx.icon("user-plus", size=16), "Buat akun", type="submit", id="new-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.create_user,
        key=S.form_key,
        width="100%",
    )


def create_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Tambah pengguna", size="4"),
            _form(),
            error_callout(S.create_error, "new-error"),
            success_callout(S.create_message, "new-message"),
            rx.cond(
                S.created_password != "",
                shown_once(S.created_password, "new-password-result", S.dismiss_created),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
