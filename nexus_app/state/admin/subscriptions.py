"""State of /admin/subscriptions (admin only; every handler re-checks the role on the server)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import reflex as rx

from nexus_app.formatting import EMPTY
from nexus_app.services import billing, timefmt
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import admin_event
from nexus_app.state.auth import AuthState

ALL = ""
TIER_ORDER = ("free", "premium", "premium_plus")
FORM_FIELDS = ("display_name", "practice", "feedback", "tutor", "price", "duration")


def _when(moment: datetime | None) -> str:
    return timefmt.format_datetime(moment)


def _day(day: date | None) -> str:
    return day.strftime("%d-%m-%Y") if day is not None else EMPTY


def _limit(value: int | None) -> str:
    return "" if value is None else str(value)


def _limit_label(value: int | None) -> str:
    if value is None:
        return "tanpa batas"
    return "tidak termasuk" if value == 0 else f"{value} / hari"


@dataclasses.dataclass
class TierRow:
    """A tier in the table: its limits, price and duration as words."""

    tier: str
    name: str
    practice: str
    feedback: str
    tutor: str
    price: str
    duration: str


@dataclasses.dataclass
class PaymentRow:
    order_id: str
    user: str
    tier: str
    price: str
    status: str
    channel: str
    period: str
    created: str
    paid: str


@dataclasses.dataclass
class QuotaRow:
    """Today's use of one daily limit."""

    label: str
    used: int
    limit: str


def _tier_row(t: billing.TierView) -> TierRow:
    return TierRow(
        tier=t.tier,
        name=t.display_name,
        practice=_limit_label(t.practice_questions_per_day),
        feedback=_limit_label(t.ai_feedback_per_day),
        tutor=_limit_label(t.tutor_questions_per_day),
        price=billing.format_idr(t.price_idr),
        duration=EMPTY if t.duration_days is None else f"{t.duration_days} hari",
    )


def _tier_form(t: billing.TierView) -> dict[str, str]:
    """The tier's form values, by input name: what the admin edits ("" = no limit)."""
    return {
        "display_name": t.display_name,
        "practice": _limit(t.practice_questions_per_day),
        "feedback": _limit(t.ai_feedback_per_day),
        "tutor": _limit(t.tutor_questions_per_day),
        "price": _limit(t.price_idr),
        "duration": _limit(t.duration_days),
    }


def _payment_row(p: billing.PaymentView) -> PaymentRow:
    period = EMPTY
    if p.start_date is not None:
        period = f"{_day(p.start_date)} s.d. {_day(p.end_date)}"
    return PaymentRow(
        order_id=p.order_id,
        user=f"{p.username} · {p.full_name}" if p.full_name else p.username,
        tier=billing.TIER_LABELS.get(p.tier, p.tier),
        price=billing.format_idr(p.price_idr),
        status=billing.STATUS_LABELS.get(p.status, p.status),
        channel=p.payment_type or EMPTY,
        period=period,
        created=_when(p.created_at),
        paid=_when(p.paid_at),
    )


def _empty_forms() -> dict[str, dict[str, str]]:
    return {t: dict.fromkeys(FORM_FIELDS, "") for t in TIER_ORDER}


class AdminSubscriptionsState(AuthState):
    tiers: rx.Field[list[TierRow]] = rx.field(default_factory=list)
    # The tier forms' values by tier and input name (a form, not a table row). Every key
    # present from the start: the forms read them before the first load ends. (A plain
    # annotation: mypy reads rx.Field of a dict as a list.)
    tier_values: dict[str, dict[str, str]] = _empty_forms()
    # Bumped on every (re)load so the tier forms re-mount with the stored values.
    tiers_version: rx.Field[int] = rx.field(0)
    tier_error: rx.Field[str] = rx.field("")
    tier_message: rx.Field[str] = rx.field("")

    configured: rx.Field[bool] = rx.field(False)
    active_premium: rx.Field[int] = rx.field(0)
    active_premium_plus: rx.Field[int] = rx.field(0)
    pending_orders: rx.Field[int] = rx.field(0)
    revenue_month: rx.Field[str] = rx.field("Rp 0")

    payments: rx.Field[list[PaymentRow]] = rx.field(default_factory=list)
    status_filter: rx.Field[str] = rx.field(ALL)
    tier_filter: rx.Field[str] = rx.field(ALL)
    search: rx.Field[str] = rx.field("")
    list_error: rx.Field[str] = rx.field("")

    order_error: rx.Field[str] = rx.field("")
    order_message: rx.Field[str] = rx.field("")

    lookup_username: rx.Field[str] = rx.field("")
    lookup_error: rx.Field[str] = rx.field("")
    lookup_found: rx.Field[bool] = rx.field(False)
    # The user looked up: who, the tier in force, the subscription's state, a note.
    lookup_person: rx.Field[str] = rx.field("")
    lookup_tier: rx.Field[str] = rx.field("")
    lookup_status: rx.Field[str] = rx.field("")
    lookup_note: rx.Field[str] = rx.field("")
    lookup_usage: rx.Field[list[QuotaRow]] = rx.field(default_factory=list)
    lookup_payments: rx.Field[list[PaymentRow]] = rx.field(default_factory=list)

    @admin_event
    def load(self, actor: CurrentUser) -> None:
        # A fresh visit starts without the last visit's messages.
        self.tier_error = self.tier_message = ""
        self.order_error = self.order_message = ""
        self.list_error = ""
        self._refresh_tiers(actor)
        self._refresh_overview(actor)
        self._refresh_payments(actor)

    def _refresh_tiers(self, actor: CurrentUser) -> None:
        tiers = billing.list_tiers(actor=actor)
        self.tiers = [_tier_row(t) for t in tiers]
        self.tier_values = {t.tier: _tier_form(t) for t in tiers}
        self.tiers_version += 1

    def _refresh_overview(self, actor: CurrentUser) -> None:
        view = billing.overview(actor=actor)
        self.configured = billing.payments_configured()
        self.active_premium = view.active_by_tier.get("premium", 0)
        self.active_premium_plus = view.active_by_tier.get("premium_plus", 0)
        self.pending_orders = view.payments_by_status.get("pending", 0)
        self.revenue_month = billing.format_idr(view.revenue_this_month_idr)

    def _refresh_payments(self, actor: CurrentUser) -> None:
        try:
            rows = billing.list_payments(
                actor=actor,
                status=self.status_filter or None,
                tier=self.tier_filter or None,
                search=self.search,
            )
        except ServiceError as exc:
            self.list_error = exc.message
            return
        self.list_error = ""
        self.payments = [_payment_row(p) for p in rows]

    @admin_event
    def save_tier(self, actor: CurrentUser, form_data: dict[str, str]) -> None:
        self.tier_message = ""
        tier = form_data.get("tier", "")
        try:
            saved = billing.update_tier(
                actor=actor,
                tier=tier,
                display_name=form_data.get("display_name", ""),
                practice_questions_per_day=form_data.get("practice", ""),
                ai_feedback_per_day=form_data.get("feedback", ""),
                tutor_questions_per_day=form_data.get("tutor", ""),
                price_idr=form_data.get("price") or None,
                duration_days=form_data.get("duration") or None,
            )
        except ServiceError as exc:
            label = billing.TIER_LABELS.get(tier, tier)
            self.tier_error = f"{label}: {exc.message}"
            return
        self.tier_error = ""
        self.tier_message = f"Paket {saved.display_name} tersimpan."
        self._refresh_tiers(actor)

    @admin_event(error="order_error")
    def create_order(self, actor: CurrentUser, form_data: dict[str, str]) -> None:
        self.order_message = ""
        order = billing.create_pending_order(
            actor=actor,
            username=form_data.get("username", ""),
            tier=form_data.get("tier", ""),
        )
        self.order_error = ""
        self.order_message = (
            f"Pesanan {order.order_id} untuk {order.username} "
            f"({billing.TIER_LABELS.get(order.tier, order.tier)}, "
            f"{billing.format_idr(order.price_idr)}) menunggu pembayaran."
        )
        self._refresh_overview(actor)
        self._refresh_payments(actor)

    @admin_event
    def set_status_filter(self, actor: CurrentUser, value: str) -> None:
        self.status_filter = value
        self._refresh_payments(actor)

    @admin_event
    def set_tier_filter(self, actor: CurrentUser, value: str) -> None:
        self.tier_filter = value
        self._refresh_payments(actor)

    @admin_event
    def search_payments(self, actor: CurrentUser, form_data: dict[str, str]) -> None:
        self.search = (form_data.get("search") or "").strip()
        self._refresh_payments(actor)

    @admin_event
    def lookup_user(self, actor: CurrentUser, form_data: dict[str, str]) -> None:
        self.lookup_username = (form_data.get("username") or "").strip()
        try:
            view = billing.user_subscription(actor=actor, username=self.lookup_username)
        except ServiceError as exc:
            self.lookup_found = False
            self.lookup_error = exc.message
            return
        self.lookup_error = ""
        self.lookup_found = True
        self.lookup_person = (
            f"{view.username} · {view.full_name}" if view.full_name else view.username
        )
        self.lookup_tier = billing.TIER_LABELS.get(view.effective_tier, view.effective_tier)
        if view.is_active:
            self.lookup_status = f"Aktif sampai {_when(view.end)}"
        elif view.end is not None:
            self.lookup_status = f"Berakhir {_when(view.end)}; kembali ke paket Gratis"
        else:
            self.lookup_status = "Belum pernah berlangganan"
        self.lookup_note = "" if view.role == "siswa" else "Batas harian hanya berlaku untuk siswa."
        self.lookup_usage = [
            QuotaRow(label=u.label, used=u.used, limit=_limit_label(u.limit)) for u in view.usage
        ]
        self.lookup_payments = [_payment_row(p) for p in view.payments]
