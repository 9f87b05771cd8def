"""Subscriptions: tiers and their daily limits, payment orders, and Midtrans notifications.

Days are counted in Asia/Jakarta time (WIB, UTC+7; Indonesia has no daylight saving, so a
fixed offset is exact): a student's quota starts again at 00:00 WIB. Only students (siswa)
are limited; teachers and admins never are. A NULL limit means unlimited and 0 means the
tier does not include the feature. docs/subscriptions.md has the rules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.models import PaymentSubscription, SubscriptionTier, User, utcnow
from nexus_app.models.billing import PAID_TIERS, PAYMENT_STATUSES, TIERS
from nexus_app.repositories import billing as billing_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceError,
)

log = logging.getLogger(__name__)

JAKARTA = timezone(timedelta(hours=7), "WIB")
MAX_DAILY_LIMIT = 100_000
MAX_PRICE_IDR = 100_000_000
MAX_DURATION_DAYS = 3_650
MAX_FIELD_CHARS = 255
PAYMENT_LIST_LIMIT = 200

TIER_LABELS = {"free": "Gratis", "premium": "Premium", "premium_plus": "Premium Plus"}
STATUS_LABELS = {
    "pending": "Menunggu pembayaran",
    "success": "Berhasil",
    "failed": "Gagal",
    "expired": "Kedaluwarsa",
    "refunded": "Dikembalikan",
}

# What each limit counts, in the words a student reads.
LIMIT_KINDS = {
    "practice": "soal latihan",
    "feedback": "umpan balik AI",
    "tutor": "pertanyaan ke Tutor AI",
}

# From which stored status a notification may move an order. A success is only ever
# undone by a refund (a late "pending" or "expire" cannot downgrade it); money that
# arrives after a failure or an expiry (a retry in the same Snap order, a late bank
# transfer) is still honoured.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"success", "failed", "expired"}),
    "failed": frozenset({"success", "expired"}),
    "expired": frozenset({"success"}),
    "success": frozenset({"refunded"}),
    "refunded": frozenset(),
}


class DailyLimitReached(ServiceError):
    """The student's tier allows no more of this today."""


class PaymentsNotConfigured(ServiceError):
    """No Midtrans server key: notifications cannot be verified."""


class InvalidSignature(PermissionDenied):
    """A notification whose signature_key does not match: forged or for another key."""


class StatusCheckUnavailable(ServiceError):
    """NEXUS_MIDTRANS_STATUS_API is on but Midtrans's status API could not be asked; the
    notification is refused for now (Midtrans retries it later)."""


@dataclass(frozen=True)
class TierView:
    tier: str
    display_name: str
    practice_questions_per_day: int | None
    ai_feedback_per_day: int | None
    tutor_questions_per_day: int | None
    price_idr: int | None
    duration_days: int | None

    def limit_for(self, kind: str) -> int | None:
        return {
            "practice": self.practice_questions_per_day,
            "feedback": self.ai_feedback_per_day,
            "tutor": self.tutor_questions_per_day,
        }[kind]


# The terms migration 0004 seeds; they also apply when a tier row is missing.
DEFAULT_TIERS: dict[str, TierView] = {
    "free": TierView("free", "Gratis", 40, 10, 20, None, None),
    "premium": TierView("premium", "Premium", 200, 50, 100, 49_000, 30),
    "premium_plus": TierView("premium_plus", "Premium Plus", None, None, None, 99_000, 30),
}


@dataclass(frozen=True)
class PaymentView:
    id: int
    order_id: str
    transaction_id: str
    user_id: int
    username: str
    full_name: str
    tier: str
    price_idr: int
    duration_days: int | None
    status: str
    midtrans_status: str
    payment_type: str
    start_date: date | None
    end_date: date | None
    created_at: datetime
    paid_at: datetime | None


@dataclass(frozen=True)
class UsageView:
    kind: str
    label: str
    used: int
    limit: int | None


@dataclass(frozen=True)
class UserSubscriptionView:
    user_id: int
    username: str
    full_name: str
    role: str
    stored_tier: str
    effective_tier: str
    is_active: bool
    start: datetime | None
    end: datetime | None
    usage: list[UsageView] = field(default_factory=list)
    payments: list[PaymentView] = field(default_factory=list)


@dataclass(frozen=True)
class SubscriptionOverview:
    active_by_tier: dict[str, int]
    payments_by_status: dict[str, int]
    revenue_this_month_idr: int
    expired_now: int


@dataclass(frozen=True)
class Notification:
    order_id: str
    status_code: str
    gross_amount: str
    signature_key: str
    transaction_status: str
    fraud_status: str | None
    transaction_id: str | None
    payment_type: str | None


@dataclass(frozen=True)
class NotificationResult:
    order_id: str
    payment_status: str
    changed: bool
    detail: str


# --- time ------------------------------------------------------------------------------


def jakarta_day_start(now: datetime | None = None) -> datetime:
    """The UTC instant at which the current Jakarta day began (00:00 WIB)."""
    local = (now or utcnow()).astimezone(JAKARTA)
    return datetime.combine(local.date(), time(0), tzinfo=JAKARTA).astimezone(UTC)


def jakarta_month_start(now: datetime | None = None) -> datetime:
    local = (now or utcnow()).astimezone(JAKARTA)
    return datetime.combine(local.date().replace(day=1), time(0), tzinfo=JAKARTA).astimezone(UTC)


def jakarta_date(moment: datetime) -> date:
    return moment.astimezone(JAKARTA).date()


def format_idr(amount: int | None) -> str:
    if amount is None:
        return "-"
    return "Rp " + f"{amount:,}".replace(",", ".")


# --- tiers -----------------------------------------------------------------------------


def _view(row: SubscriptionTier) -> TierView:
    return TierView(
        tier=row.tier,
        display_name=row.display_name,
        practice_questions_per_day=row.practice_questions_per_day,
        ai_feedback_per_day=row.ai_feedback_per_day,
        tutor_questions_per_day=row.tutor_questions_per_day,
        price_idr=row.price_idr,
        duration_days=row.duration_days,
    )


def _terms(session: Session, tier: str) -> TierView:
    row = billing_repo.get_tier(session=session, tier=tier)
    return _view(row) if row is not None else DEFAULT_TIERS[tier]


def _all_terms(session: Session) -> list[TierView]:
    stored = {row.tier: _view(row) for row in billing_repo.list_tiers(session=session)}
    return [stored.get(tier, DEFAULT_TIERS[tier]) for tier in TIERS]


def list_tiers(*, actor: CurrentUser) -> list[TierView]:
    require_admin(actor)
    with unit_of_work() as session:
        return _all_terms(session)


def _parse_int(
    value: str | int | None, label: str, *, minimum: int, maximum: int, required: bool
) -> int | None:
    """An optional whole number from a form field ("" or None means empty)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{label} wajib diisi.")
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{label} harus berupa bilangan bulat.")
    if isinstance(value, str):
        text = value.strip().replace(".", "").replace(" ", "")
        if not text.isdigit():
            raise InvalidInput(f"{label} harus berupa bilangan bulat tanpa tanda minus.")
        value = int(text)
    if not minimum <= value <= maximum:
        raise InvalidInput(f"{label} harus antara {minimum} dan {maximum:,}.".replace(",", "."))
    return value


def update_tier(
    *,
    actor: CurrentUser,
    tier: str,
    display_name: str,
    practice_questions_per_day: str | int | None,
    ai_feedback_per_day: str | int | None,
    tutor_questions_per_day: str | int | None,
    price_idr: str | int | None = None,
    duration_days: str | int | None = None,
) -> TierView:
    """Save a tier's limits (empty = unlimited, 0 = not included) and, for paid tiers,
    price and duration. Orders already created keep the price they were created with."""
    require_admin(actor)
    if tier not in TIERS:
        raise InvalidInput("Paket langganan tidak dikenal.")
    name = (display_name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("Nama paket wajib diisi (paling banyak 100 karakter).")
    limits = [
        _parse_int(value, label, minimum=0, maximum=MAX_DAILY_LIMIT, required=False)
        for value, label in (
            (practice_questions_per_day, "Batas soal latihan per hari"),
            (ai_feedback_per_day, "Batas umpan balik AI per hari"),
            (tutor_questions_per_day, "Batas pertanyaan Tutor AI per hari"),
        )
    ]
    paid = tier in PAID_TIERS
    if not paid and any(v is not None and str(v).strip() for v in (price_idr, duration_days)):
        raise InvalidInput("Paket Gratis tidak memiliki harga atau durasi.")
    price = _parse_int(price_idr, "Harga (Rp)", minimum=1, maximum=MAX_PRICE_IDR, required=paid)
    days = _parse_int(
        duration_days, "Durasi (hari)", minimum=1, maximum=MAX_DURATION_DAYS, required=paid
    )
    with unit_of_work() as session:
        row = billing_repo.save_tier(
            session=session,
            tier=tier,
            display_name=name,
            practice_questions_per_day=limits[0],
            ai_feedback_per_day=limits[1],
            tutor_questions_per_day=limits[2],
            price_idr=price,
            duration_days=days,
        )
        return _view(row)


# --- a user's effective tier and the daily limits ---------------------------------------


def effective_tier(user: User, now: datetime | None = None) -> str:
    """The tier that applies now: a paid tier only while active and before its end."""
    now = now or utcnow()
    if (
        user.subscription_tier in PAID_TIERS
        and user.is_subscription_active
        and user.subscription_end_date is not None
        and user.subscription_end_date > now
    ):
        return user.subscription_tier
    return "free"


def _sync_lapsed(session: Session, user: User, now: datetime) -> None:
    """Write the fall-back to free once the paid period is over (keeps the columns true)."""
    if (
        user.id is not None
        and user.subscription_tier != "free"
        and effective_tier(user, now) == "free"
    ):
        billing_repo.set_user_subscription(
            session=session,
            user_id=user.id,
            tier="free",
            start=user.subscription_start_date,
            end=user.subscription_end_date,
            active=False,
        )


def _used_today(session: Session, user_id: int, kind: str, since: datetime) -> int:
    if kind == "practice":
        return billing_repo.count_practice_since(session=session, user_id=user_id, since=since)
    if kind == "feedback":
        return billing_repo.count_feedback_since(session=session, user_id=user_id, since=since)
    return billing_repo.count_tutor_questions_since(session=session, user_id=user_id, since=since)


def _limit_message(terms: TierView, kind: str, limit: int) -> str:
    label = LIMIT_KINDS[kind]
    if limit == 0:
        return (
            f"Paket {terms.display_name} tidak mencakup {label}. "
            "Minta admin sekolah untuk meningkatkan paket langgananmu."
        )
    return (
        f"Kuota {label} paket {terms.display_name} ({limit} per hari) sudah habis untuk hari "
        "ini. Kuota baru tersedia besok pukul 00.00 WIB, atau tingkatkan paket langgananmu."
    )


def enforce_daily_limit(
    session: Session, *, actor: CurrentUser, kind: str, now: datetime | None = None
) -> None:
    """Raise DailyLimitReached when a student has used today's quota of `kind`
    ("practice", "feedback" or "tutor"). Runs inside the caller's transaction."""
    if kind not in LIMIT_KINDS:
        raise ValueError(f"unknown limit kind {kind!r}")
    if actor.role != "siswa":
        return
    now = now or utcnow()
    user = user_repo.get_user(session=session, user_id=actor.id)
    if user is None:
        return
    _sync_lapsed(session, user, now)
    terms = _terms(session, effective_tier(user, now))
    limit = terms.limit_for(kind)
    if limit is None:
        return
    if _used_today(session, actor.id, kind, jakarta_day_start(now)) >= limit:
        raise DailyLimitReached(_limit_message(terms, kind, limit))


def check_daily_limit(*, actor: CurrentUser, kind: str) -> None:
    """enforce_daily_limit in its own transaction (for callers without one)."""
    with unit_of_work() as session:
        enforce_daily_limit(session, actor=actor, kind=kind)


# --- payments (admin) ------------------------------------------------------------------


def _payment_view(row: PaymentSubscription, username: str, full_name: str | None) -> PaymentView:
    assert row.id is not None
    return PaymentView(
        id=row.id,
        order_id=row.midtrans_order_id or "",
        transaction_id=row.midtrans_transaction_id or "",
        user_id=row.user_id,
        username=username,
        full_name=full_name or "",
        tier=row.subscription_tier,
        price_idr=row.price_idr,
        duration_days=row.plan_duration_days,
        status=row.payment_status or "pending",
        midtrans_status=row.midtrans_status or "",
        payment_type=row.payment_type or "",
        start_date=row.subscription_start_date,
        end_date=row.subscription_end_date,
        created_at=row.created_at,
        paid_at=row.paid_at,
    )


def list_payments(
    *,
    actor: CurrentUser,
    status: str | None = None,
    tier: str | None = None,
    search: str = "",
    limit: int = PAYMENT_LIST_LIMIT,
) -> list[PaymentView]:
    require_admin(actor)
    if status and status not in PAYMENT_STATUSES:
        raise InvalidInput("Status pembayaran tidak dikenal.")
    if tier and tier not in PAID_TIERS:
        raise InvalidInput("Paket langganan tidak dikenal.")
    term = (search or "").strip()[:100]
    with unit_of_work() as session:
        rows = billing_repo.list_payments(
            session=session, status=status or None, tier=tier or None, search=term, limit=limit
        )
        return [_payment_view(r.payment, r.username, r.full_name) for r in rows]


def new_order_id(user_id: int, now: datetime | None = None) -> str:
    """NEXUS-<user id>-<UTC time>-<random>: unique, and within Midtrans's 50 characters
    of letters, digits and dashes."""
    stamp = (now or utcnow()).astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"NEXUS-{user_id}-{stamp}-{secrets.token_hex(3)}"


def create_pending_order(*, actor: CurrentUser, username: str, tier: str) -> PaymentView:
    """A pending order for a student at the tier's current price; Midtrans confirms it
    later through the notification endpoint."""
    require_admin(actor)
    if tier not in PAID_TIERS:
        raise InvalidInput("Pilih paket berbayar: Premium atau Premium Plus.")
    name = (username or "").strip()
    if not name:
        raise InvalidInput("Isi username siswa.")
    with unit_of_work() as session:
        user = user_repo.get_user_by_username(session=session, username=name)
        if user is None or user.id is None:
            raise NotFound(f"Pengguna '{name}' tidak ditemukan.")
        if user.role != "siswa":
            raise InvalidInput("Langganan hanya untuk akun siswa.")
        if not user.is_active:
            raise InvalidInput(f"Akun '{name}' sedang nonaktif.")
        terms = _terms(session, tier)
        assert terms.price_idr is not None and terms.duration_days is not None
        row = billing_repo.create_payment(
            session=session,
            user_id=user.id,
            order_id=new_order_id(user.id),
            tier=tier,
            price_idr=terms.price_idr,
            duration_days=terms.duration_days,
        )
        return _payment_view(row, user.username, user.full_name)


def user_subscription(*, actor: CurrentUser, username: str) -> UserSubscriptionView:
    """A user's tier (stored and effective), today's usage against the limits, payments."""
    require_admin(actor)
    name = (username or "").strip()
    now = utcnow()
    with unit_of_work() as session:
        user = user_repo.get_user_by_username(session=session, username=name)
        if user is None or user.id is None:
            raise NotFound(f"Pengguna '{name}' tidak ditemukan.")
        tier = effective_tier(user, now)
        terms = _terms(session, tier)
        since = jakarta_day_start(now)
        usage = [
            UsageView(
                kind, label, _used_today(session, user.id, kind, since), terms.limit_for(kind)
            )
            for kind, label in LIMIT_KINDS.items()
        ]
        payments = [
            _payment_view(r.payment, r.username, r.full_name)
            for r in billing_repo.list_payments(session=session, user_id=user.id, limit=50)
        ]
        return UserSubscriptionView(
            user_id=user.id,
            username=user.username,
            full_name=user.full_name or "",
            role=user.role,
            stored_tier=user.subscription_tier,
            effective_tier=tier,
            is_active=tier != "free",
            start=user.subscription_start_date,
            end=user.subscription_end_date,
            usage=usage,
            payments=payments,
        )


def overview(*, actor: CurrentUser) -> SubscriptionOverview:
    """Counts for the page header; lapsed subscriptions are switched back to free first."""
    require_admin(actor)
    now = utcnow()
    with unit_of_work() as session:
        expired = billing_repo.expire_lapsed_subscriptions(session=session, now=now)
        return SubscriptionOverview(
            active_by_tier=billing_repo.count_active_subscribers(session=session, now=now),
            payments_by_status=billing_repo.count_payments_by_status(session=session),
            revenue_this_month_idr=billing_repo.sum_paid_since(
                session=session, since=jakarta_month_start(now)
            ),
            expired_now=expired,
        )


def expire_lapsed_subscriptions(*, now: datetime | None = None) -> int:
    """For a scheduled job: every paid tier past its end date falls back to free."""
    with unit_of_work() as session:
        return billing_repo.expire_lapsed_subscriptions(session=session, now=now or utcnow())


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
