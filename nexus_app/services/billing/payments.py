"""Payments as the admin sees them: list, pending orders, a user's subscription, overview."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from nexus_app.db import unit_of_work
from nexus_app.models import PaymentSubscription, utcnow
from nexus_app.models.billing import PAID_TIERS, PAYMENT_STATUSES
from nexus_app.repositories import billing as billing_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import (
    InvalidInput,
    NotFound,
)

from .tiers import _terms, _used_today, effective_tier
from .views import (
    LIMIT_KINDS,
    PAYMENT_LIST_LIMIT,
    PaymentView,
    SubscriptionOverview,
    UsageView,
    UserSubscriptionView,
    jakarta_day_start,
    jakarta_month_start,
)

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
