"""What issue 11's tryout additions cost as sittings pile up, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/bench_tryout.py [--sittings 2000] [--rounds 10]
Builds a migrated database with a 200-item bank in the seven SNBT sections' shape cut down
to PU and PK (PU 30 of 120 items, PK 20 of 80), `--sittings` finished sittings of that
blueprint by as many students (rows written in bulk, as finished tryouts would leave
them), and one student with 20 finished sittings of her own. Then times:

- `item_usage`: the exposure counts read when a sitting starts (grows with the sittings);
- `start_tryout`: a whole start (the lock, the counts, drawing both forms, the inserts);
- the student dashboard (its readiness now folds in her 20 tryouts) and `tryout_trend`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from nexus_app import config  # noqa: E402
from tests.conftest import PG_ADMIN_URL, alembic_upgrade  # noqa: E402

PLAN = (("PU", 120, 30), ("PK", 80, 20))  # section, bank items, items per form


def _bank_csv(section: str, n: int) -> bytes:
    header = (
        "section,sub_type,text,option_a,option_b,option_c,option_d,option_e,"
        "correct_answer,explanation,strategy_tip,discrimination,difficulty,guessing"
    )
    rows = [header]
    for i in range(n):
        rows.append(
            f"{section},t{i % 4},Soal {section} {i}?,p,q,r,s,t,B,Karena B.,-,1.2,"
            f"{-2 + 4 * i / (n - 1):.2f},0.2"
        )
    return ("\n".join(rows) + "\n").encode()


def _build(sittings: int) -> tuple[object, int]:
    from nexus_app.db import get_engine, unit_of_work
    from nexus_app.models import User, utcnow
    from nexus_app.services import auth, onboarding, tryout
    from nexus_app.services.bank_import import import_bank

    for section, n, _ in PLAN:
        assert import_bank(
            filename="b.csv",
            data=_bank_csv(section, n),
            bank_name=section,
            mark_reviewed_by=["A", "B"],
        ).ok
    csv = "order,section,items,minutes\n" + "".join(
        f"{i},{s},{k},30\n" for i, (s, _, k) in enumerate(PLAN, start=1)
    )
    assert tryout.import_blueprint(data=csv.encode(), name="Bench").ok
    blueprint = next(b.id for b in tryout.list_blueprints() if b.name == "Bench")
    engine = get_engine()
    rng = np.random.default_rng(0)
    now = utcnow()
    with engine.begin() as conn:
        ids = {
            s: [
                r[0] for r in conn.execute(sa.text(f"SELECT id FROM questions WHERE section='{s}'"))
            ]
            for s, _, _ in PLAN
        }
    with unit_of_work() as session:
        session.add_all(
            User(username=f"b{i:05d}", password_hash="x", role="siswa", onboarding_completed=True)
            for i in range(sittings)
        )
    with engine.begin() as conn:
        users = [
            r[0] for r in conn.execute(sa.text("SELECT id FROM users WHERE username LIKE 'b%'"))
        ]
    student = auth.create_user(username="siswa01", password="bench-password-1", role="siswa")
    onboarding.skip_utbk_target(actor=student)
    owners = users + [student.id] * 20
    sitting_rows, section_rows, item_rows = [], [], []
    for n, user_id in enumerate(owners):
        sid = f"bench{n:07d}"
        ended = now - timedelta(days=len(owners) - n)
        sitting_rows.append(
            {"id": sid, "u": user_id, "b": blueprint, "s": ended, "f": ended, "t": 500.0}
        )
        for position, (section, _, k) in enumerate(PLAN, start=1):
            section_rows.append(
                {"id": sid, "p": position, "s": section, "k": k, "st": ended, "e": ended}
            )
            for number, q in enumerate(rng.choice(ids[section], k, replace=False), start=1):
                item_rows.append(
                    {"id": sid, "p": position, "n": number, "q": int(q), "a": "ABCDE"[number % 5]}
                )
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO tryout_sittings (id, user_id, blueprint_id, current_position, "
                "started_at, finished_at, total_score) VALUES (:id, :u, :b, 3, :s, :f, :t)"
            ),
            sitting_rows,
        )
        conn.execute(
            sa.text(
                "INSERT INTO tryout_sitting_sections (sitting_id, position, section, item_count, "
                "minutes, started_at, deadline, ended_at, theta, se, score) "
                "VALUES (:id, :p, :s, :k, 30, :st, :e, :e, 0.1, 0.3, 510)"
            ),
            section_rows,
        )
        conn.execute(
            sa.text(
                "INSERT INTO tryout_items (sitting_id, position, number, question_id, answer, "
                "doubt) VALUES (:id, :p, :n, :q, :a, false)"
            ),
            item_rows,
        )
    return student, blueprint


def _time(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def _measure(url: str, sittings: int, rounds: int) -> dict[str, tuple[float, float]]:
    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    from nexus_app.db import _engine_for, unit_of_work
    from nexus_app.repositories import tryout as tryout_repo
    from nexus_app.services import auth, dashboard, tryout

    _engine_for.cache_clear()
    student, blueprint = _build(sittings)

    def usage() -> None:
        with unit_of_work() as session:
            tryout_repo.item_usage(session=session, blueprint_id=blueprint)

    # Accounts made first: password hashing is not part of a start.
    starters = iter(
        [
            auth.create_user(username=f"start{n}", password="bench-password-1", role="siswa")
            for n in range(rounds)
        ]
    )

    def start() -> None:
        tryout.start_tryout(actor=next(starters), blueprint_id=blueprint)

    return {
        "item_usage (exposure counts)": _time(usage, rounds),
        "start_tryout (whole start)": _time(start, rounds),
        "student dashboard, 20 tryouts": _time(
            lambda: dashboard.student_dashboard(actor=student), rounds
        ),
        "tryout_trend, 20 tryouts": _time(lambda: tryout.tryout_trend(actor=student), rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sittings", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NEXUS_DATA_DIR"] = tmp
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        alembic_upgrade(url)
        results["sqlite"] = _measure(url, args.sittings, args.rounds)
        name = f"nexus_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
            alembic_upgrade(url)
            results["postgresql"] = _measure(url, args.sittings, args.rounds)
        finally:
            from nexus_app.db import _engine_for

            _engine_for.cache_clear()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    items = sum(k for _, _, k in PLAN)
    print(
        f"{args.sittings} finished sittings of a {items}-item blueprint "
        f"({args.sittings * items} tryout_items rows), {args.rounds} rounds (median / max, ms)"
    )
    for db, rows in results.items():
        for label, (median, worst) in rows.items():
            print(f"{db:<11} {label:<32} {median:8.1f} {worst:8.1f}")


if __name__ == "__main__":
    main()
