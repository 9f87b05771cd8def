"""HTTP endpoints for payments: Midtrans's HTTP(S) notification.

Midtrans POSTs a JSON body for every status change of an order and retries until it gets
a 2xx, so every answer is JSON with an honest status: 200 when the notification was
applied or was already applied (repeats are harmless), 4xx when it can never be applied,
503 when this server has no server key or (NEXUS_MIDTRANS_STATUS_API=on) Midtrans's
status API cannot be reached, 500 (logged in error_logs) for anything else.
"""

from __future__ import annotations

import json
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from nexus_app.services import billing, error_log
from nexus_app.services.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger(__name__)

NOTIFICATION_PATH = "/api/payments/midtrans/notification"
# A real notification is about 1 KB; anything far larger is not from Midtrans.
MAX_BODY_BYTES = 16 * 1024


class _BodyTooLarge(Exception):
    pass


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": "error", "error": message}, status_code=status)


async def _read_body(request: Request) -> bytes:
    """The body, refusing early (by Content-Length) or while streaming past the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise _BodyTooLarge
    return bytes(body)


async def midtrans_notification(request: Request) -> JSONResponse:
    if not billing.payments_configured():
        return _error(503, billing.NOT_CONFIGURED_MESSAGE)
    try:
        body = await _read_body(request)
    except _BodyTooLarge:
        return _error(413, f"Isi notifikasi terlalu besar (maksimal {MAX_BODY_BYTES} byte).")
    except ClientDisconnect:
        return _error(400, "Koneksi terputus sebelum isi notifikasi diterima.")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error(400, "Isi notifikasi bukan JSON yang valid.")
    try:
        result = await run_in_threadpool(billing.handle_midtrans_notification, payload)
    except billing.PaymentsNotConfigured as exc:
        return _error(503, exc.message)
    except billing.StatusCheckUnavailable as exc:
        # Signed, but Midtrans's status API did not answer: Midtrans retries on a 5xx.
        await run_in_threadpool(error_log.capture, exc, endpoint=NOTIFICATION_PATH)
        return _error(503, exc.message)
    except billing.InvalidSignature as exc:
        # Not written to error_logs: anyone can post forgeries and fill the table.
        log.warning("forged Midtrans notification refused from %s", request.client)
        return _error(403, exc.message)
    except NotFound as exc:
        return _error(404, exc.message)
    except Conflict as exc:
        # Correctly signed yet the wrong amount: someone with the key, or a changed order.
        await run_in_threadpool(
            error_log.capture, exc, endpoint=NOTIFICATION_PATH, severity="critical"
        )
        return _error(409, exc.message)
    except InvalidInput as exc:
        return _error(400, exc.message)
    except Exception as exc:
        await run_in_threadpool(error_log.capture, exc, endpoint=NOTIFICATION_PATH)
        return _error(500, "Terjadi kesalahan di server. Kejadian ini sudah dicatat.")
    return JSONResponse(
        {
            "status": "ok",
            "order_id": result.order_id,
            "payment_status": result.payment_status,
            "changed": result.changed,
            "detail": result.detail,
        }
    )


ROUTES: list[Route] = [Route(NOTIFICATION_PATH, midtrans_notification, methods=["POST"])]
