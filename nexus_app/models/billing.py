"""Subscription tiers with their daily limits, and payments (Midtrans notifications land here)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from nexus_app.models.base import created_at_field, optional_time_field, updated_at_field

PAYMENT_STATUSES = ("pending", "success", "failed", "expired", "refunded")
TIERS = ("free", "premium", "premium_plus")
PAID_TIERS = ("premium", "premium_plus")


class SubscriptionTier(SQLModel, table=True):
    """One row per tier. A NULL daily limit means unlimited; 0 means the feature is off.

    The free tier has no price or duration; paid tiers must have both (one purchase buys
    `duration_days` of the tier for `price_idr`).
    """

    __tablename__ = "subscription_tiers"
    __table_args__ = (
        sa.CheckConstraint("tier IN ('free', 'premium', 'premium_plus')", name="tier"),
        sa.CheckConstraint(
            "practice_questions_per_day IS NULL OR practice_questions_per_day >= 0",
            name="practice_questions_per_day",
        ),
        sa.CheckConstraint(
            "ai_feedback_per_day IS NULL OR ai_feedback_per_day >= 0", name="ai_feedback_per_day"
        ),
        sa.CheckConstraint(
            "tutor_questions_per_day IS NULL OR tutor_questions_per_day >= 0",
            name="tutor_questions_per_day",
        ),
        sa.CheckConstraint("price_idr IS NULL OR price_idr > 0", name="price_idr"),
        sa.CheckConstraint("duration_days IS NULL OR duration_days > 0", name="duration_days"),
        sa.CheckConstraint(
            "tier = 'free' OR (price_idr IS NOT NULL AND duration_days IS NOT NULL)",
            name="paid_terms",
        ),
    )

    tier: str = Field(primary_key=True, max_length=50)
    display_name: str = Field(max_length=100)
    practice_questions_per_day: int | None = None
    ai_feedback_per_day: int | None = None
    tutor_questions_per_day: int | None = None
    price_idr: int | None = Field(default=None, sa_type=sa.BigInteger)
    duration_days: int | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class PaymentSubscription(SQLModel, table=True):
    __tablename__ = "payment_subscriptions"
    __table_args__ = (
        sa.UniqueConstraint("midtrans_transaction_id"),
        sa.UniqueConstraint("midtrans_order_id"),
        sa.CheckConstraint(
            "subscription_tier IN ('premium', 'premium_plus')", name="subscription_tier"
        ),
        sa.CheckConstraint(
            "payment_status IS NULL OR payment_status IN "
            "('pending', 'success', 'failed', 'expired', 'refunded')",
            name="payment_status",
        ),
        sa.CheckConstraint("price_idr >= 0", name="price_idr"),
        sa.Index("idx_payments_user_id", "user_id"),
        sa.Index("idx_payments_payment_status", "payment_status"),
        sa.Index("idx_payments_subscription_end_date", "subscription_end_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Money records outlive accounts: users are soft-deleted, so no cascade here.
    user_id: int = Field(foreign_key="users.id", ondelete="RESTRICT")
    midtrans_transaction_id: str | None = Field(default=None, max_length=255)
    midtrans_order_id: str | None = Field(default=None, max_length=255)
    subscription_tier: str = Field(max_length=50)
    plan_duration_days: int | None = None
    price_idr: int = Field(sa_type=sa.BigInteger)
    payment_status: str | None = Field(default=None, max_length=50)
    subscription_start_date: date | None = None
    subscription_end_date: date | None = None
    # What Midtrans last said about the order (raw status, channel) and when it was paid.
    midtrans_status: str | None = Field(default=None, max_length=50)
    payment_type: str | None = Field(default=None, max_length=50)
    paid_at: datetime | None = optional_time_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
