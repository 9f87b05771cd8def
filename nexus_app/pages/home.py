"/ : the student's home (Beranda)."

from __future__ import annotations

import reflex as rx

from nexus_app.components.shell import app_shell
from nexus_app.state.auth import AuthState

ROUTE = "/"
ROLES = ["siswa"]


def _content() -> rx.Component:
    return rx.vstack(
        rx.heading("Halo, ", AuthState.full_name, "!", size="7", id="home-greeting"),
        rx.text(
            "Selamat datang di Nexus, ruang belajar sekolahmu untuk persiapan UTBK-SNBT.",
            color_scheme="gray",
        ),
        rx.cond(
            AuthState.class_name != "",
            rx.badge("Kelas ", AuthState.class_name, size="2"),
        ),
        spacing="3",
    )


def home() -> rx.Component:
    return app_shell(_content)()
