"""An admin sets a tier's daily limit on /admin/subscriptions, is refused a bad price, creates
a pending order for siswa01 and finds it in the payment list; then Midtrans's signed
notification, posted to the running server, confirms it exactly once."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import DEMO_ADMIN
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e
# The key tests/e2e/conftest.py gives the server.
SERVER_KEY = "e2e-midtrans-server-key"
NOTIFICATION_URL = "/api/payments/midtrans/notification"


def _settlement(order_id: str, amount: str, key: str = SERVER_KEY) -> dict[str, str]:
    return {
        "order_id": order_id,
        "status_code": "200",
        "gross_amount": amount,
        "transaction_status": "settlement",
        "transaction_id": f"e2e-{order_id}",
        "payment_type": "qris",
        "signature_key": hashlib.sha512(f"{order_id}200{amount}{key}".encode()).hexdigest(),
    }


def _open(page: Page) -> None:
    login(page, DEMO_ADMIN.username, DEMO_ADMIN.password)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.locator("#admin-nav-subscriptions").click()
    expect(page.locator("#tiers-table")).to_be_visible()


def test_admin_edits_a_tier_and_creates_a_pending_order(page: Page) -> None:
    _open(page)
    # The terms migration 0004 seeded (premium: 200 practice questions a day, Rp 49.000).
    practice = page.locator("#tier-premium-practice")
    expect(practice).to_have_value("200")
    expect(page.locator("#tier-premium-price")).to_have_value("49000")
    expect(page.locator("#midtrans-configured")).to_be_visible()

    practice.fill("180")
    page.locator("#tier-premium-save").click()
    expect(page.locator("#tier-saved")).to_have_text("Paket Premium tersimpan.")
    expect(page.locator("#tiers-table")).to_contain_text("180 / hari")

    # A bad price is refused with the reason, and nothing is saved.
    page.locator("#tier-premium-price").fill("-5")
    page.locator("#tier-premium-save").click()
    expect(page.locator("#tier-error")).to_contain_text("Premium: Harga (Rp)")
    expect(page.locator("#tiers-table")).to_contain_text("Rp 49.000")

    # Saved for real: a fresh load shows the stored limit.
    page.reload()
    expect(page.locator("#tier-premium-practice")).to_have_value("180")

    page.locator("#order-username").fill("siswa01")
    page.locator("#order-tier").select_option("premium_plus")
    page.locator("#order-create").click()
    created = page.locator("#order-created")
    expect(created).to_contain_text("menunggu pembayaran")
    order_id = re.search(r"NEXUS-\d+-\d{14}-[0-9a-f]{6}", created.inner_text())
    assert order_id is not None
    row = page.locator(".payment-row").filter(has_text=order_id.group(0))
    expect(row).to_contain_text("siswa01")
    expect(row).to_contain_text("Premium Plus")
    expect(row).to_contain_text("Rp 99.000")
    expect(row).to_contain_text("Menunggu pembayaran")
    expect(page.locator("#stat-pending")).not_to_have_text("0")

    # Filters: nothing has succeeded yet; the search finds the order by its id.
    page.locator("#payment-status-filter").select_option("success")
    expect(page.locator("#payments-empty")).to_be_visible()
    page.locator("#payment-status-filter").select_option("")
    page.locator("#payment-search").fill(order_id.group(0)[-6:])
    page.locator("#payment-search-submit").click()
    expect(page.locator(".payment-row")).to_have_count(1)

    # The student's own subscription: still free until Midtrans confirms the payment.
    page.locator("#lookup-username").fill("siswa01")
    page.locator("#lookup-submit").click()
    result = page.locator("#lookup-result")
    expect(result).to_contain_text("Gratis")
    expect(page.locator("#lookup-payments")).to_contain_text(order_id.group(0))

    # Midtrans confirms over HTTP on the same port; a forgery and a repeat change nothing.
    order = order_id.group(0)
    forged = page.request.post(NOTIFICATION_URL, data=_settlement(order, "99000.00", "tebakan"))
    assert forged.status == 403
    paid = page.request.post(NOTIFICATION_URL, data=_settlement(order, "99000.00"))
    assert paid.status == 200 and paid.json()["changed"] is True, paid.text()
    repeat = page.request.post(NOTIFICATION_URL, data=_settlement(order, "99000.00"))
    assert repeat.status == 200 and repeat.json()["changed"] is False

    page.reload()
    expect(page.locator("#stat-premium-plus")).to_have_text("1")
    paid_row = page.locator(".payment-row").filter(has_text=order)
    expect(paid_row).to_contain_text("Berhasil")
    expect(paid_row).to_contain_text("qris")
    page.locator("#lookup-username").fill("siswa01")
    page.locator("#lookup-submit").click()
    expect(page.locator("#lookup-result")).to_contain_text("Premium Plus")
    expect(page.locator("#lookup-result")).to_contain_text("Aktif sampai")
    page.evaluate("document.getElementById('tiers-table').scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    screenshot(page, "admin-subscriptions")
