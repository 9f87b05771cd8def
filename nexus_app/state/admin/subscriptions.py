"""State of /admin/subscriptions (admin only; every handler re-checks the role on the server)."""

from __future__ import annotations

from datetime import date, datetime

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


def _tier_row(t: billing.TierView) -> dict[str, str]:
    return {
        "tier": t.tier,
        "name": t.display_name,
        "display_name": t.display_name,
        "practice": _limit(t.practice_questions_per_day),
        "feedback": _limit(t.ai_feedback_per_day),
        "tutor": _limit(t.tutor_questions_per_day),
        "price": "" if t.price_idr is None else str(t.price_idr),
        "duration": "" if t.duration_days is None else str(t.duration_days),
        "practice_label": _limit_label(t.practice_questions_per_day),
        "feedback_label": _limit_label(t.ai_feedback_per_day),
        "tutor_label": _limit_label(t.tutor_questions_per_day),
        "price_label": billing.format_idr(t.price_idr),
        "duration_label": EMPTY if t.duration_days is None else f"{t.duration_days} hari",
    }


def _payment_row(p: billing.PaymentView) -> dict[str, str]:
    period = EMPTY
    if p.start_date is not None:
        period = f"{_day(p.start_date)} s.d. {_day(p.end_date)}"
    return {
        "order_id": p.order_id,
        "user": f"{p.username} · {p.full_name}" if p.full_name else p.username,
        "tier": billing.TIER_LABELS.get(p.tier, p.tier),
        "price": billing.format_idr(p.price_idr),
        "status": billing.STATUS_LABELS.get(p.status, p.status),
        "channel": p.payment_type or EMPTY,
        "period": period,
        "created": _when(p.created_at),
        "paid": _when(p.paid_at),
    }


class AdminSubscriptionsState(AuthState):
    tiers: list[dict[str, str]] = []
    # Every key present from the start: the forms read them before the first load ends.
    tier_values: dict[str, dict[str, str]] = {t: dict.fromkeys(FORM_FIELDS, "") for t in TIER_ORDER}
    # Bumped on every (re)load so the tier forms re-mount with the stored values.
    tiers_version: int = 0
    tier_error: str = ""
    tier_message: str = ""

    configured: bool = False
    active_premium: int = 0
    active_premium_plus: int = 0
    pending_orders: int = 0
    revenue_month: str = "Rp 0"

    payments: list[dict[str, str]] = []
    status_filter: str = ALL
    tier_filter: str = ALL
    search: str = ""
    list_error: str = ""

    order_error: str = ""
    order_message: str = ""

    lookup_username: str = ""
    lookup_error: str = ""
    lookup_found: bool = False
    lookup: dict[str, str] = {}
    lookup_usage: list[dict[str, str]] = []
    lookup_payments: list[dict[str, str]] = []

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
        rows = [_tier_row(t) for t in billing.list_tiers(actor=actor)]
        self.tiers = rows
        self.tier_values = {r["tier"]: r for r in rows}
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
        self.lookup = {
            "user": f"{view.username} · {view.full_name}" if view.full_name else view.username,
            "tier": billing.TIER_LABELS.get(view.effective_tier, view.effective_tier),
            "status": (
                f"Aktif sampai {_when(view.end)}"
                if view.is_active
                else (
                    f"Berakhir {_when(view.end)}; kembali ke paket Gratis"
                    if view.end is not None
                    else "Belum pernah berlangganan"
                )
            ),
            "note": "" if view.role == "siswa" else "Batas harian hanya berlaku untuk siswa.",
        }
        self.lookup_usage = [
            {
                "label": u.label,
                "used": str(u.used),
                "limit": _limit_label(u.limit),
            }
            for u in view.usage
        ]
        self.lookup_payments = [_payment_row(p) for p in view.payments]
