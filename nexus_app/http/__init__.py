"""Plain HTTP endpoints served beside the Reflex app (same port, under /api/)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from nexus_app.http import backups, payments


def build_api() -> Starlette:
    routes: list[Route] = [*payments.ROUTES, *backups.ROUTES]
    return Starlette(routes=routes)
