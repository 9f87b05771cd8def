"""GET /api/admin/backups/download: a backup file behind a short-lived signed link.

The admin page makes the link (after its own role check); the browser then downloads with a
plain GET, which carries no session token, so the signature is what authorises it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from nexus_app.services import backup_admin
from nexus_app.services.errors import ServiceError


async def download_backup(request: Request) -> Response:
    params = request.query_params
    try:
        path = backup_admin.resolve_download(
            name=params.get("name", ""),
            expires=params.get("expires", ""),
            sig=params.get("sig", ""),
        )
    except ServiceError as exc:
        return PlainTextResponse(exc.message, status_code=404)
    return FileResponse(path, filename=path.name, media_type="application/octet-stream")


ROUTES: list[Route] = [
    Route(backup_admin.DOWNLOAD_ROUTE, download_backup, methods=["GET"]),
]
