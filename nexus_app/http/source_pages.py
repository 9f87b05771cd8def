"""GET /api/sumber/halaman: the picture of a cited PDF page, behind a short-lived signed link.

The source viewer makes the link after its own access check; the browser's <img> request
carries no session token, so the signature is what authorises it (as for backup downloads).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from nexus_app.services.books import source_view
from nexus_app.services.errors import ServiceError


async def page_image(request: Request) -> Response:
    params = dict(request.query_params)
    try:
        # Rendering takes a fraction of a second of CPU: off the event loop.
        path = await run_in_threadpool(source_view.page_image, params=params)
    except ServiceError as exc:
        return PlainTextResponse(exc.message, status_code=404)
    return FileResponse(
        path,
        media_type="image/png",
        headers={"Cache-Control": f"private, max-age={source_view.IMAGE_SECONDS}"},
    )


ROUTES: list[Route] = [
    Route(source_view.IMAGE_ROUTE, page_image, methods=["GET"]),
]
