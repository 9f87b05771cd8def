"""`/`: sends each role to its own start page."""

from __future__ import annotations

import reflex as rx

ROUTE = "/"


def home() -> rx.Component:
    return rx.center(rx.spinner(size="3"), min_height="100vh", id="home-redirect")
