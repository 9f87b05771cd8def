"""Plain HTTP endpoints served beside the Reflex app (same port, under /api/), and the
middleware in front of everything the server answers (Reflex's own routes included)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from nexus_app.http import backups, payments, source_pages
from nexus_app.http.security_headers import SecurityHeaders
from nexus_app.http.upload_guard import UploadGuard


def build_api() -> Starlette:
    """The Starlette app Reflex mounts itself into (rx.App(api_transformer=...)): its
    middleware wraps Reflex's routes too, the built frontend and `POST /_upload` included."""
    routes: list[Route] = [*payments.ROUTES, *backups.ROUTES, *source_pages.ROUTES]
    return Starlette(
        routes=routes,
        # Outermost first: every answer gets the headers, 401/413 from the guard too.
        middleware=[Middleware(SecurityHeaders), Middleware(UploadGuard)],
    )
