"""/admin/users, the Kelola panel: role, profile and a guru's classes."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.shell import SELECT_STYLE
from nexus_app.pages.admin.users._common import (
    INPUT_WIDTH,
    SELECTED,
    S,
    field,
    grade_options,
    role_options,
)


def panel_role() -> rx.Component:
    return rx.hstack(
        rx.text("Peran", weight="medium", width="7em"),
        rx.el.select(
            *role_options(),
            value=S.panel_role,
            on_change=S.set_panel_role,
            id="panel-role",
            style=SELECT_STYLE,
        ),
        rx.button(
            "Simpan peran",
            on_click=S.save_role,
            disabled=SELECTED.is_self,
            id="panel-role-save",
        ),
        align="center",
        spacing="3",
    )


def _profile_student_fields() -> rx.Component:
    return rx.cond(
        SELECTED.role == "siswa",
        rx.grid(
            field(
                "Kelas",
                rx.input(
                    name="class_name",
                    default_value=SELECTED.class_raw,
                    id="panel-class",
                    width=INPUT_WIDTH,
                ),
            ),
            field(
                "Tingkat",
                rx.el.select(
                    *grade_options(),
                    name="grade",
                    default_value=SELECTED.grade_raw,
                    id="panel-grade",
                    style=SELECT_STYLE,
                ),
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
    )


def panel_profile() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                field(
                    "Nama lengkap",
                    rx.input(
                        name="full_name",
                        default_value=SELECTED.full_name_raw,
                        id="panel-full-name",
                        width=INPUT_WIDTH,
                    ),
                ),
                field(
                    "Email (boleh kosong)",
                    rx.input(
                        name="email",
                        type="email",
                        default_value=SELECTED.email_raw,
                        id="panel-email",
                        width=INPUT_WIDTH,
                    ),
                ),
                columns="2",
                spacing="3",
                width="100%",
            ),
            _profile_student_fields(),
            rx.text(
                "Memindahkan siswa ke kelas lain tidak menghapus riwayat latihannya.",
                size="1",
                color_scheme="gray",
            ),
            rx.button("Simpan data", type="submit", id="panel-profile-save"),
            spacing="2",
            width="100%",
        ),
        on_submit=S.save_profile,
        # A new key remounts the uncontrolled inputs with the account's current values.
        key=S.profile_key,
        width="100%",
    )


def _class_chips() -> rx.Component:
    return rx.cond(
        S.panel_classes.length() > 0,
        rx.flex(
            rx.foreach(
                S.panel_classes,
                lambda c: rx.badge(
                    c,
                    rx.icon_button(
                        rx.icon("x", size=12),
                        size="1",
                        variant="ghost",
                        on_click=S.remove_class(c),
                        aria_label="Hapus kelas " + c,
                        class_name="panel-class-remove",
                    ),
                    size="2",
                    class_name="panel-class",
                ),
            ),
            wrap="wrap",
            spacing="2",
            id="panel-classes",
        ),
        rx.text(
            "Belum ada kelas: guru ini melihat halaman Kelas kosong.",
            size="2",
            color_scheme="gray",
            id="panel-classes-empty",
        ),
    )


def panel_classes() -> rx.Component:
    return rx.vstack(
        rx.text("Kelas yang diajar", weight="medium"),
        _class_chips(),
        rx.form(
            rx.hstack(
                rx.el.input(
                    name="class_name",
                    list="panel-class-options",
                    placeholder="Pilih atau ketik kelas, mis. XII IPA 1",
                    auto_complete="off",
                    id="panel-class-add",
                    style={**SELECT_STYLE, "width": "280px"},
                ),
                rx.el.datalist(
                    rx.foreach(S.class_options, lambda c: rx.el.option(value=c)),
                    id="panel-class-options",
                ),
                rx.button(
                    rx.icon("plus", size=16), "Tambah kelas", type="submit", id="panel-class-submit"
                ),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            on_submit=S.add_class,
            key=S.class_form_key,
        ),
        rx.text(
            "Pilihan berisi kelas yang sudah punya siswa; kelas baru boleh diketik.",
            size="1",
            color_scheme="gray",
        ),
        spacing="2",
        width="100%",
        id="panel-classes-section",
    )
