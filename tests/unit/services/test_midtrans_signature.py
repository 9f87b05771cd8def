"""Midtrans signatures, status mapping and the Jakarta day: pure logic, no database."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from nexus_app.models import User
from nexus_app.services import billing
from nexus_app.services.errors import InvalidInput

KEY = "SB-Mid-server-TEST-key"
ORDER = "NEXUS-7-20261122061500-a1b2c3"


def _signed(order_id: str = ORDER, status: str = "200", amount: str = "49000.00") -> str:
    # Written out independently of the service: the formula Midtrans documents.
    return hashlib.sha512((order_id + status + amount + KEY).encode()).hexdigest()


def _verify(signature: str, *, amount: str = "49000.00", key: str = KEY, status: str = "200"):
    return billing.verify_signature(
        order_id=ORDER,
        status_code=status,
        gross_amount=amount,
        signature_key=signature,
        server_key=key,
    )


def test_a_genuine_signature_is_accepted() -> None:
    assert billing.midtrans_signature(ORDER, "200", "49000.00", KEY) == _signed()
    assert len(_signed()) == 128
    assert _verify(_signed())
    assert _verify(_signed().upper())  # hex case does not matter


@pytest.mark.parametrize(
    "signature",
    [
        _signed(amount="1000.00"),  # signed for another amount
        _signed(status="201"),  # another status code
        _signed(order_id="NEXUS-8-20261122061500-a1b2c3"),  # another order
        hashlib.sha512((ORDER + "200" + "49000.00" + "other-key").encode()).hexdigest(),
        hashlib.sha256((ORDER + "200" + "49000.00" + KEY).encode()).hexdigest(),
        "",
        "not-hex-at-all",
        _signed()[:-1],
        "é" * 128,  # non-ASCII input must be refused, not crash compare_digest
    ],
)
def test_forged_or_mismatched_signatures_are_refused(signature: str) -> None:
    assert not _verify(signature)


def test_the_amount_string_is_signed_exactly_as_sent() -> None:
    # Midtrans sends "49000.00"; a signature over "49000" is a different signature.
    assert not _verify(_signed(amount="49000"))
    assert _verify(_signed(amount="49000"), amount="49000")


def test_no_server_key_verifies_nothing() -> None:
    unkeyed = hashlib.sha512((ORDER + "200" + "49000.00").encode()).hexdigest()
    assert not _verify(unkeyed, key="")


@pytest.mark.parametrize(
    ("status", "fraud", "expected"),
    [
        ("capture", "accept", "success"),
        ("capture", "challenge", "pending"),
        ("capture", "deny", "failed"),
        ("capture", None, "pending"),
        ("settlement", None, "success"),
        ("settlement", "accept", "success"),
        ("pending", None, "pending"),
        ("deny", None, "failed"),
        ("cancel", None, "failed"),
        ("failure", None, "failed"),
        ("expire", None, "expired"),
        ("refund", None, "refunded"),
        ("partial_refund", None, "refunded"),
        ("SETTLEMENT", None, "success"),
        ("authorize", None, None),
        ("something-new", None, None),
    ],
)
def test_transaction_status_mapping(status: str, fraud: str | None, expected: str | None) -> None:
    assert billing.map_transaction_status(status, fraud) == expected


def test_no_transition_leaves_success_except_a_refund() -> None:
    assert billing.ALLOWED_TRANSITIONS["success"] == {"refunded"}
    assert "pending" not in set().union(*billing.ALLOWED_TRANSITIONS.values())
    assert billing.ALLOWED_TRANSITIONS["refunded"] == frozenset()


def test_parse_notification_requires_string_fields() -> None:
    good = {
        "order_id": ORDER,
        "status_code": "200",
        "gross_amount": "49000.00",
        "signature_key": _signed(),
        "transaction_status": "settlement",
    }
    note = billing.parse_notification(good)
    assert note.order_id == ORDER and note.fraud_status is None
    with pytest.raises(InvalidInput, match="order_id"):
        billing.parse_notification({**good, "order_id": ""})
    with pytest.raises(InvalidInput, match="gross_amount"):
        billing.parse_notification({**good, "gross_amount": 49000.0})
    with pytest.raises(InvalidInput, match="terlalu panjang"):
        billing.parse_notification({**good, "transaction_id": "x" * 300})
    with pytest.raises(InvalidInput, match="objek JSON"):
        billing.parse_notification(["not", "an", "object"])


def test_the_day_starts_at_midnight_in_jakarta() -> None:
    # 16:59 UTC is 23:59 WIB: still the day that began at 17:00 UTC the day before.
    late = datetime(2026, 11, 22, 16, 59, tzinfo=UTC)
    assert billing.jakarta_day_start(late) == datetime(2026, 11, 21, 17, 0, tzinfo=UTC)
    # 17:00 UTC is 00:00 WIB: a new day and a fresh quota.
    midnight = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    assert billing.jakarta_day_start(midnight) == midnight
    # The month too: 30 November 17:00 UTC is already 1 December in Jakarta.
    december = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert billing.jakarta_month_start(december) == december
    assert billing.jakarta_month_start(late) == datetime(2026, 10, 31, 17, 0, tzinfo=UTC)


def test_order_ids_fit_midtrans_rules() -> None:
    now = datetime(2026, 11, 22, 6, 15, tzinfo=UTC)
    ids = {billing.new_order_id(123456, now) for _ in range(50)}
    assert len(ids) == 50  # the random tail keeps orders made in one second apart
    for order_id in ids:
        assert re.fullmatch(r"NEXUS-123456-20261122061500-[0-9a-f]{6}", order_id)
        assert len(order_id) <= 50


def test_effective_tier_falls_back_to_free_when_lapsed() -> None:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    user = User(
        username="s",
        role="siswa",
        password_hash="x",
        subscription_tier="premium",
        is_subscription_active=True,
        subscription_end_date=now + timedelta(days=1),
    )
    assert billing.effective_tier(user, now) == "premium"
    assert billing.effective_tier(user, now + timedelta(days=1)) == "free"
    user.is_subscription_active = False
    assert billing.effective_tier(user, now) == "free"


def test_rupiah_formatting() -> None:
    assert billing.format_idr(49000) == "Rp 49.000"
    assert billing.format_idr(1250000) == "Rp 1.250.000"
    assert billing.format_idr(None) == "-"


@pytest.mark.parametrize(
    ("code", "status", "fraud", "expected"),
    [
        ("200", "settlement", None, "success"),
        ("200", "settlement", "accept", "success"),
        ("200", "capture", "accept", "success"),
        ("201", "pending", None, "pending"),
        ("201", "capture", "challenge", "pending"),
        ("202", "deny", None, "failed"),
        ("200", "refund", None, "refunded"),
    ],
)
def test_a_status_agreeing_with_its_signed_code(
    code: str, status: str, fraud: str | None, expected: str
) -> None:
    assert billing.notification_status(code, status, fraud) == expected


@pytest.mark.parametrize(
    ("code", "status", "fraud"),
    [
        ("201", "settlement", None),  # a signed pending, edited
        ("201", "capture", "accept"),
        ("202", "settlement", None),
        ("", "settlement", None),
        ("200", "settlement", "challenge"),  # fraud review has not accepted it
        ("200", "settlement", "deny"),
    ],
)
def test_a_paid_status_needs_code_200_and_agreeing_fields(
    code: str, status: str, fraud: str | None
) -> None:
    with pytest.raises(InvalidInput, match="tidak cocok"):
        billing.notification_status(code, status, fraud)
