"""Server-side cost of the admin area (issue 6) on SQLite and PostgreSQL.

Run: .venv/bin/python bench/bench_admin.py [--quick] [--repeats 20] [--requests 200]

Each database is a fresh migrated one (a temporary SQLite file; a throwaway PostgreSQL
database on 127.0.0.1:5432, dropped afterwards), emptied between the five measurements:
1. user list (`services.users.list_users`): 5,000 accounts inserted with SQLAlchemy
   Core and one precomputed argon2 hash; first page, a search term, page 100;
2. error log (`services.error_admin.list_errors`): 50,000 error_logs rows with ~1 kB stack
   traces over 90 days; unfiltered first page, severity filter, text search;
3. analytics (`services.analytics.analytics_report`, 30 days): 2,000 students, 100,000
   attempts over 12 weeks, 30,000 feedback rows, 30,000 tutor answers, bulk-inserted with
   Core;
4. Midtrans notification: POSTs through `nexus_app.http.build_api()` with Starlette's
   TestClient: first settlement of fresh pending orders, the same notification repeated,
   a forged signature (median and p95 per request);
5. bank import (`services.bank_import.import_bank`) of a valid 1,000-row CSV, seconds.
PostgreSQL is ANALYZEd after every bulk load (autovacuum would do so soon after); SQLite
gets no ANALYZE, as the app never runs one. Every timed call goes through the service (or
HTTP) layer exactly as the pages call it; one warm-up call is not counted.
`--quick` shrinks everything to check the script in seconds; its figures mean nothing.
Nothing is compared against a reference: the figures are printed only.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from nexus_app import config  # noqa: E402
from tests.conftest import PG_ADMIN_URL, _wipe, alembic_upgrade  # noqa: E402

SERVER_KEY = "SB-Mid-server-bench-key"
PASSWORD = "bench-password-2026"
SECTIONS = ("PU", "PPU", "PBM", "PK", "LBI", "LBE", "PM")
FIRST_NAMES = [
    "Ahmad",
    "Budi",
    "Citra",
    "Dewi",
    "Eko",
    "Fitri",
    "Gita",
    "Hadi",
    "Indah",
    "Joko",
    "Kartika",
    "Lestari",
    "Made",
    "Nur",
    "Putri",
    "Rizky",
    "Sari",
    "Taufik",
    "Wahyu",
    "Yusuf",
    "Agus",
    "Bayu",
    "Dian",
    "Fajar",
    "Intan",
    "Rina",
    "Siti",
    "Tono",
    "Umi",
    "Yoga",
]
LAST_NAMES = [
    "Pratama",
    "Saputra",
    "Wijaya",
    "Kusuma",
    "Hidayat",
    "Nugroho",
    "Santoso",
    "Siregar",
    "Lubis",
    "Harahap",
    "Setiawan",
    "Rahmawati",
    "Purnomo",
    "Hasibuan",
    "Simanjuntak",
    "Gunawan",
    "Susanto",
    "Wibowo",
    "Halim",
    "Nasution",
]
ERROR_TYPES = (
    "OperationalError",
    "TimeoutError",
    "ValueError",
    "KeyError",
    "Conflict",
    "IntegrityError",
    "ConnectionResetError",
    "AttributeError",
)
ERROR_ENDPOINTS = (
    "reflex-event:practice_state.submit_answer",
    "reflex-event:tutor_state.ask",
    "reflex-event:admin_users_state.load",
    "/api/payments/midtrans/notification",
    "/api/backups/download",
    "job:refresh_readiness",
)
FEEDBACK_MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m"
TUTOR_MODES = (FEEDBACK_MODEL, FEEDBACK_MODEL, FEEDBACK_MODEL, "extractive", "not_covered", None)


@dataclass(frozen=True)
class Sizes:
    users: int
    errors: int
    analytics_users: int
    attempts: int
    feedback: int
    chats: int
    requests: int
    bank_rows: int
    repeats: int
    imports: int


FULL = Sizes(
    users=5_000,
    errors=50_000,
    analytics_users=2_000,
    attempts=100_000,
    feedback=30_000,
    chats=30_000,
    requests=200,
    bank_rows=1_000,
    repeats=20,
    imports=3,
)
QUICK = Sizes(
    users=300,
    errors=2_000,
    analytics_users=100,
    attempts=3_000,
    feedback=1_000,
    chats=1_000,
    requests=10,
    bank_rows=50,
    repeats=3,
    imports=1,
)


# --- helpers ------------------------------------------------------------------------------


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ms_samples(fn: Callable[[], Any], repeats: int) -> list[float]:
    fn()  # warm-up: statement compilation and caches, not counted
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _p95(samples: list[float]) -> float:
    return float(np.percentile(samples, 95))


def _engine() -> sa.Engine:
    from nexus_app.db import get_engine

    return get_engine()


def _bulk_insert(table: sa.Table, rows: list[dict[str, Any]], chunk: int = 5_000) -> None:
    with _engine().begin() as conn:
        for start in range(0, len(rows), chunk):
            conn.execute(table.insert(), rows[start : start + chunk])


def _admin() -> Any:
    from nexus_app.services import auth

    return auth.create_user(username="bench_admin", password=PASSWORD, role="admin")


def _insert_students(
    count: int, rng: random.Random, now: datetime, *, prefix: str, created_days: int
) -> list[int]:
    """Students (about 5% teachers, 3% deactivated) sharing one argon2 hash; returns their ids."""
    from nexus_app.models import User
    from nexus_app.services.auth import hash_password

    password_hash = hash_password(PASSWORD)
    rows = []
    for i in range(count):
        teacher = rng.random() < 0.05
        created = now - timedelta(days=rng.uniform(0, created_days))
        tier = rng.choices(("free", "premium", "premium_plus"), (0.7, 0.2, 0.1))[0]
        rows.append(
            {
                "username": f"{prefix}{i:05d}",
                "password_hash": password_hash,
                "role": "guru" if teacher else "siswa",
                "full_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "class_name": None if teacher else f"XII IPA {i % 8 + 1}",
                "grade": None if teacher else rng.choice((10, 11, 12)),
                "subscription_tier": "free" if teacher else tier,
                "is_active": rng.random() > 0.03,
                "onboarding_completed": True,
                "last_login": created + (now - created) * rng.random(),
                "created_at": created,
                "updated_at": created,
            }
        )
    _bulk_insert(User.__table__, rows)  # type: ignore[attr-defined]
    _analyze()
    with _engine().connect() as conn:
        return list(
            conn.execute(
                sa.select(User.__table__.c.id).where(  # type: ignore[attr-defined]
                    User.__table__.c.username.like(f"{prefix}%"),  # type: ignore[attr-defined]
                    User.__table__.c.role == "siswa",  # type: ignore[attr-defined]
                )
            ).scalars()
        )


def bank_csv(rows: int, seed: int) -> bytes:
    """A valid bank-import CSV: every column of docs/bank-import.md, no duplicates."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "section",
            "text",
            "option_a",
            "option_b",
            "option_c",
            "option_d",
            "option_e",
            "correct_answer",
            "sub_type",
            "explanation",
            "strategy_tip",
            "related_concept",
            "discrimination",
            "difficulty",
            "guessing",
        ]
    )
    for i in range(rows):
        a, b = rng.randint(2, 99), rng.randint(2, 99)
        answer = a * b
        options = [answer + d for d in (0, 1, -1, 10, -10)]
        rng.shuffle(options)
        key = "ABCDE"[options.index(answer)]
        writer.writerow(
            [
                SECTIONS[i % len(SECTIONS)],
                f"Soal {i + 1}. Sebuah toko menjual {a} kotak, masing-masing berisi {b} buku. "
                "Berapa banyak buku yang dijual toko itu seluruhnya?",
                *(str(o) for o in options),
                key,
                rng.choice(("aritmetika", "aljabar", "induktif", "ide_pokok")),
                f"Banyak buku = {a} × {b} = {answer}.",
                "Hitung perkalian dengan memecah salah satu bilangan menjadi puluhan.",
                "perkalian",
                f"{rng.uniform(0.6, 2.0):.3f}",
                f"{rng.gauss(0, 1):.3f}",
                f"{rng.uniform(0.1, 0.25):.3f}",
            ]
        )
    return out.getvalue().encode("utf-8")


# --- the five measurements ----------------------------------------------------------------


def measure_user_list(sizes: Sizes, now: datetime) -> dict[str, float]:
    from nexus_app.services import users

    admin = _admin()
    _insert_students(sizes.users - 1, random.Random(1), now, prefix="siswa", created_days=365)
    first = users.list_users(actor=admin)
    assert first.total == sizes.users and len(first.rows) == users.PER_PAGE
    found = users.list_users(actor=admin, search="sari")
    assert 0 < found.total < sizes.users
    last = users.list_users(actor=admin, page=100)
    assert last.page == min(100, last.pages)
    return {
        "users: first page": _median(
            _ms_samples(lambda: users.list_users(actor=admin), sizes.repeats)
        ),
        "users: search 'sari'": _median(
            _ms_samples(lambda: users.list_users(actor=admin, search="sari"), sizes.repeats)
        ),
        "users: page 100": _median(
            _ms_samples(lambda: users.list_users(actor=admin, page=100), sizes.repeats)
        ),
    }


def _stack_trace(rng: random.Random, error_type: str, message: str) -> str:
    frames = [
        ("nexus_app/state/practice.py", "submit_answer"),
        ("nexus_app/services/practice.py", "answer_item"),
        ("nexus_app/repositories/practice.py", "record_attempt"),
        ("sqlalchemy/engine/base.py", "_execute_context"),
        ("sqlalchemy/engine/default.py", "do_execute"),
        ("nexus_app/services/tutor.py", "ask"),
        ("nexus_app/ai/llm.py", "generate"),
    ]
    lines = ["Traceback (most recent call last):\n"]
    for path, func in rng.sample(frames, 5):
        lines.append(f'  File "/opt/nexus/{path}", line {rng.randint(20, 900)}, in {func}\n')
        lines.append(f"    result = {func}(session=session, user_id=user_id, payload=payload)\n")
    lines.append(f"{error_type}: {message}\n")
    return "".join(lines)


def measure_error_log(sizes: Sizes, now: datetime) -> dict[str, float]:
    from nexus_app.models import ErrorLog
    from nexus_app.services import error_admin

    admin = _admin()
    rng = random.Random(2)
    details = (
        "connection timeout after 30 s",
        "could not serialize access due to concurrent update",
        "database is locked",
        "duplicate key value violates unique constraint",
        "'NoneType' object has no attribute 'id'",
        "model produced no tokens",
        "Jumlah pembayaran tidak sama dengan harga pesanan",
        "read timeout from the model server",
    )
    rows = []
    for i in range(sizes.errors):
        error_type = rng.choice(ERROR_TYPES)
        message = f"{rng.choice(details)} (request {i}, user {rng.randint(1, 5000)})"
        endpoint = rng.choice(ERROR_ENDPOINTS)
        rows.append(
            {
                "error_type": error_type,
                "error_message": message,
                "error_stack_trace": _stack_trace(rng, error_type, message),
                "severity": rng.choices(("low", "medium", "high", "critical"), (4, 3, 2, 1))[0],
                "user_id": admin.id if rng.random() < 0.3 else None,
                "endpoint": endpoint,
                "method": "POST" if endpoint.startswith("/api") else "EVENT",
                "http_status_code": 500,
                "environment": "production",
                "created_at": now - timedelta(days=rng.uniform(0, 90)),
            }
        )
    _bulk_insert(ErrorLog.__table__, rows)  # type: ignore[attr-defined]
    _analyze()
    page = error_admin.list_errors(actor=admin)
    assert page.total == sizes.errors and len(page.items) == error_admin.PAGE_SIZE
    assert 0 < error_admin.list_errors(actor=admin, text="timeout").total < sizes.errors
    return {
        "errors: first page": _median(
            _ms_samples(lambda: error_admin.list_errors(actor=admin), sizes.repeats)
        ),
        "errors: severity=critical": _median(
            _ms_samples(
                lambda: error_admin.list_errors(actor=admin, severity="critical"), sizes.repeats
            )
        ),
        "errors: text 'timeout'": _median(
            _ms_samples(lambda: error_admin.list_errors(actor=admin, text="timeout"), sizes.repeats)
        ),
    }


def _analyze() -> None:
    engine = _engine()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))


def measure_analytics(sizes: Sizes, now: datetime) -> tuple[dict[str, float], float]:
    from nexus_app.models import Attempt, AttemptFeedback, ChatHistory
    from nexus_app.services import analytics
    from nexus_app.services.bank_import import import_bank
    from nexus_app.services.feedback import EXPLANATION_MODEL

    admin = _admin()
    rng = random.Random(3)
    import_bank(filename="bench.csv", data=bank_csv(300, seed=3), bank_name="Analitik")
    with _engine().connect() as conn:
        questions = list(conn.execute(sa.text("SELECT id FROM questions")).scalars())
    start = time.perf_counter()
    students = _insert_students(
        sizes.analytics_users, rng, now, prefix="murid", created_days=7 * 12
    )
    attempts = []
    for _ in range(sizes.attempts):
        attempts.append(
            {
                "user_id": rng.choice(students),
                "question_id": rng.choice(questions),
                "selected_answer": rng.choice("ABCDE"),
                "is_correct": rng.random() < 0.55,
                "time_spent_seconds": rng.randint(10, 300),
                "created_at": now - timedelta(days=rng.uniform(0, 7 * 12)),
            }
        )
    _bulk_insert(Attempt.__table__, attempts)  # type: ignore[attr-defined]
    with _engine().connect() as conn:
        table = Attempt.__table__  # type: ignore[attr-defined]
        # Through the table's column types: SQLite hands back text otherwise.
        answered = conn.execute(sa.select(table.c.id, table.c.created_at)).all()
    feedback = []
    for attempt_id, answered_at in rng.sample(answered, sizes.feedback):
        reused = rng.random() < 0.2
        explanation = rng.random() < 0.1
        feedback.append(
            {
                "attempt_id": attempt_id,
                "feedback_text": "Jawabanmu kurang tepat: periksa lagi langkah perkaliannya.",
                "feedback_lang": "id",
                "is_helpful": rng.choice((None, None, True, True, False)),
                "model_used": EXPLANATION_MODEL if explanation else FEEDBACK_MODEL,
                "prompt_version": rng.choice(("v1", "v2")),
                "generation_time_ms": 0 if reused or explanation else rng.randint(800, 6000),
                "token_count_input": None if explanation else rng.randint(300, 600),
                "token_count_output": None if explanation else rng.randint(40, 160),
                "created_at": answered_at + timedelta(seconds=5),
                "updated_at": answered_at + timedelta(seconds=5),
            }
        )
    _bulk_insert(AttemptFeedback.__table__, feedback)  # type: ignore[attr-defined]
    chats = []
    for _ in range(sizes.chats):
        mode = rng.choice(TUTOR_MODES)
        ran = mode == FEEDBACK_MODEL
        chats.append(
            {
                "user_id": rng.choice(students),
                "question": "Bagaimana cara menghitung peluang dua kejadian saling lepas?",
                "response": "Jumlahkan peluang masing-masing kejadian (lihat buku halaman 42).",
                "confidence": rng.uniform(0.3, 1.0),
                "model_used": mode,
                "generation_time_ms": rng.randint(900, 8000) if ran else 0,
                "token_count_input": rng.randint(400, 900) if ran else 0,
                "token_count_output": rng.randint(50, 200) if ran else 0,
                "created_at": now - timedelta(days=rng.uniform(0, 7 * 12)),
            }
        )
    _bulk_insert(ChatHistory.__table__, chats)  # type: ignore[attr-defined]
    _analyze()
    load_s = time.perf_counter() - start
    report = analytics.analytics_report(actor=admin, days=30)
    assert report.totals.tutor_answers > 0 and report.helpfulness
    samples = _ms_samples(lambda: analytics.analytics_report(actor=admin, days=30), sizes.repeats)
    return {"analytics: 30-day report": _median(samples)}, load_s


def measure_midtrans(sizes: Sizes, now: datetime) -> dict[str, tuple[float, float]]:
    from starlette.testclient import TestClient

    from nexus_app.http import build_api
    from nexus_app.http.payments import NOTIFICATION_PATH
    from nexus_app.services import billing

    # Each forgery logs a warning: keep the record (part of the cost) off the terminal.
    payments_log = logging.getLogger("nexus_app.http.payments")
    payments_log.addHandler(logging.NullHandler())
    payments_log.propagate = False
    admin = _admin()
    _insert_students(20, random.Random(4), now, prefix="pembeli", created_days=30)
    with _engine().connect() as conn:
        buyers = list(
            conn.execute(
                sa.text("SELECT username FROM users WHERE role = 'siswa' AND is_active ORDER BY id")
            ).scalars()
        )
    orders = [
        billing.create_pending_order(
            actor=admin, username=buyers[i % len(buyers)], tier=("premium", "premium_plus")[i % 2]
        )
        for i in range(sizes.requests)
    ]

    def body(order: billing.PaymentView, signature: str | None = None) -> dict[str, str]:
        amount = f"{order.price_idr}.00"
        return {
            "order_id": order.order_id,
            "status_code": "200",
            "gross_amount": amount,
            "transaction_status": "settlement",
            "transaction_id": f"tx-{order.order_id}",
            "payment_type": "bank_transfer",
            "signature_key": signature
            or billing.midtrans_signature(order.order_id, "200", amount, SERVER_KEY),
        }

    results: dict[str, tuple[float, float]] = {}
    with TestClient(build_api(), raise_server_exceptions=False) as client:
        client.post(NOTIFICATION_PATH, json={})  # warm-up (400), not counted
        for label, status, changed, forged in (
            ("midtrans: first settlement", 200, True, False),
            ("midtrans: repeated", 200, False, False),
            ("midtrans: forged signature", 403, None, True),
        ):
            samples = []
            for order in orders:
                payload = body(order, "0" * 128 if forged else None)
                start = time.perf_counter()
                response = client.post(NOTIFICATION_PATH, json=payload)
                samples.append((time.perf_counter() - start) * 1000)
                assert response.status_code == status, response.text
                if changed is not None:
                    assert response.json()["changed"] is changed
            results[label] = (_median(samples), _p95(samples))
    return results


def measure_bank_import(sizes: Sizes) -> list[float]:
    from nexus_app.services.bank_import import import_bank

    seconds = []
    for run in range(sizes.imports):
        data = bank_csv(sizes.bank_rows, seed=100 + run)
        start = time.perf_counter()
        report = import_bank(filename="bank.csv", data=data, bank_name=f"Impor {run + 1}")
        seconds.append(time.perf_counter() - start)
        assert report.imported == sizes.bank_rows and not report.errors, report.errors[:3]
    return seconds


# --- databases ----------------------------------------------------------------------------


@contextmanager
def _postgres() -> Iterator[str]:
    name = f"nexus_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from nexus_app.db import _engine_for, get_engine

        get_engine().dispose()  # DATABASE_URL still names this database
        _engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_all(url: str, sizes: Sizes, label: str) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    alembic_upgrade(url)
    now = datetime.now(UTC)
    out: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[], None]]] = [
        ("user list", lambda: out.update(measure_user_list(sizes, now))),
        ("error log", lambda: out.update(measure_error_log(sizes, now))),
        ("analytics", lambda: out.update(_analytics(sizes, now))),
        ("midtrans", lambda: out.update(measure_midtrans(sizes, now))),
        ("bank import", lambda: out.update({"bank import": measure_bank_import(sizes)})),
    ]
    for name, step in steps:
        _wipe(_engine())
        start = time.perf_counter()
        step()
        _log(f"{label}: {name} done in {time.perf_counter() - start:.1f} s")
    return out


def _analytics(sizes: Sizes, now: datetime) -> dict[str, Any]:
    figures, load_s = measure_analytics(sizes, now)
    return {**figures, "analytics: data load (context)": load_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes to test the script")
    parser.add_argument("--repeats", type=int, help="calls per timed list/report (default 20)")
    parser.add_argument("--requests", type=int, help="notifications per kind (default 200)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.repeats or args.requests:
        sizes = Sizes(
            **{
                **vars(sizes),
                "repeats": args.repeats or sizes.repeats,
                "requests": args.requests or sizes.requests,
            }
        )
    os.environ["NEXUS_MIDTRANS_SERVER_KEY"] = SERVER_KEY
    began = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NEXUS_DATA_DIR"] = str(Path(tmp) / "data")
        results["SQLite"] = run_all(f"sqlite:///{Path(tmp) / 'bench.db'}", sizes, "sqlite")
        with _postgres() as url:
            results["PostgreSQL"] = run_all(url, sizes, "postgresql")
    config.get_settings.cache_clear()

    sqlite, pg = results["SQLite"], results["PostgreSQL"]
    if args.quick:
        print("QUICK RUN: tiny sizes, the figures below mean nothing")
    print(
        f"users {sizes.users}; error_logs {sizes.errors}; analytics {sizes.analytics_users} "
        f"users, {sizes.attempts} attempts, {sizes.feedback} feedback, {sizes.chats} chats; "
        f"{sizes.requests} notifications per kind; bank CSV {sizes.bank_rows} rows; "
        f"{sizes.repeats} repeats per list/report (median, after one warm-up call)"
    )
    print(f"{'measure':<44} {'SQLite':>20} {'PostgreSQL':>20}")
    for key in sqlite:
        left, right = sqlite[key], pg[key]
        if key == "bank import":
            cells = [
                f"{_median(v):.2f} s" + (f" ({min(v):.2f}-{max(v):.2f})" if len(v) > 1 else "")
                for v in (left, right)
            ]
            key = f"bank import, {sizes.bank_rows} rows (median of {sizes.imports})"
        elif key.startswith("midtrans"):
            cells = [f"{v[0]:.1f} / {v[1]:.1f} ms" for v in (left, right)]
            key += " (median / p95)"
        elif key.startswith("analytics: data load"):
            cells = [f"{v:.1f} s" for v in (left, right)]
        else:
            cells = [f"{v:.1f} ms" for v in (left, right)]
        print(f"{key:<44} {cells[0]:>20} {cells[1]:>20}")
    print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
