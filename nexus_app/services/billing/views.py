"""Subscription limits, errors and views, and the Jakarta calendar the limits count in."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from nexus_app.formatting import LOCAL_ZONE
from nexus_app.models import utcnow
from nexus_app.services.errors import (
    PermissionDenied,
    ServiceError,
)

log = logging.getLogger(__name__)

JAKARTA = LOCAL_ZONE  # the school's day: limits reset at 00:00 WIB
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
