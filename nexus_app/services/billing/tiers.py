"""Tier terms (admin) and a user's effective tier and daily limits."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.models import SubscriptionTier, User, utcnow
from nexus_app.models.billing import PAID_TIERS, TIERS
from nexus_app.repositories import billing as billing_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import (
    InvalidInput,
)

from .views import (
    DEFAULT_TIERS,
    LIMIT_KINDS,
    MAX_DAILY_LIMIT,
    MAX_DURATION_DAYS,
    MAX_PRICE_IDR,
    DailyLimitReached,
    TierView,
    jakarta_day_start,
)

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


def _limit_message(terms: TierView, kind: str, limit: int, *, sells_plans: bool) -> str:
    """No paywall wording on a server that sells no plans (services/school_setup.py)."""
    label = LIMIT_KINDS[kind]
    if limit == 0:
        if not sells_plans:
            first = label[:1].upper() + label[1:]
            return f"{first} tidak tersedia di sekolah ini. Tanyakan ke admin sekolah."
        return (
            f"Paket {terms.display_name} tidak mencakup {label}. "
            "Minta admin sekolah untuk meningkatkan paket langgananmu."
        )
    if not sells_plans:
        return (
            f"Kuota {label} hari ini ({limit} per hari) sudah habis. Kuota baru tersedia besok "
            "pukul 00.00 WIB."
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
        # Imported here: school_setup reads billing's repository, not this module.
        from nexus_app.services.school_setup import read_school_plan

        sells = read_school_plan(session).sells_plans
        raise DailyLimitReached(_limit_message(terms, kind, limit, sells_plans=sells))


def check_daily_limit(*, actor: CurrentUser, kind: str) -> None:
    """enforce_daily_limit in its own transaction (for callers without one)."""
    with unit_of_work() as session:
        enforce_daily_limit(session, actor=actor, kind=kind)
