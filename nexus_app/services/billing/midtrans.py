"""Midtrans notifications: signature, status mapping, the status API check, grant and revoke."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.models import PaymentSubscription, utcnow
from nexus_app.models.billing import TIERS
from nexus_app.repositories import billing as billing_repo
from nexus_app.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
)

from .tiers import _terms, effective_tier
from .views import (
    ALLOWED_TRANSITIONS,
    MAX_FIELD_CHARS,
    InvalidSignature,
    Notification,
    NotificationResult,
    PaymentsNotConfigured,
    StatusCheckUnavailable,
    jakarta_date,
    log,
)

# --- Midtrans notifications --------------------------------------------------------------


def midtrans_signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """Midtrans's signature_key: hex SHA-512 of order_id + status_code + gross_amount +
    server key, over the strings exactly as sent (gross_amount keeps its ".00")."""
    payload = f"{order_id}{status_code}{gross_amount}{server_key}".encode()
    return hashlib.sha512(payload).hexdigest()


def verify_signature(
    *, order_id: str, status_code: str, gross_amount: str, signature_key: str, server_key: str
) -> bool:
    if not server_key:
        return False
    expected = midtrans_signature(order_id, status_code, gross_amount, server_key)
    # Constant-time comparison: timing must not reveal how much of a forgery was right.
    return hmac.compare_digest(expected.encode(), (signature_key or "").strip().lower().encode())


def map_transaction_status(transaction_status: str, fraud_status: str | None) -> str | None:
    """Midtrans's transaction_status (and fraud_status for card captures) as a Nexus
    payment status; None for statuses Nexus does not act on (e.g. authorize)."""
    status = (transaction_status or "").strip().lower()
    fraud = (fraud_status or "").strip().lower()
    if status == "capture":
        # A card capture counts only once fraud screening accepted it; "challenge" waits
        # for the merchant's review, "deny" is a refusal.
        if fraud == "accept":
            return "success"
        if fraud == "deny":
            return "failed"
        return "pending"
    return {
        "settlement": "success",
        "pending": "pending",
        "deny": "failed",
        "cancel": "failed",
        "failure": "failed",
        "expire": "expired",
        "refund": "refunded",
        "partial_refund": "refunded",
        "chargeback": "refunded",
        "partial_chargeback": "refunded",
    }.get(status)


# The signature covers order_id + status_code + gross_amount, not transaction_status or
# fraud_status: a signed "201 pending" notification with its status edited to "settlement"
# still verifies. A paid status is believed only together with the signed status code.
PAID_STATUS_CODE = "200"
STATUS_MISMATCH_MESSAGE = (
    "Status transaksi '{status}' tidak cocok dengan status_code {code} yang ditandatangani; "
    "notifikasi ditolak."
)


def notification_status(
    status_code: str, transaction_status: str, fraud_status: str | None
) -> str | None:
    """The Nexus payment status a notification may set, or None to ignore it.

    A payment is success only when the signed status_code is 200 and the unsigned fields
    agree with it (a settlement under fraud review or refused by it is not paid).
    """
    mapped = map_transaction_status(transaction_status, fraud_status)
    if mapped != "success":
        return mapped
    status = (transaction_status or "").strip().lower()
    fraud = (fraud_status or "").strip().lower()
    if (status_code or "").strip() != PAID_STATUS_CODE or (
        status == "settlement" and fraud not in ("", "accept")
    ):
        raise InvalidInput(
            STATUS_MISMATCH_MESSAGE.format(status=transaction_status, code=status_code)
        )
    return mapped


NOT_CONFIGURED_MESSAGE = (
    "Pembayaran Midtrans belum dikonfigurasi di server ini (NEXUS_MIDTRANS_SERVER_KEY belum diisi)."
)


def _configured_key() -> str:
    key = get_settings().midtrans_server_key
    return key.get_secret_value().strip() if key is not None else ""


def payments_configured() -> bool:
    return bool(_configured_key())


def _server_key() -> str:
    value = _configured_key()
    if not value:
        raise PaymentsNotConfigured(NOT_CONFIGURED_MESSAGE)
    return value


def parse_notification(payload: object) -> Notification:
    """The fields Nexus needs, as strings; anything malformed is InvalidInput."""
    if not isinstance(payload, Mapping):
        raise InvalidInput("Isi notifikasi harus berupa objek JSON.")

    def text(name: str, *, required: bool) -> str | None:
        value = payload.get(name)
        if value is None or value == "":
            if required:
                raise InvalidInput(f"Kolom '{name}' wajib ada di notifikasi.")
            return None
        if not isinstance(value, str):
            raise InvalidInput(f"Kolom '{name}' harus berupa teks.")
        if len(value) > MAX_FIELD_CHARS:
            raise InvalidInput(f"Kolom '{name}' terlalu panjang.")
        return value

    required = {
        name: text(name, required=True) or ""
        for name in (
            "order_id",
            "status_code",
            "gross_amount",
            "signature_key",
            "transaction_status",
        )
    }
    return Notification(
        **required,
        fraud_status=text("fraud_status", required=False),
        transaction_id=text("transaction_id", required=False),
        payment_type=text("payment_type", required=False),
    )


STATUS_API_TIMEOUT_SECONDS = 10
STATUS_API_MAX_BYTES = 64 * 1024


def _status_api_answer(order_id: str, server_key: str) -> Mapping[str, object]:
    """GET <api>/v2/<order_id>/status with the server key (Basic auth), as JSON."""
    base = get_settings().midtrans_api_url.rstrip("/")
    url = f"{base}/v2/{urllib.parse.quote(order_id, safe='')}/status"
    auth = base64.b64encode(f"{server_key}:".encode()).decode()
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "Authorization": f"Basic {auth}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=STATUS_API_TIMEOUT_SECONDS) as response:
            body = response.read(STATUS_API_MAX_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise StatusCheckUnavailable(
            f"API status Midtrans tidak bisa dihubungi ({exc}); notifikasi akan dicoba lagi."
        ) from exc
    try:
        if len(body) > STATUS_API_MAX_BYTES:
            raise ValueError("answer too large")
        answer = json.loads(body)
        if not isinstance(answer, Mapping):
            raise ValueError("not an object")
    except ValueError as exc:
        raise StatusCheckUnavailable(
            "Jawaban API status Midtrans tidak terbaca; notifikasi akan dicoba lagi."
        ) from exc
    return answer


def confirm_with_status_api(note: Notification, server_key: str) -> Notification:
    """The order's status as Midtrans's status API tells it (Midtrans's advice for
    notifications), replacing what the notification claimed."""
    answer = _status_api_answer(note.order_id, server_key)
    if str(answer.get("order_id") or "") != note.order_id:
        raise StatusCheckUnavailable(
            f"API status Midtrans tidak mengenal pesanan {note.order_id} "
            f"(status_code {answer.get('status_code')}); notifikasi akan dicoba lagi."
        )
    confirmed = parse_notification(
        {
            key: answer.get(key)
            for key in (
                "order_id",
                "status_code",
                "gross_amount",
                "transaction_status",
                "fraud_status",
                "transaction_id",
                "payment_type",
            )
        }
        # The status API's answer came over TLS from Midtrans with our key: no signature
        # to check (it may carry one, but it is not needed to trust it).
        | {"signature_key": "status-api"}
    )
    log.info(
        "midtrans status api for %s: %s (notification said %s)",
        note.order_id,
        confirmed.transaction_status,
        note.transaction_status,
    )
    return confirmed


def _amount(gross_amount: str) -> Decimal:
    try:
        value = Decimal(gross_amount)
    except InvalidOperation as exc:
        raise InvalidInput("gross_amount bukan angka.") from exc
    if not value.is_finite():
        raise InvalidInput("gross_amount bukan angka.")
    return value


def _grant(session: Session, payment: PaymentSubscription, now: datetime) -> None:
    """Give the user the paid days: extended from the current end while a paid tier is
    still running, else from now. The higher tier of the two applies to the whole period."""
    assert payment.id is not None
    user = billing_repo.get_user_for_update(session=session, user_id=payment.user_id)
    if user is None:
        raise NotFound("Pengguna pemilik pesanan tidak ditemukan.")
    days = payment.plan_duration_days or _terms(session, payment.subscription_tier).duration_days
    current = effective_tier(user, now)
    if current != "free" and user.subscription_end_date is not None:
        begin = user.subscription_end_date
        start = user.subscription_start_date or now
        tier = max(current, payment.subscription_tier, key=TIERS.index)
    else:
        begin, start, tier = now, now, payment.subscription_tier
    end = begin + timedelta(days=days or 0)
    billing_repo.set_user_subscription(
        session=session, user_id=payment.user_id, tier=tier, start=start, end=end, active=True
    )
    billing_repo.set_payment_period(
        session=session, payment_id=payment.id, start=jakarta_date(begin), end=jakarta_date(end)
    )


def _revoke(session: Session, payment: PaymentSubscription, now: datetime) -> None:
    """A refunded order takes its days back; with nothing left the user is free again."""
    user = billing_repo.get_user_for_update(session=session, user_id=payment.user_id)
    if user is None or user.subscription_end_date is None:
        return
    end = user.subscription_end_date - timedelta(days=payment.plan_duration_days or 0)
    active = effective_tier(user, now) != "free" and end > now
    billing_repo.set_user_subscription(
        session=session,
        user_id=payment.user_id,
        tier=user.subscription_tier if active else "free",
        start=user.subscription_start_date,
        end=end,
        active=active,
    )


def handle_midtrans_notification(
    payload: object, *, now: datetime | None = None
) -> NotificationResult:
    """Verify and apply one Midtrans HTTP notification. A transition happens once: a
    repeated notification, or one that arrives out of order, changes nothing.

    With NEXUS_MIDTRANS_STATUS_API on, the status applied is the one Midtrans's status API
    reports for the order (StatusCheckUnavailable when it cannot be asked); off (offline
    servers), the signed notification decides, and a paid status needs status_code 200.
    """
    server_key = _server_key()
    note = parse_notification(payload)
    if not verify_signature(
        order_id=note.order_id,
        status_code=note.status_code,
        gross_amount=note.gross_amount,
        signature_key=note.signature_key,
        server_key=server_key,
    ):
        raise InvalidSignature("Tanda tangan notifikasi tidak valid.")
    if get_settings().midtrans_status_api:
        # Asked before the transaction: no row is locked while the network answers.
        note = confirm_with_status_api(note, server_key)
    amount = _amount(note.gross_amount)
    new_status = notification_status(note.status_code, note.transaction_status, note.fraud_status)
    now = now or utcnow()
    with unit_of_work() as session:
        payment = billing_repo.get_payment_by_order_id(
            session=session, order_id=note.order_id, for_update=True
        )
        if payment is None or payment.id is None:
            raise NotFound(f"Pesanan {note.order_id} tidak ditemukan.")
        if amount != payment.price_idr:
            raise Conflict(
                f"Jumlah pembayaran {note.gross_amount} tidak sama dengan harga pesanan "
                f"{note.order_id} ({payment.price_idr})."
            )
        current = payment.payment_status or "pending"
        if new_status is None:
            log.info("midtrans status %r ignored for %s", note.transaction_status, note.order_id)
            return NotificationResult(note.order_id, current, False, "status diabaikan")
        if new_status == current or new_status not in ALLOWED_TRANSITIONS[current]:
            return NotificationResult(note.order_id, current, False, "tidak ada perubahan")
        moved = billing_repo.transition_payment(
            session=session,
            payment_id=payment.id,
            from_status=payment.payment_status,
            to_status=new_status,
            midtrans_status=note.transaction_status,
            transaction_id=note.transaction_id,
            payment_type=note.payment_type,
            paid_at=now if new_status == "success" else None,
        )
        if not moved:  # a concurrent copy of this notification got there first
            return NotificationResult(note.order_id, current, False, "tidak ada perubahan")
        if new_status == "success":
            _grant(session, payment, now)
        elif new_status == "refunded":
            _revoke(session, payment, now)
        return NotificationResult(note.order_id, new_status, True, f"{current} -> {new_status}")
