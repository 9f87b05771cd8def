"""Subscription tiers, payment orders, users' subscription columns and daily usage counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select, update
from sqlmodel.sql.expression import Select, SelectOfScalar

from nexus_app.models import (
    Attempt,
    AttemptFeedback,
    ChatHistory,
    PaymentSubscription,
    SubscriptionTier,
    User,
    UserStudySession,
    utcnow,
)
from nexus_app.repositories._sql import select_columns


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """A payment with the account it belongs to."""

    payment: PaymentSubscription
    username: str
    full_name: str | None


# --- tiers -----------------------------------------------------------------------------


def list_tiers(*, session: Session) -> list[SubscriptionTier]:
    return list(session.exec(select(SubscriptionTier)).all())


def get_tier(*, session: Session, tier: str) -> SubscriptionTier | None:
    return session.get(SubscriptionTier, tier)


def save_tier(
    *,
    session: Session,
    tier: str,
    display_name: str,
    practice_questions_per_day: int | None,
    ai_feedback_per_day: int | None,
    tutor_questions_per_day: int | None,
    price_idr: int | None,
    duration_days: int | None,
) -> SubscriptionTier:
    """Insert or update one tier's terms."""
    row = session.get(SubscriptionTier, tier) or SubscriptionTier(
        tier=tier, display_name=display_name
    )
    row.display_name = display_name
    row.practice_questions_per_day = practice_questions_per_day
    row.ai_feedback_per_day = ai_feedback_per_day
    row.tutor_questions_per_day = tutor_questions_per_day
    row.price_idr = price_idr
    row.duration_days = duration_days
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


# --- payments --------------------------------------------------------------------------


def create_payment(
    *,
    session: Session,
    user_id: int,
    order_id: str,
    tier: str,
    price_idr: int,
    duration_days: int,
) -> PaymentSubscription:
    row = PaymentSubscription(
        user_id=user_id,
        midtrans_order_id=order_id,
        subscription_tier=tier,
        price_idr=price_idr,
        plan_duration_days=duration_days,
        payment_status="pending",
    )
    session.add(row)
    session.flush()
    return row


def get_payment_by_order_id(
    *, session: Session, order_id: str, for_update: bool = False
) -> PaymentSubscription | None:
    """The order; `for_update` locks the row on PostgreSQL until the transaction ends."""
    query = select(PaymentSubscription).where(PaymentSubscription.midtrans_order_id == order_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def transition_payment(
    *,
    session: Session,
    payment_id: int,
    from_status: str | None,
    to_status: str,
    midtrans_status: str,
    transaction_id: str | None,
    payment_type: str | None,
    paid_at: datetime | None = None,
) -> bool:
    """Compare-and-set the status: True only for the one caller that moved it from
    `from_status`, so a repeated or concurrent notification applies its effects once."""
    current = (
        col(PaymentSubscription.payment_status).is_(None)
        if from_status is None
        else col(PaymentSubscription.payment_status) == from_status
    )
    values: dict[str, object] = {
        "payment_status": to_status,
        "midtrans_status": midtrans_status,
        "updated_at": utcnow(),
    }
    if transaction_id:
        values["midtrans_transaction_id"] = transaction_id
    if payment_type:
        values["payment_type"] = payment_type
    if paid_at is not None:
        values["paid_at"] = paid_at
    result = session.exec(
        update(PaymentSubscription)
        .where(col(PaymentSubscription.id) == payment_id, current)
        .values(**values)
    )
    session.flush()
    return result.rowcount == 1


def set_payment_period(*, session: Session, payment_id: int, start: date, end: date) -> None:
    session.exec(
        update(PaymentSubscription)
        .where(col(PaymentSubscription.id) == payment_id)
        .values(subscription_start_date=start, subscription_end_date=end)
    )


def list_payments(
    *,
    session: Session,
    status: str | None = None,
    tier: str | None = None,
    search: str | None = None,
    user_id: int | None = None,
    limit: int = 200,
) -> list[PaymentRow]:
    """Newest first; `search` matches part of the username or of the order id."""
    query = select(PaymentSubscription, User.username, User.full_name).join(
        User, col(User.id) == col(PaymentSubscription.user_id)
    )
    if status:
        query = query.where(PaymentSubscription.payment_status == status)
    if tier:
        query = query.where(PaymentSubscription.subscription_tier == tier)
    if user_id is not None:
        query = query.where(PaymentSubscription.user_id == user_id)
    if search:
        term = search.lower()
        query = query.where(
            sa.or_(
                func.lower(col(User.username)).contains(term, autoescape=True),
                func.lower(col(PaymentSubscription.midtrans_order_id)).contains(
                    term, autoescape=True
                ),
            )
        )
    query = query.order_by(
        col(PaymentSubscription.created_at).desc(), col(PaymentSubscription.id).desc()
    ).limit(limit)
    return [PaymentRow(p, username, full_name) for p, username, full_name in session.exec(query)]


def count_payments_by_status(*, session: Session) -> dict[str, int]:
    rows = session.exec(
        select(PaymentSubscription.payment_status, func.count()).group_by(
            col(PaymentSubscription.payment_status)
        )
    ).all()
    return {status or "pending": int(n) for status, n in rows}


def sum_paid_since(*, session: Session, since: datetime) -> int:
    """Revenue: the price of every successful order paid at or after `since`."""
    total = session.exec(
        select(func.coalesce(func.sum(PaymentSubscription.price_idr), 0)).where(
            PaymentSubscription.payment_status == "success",
            col(PaymentSubscription.paid_at) >= since,
        )
    ).one()
    return int(total)


# --- users' subscription columns --------------------------------------------------------


def get_user_for_update(*, session: Session, user_id: int) -> User | None:
    """The user, locked on PostgreSQL so two payments cannot both extend from one end date."""
    return session.exec(select(User).where(User.id == user_id).with_for_update()).first()


def set_user_subscription(
    *,
    session: Session,
    user_id: int,
    tier: str,
    start: datetime | None,
    end: datetime | None,
    active: bool,
) -> None:
    session.exec(
        update(User)
        .where(col(User.id) == user_id)
        .values(
            subscription_tier=tier,
            subscription_start_date=start,
            subscription_end_date=end,
            is_subscription_active=active,
            updated_at=utcnow(),
        )
    )


def expire_lapsed_subscriptions(*, session: Session, now: datetime) -> int:
    """Paid tiers whose end has passed fall back to free; returns how many users changed."""
    result = session.exec(
        update(User)
        .where(
            col(User.subscription_tier) != "free",
            sa.or_(
                col(User.is_subscription_active).is_(False),
                col(User.subscription_end_date).is_(None),
                col(User.subscription_end_date) <= now,
            ),
        )
        .values(subscription_tier="free", is_subscription_active=False, updated_at=now)
    )
    return int(result.rowcount or 0)


def count_active_subscribers(*, session: Session, now: datetime) -> dict[str, int]:
    rows = session.exec(
        select(User.subscription_tier, func.count())
        .where(
            col(User.is_subscription_active).is_(True),
            col(User.subscription_end_date) > now,
            col(User.deleted_at).is_(None),
        )
        .group_by(col(User.subscription_tier))
    ).all()
    return {tier: int(n) for tier, n in rows}


# --- daily usage ------------------------------------------------------------------------


def count_practice_since(*, session: Session, user_id: int, since: datetime) -> int:
    """Questions a student was given since `since`: answered ones plus ones still open on
    screen (so several tabs cannot each fetch questions past the limit)."""
    answered, open_now = session.exec(
        _practice_since_query(), params={"user_id": user_id, "since": since}
    ).one()
    return int(answered) + int(open_now)


@cache
def _practice_since_query() -> Select[*tuple[Any, ...]]:
    # Built once (_sql.py, "hot statements"): both counts in one round trip.
    answered = (
        select(func.count())
        .select_from(Attempt)
        .where(
            col(Attempt.user_id) == sa.bindparam("user_id"),
            col(Attempt.created_at) >= sa.bindparam("since"),
        )
        .scalar_subquery()
    )
    open_now = (
        select(func.count())
        .select_from(UserStudySession)
        .where(
            col(UserStudySession.user_id) == sa.bindparam("user_id"),
            col(UserStudySession.current_question_id).is_not(None),
            col(UserStudySession.current_served_at) >= sa.bindparam("since"),
        )
        .scalar_subquery()
    )
    return select_columns(answered, open_now)


def count_feedback_since(*, session: Session, user_id: int, since: datetime) -> int:
    return int(
        session.exec(_feedback_since_query(), params={"user_id": user_id, "since": since}).one()
    )


@cache
def _feedback_since_query() -> SelectOfScalar[int]:
    # Built once (_sql.py, "hot statements").
    return (
        select(func.count())
        .select_from(AttemptFeedback)
        .join(Attempt, col(Attempt.id) == col(AttemptFeedback.attempt_id))
        .where(
            col(Attempt.user_id) == sa.bindparam("user_id"),
            col(AttemptFeedback.created_at) >= sa.bindparam("since"),
        )
    )


def count_tutor_questions_since(*, session: Session, user_id: int, since: datetime) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(ChatHistory)
            .where(ChatHistory.user_id == user_id, col(ChatHistory.created_at) >= since)
        ).one()
    )
