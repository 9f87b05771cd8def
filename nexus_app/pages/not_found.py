"""The 404 page."""

from __future__ import annotations

import reflex as rx

ROUTE = "404"


def not_found() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("404", size="9", color_scheme="indigo"),
            rx.text("Halaman yang Anda cari tidak ditemukan.", size="4", id="not-found"),
            rx.link("Kembali ke beranda", href="/"),
            align="center",
            spacing="3",
        ),
        min_height="100vh",
    )
