"""Reflex configuration: everything comes from the environment (see nexus_app.config)."""

import os

import reflex as rx

from nexus_app.config import get_settings

# `nexus serve --backend-only` runs Reflex with --backend-only, which refuses a frontend port.
_BACKEND_ONLY = os.environ.get("NEXUS_BACKEND_ONLY") == "1"
_REDIS_URL = os.environ.get("REDIS_URL") or None

config = rx.Config(
    app_name="nexus_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=None if _BACKEND_ONLY else int(os.environ.get("NEXUS_PORT", "3000")),
    backend_port=int(os.environ.get("NEXUS_PORT", "3000")),
    # With REDIS_URL set, several backend workers share state through Redis. Without it the
    # one worker keeps tabs' state in memory: Reflex's default disk manager re-lists and stats
    # every saved state file every 2 s (12% of the worker's CPU with 100 students practising,
    # docs/benchmarks.md), and Nexus needs no tab state across a restart (the practice is in the
    # database and a tab identifies itself again on reconnect).
    redis_url=_REDIS_URL,
    state_manager_mode="redis" if _REDIS_URL else "memory",
    # Reflex warns when an event held a tab's Redis lock over 1 s, through its Rich console
    # handler. Under overload every queued event does, and rendering those lines took 6% of a
    # worker's CPU at 500 students (docs/benchmarks.md): warn for a really stuck handler only
    # (under Reflex's 10 s lock expiry, which must stay larger; docs/operations.md says why
    # the expiry stays at its default).
    redis_lock_warning_threshold=5000,
    # Cross-site HTTP callers (CORS): none unless NEXUS_ALLOWED_ORIGINS lists them. The
    # websocket's origin check is nexus_app/http/origins.py (same host, or these).
    cors_allowed_origins=get_settings().allowed_origin_list,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="large")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
