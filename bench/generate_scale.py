"""Fill a PostgreSQL database at the GENTA seed's scale with set-based SQL.

At --scale 1: 100,000 users (students in classes of 40, one teacher per class, one admin),
100,000 servable questions over the seven UTBK sections (one calibrated bank), 5,000,000
attempts over the last 90 days, 1,000,000 chat rows (half about school subjects, with
topics), 50,000 error logs, one login session per student, UTBK mastery cells for every
student and school-topic cells (96) for one student in 50, and the weekly summaries
(migration 0017). Every table is filled by one `INSERT … SELECT … FROM generate_series(…)`
inside PostgreSQL with row triggers off, so nothing crosses the wire and the whole run takes
minutes; the time each table took is printed.

The database is created (or dropped and re-created with --recreate) and migrated with
`alembic upgrade head` first. It is never a test database: the name must not start with
`nexus_test`.

    nice -n 10 python bench/generate_scale.py --db nexus_scale --recreate
    python bench/generate_scale.py --db nexus_scale_small --scale 0.1 --recreate
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alembic.config import Config  # noqa: E402

from alembic import command  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CLASS_SIZE = 40
SUBJECTS = [("MAT10", "Matematika", 10), ("FIS11", "Fisika", 11), ("BIO12", "Biologi", 12)]
TOPICS_PER_SUBJECT = 32  # ~96 school topics, as in the seeds


def db_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def create_database(name: str, recreate: bool) -> None:
    if name.startswith("nexus_test") or name in {"postgres", "test"}:
        raise SystemExit(f"refusing to fill {name!r}: use a database of its own")
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if exists and not recreate:
            raise SystemExit(f"{name} exists; pass --recreate to drop and refill it")
        if exists:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def migrate(url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def steps(
    n_users: int, n_questions: int, n_attempts: int, n_chat: int, n_errors: int
) -> list[tuple[str, str, dict[str, int]]]:
    """(table, SQL, parameters) in dependency order."""
    n_classes = max(1, n_users // CLASS_SIZE)
    params = {
        "users": n_users,
        "classes": n_classes,
        "questions": n_questions,
        "attempts": n_attempts,
        "chat": n_chat,
        "errors": n_errors,
        "topics": TOPICS_PER_SUBJECT,
    }
    subjects_sql = "INSERT INTO subjects (code, name, grade) VALUES " + ", ".join(
        f"('{c}', '{n}', {g})" for c, n, g in SUBJECTS
    )
    return [
        ("subjects", subjects_sql, {}),
        (
            "users",
            # Students 1..n; class k holds students k*40..; a teacher per class, one admin.
            """
            INSERT INTO users (username, password_hash, role, full_name, class_name, grade,
                               irt_theta, irt_variance, onboarding_completed, last_login,
                               created_at)
            SELECT 'siswa' || g, 'x', 'siswa', 'Siswa ' || g,
                   'K-' || ((g - 1) % :classes + 1), 10 + g % 3,
                   (random() * 4 - 2), 0.3, true,
                   now() - (random() * interval '30 days'),
                   now() - interval '200 days' + (g % 100) * interval '1 day'
            FROM generate_series(1, :users) AS g;
            INSERT INTO users (username, password_hash, role, full_name, created_at)
            SELECT 'guru' || g, 'x', 'guru', 'Guru ' || g, now() - interval '300 days'
            FROM generate_series(1, :classes) AS g;
            INSERT INTO users (username, password_hash, role, full_name)
            VALUES ('admin_scale', 'x', 'admin', 'Admin Skala');
            INSERT INTO class_assignments (teacher_id, class_name)
            SELECT u.id, 'K-' || substr(u.username, 5) FROM users u WHERE u.role = 'guru';
            """,
            params,
        ),
        (
            "sessions",
            """
            INSERT INTO sessions (user_id, token, expires_at, last_used_at)
            SELECT id, md5('scale-token-' || id), now() + interval '7 days', now()
            FROM users WHERE role = 'siswa';
            """,
            {},
        ),
        (
            "questions",
            """
            INSERT INTO question_banks (name, source, is_reviewed, is_calibrated)
            VALUES ('Bank skala', 'bench', true, true);
            INSERT INTO questions (section, sub_type, text, option_a, option_b, option_c,
                                   option_d, option_e, correct_answer, explanation,
                                   difficulty_irt, discrimination, guessing_param,
                                   question_bank_id, is_reviewed, is_ambiguous,
                                   attempt_count, related_concept)
            SELECT (ARRAY['PU','PPU','PBM','PK','LBI','LBE','PM'])[1 + g % 7],
                   'tipe-' || (g % 5),
                   'Soal skala nomor ' || g || ': berapakah hasil dari ' || g || ' + 1?',
                   'pilihan a', 'pilihan b', 'pilihan c', 'pilihan d', 'pilihan e',
                   (ARRAY['A','B','C','D','E'])[1 + g % 5], 'Pembahasan soal ' || g,
                   (random() * 6 - 3), 0.5 + random() * 1.5, random() * 0.25,
                   (SELECT id FROM question_banks WHERE name = 'Bank skala'), true, false,
                   0, 'konsep-' || (g % 40)
            FROM generate_series(1, :questions) AS g;
            UPDATE question_banks SET total_questions = :questions WHERE name = 'Bank skala';
            """,
            params,
        ),
        (
            "attempts",
            # Spread over the students (u) and the bank (q) with spread-out ids, the item
            # also moving with each pass over the students (g / users): otherwise every item
            # is answered by one student only (~50 distinct at scale 1, as the seeds' query 9
            # expects); times over the last 90 days.
            """
            WITH bounds AS (
                SELECT (SELECT min(id) FROM users WHERE role = 'siswa') AS u0,
                       (SELECT min(id) FROM questions) AS q0
            )
            INSERT INTO attempts (user_id, question_id, selected_answer, is_correct,
                                  time_spent_seconds, created_at)
            SELECT b.u0 + (g % :users),
                   b.q0 + ((g::bigint * 7919 + (g / :users) * 104729) % :questions),
                   (ARRAY['A','B','C','D','E'])[1 + (g / 7) % 5],
                   random() < 0.6,
                   (10 + g % 170)::smallint,
                   now() - random() * interval '90 days'
            FROM generate_series(0, :attempts - 1) AS g, bounds b;
            """,
            params,
        ),
        (
            "chat_history",
            """
            WITH bounds AS (
                SELECT (SELECT min(id) FROM users WHERE role = 'siswa') AS u0,
                       (SELECT min(id) FROM subjects) AS s0
            )
            INSERT INTO chat_history (user_id, subject_id, question, response, topic,
                                      confidence, created_at, model_used)
            SELECT b.u0 + (g % :users),
                   CASE WHEN g % 2 = 0 THEN b.s0 + (g / 2) % 3 END,
                   'Pertanyaan ' || g || ' tentang materi',
                   'Jawaban tutor untuk pertanyaan ' || g,
                   CASE WHEN g % 2 = 0 THEN 'topik-' || ((g / 6) % :topics) END,
                   0.8, now() - random() * interval '90 days', 'bench'
            FROM generate_series(0, :chat - 1) AS g, bounds b;
            """,
            params,
        ),
        (
            "topic_mastery",
            # Each student: a mastery cell per sub_type of two UTBK sections (the heatmap).
            """
            INSERT INTO topic_mastery (user_id, section, topic, mastery_level, question_count,
                                       correct_count, last_interaction)
            SELECT u.id, s.code, 'tipe-' || t, random(), 5, 3,
                   now() - random() * interval '30 days'
            FROM users u
            CROSS JOIN (VALUES ('PU'), ('PK')) AS s(code)
            CROSS JOIN generate_series(0, 4) AS t
            WHERE u.role = 'siswa';
            """,
            {},
        ),
        (
            "school_mastery",
            # One student in 50: a mastery cell for every school topic (3 subjects × 32),
            # the rows `mastery.detect_for_user` walks for a school student. Odd ids: the
            # students whose generated chats carry a subject and topic.
            """
            DELETE FROM topic_mastery WHERE subject_id IS NOT NULL;
            INSERT INTO topic_mastery (user_id, subject_id, topic, mastery_level,
                                       question_count, correct_count, last_interaction)
            SELECT u.id, s.id, 'topik-' || t, random(), 5, 3,
                   now() - random() * interval '30 days'
            FROM users u CROSS JOIN subjects s CROSS JOIN generate_series(0, :topics - 1) AS t
            WHERE u.role = 'siswa' AND u.id % 50 = 1;
            """,
            params,
        ),
        (
            "weak_areas",
            # One student in four has three open weak areas in one section (intervention).
            """
            INSERT INTO weak_areas (user_id, section, topic, weakness_score, detected_at)
            SELECT u.id, 'PK', 'tipe-' || t, 0.7, now() - interval '3 days'
            FROM users u CROSS JOIN generate_series(0, 2) AS t
            WHERE u.role = 'siswa' AND u.id % 4 = 0;
            """,
            {},
        ),
        (
            "item_exposure",
            # Showings per item and sessions per section, as 5 M answers would leave them.
            """
            INSERT INTO item_exposure (question_id, administered_count)
            SELECT question_id, count(*) FROM attempts GROUP BY question_id;
            UPDATE questions q SET attempt_count = e.administered_count
            FROM item_exposure e WHERE e.question_id = q.id;
            INSERT INTO section_exposure (section, examinee_count)
            SELECT code, :users * 2 FROM utbk_sections;
            """,
            params,
        ),
        (
            "weekly_activity",
            # Migration 0017's summary, grouped once here: the bulk inserts above run with
            # the row triggers off (session_replication_role = replica).
            """
            DELETE FROM weekly_activity;
            DELETE FROM weekly_active_counts;
            INSERT INTO weekly_activity (week, user_id, attempts, chats)
            SELECT week, user_id, sum(a), sum(c) FROM (
                SELECT date_trunc('week', timezone('UTC', created_at))::date AS week,
                       user_id, 1 AS a, 0 AS c
                FROM attempts WHERE deleted_at IS NULL
                UNION ALL
                SELECT date_trunc('week', timezone('UTC', created_at))::date, user_id, 0, 1
                FROM chat_history
            ) AS activity
            GROUP BY week, user_id;
            INSERT INTO weekly_active_counts (week, users)
            SELECT week, count(*) FROM weekly_activity GROUP BY week;
            DELETE FROM daily_chat_usage;
            DELETE FROM daily_chat_users;
            DELETE FROM daily_chat_user_counts;
            INSERT INTO daily_chat_usage (day, model_key, answers, tokens_in, tokens_out,
                                          compute_ms)
            SELECT timezone('UTC', created_at)::date, coalesce(model_used, ''), count(*),
                   sum(coalesce(token_count_input, 0)), sum(coalesce(token_count_output, 0)),
                   sum(coalesce(generation_time_ms, 0))
            FROM chat_history GROUP BY 1, 2;
            INSERT INTO daily_chat_users (user_id, day, chats)
            SELECT user_id, timezone('UTC', created_at)::date, count(*)
            FROM chat_history GROUP BY 1, 2;
            INSERT INTO daily_chat_user_counts (day, users)
            SELECT day, count(*) FROM daily_chat_users GROUP BY day;
            """,
            {},
        ),
        (
            "error_logs",
            """
            INSERT INTO error_logs (error_type, error_message, error_stack_trace, severity,
                                    user_id, endpoint, method, http_status_code,
                                    environment, created_at, occurrences, last_seen_at)
            SELECT (ARRAY['ValueError','KeyError','TimeoutError','OperationalError',
                          'RuntimeError'])[1 + g % 5],
                   'kegagalan ' || md5(g::text) || ' pada langkah ' || (g % 97),
                   'Traceback (most recent call last):\n  File "modul_' || (g % 50)
                       || '.py", line ' || g % 400 || E'\n' || md5((g * 3)::text),
                   (ARRAY['low','medium','high','critical'])[1 + g % 4],
                   NULL, '/halaman/' || (g % 30), 'GET', 500, 'production',
                   now() - random() * interval '180 days', 1 + g % 3, now()
            FROM generate_series(1, :errors) AS g;
            """,
            params,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="nexus_scale", help="database name (created)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the seeds' size")
    parser.add_argument("--recreate", action="store_true", help="drop the database first")
    parser.add_argument(
        "--only", nargs="*", default=None, help="fill only these tables of an existing database"
    )
    args = parser.parse_args()

    s = args.scale
    sizes = dict(
        n_users=max(CLASS_SIZE, int(100_000 * s)),
        n_questions=max(700, int(100_000 * s)),
        n_attempts=max(1000, int(5_000_000 * s)),
        n_chat=max(100, int(1_000_000 * s)),
        n_errors=max(100, int(50_000 * s)),
    )
    start = time.perf_counter()
    url = db_url(args.db)
    if args.only is None:
        create_database(args.db, args.recreate)
        migrate(url)
        print(f"database {args.db} migrated in {time.perf_counter() - start:.1f} s", flush=True)
    engine = sa.create_engine(url)
    for table, sql, params in steps(**sizes):
        if args.only is not None and table not in args.only:
            continue
        t0 = time.perf_counter()
        with engine.begin() as conn:
            # Row triggers (weekly_activity's per answer) off for the bulk fill; the summary
            # is grouped in one statement by its own step. Also skips foreign-key checks:
            # the generated ids are consistent by construction.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for statement in (part.strip() for part in sql.split(";")):
                if statement:
                    conn.execute(sa.text(statement), params)
            counted = "topic_mastery" if table == "school_mastery" else table
            rows = conn.execute(sa.text(f"SELECT count(*) FROM {counted}")).scalar_one()
        print(f"{table:<14} {rows:>10,} rows  {time.perf_counter() - t0:7.1f} s", flush=True)
    with engine.begin() as conn:
        # The fill ran with triggers off, so the item-bank token (migration 0010) was never
        # written; without it every worker reloads a section's items on every pick.
        conn.execute(
            sa.text(
                "INSERT INTO item_bank_versions (id, token) VALUES (1, 1) "
                "ON CONFLICT (id) DO UPDATE SET token = item_bank_versions.token + 1"
            )
        )
    t0 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Statistics and the visibility map as autovacuum would leave them on a live server.
        conn.execute(sa.text("VACUUM (ANALYZE)"))
    print(f"{'vacuum analyze':<14} {'':>10}       {time.perf_counter() - t0:7.1f} s")
    print(f"total {time.perf_counter() - start:.1f} s")
    engine.dispose()


if __name__ == "__main__":
    main()
