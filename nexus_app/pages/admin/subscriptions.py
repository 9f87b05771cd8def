"""/admin/subscriptions: tiers and their daily limits, payment orders, a user's subscription."""

from __future__ import annotations

from typing import Any

import reflex as rx

from nexus_app.components.admin import admin_page, error_callout, success_callout
from nexus_app.components.shell import SELECT_STYLE, stat_card
from nexus_app.components.tables import simple_table
from nexus_app.state.admin.sections import SECTION
from nexus_app.state.admin.subscriptions import TIER_ORDER, AdminSubscriptionsState

NOTIFICATION_URL = "/api/payments/midtrans/notification"

S = AdminSubscriptionsState
TIER_NAMES = {"free": "Gratis", "premium": "Premium", "premium_plus": "Premium Plus"}
STATUS_OPTIONS = [
    ("", "Semua status"),
    ("pending", "Menunggu pembayaran"),
    ("success", "Berhasil"),
    ("failed", "Gagal"),
    ("expired", "Kedaluwarsa"),
    ("refunded", "Dikembalikan"),
]
TIER_OPTIONS = [("", "Semua paket"), ("premium", "Premium"), ("premium_plus", "Premium Plus")]


def _overview() -> rx.Component:
    return rx.vstack(
        rx.flex(
            stat_card("Premium aktif", S.active_premium, "star", "stat-premium"),
            stat_card("Premium Plus aktif", S.active_premium_plus, "sparkles", "stat-premium-plus"),
            stat_card("Pesanan menunggu", S.pending_orders, "clock", "stat-pending"),
            stat_card("Pendapatan bulan ini", S.revenue_month, "wallet", "stat-revenue"),
            wrap="wrap",
            spacing="3",
        ),
        rx.cond(
            S.configured,
            rx.text(
                "Notifikasi Midtrans diterima di ",
                rx.code(NOTIFICATION_URL),
                " (tanda tangan SHA-512 diperiksa).",
                size="2",
                color_scheme="gray",
                id="midtrans-configured",
            ),
            rx.callout(
                "Kunci server Midtrans (NEXUS_MIDTRANS_SERVER_KEY) belum diatur: notifikasi "
                "pembayaran ditolak sampai kunci diisi dan server dijalankan ulang.",
                icon="info",
                color_scheme="amber",
                id="midtrans-not-configured",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _field(label: str, name: str, tier: str, placeholder: str, width: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", weight="medium"),
        rx.input(
            name=name,
            default_value=S.tier_values[tier][name],
            placeholder=placeholder,
            input_mode="numeric" if name != "display_name" else "text",
            id=f"tier-{tier}-{name.replace('_', '-')}",
            width=width,
        ),
        spacing="1",
    )


def _tier_form(tier: str) -> rx.Component:
    paid = tier != "free"
    fields = [
        _field("Nama paket", "display_name", tier, "Nama", "150px"),
        _field("Soal latihan / hari", "practice", tier, "tanpa batas", "120px"),
        _field("Umpan balik AI / hari", "feedback", tier, "tanpa batas", "120px"),
        _field("Tanya Tutor AI / hari", "tutor", tier, "tanpa batas", "120px"),
    ]
    if paid:
        fields += [
            _field("Harga (Rp)", "price", tier, "49000", "120px"),
            _field("Durasi (hari)", "duration", tier, "30", "90px"),
        ]
    return rx.card(
        rx.form(
            rx.el.input(type="hidden", name="tier", default_value=tier),
            rx.hstack(
                rx.badge(TIER_NAMES[tier], size="2", color_scheme="indigo" if paid else "gray"),
                *fields,
                rx.button("Simpan", type="submit", id=f"tier-{tier}-save"),
                align="end",
                wrap="wrap",
                spacing="3",
            ),
            on_submit=S.save_tier,
            reset_on_submit=False,
            # A new key after each load re-mounts the inputs with the stored values.
            key=S.tiers_version,
        ),
        width="100%",
    )


def _tiers() -> rx.Component:
    return rx.vstack(
        rx.heading("Paket dan batas harian", size="4"),
        rx.text(
            "Kosongkan batas untuk tanpa batas; isi 0 bila paket tidak mencakup fitur itu. "
            "Hari dihitung menurut WIB (kuota baru mulai pukul 00.00 WIB). Batas hanya berlaku "
            "untuk siswa. Harga baru berlaku untuk pesanan berikutnya.",
            size="2",
            color_scheme="gray",
        ),
        error_callout(S.tier_error, "tier-error"),
        success_callout(S.tier_message, "tier-saved"),
        *[_tier_form(tier) for tier in TIER_ORDER],
        simple_table(
            ["Paket", "Soal latihan", "Umpan balik AI", "Tutor AI", "Harga", "Durasi"],
            S.tiers,
            ["name", "practice", "feedback", "tutor", "price", "duration"],
            "tiers-table",
        ),
        spacing="3",
        width="100%",
    )


def _select(options: list[tuple[str, str]], **props: Any) -> rx.Component:
    return rx.el.select(
        *[rx.el.option(label, value=value) for value, label in options],
        style=SELECT_STYLE,
        **props,
    )


def _new_order() -> rx.Component:
    return rx.vstack(
        rx.heading("Buat pesanan untuk siswa", size="4"),
        rx.text(
            "Pesanan berstatus menunggu pembayaran; Midtrans mengonfirmasinya lewat notifikasi "
            "dengan ID pesanan yang sama.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    name="username",
                    placeholder="Username siswa",
                    id="order-username",
                    width="200px",
                ),
                _select(TIER_OPTIONS[1:], name="tier", id="order-tier", default_value="premium"),
                rx.button("Buat pesanan", type="submit", id="order-create"),
                spacing="3",
                wrap="wrap",
            ),
            on_submit=S.create_order,
            reset_on_submit=True,
        ),
        error_callout(S.order_error, "order-error"),
        success_callout(S.order_message, "order-created"),
        spacing="3",
        width="100%",
    )


def _payment_filters() -> rx.Component:
    return rx.hstack(
        _select(
            STATUS_OPTIONS,
            value=S.status_filter,
            on_change=S.set_status_filter,
            id="payment-status-filter",
        ),
        _select(
            TIER_OPTIONS,
            value=S.tier_filter,
            on_change=S.set_tier_filter,
            id="payment-tier-filter",
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    name="search",
                    placeholder="Cari username atau ID pesanan",
                    id="payment-search",
                    width="260px",
                ),
                rx.button("Cari", type="submit", variant="soft", id="payment-search-submit"),
                spacing="2",
            ),
            on_submit=S.search_payments,
            reset_on_submit=False,
        ),
        spacing="3",
        wrap="wrap",
    )


def _payments() -> rx.Component:
    return rx.vstack(
        rx.heading("Riwayat pembayaran", size="4"),
        _payment_filters(),
        error_callout(S.list_error, "payments-error"),
        rx.cond(
            S.payments.length() > 0,
            rx.box(
                simple_table(
                    [
                        "ID pesanan",
                        "Siswa",
                        "Paket",
                        "Harga",
                        "Status",
                        "Metode",
                        "Periode",
                        "Dibuat",
                    ],
                    S.payments,
                    ["order_id", "user", "tier", "price", "status", "channel", "period", "created"],
                    "payments-table",
                    row_class="payment-row",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.text("Belum ada pembayaran yang cocok.", color_scheme="gray", id="payments-empty"),
        ),
        spacing="3",
        width="100%",
    )


def _lookup() -> rx.Component:
    return rx.vstack(
        rx.heading("Langganan seorang pengguna", size="4"),
        rx.form(
            rx.hstack(
                rx.input(
                    name="username", placeholder="Username", id="lookup-username", width="200px"
                ),
                rx.button("Lihat", type="submit", variant="soft", id="lookup-submit"),
                spacing="2",
            ),
            on_submit=S.lookup_user,
            reset_on_submit=False,
        ),
        error_callout(S.lookup_error, "lookup-error"),
        rx.cond(
            S.lookup_found,
            rx.card(
                rx.vstack(
                    rx.text(rx.text.strong(S.lookup_person)),
                    rx.text("Paket berlaku: ", rx.text.strong(S.lookup_tier)),
                    rx.text(S.lookup_status, size="2"),
                    rx.cond(
                        S.lookup_note != "",
                        rx.text(S.lookup_note, size="2", color_scheme="gray"),
                    ),
                    simple_table(
                        ["Pemakaian hari ini", "Dipakai", "Batas"],
                        S.lookup_usage,
                        ["label", "used", "limit"],
                        "lookup-usage",
                    ),
                    rx.cond(
                        S.lookup_payments.length() > 0,
                        simple_table(
                            ["ID pesanan", "Paket", "Harga", "Status", "Periode", "Dibayar"],
                            S.lookup_payments,
                            ["order_id", "tier", "price", "status", "period", "paid"],
                            "lookup-payments",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                ),
                width="100%",
                id="lookup-result",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        _overview(),
        rx.divider(),
        _tiers(),
        rx.divider(),
        _new_order(),
        rx.divider(),
        _payments(),
        rx.divider(),
        _lookup(),
        spacing="5",
        width="100%",
    )


def admin_subscriptions_page() -> rx.Component:
    return admin_page(SECTION["subscriptions"], _content)()
