"""NEXUS_MIDTRANS_STATUS_API=on: every signed notification is checked against Midtrans's
status API, here a local fake HTTP server (no real network), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from nexus_app import config as app_config
from nexus_app.http import build_api
from nexus_app.http.payments import NOTIFICATION_PATH
from nexus_app.services import auth, billing
from tests.integration.services.test_billing import KEY, notification


@dataclass
class FakeMidtrans:
    """Answers GET /v2/<order>/status with whatever `answers` holds for that order."""

    answers: dict[str, dict] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def midtrans() -> Iterator[FakeMidtrans]:
    fake = FakeMidtrans()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append((self.path, self.headers.get("Authorization", "")))
            order = self.path.removeprefix("/v2/").removesuffix("/status")
            answer = fake.answers.get(order, {"status_code": "404", "status_message": "nope"})
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(
    engine: Engine, midtrans: FakeMidtrans, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv("NEXUS_MIDTRANS_SERVER_KEY", KEY)
    monkeypatch.setenv("NEXUS_MIDTRANS_STATUS_API", "on")
    monkeypatch.setenv("NEXUS_MIDTRANS_API_URL", midtrans.url)
    app_config.get_settings.cache_clear()
    with TestClient(build_api(), raise_server_exceptions=False) as test_client:
        yield test_client
    app_config.get_settings.cache_clear()


@pytest.fixture
def order(engine: Engine) -> billing.PaymentView:
    admin = auth.create_user(username="admin1", password="kata-sandi-1", role="admin")
    auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")
    return billing.create_pending_order(actor=admin, username="siswa01", tier="premium")


def _status_answer(order_id: str, status: str, code: str, fraud: str | None = None) -> dict:
    answer = {
        "order_id": order_id,
        "status_code": code,
        "gross_amount": "49000.00",
        "transaction_status": status,
        "transaction_id": f"tx-{order_id}",
        "payment_type": "bank_transfer",
    }
    if fraud:
        answer["fraud_status"] = fraud
    return answer


def _stored(engine: Engine, order_id: str) -> tuple[str, str]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT p.payment_status, u.subscription_tier FROM payment_subscriptions p "
                "JOIN users u ON u.id = p.user_id WHERE p.midtrans_order_id = :o"
            ),
            {"o": order_id},
        ).one()
    return row[0], row[1]


def test_the_status_api_decides_not_the_notification(
    client: TestClient, engine: Engine, midtrans: FakeMidtrans, order
) -> None:
    midtrans.answers[order.order_id] = _status_answer(order.order_id, "pending", "201")
    # Even a well-formed, signed settlement is not believed while Midtrans says pending.
    claimed = client.post(
        NOTIFICATION_PATH, json=notification(order.order_id, "settlement", "49000.00")
    )
    assert claimed.status_code == 200
    assert claimed.json()["payment_status"] == "pending" and not claimed.json()["changed"]
    assert _stored(engine, order.order_id) == ("pending", "free")
    # Once Midtrans reports the settlement, the next notification pays the order.
    midtrans.answers[order.order_id] = _status_answer(order.order_id, "settlement", "200")
    paid = client.post(NOTIFICATION_PATH, json=notification(order.order_id, "pending", "49000.00"))
    assert paid.status_code == 200 and paid.json()["payment_status"] == "success"
    assert _stored(engine, order.order_id) == ("success", "premium")
    path, authorization = midtrans.requests[-1]
    assert path == f"/v2/{order.order_id}/status"
    assert authorization == "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()


def test_without_an_answer_nothing_changes_and_midtrans_retries(
    client: TestClient, engine: Engine, midtrans: FakeMidtrans, order, monkeypatch
) -> None:
    body = notification(order.order_id, "settlement", "49000.00")
    unknown = client.post(NOTIFICATION_PATH, json=body)  # the fake has no answer: 404 inside
    assert unknown.status_code == 503
    monkeypatch.setenv("NEXUS_MIDTRANS_API_URL", "http://127.0.0.1:9")  # nothing listens
    app_config.get_settings.cache_clear()
    offline = client.post(NOTIFICATION_PATH, json=body)
    assert offline.status_code == 503 and "tidak bisa dihubungi" in offline.json()["error"]
    assert _stored(engine, order.order_id) == ("pending", "free")
    with engine.connect() as conn:
        logged = conn.execute(sa.text("SELECT error_type FROM error_logs")).scalars().all()
    assert logged == ["StatusCheckUnavailable", "StatusCheckUnavailable"]


def test_a_forged_notification_never_reaches_the_status_api(
    client: TestClient, midtrans: FakeMidtrans, order
) -> None:
    body = notification(order.order_id, "settlement", "49000.00")
    body["signature_key"] = "0" * 128
    assert client.post(NOTIFICATION_PATH, json=body).status_code == 403
    assert midtrans.requests == []


def test_the_status_api_answer_is_bound_too(
    client: TestClient, engine: Engine, midtrans: FakeMidtrans, order
) -> None:
    # A settlement the fraud check has not accepted is not paid, whoever says so.
    midtrans.answers[order.order_id] = _status_answer(
        order.order_id, "settlement", "200", fraud="challenge"
    )
    body = notification(order.order_id, "settlement", "49000.00")
    assert client.post(NOTIFICATION_PATH, json=body).status_code == 400
    assert _stored(engine, order.order_id) == ("pending", "free")
