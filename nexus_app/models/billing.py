"""Subscription payments (Midtrans notifications land here)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from nexus_app.models.base import created_at_field, updated_at_field

PAYMENT_STATUSES = ("pending", "success", "failed", "expired", "refunded")


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
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
