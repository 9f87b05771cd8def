"""Reflex configuration: everything comes from the environment (see nexus_app.config)."""

import os

import reflex as rx

config = rx.Config(
    app_name="nexus_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=int(os.environ.get("NEXUS_PORT", "3000")),
    backend_port=int(os.environ.get("NEXUS_PORT", "3000")),
    # With REDIS_URL set, several backend workers share state through Redis.
    redis_url=os.environ.get("REDIS_URL") or None,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="large")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
