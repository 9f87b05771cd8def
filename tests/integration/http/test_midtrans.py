"""POST /api/payments/midtrans/notification over HTTP (Starlette's TestClient against the
same Starlette app the Reflex server mounts), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from nexus_app import config as app_config
from nexus_app.http import build_api
from nexus_app.http.payments import MAX_BODY_BYTES, NOTIFICATION_PATH
from nexus_app.services import auth, billing
from tests.integration.services.test_billing import KEY, notification


@pytest.fixture
def client(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("NEXUS_MIDTRANS_SERVER_KEY", KEY)
    app_config.get_settings.cache_clear()
    with TestClient(build_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def order(engine: Engine) -> billing.PaymentView:
    admin = auth.create_user(username="admin1", password="kata-sandi-1", role="admin")
    auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")
    return billing.create_pending_order(actor=admin, username="siswa01", tier="premium")


def _errors(engine: Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT error_type, severity, endpoint, error_message FROM error_logs")
        ).all()


def _tier(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT subscription_tier FROM users WHERE username = 'siswa01'")
        ).scalar_one()


def test_a_settlement_is_applied_once(client: TestClient, engine: Engine, order) -> None:
    body = notification(order.order_id, "settlement", "49000.00")
    first = client.post(NOTIFICATION_PATH, json=body)
    assert first.status_code == 200
    assert first.json() == {
        "status": "ok",
        "order_id": order.order_id,
        "payment_status": "success",
        "changed": True,
        "detail": "pending -> success",
    }
    again = client.post(NOTIFICATION_PATH, json=body)
    assert again.status_code == 200
    assert again.json()["changed"] is False and again.json()["payment_status"] == "success"
    assert _tier(engine) == "premium"


def test_a_forged_notification_is_refused(client: TestClient, engine: Engine, order) -> None:
    body = notification(order.order_id, "settlement", "49000.00")
    body["signature_key"] = "0" * 128
    response = client.post(NOTIFICATION_PATH, json=body)
    assert response.status_code == 403
    assert response.json() == {"status": "error", "error": "Tanda tangan notifikasi tidak valid."}
    assert _tier(engine) == "free"
    assert _errors(engine) == []  # forgeries are not allowed to fill the error log


def test_unknown_orders_and_wrong_amounts(client: TestClient, engine: Engine, order) -> None:
    unknown = client.post(
        NOTIFICATION_PATH, json=notification("NEXUS-404-1-abcdef", "settlement", "49000.00")
    )
    assert unknown.status_code == 404 and "tidak ditemukan" in unknown.json()["error"]
    cheap = client.post(
        NOTIFICATION_PATH, json=notification(order.order_id, "settlement", "4900.00")
    )
    assert cheap.status_code == 409 and "tidak sama" in cheap.json()["error"]
    assert _tier(engine) == "free"
    (logged,) = _errors(engine)  # a correctly signed wrong amount is worth an admin's look
    assert (logged.error_type, logged.severity, logged.endpoint) == (
        "Conflict",
        "critical",
        NOTIFICATION_PATH,
    )


def test_malformed_and_oversized_bodies(client: TestClient, engine: Engine, order) -> None:
    broken = client.post(
        NOTIFICATION_PATH, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400 and "JSON" in broken.json()["error"]
    binary = client.post(NOTIFICATION_PATH, content=b"\xff\xfe\x00")
    assert binary.status_code == 400
    listed = client.post(NOTIFICATION_PATH, json=["order_id"])
    assert listed.status_code == 400 and "objek JSON" in listed.json()["error"]
    missing = notification(order.order_id, "settlement", "49000.00")
    del missing["signature_key"]
    response = client.post(NOTIFICATION_PATH, json=missing)
    assert response.status_code == 400 and "signature_key" in response.json()["error"]
    padded = notification(order.order_id, "settlement", "49000.00")
    padded["custom_field1"] = "x" * MAX_BODY_BYTES
    too_big = client.post(NOTIFICATION_PATH, content=json.dumps(padded).encode())
    assert too_big.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while streaming
        yield b'{"order_id": "'
        for _ in range(40):
            yield b"x" * 1024

    streamed = client.post(NOTIFICATION_PATH, content=chunks())
    assert streamed.status_code == 413
    assert client.get(NOTIFICATION_PATH).status_code == 405
    assert _tier(engine) == "free"


def test_no_server_key_means_503(
    client: TestClient, engine: Engine, order, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXUS_MIDTRANS_SERVER_KEY", "")
    app_config.get_settings.cache_clear()
    response = client.post(
        NOTIFICATION_PATH, json=notification(order.order_id, "settlement", "49000.00")
    )
    assert response.status_code == 503
    assert "NEXUS_MIDTRANS_SERVER_KEY" in response.json()["error"]
    assert client.post(NOTIFICATION_PATH, content=b"{broken").status_code == 503
    assert _tier(engine) == "free"


def test_an_unexpected_error_is_logged_for_admins(
    client: TestClient, engine: Engine, order, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(payload: object) -> billing.NotificationResult:
        raise RuntimeError("database went away")

    monkeypatch.setattr(billing, "handle_midtrans_notification", explode)
    response = client.post(
        NOTIFICATION_PATH, json=notification(order.order_id, "settlement", "49000.00")
    )
    assert response.status_code == 500 and "dicatat" in response.json()["error"]
    (logged,) = _errors(engine)
    assert (logged.error_type, logged.endpoint) == ("RuntimeError", NOTIFICATION_PATH)
    assert logged.error_message == "database went away"


def _pending_edited_to(order_id: str, status: str, fraud: str | None = None) -> dict:
    """A genuine signed "201 pending" notification whose unsigned status was edited."""
    body = notification(order_id, "pending", "49000.00")
    body["transaction_status"] = status
    if fraud:
        body["fraud_status"] = fraud
    return body


@pytest.mark.parametrize(
    ("status", "fraud"), [("settlement", None), ("capture", "accept"), ("SETTLEMENT", None)]
)
def test_a_signed_pending_edited_to_paid_is_refused(
    client: TestClient, engine: Engine, order, status: str, fraud: str | None
) -> None:
    response = client.post(
        NOTIFICATION_PATH, json=_pending_edited_to(order.order_id, status, fraud)
    )
    assert response.status_code == 400
    assert "status_code 201" in response.json()["error"]
    assert _tier(engine) == "free"
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT payment_status FROM payment_subscriptions WHERE midtrans_order_id = :o"
            ),
            {"o": order.order_id},
        ).scalar_one()
    assert stored == "pending"


def test_a_settlement_whose_fraud_check_disagrees_is_refused(
    client: TestClient, engine: Engine, order
) -> None:
    for fraud in ("challenge", "deny"):
        body = notification(order.order_id, "settlement", "49000.00", fraud=fraud)
        assert client.post(NOTIFICATION_PATH, json=body).status_code == 400
    assert _tier(engine) == "free"
    # The genuine article still pays.
    paid = client.post(
        NOTIFICATION_PATH, json=notification(order.order_id, "settlement", "49000.00")
    )
    assert paid.status_code == 200 and paid.json()["payment_status"] == "success"
