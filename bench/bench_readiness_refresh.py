"""The `refresh_readiness` job end to end on PostgreSQL: 100,000 students × 3 sections.

Run: .venv/bin/python bench/bench_readiness_refresh.py [--users 100000] [--answers 15]

A temporary database (dropped afterwards unless --keep) is migrated and filled with
server-side generate_series SQL: `--users` siswa with target scores 450-749, 300 questions
in each of PU, PK and PBM, `--answers` answers per student and section spread over the last
60 days with a noisy rising theta (so the ready-by trend has data past the 10 settling
answers), and one readiness row per student and section. Then `run_job("refresh_readiness")`
is timed twice (cold and warm caches), as the scheduler calls it: lock, job_runs row, the
set-based recount, one SELECT, numpy, COPY into a temp table and one UPDATE … FROM.
Aim (issue 5): ≤ 60 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from nexus_app import config  # noqa: E402
from tests.conftest import PG_ADMIN_URL, alembic_upgrade  # noqa: E402

SECTIONS = ("PU", "PK", "PBM")
QUESTIONS_PER_SECTION = 300

GENERATE = [
    # Students.
    """
    INSERT INTO users (username, password_hash, role, target_score, onboarding_completed)
    SELECT 'bench' || g, 'x', 'siswa', 450 + (g % 300), true
    FROM generate_series(1, :users) AS g
    """,
    # Items: ids are consecutive per section, so an attempt can pick one arithmetically.
    """
    INSERT INTO questions (section, text, option_a, option_b, option_c, option_d, option_e,
                           correct_answer, difficulty_irt, discrimination, guessing_param,
                           is_reviewed)
    SELECT s.code, 'Soal ' || s.code || ' ' || q, 'a', 'b', 'c', 'd', 'e', 'A',
           (q - 150) / 60.0, 1.2, 0.2, true
    FROM unnest(CAST(:sections AS text[])) WITH ORDINALITY AS s(code, pos)
    CROSS JOIN generate_series(1, :per_section) AS q
    ORDER BY s.pos, q
    """,
    # Answers: theta rises ~0.01/day from a per-student start, plus noise.
    """
    INSERT INTO attempts (user_id, question_id, selected_answer, is_correct, time_spent_seconds,
                          user_theta_before, user_theta_after, theta_change, created_at)
    SELECT u.id,
           qs.first_id + ((u.id * 31 + k * 7) % :per_section),
           'A',
           random() < 0.55,
           20 + (random() * 100)::int,
           t.theta - 0.02,
           t.theta,
           0.02,
           now() - make_interval(days => 60 - k * 60 / :answers, secs => random() * 3600)
    FROM users AS u
    CROSS JOIN (
        SELECT section, min(id) AS first_id FROM questions GROUP BY section
    ) AS qs
    CROSS JOIN generate_series(1, :answers) AS k
    CROSS JOIN LATERAL (
        SELECT ((u.id % 200) - 100) / 100.0 + 0.6 * k / :answers + (random() - 0.5) * 0.3
            AS theta
    ) AS t
    """,
    # One readiness row per student and section (theta comes from the refresh).
    """
    INSERT INTO user_readiness (user_id, section, theta_variance)
    SELECT u.id, s.code, 0.05 + random() * 0.1
    FROM users AS u CROSS JOIN unnest(CAST(:sections AS text[])) AS s(code)
    """,
]


def _generate(url: str, users: int, answers: int) -> None:
    engine = sa.create_engine(url)
    params = {
        "users": users,
        "answers": answers,
        "sections": list(SECTIONS),
        "per_section": QUESTIONS_PER_SECTION,
    }
    for statement in GENERATE:
        start = time.perf_counter()
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
        table = statement.split("INSERT INTO", 1)[1].split()[0]
        print(f"  generated {result.rowcount:>9,} {table:<15} {time.perf_counter() - start:6.1f} s")
    start = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    print(f"  vacuum analyze {time.perf_counter() - start:27.1f} s")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=15, help="answers per student and section")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    name = f"nexus_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        server = conn.execute(sa.text("SHOW server_version")).scalar()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        print(f"PostgreSQL {server}, database {name}")
        alembic_upgrade(url)
        rows = args.users * len(SECTIONS)
        print(
            f"data: {args.users:,} students × {len(SECTIONS)} sections = {rows:,} readiness rows, "
            f"{rows * args.answers:,} answers"
        )
        _generate(url, args.users, args.answers)

        os.environ["DATABASE_URL"] = url
        os.environ["NEXUS_SCHEDULER"] = "off"
        config.get_settings.cache_clear()
        from nexus_app.services import jobs

        for label in ("cold", "warm"):
            start = time.perf_counter()
            outcome = jobs.run_job("refresh_readiness", force=True)
            seconds = time.perf_counter() - start
            print(f"refresh_readiness ({label}): {seconds:.1f} s, {outcome.status}")
            print(f"  {outcome.detail}")
            if outcome.status != "success":
                raise SystemExit(1)

        check = sa.create_engine(url)
        with check.connect() as conn:
            done = conn.execute(
                sa.text(
                    "SELECT count(*) FILTER (WHERE readiness_percentage IS NOT NULL), "
                    "count(*) FILTER (WHERE ready_by_date IS NOT NULL), "
                    "count(DISTINCT updated_by_job_id) FROM user_readiness"
                )
            ).one()
        check.dispose()
        print(
            f"rows with readiness: {done[0]:,}; with a ready-by date: {done[1]:,}; "
            f"job ids on rows: {done[2]}"
        )
    finally:
        from nexus_app.db import get_engine

        get_engine().dispose()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
