"""Time the issue-16 operations on a database filled by bench/generate_scale.py.

Each operation calls the project's own repository or service function, once per sample,
for a different student (or class) each time, and prints p50/p95 next to the aim:

    python bench/generate_scale.py --db nexus_scale --recreate      # once
    python bench/bench_scale_ops.py --db nexus_scale --samples 30

Practice sessions it starts are real rows (a few per run); run it on a bench database only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

# (operation, aim in ms)
AIMS: dict[str, float] = {
    "session validation": 1,
    "last 100 chat messages": 5,
    "next CAT question (list_cat_candidates + choose)": 10,
    "practice.start_session": 50,
    "practice.submit_answer": 15,
    "practice.current_question after a submit": 15,
    "teacher class overview, class of 40": 50,
    "weekly activity, all students": 100,
    "weekly activity, one class": 100,
    "students needing intervention, all classes": 50,
    "students needing intervention, one class": 50,
    "error-log text search": 100,
    "weekly activity, all students, a page of 100": 100,
    "students needing intervention, all classes, a page of 100": 50,
    "mastery.detect_for_user, school subject (96 topics)": 20,
    "30-day analytics report": 500,
    "top questions (seed query 9), one section": 200,
    "top questions (seed query 9), all sections": 200,
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="nexus_scale")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--only", nargs="*", default=None, help="operation name prefixes")
    args = parser.parse_args()
    if args.db.startswith("nexus_test"):
        raise SystemExit("use a bench database, not a test database")
    os.environ["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{args.db}"

    from sqlmodel import Session

    from nexus_app.db import get_engine, unit_of_work
    from nexus_app.engine import cat
    from nexus_app.repositories import analytics as analytics_repo
    from nexus_app.repositories import chat as chat_repo
    from nexus_app.repositories import questions as question_repo
    from nexus_app.repositories import weak_areas as weak_repo
    from nexus_app.services import analytics as analytics_service
    from nexus_app.services import auth, error_admin, mastery, practice, teacher
    from nexus_app.services import statistics as statistics_service
    from nexus_app.services.auth import CurrentUser

    engine = get_engine()
    n = args.samples
    with engine.begin() as conn:
        # Students and teachers spread over the whole id range; premium so no daily quota.
        students = [
            int(r[0])
            for r in conn.execute(
                sa.text(
                    "SELECT id FROM users WHERE role = 'siswa' "
                    "ORDER BY (id * 2654435761::bigint) % 4294967296 LIMIT :n"
                ),
                {"n": n * 4},
            )
        ]
        conn.execute(
            sa.text(
                "UPDATE users SET subscription_tier = 'premium', is_subscription_active = true, "
                "subscription_end_date = now() + interval '30 days' WHERE id = ANY(:ids)"
            ),
            {"ids": students},
        )
        teachers = [
            (int(r[0]), r[1], r[2])
            for r in conn.execute(
                sa.text(
                    "SELECT u.id, u.username, c.class_name FROM users u "
                    "JOIN class_assignments c ON c.teacher_id = u.id "
                    "ORDER BY (u.id * 2654435761::bigint) % 4294967296 LIMIT :n"
                ),
                {"n": n},
            )
        ]
        # Students with school-topic mastery cells (generate_scale's school_mastery step).
        school = [
            int(r[0])
            for r in conn.execute(
                sa.text(
                    "SELECT DISTINCT user_id, (user_id * 2654435761::bigint) % 4294967296 "
                    "FROM topic_mastery WHERE subject_id IS NOT NULL ORDER BY 2 LIMIT :n"
                ),
                {"n": n + 8},
            )
        ]
        admin_id = conn.execute(
            sa.text("SELECT id FROM users WHERE role = 'admin' LIMIT 1")
        ).scalar_one()
        tokens = [f"bench-scale-token-{uid}" for uid in students[:n]]
        conn.execute(
            sa.text("UPDATE sessions SET token = :t WHERE user_id = :u"),
            [{"t": auth.hash_token(t), "u": u} for t, u in zip(tokens, students, strict=False)],
        )
    actors = {uid: CurrentUser(uid, f"siswa{uid}", "siswa", "Siswa", True) for uid in students}
    admin = CurrentUser(int(admin_id), "admin_scale", "admin", "Admin", True)
    sections = ["PU", "PPU", "PBM", "PK", "LBI", "LBE", "PM"]
    words = ["kegagalan", "langkah 42", "modul_7", "TimeoutError", "a1b2", "halaman/3"]

    results: dict[str, list[float]] = {}

    def timed(name: str, fn: Callable[[int], object]) -> None:
        if args.only and not any(name.startswith(p) for p in args.only):
            return
        try:
            fn(-7)
        except TypeError as exc:  # an older checkout without the operation's parameters
            print(f"{name:<52} not available in this checkout ({exc})", flush=True)
            return
        for i in range(-6, 1):  # warm-up: connections, every section in the worker caches
            fn(i)
        samples = []
        for i in range(1, n + 1):
            t0 = time.perf_counter()
            fn(i)
            samples.append((time.perf_counter() - t0) * 1000)
        results[name] = samples
        print(
            f"{name:<52} p50 {statistics.median(samples):8.1f}  p95 {pct(samples, 0.95):8.1f} ms"
            f"  aim ≤ {AIMS[name]:g} ms",
            flush=True,
        )

    # Validation renews a session at most once a minute; renew each first, so the samples
    # time what nearly every event does (a read, no write).
    for token in tokens:
        auth.current_user(token)
    timed("session validation", lambda i: auth.current_user(tokens[i % n]))

    def chat(i: int) -> object:
        with unit_of_work() as s:
            return chat_repo.list_recent_chat_history(session=s, user_id=students[i], limit=100)

    timed("last 100 chat messages", chat)

    def next_cat(i: int) -> object:
        with unit_of_work() as s:
            cands = question_repo.list_cat_candidates(
                session=s, user_id=students[i], section=sections[i % 7]
            )
            return cat.choose_next_item(
                0.0,
                [c.a or 1.0 for c in cands],
                [c.b for c in cands],
                [c.c or 0.0 for c in cands],
            )

    timed("next CAT question (list_cat_candidates + choose)", next_cat)

    opened: dict[int, object] = {}

    def start(i: int) -> object:
        uid = students[n + i]
        view = practice.start_session(actor=actors[uid], section=sections[i % 7])
        opened[i] = view
        return view

    timed("practice.start_session", start)

    def submit(i: int) -> object:
        view = opened[i]
        uid = students[n + i]
        return practice.submit_answer(
            actor=actors[uid],
            session_id=view.session_id,  # type: ignore[attr-defined]
            question_id=view.question_id,  # type: ignore[attr-defined]
            position=view.position,  # type: ignore[attr-defined]
            answer="B",
        )

    timed("practice.submit_answer", submit)

    def current(i: int) -> object:
        view = opened[i]
        return practice.current_question(
            actor=actors[students[n + i]],
            session_id=view.session_id,  # type: ignore[attr-defined]
        )

    timed("practice.current_question after a submit", current)

    def overview(i: int) -> object:
        tid, username, class_name = teachers[i % len(teachers)]
        actor = CurrentUser(tid, username, "guru", username, True)
        return teacher.class_overview(actor=actor, view_key="section:PK", class_name=class_name)

    timed("teacher class overview, class of 40", overview)

    def weekly(i: int) -> object:
        with unit_of_work() as s:
            return analytics_repo.weekly_student_activity(session=s)

    timed("weekly activity, all students", weekly)

    def intervention(i: int) -> object:
        with unit_of_work() as s:
            return weak_repo.list_students_needing_intervention(session=s)

    timed("students needing intervention, all classes", intervention)

    def weekly_class(i: int) -> object:
        with unit_of_work() as s:
            return analytics_repo.weekly_student_activity(
                session=s, class_names=[teachers[i % len(teachers)][2]]
            )

    timed("weekly activity, one class", weekly_class)

    def intervention_class(i: int) -> object:
        with unit_of_work() as s:
            return weak_repo.list_students_needing_intervention(
                session=s, class_name=teachers[i % len(teachers)][2]
            )

    timed("students needing intervention, one class", intervention_class)
    timed(
        "error-log text search",
        lambda i: error_admin.list_errors(actor=admin, text=words[i % len(words)]),
    )

    def weekly_page(i: int) -> object:
        with unit_of_work() as s:
            return analytics_repo.weekly_student_activity(session=s, limit=100)

    timed("weekly activity, all students, a page of 100", weekly_page)

    def intervention_page(i: int) -> object:
        with unit_of_work() as s:
            return weak_repo.list_students_needing_intervention(session=s, limit=100)

    timed("students needing intervention, all classes, a page of 100", intervention_page)

    def detect(i: int) -> object:
        # Rolled back: every run (before and after) sees the same open weak areas.
        with Session(engine) as s:
            try:
                return mastery.detect_for_user(s, school[(i + 7) % len(school)])
            finally:
                s.rollback()

    if school:
        timed("mastery.detect_for_user, school subject (96 topics)", detect)
    timed(
        "30-day analytics report",
        lambda i: analytics_service.analytics_report(actor=admin, days=30),
    )
    timed(
        "top questions (seed query 9), one section",
        lambda i: statistics_service.question_statistics(actor=admin, section=sections[i % 7]),
    )
    timed(
        "top questions (seed query 9), all sections",
        lambda i: statistics_service.question_statistics(actor=admin),
    )


if __name__ == "__main__":
    main()
