"""Dashboard and heatmap load times for a 40-student class, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/bench_class_views.py [--students 40] [--rounds 20]
Builds a migrated database with the demo bank, 40 students with three weeks of practice
history (the demo generator), one teacher, then times the service calls the pages make.
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

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from nexus_app import config  # noqa: E402
from tests.conftest import PG_ADMIN_URL, alembic_upgrade  # noqa: E402


def _build(students: int) -> tuple[object, object]:
    from nexus_app.db import unit_of_work
    from nexus_app.models import utcnow
    from nexus_app.repositories import users as user_repo
    from nexus_app.services import auth
    from nexus_app.services.bank_import import import_bank
    from nexus_app.services.demo import DATA_DIR
    from nexus_app.services.demo_history import complete_demo_onboarding, seed_student_history

    questions = DATA_DIR / "questions.json"
    import_bank(
        filename=questions.name,
        data=questions.read_bytes(),
        bank_name="Bench",
        mark_reviewed_by=["A", "B"],
    )
    guru = auth.create_user(username="guru", password="bench-password", role="guru")
    first = None
    now = utcnow()
    for i in range(students):
        s = auth.create_user(
            username=f"s{i:03d}", password="bench-password", role="siswa", class_name="XII-B"
        )
        first = first or s
        with unit_of_work() as session:
            rng = np.random.default_rng(i)
            complete_demo_onboarding(session, s.id, rng, now.date())
            seed_student_history(session, s.id, rng, now)
    with unit_of_work() as session:
        user_repo.assign_class(session=session, teacher_id=guru.id, class_name="XII-B")
    return guru, first


def _time(fn, rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def _measure(url: str, students: int, rounds: int) -> dict[str, tuple[float, float]]:
    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    from nexus_app.services import dashboard, teacher

    guru, student = _build(students)
    heat = teacher.class_overview(actor=guru, view_key="section:PU")
    assert len(heat.rows) == students
    cell_topic = heat.topics[0]
    return {
        "student dashboard": _time(lambda: dashboard.student_dashboard(actor=student), rounds),
        "teacher heatmap + summaries": _time(
            lambda: teacher.class_overview(actor=guru, view_key="section:PU"), rounds
        ),
        "drill-down (one cell)": _time(
            lambda: teacher.drilldown(
                actor=guru, username=student.username, view_key="section:PU", topic=cell_topic
            ),
            rounds,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        alembic_upgrade(url)
        results["sqlite"] = _measure(url, args.students, args.rounds)
    name = f"nexus_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        alembic_upgrade(url)
        results["postgresql"] = _measure(url, args.students, args.rounds)
    finally:
        from nexus_app.db import _engine_for

        _engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"{args.students} students, {args.rounds} rounds each (median / max, ms)")
    for db, rows in results.items():
        for label, (median, worst) in rows.items():
            print(f"{db:<11} {label:<30} {median:8.1f} {worst:8.1f}")


if __name__ == "__main__":
    main()
