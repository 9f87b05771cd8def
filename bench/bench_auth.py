"""Login and session-validation time on SQLite and PostgreSQL, through the service layer.

Run: .venv/bin/python bench/bench_auth.py [--rounds 200]
Prints one table; record it in docs/benchmarks.md with the date.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from nexus_app import config  # noqa: E402
from tests.conftest import PG_ADMIN_URL, alembic_upgrade  # noqa: E402


def _measure(url: str, rounds: int) -> dict[str, float]:
    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    from nexus_app.services import auth

    auth.create_user(username="bench", password="bench-password", role="siswa")
    logins: list[float] = []
    checks: list[float] = []
    token = ""
    for _ in range(max(5, rounds // 20)):  # argon2 is deliberately slow: fewer login rounds
        start = time.perf_counter()
        token = auth.login(username="bench", password="bench-password").token
        logins.append(time.perf_counter() - start)
    for _ in range(rounds):
        start = time.perf_counter()
        auth.current_user(token, roles=("siswa",))
        checks.append(time.perf_counter() - start)
    return {
        "login_median_ms": statistics.median(logins) * 1000,
        "validate_median_ms": statistics.median(checks) * 1000,
        "validate_p95_ms": sorted(checks)[int(len(checks) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        alembic_upgrade(sqlite_url)
        results["sqlite"] = _measure(sqlite_url, args.rounds)
    name = f"nexus_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        pg_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        alembic_upgrade(pg_url)
        results["postgresql"] = _measure(pg_url, args.rounds)
    finally:
        from nexus_app.db import _engine_for

        _engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"{'database':<12}{'login median':>16}{'validate median':>18}{'validate p95':>15}")
    for db, r in results.items():
        print(
            f"{db:<12}{r['login_median_ms']:>13.1f} ms{r['validate_median_ms']:>15.2f} ms"
            f"{r['validate_p95_ms']:>12.2f} ms"
        )


if __name__ == "__main__":
    main()
