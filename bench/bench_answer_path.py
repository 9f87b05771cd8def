"""Time the answer hot path (issue 16) as a student walks it: start a session, then
answer and fetch the next question N times, then end the session and load the dashboard.

Unlike bench_scale_ops.py (one first answer per student), this times every answer of a
run, so the readiness throttle shows: the first answer of a section in a minute computes
the forecast, the next ones within the minute write the ability only. It also counts the
SQL statements each call sends (a `before_cursor_execute` listener). By default each answer
is the page's call (`feedback.submit_with_ready_feedback`); "answer + next item" sums one
answer and the `current_question` after it, so two checkouts compare on one row.

    python bench/generate_scale.py --db nexus_perf16 --recreate --scale 0.1   # once
    python bench/bench_answer_path.py --db nexus_perf16 --students 20 --answers 8

Run the same script from another checkout (copy it into its bench/) to compare: it calls
only the practice and dashboard services' public functions. `--offset` picks other
students, so two runs do not answer as the same people. Bench database only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECTIONS = ["PU", "PPU", "PBM", "PK", "LBI", "LBE", "PM"]
T = TypeVar("T")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="nexus_scale")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--answers", type=int, default=8, help="answers per session")
    parser.add_argument("--offset", type=int, default=0, help="skip this many students")
    parser.add_argument("--label", default=str(ROOT), help="printed with the figures")
    parser.add_argument(
        "--path",
        choices=["page", "service"],
        default="page",
        help="page: the call the practice page makes (the submit with its ready feedback); "
        "service: practice.submit_answer alone",
    )
    parser.add_argument(
        "--show-sql", action="store_true", help="print each call's statements (its last sample)"
    )
    args = parser.parse_args()
    if args.db.startswith("nexus_test"):
        raise SystemExit("use a bench database, not a test database")
    os.environ["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{args.db}"

    from nexus_app.db import get_engine
    from nexus_app.services import dashboard, feedback, practice
    from nexus_app.services.auth import CurrentUser

    engine = get_engine()
    statements = [0]
    texts: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements[0] += 1
        texts.append(" ".join(statement.split())[:110])

    with engine.begin() as conn:
        # Students spread over the id range, not those bench_scale_ops.py uses first;
        # premium, so the daily quota never stops a run.
        students = [
            int(r[0])
            for r in conn.execute(
                sa.text(
                    "SELECT id FROM users WHERE role = 'siswa' "
                    "ORDER BY (id * 40503::bigint) % 65536, id LIMIT :n OFFSET :o"
                ),
                {"n": args.students, "o": 1000 + args.offset},
            )
        ]
        conn.execute(
            sa.text(
                "UPDATE users SET subscription_tier = 'premium', is_subscription_active = true, "
                "subscription_end_date = now() + interval '30 days' WHERE id = ANY(:ids)"
            ),
            {"ids": students},
        )

    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    last_sql: dict[str, list[str]] = {}

    def timed(name: str, fn: Callable[[], T]) -> T:
        before = statements[0]
        texts.clear()
        c0, t0 = time.thread_time(), time.perf_counter()
        out = fn()
        times.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
        # This thread's CPU: the app's Python and driver work, not PostgreSQL's, and less
        # sensitive than the wall clock to other work on the machine.
        cpu.setdefault(name, []).append((time.thread_time() - c0) * 1000)
        counts.setdefault(name, []).append(statements[0] - before)
        last_sql[name] = list(texts)
        return out

    # The page's path: the submit with its ready feedback; "B" is wrong for about 4 in 5
    # items, so most answers go through the feedback's quota and cache too.
    submit_call = (
        feedback.submit_with_ready_feedback if args.path == "page" else practice.submit_answer
    )

    def walk(actor: CurrentUser, section: str) -> None:
        view: Any = practice.start_session(actor=actor, section=section)
        sid = view.session_id
        for n in range(args.answers):
            name = "submit, 1st answer" if n == 0 else "submit, later answers (< 60 s)"
            before = (statements[0], time.thread_time())
            timed(
                name,
                partial(
                    submit_call,
                    actor=actor,
                    session_id=sid,
                    question_id=view.question_id,
                    position=view.position,
                    answer="B",
                ),
            )
            view = timed(
                "current_question after a submit",
                partial(practice.current_question, actor=actor, session_id=sid),
            )
            if n > 0:
                # One answer and the next item on screen.
                cpu.setdefault("answer + next item, later answers", []).append(
                    (time.thread_time() - before[1]) * 1000
                )
                counts.setdefault("answer + next item, later answers", []).append(
                    statements[0] - before[0]
                )
            if view is None:
                break
        timed("end_session", lambda: practice.end_session(actor=actor, session_id=sid))
        timed("student dashboard", lambda: dashboard.student_dashboard(actor=actor))

    # The first walk (the first student, again later) warms connections and caches and
    # is not recorded.
    first = students[0]
    walk(CurrentUser(first, f"siswa{first}", "siswa", "Siswa", True), SECTIONS[-1])
    times.clear()
    cpu.clear()
    counts.clear()
    for k, uid in enumerate(students):
        walk(CurrentUser(uid, f"siswa{uid}", "siswa", "Siswa", True), SECTIONS[k % len(SECTIONS)])

    print(
        f"# {args.label}: {len(students)} students × {args.answers} answers, db {args.db}, "
        f"path {args.path}"
    )
    for name, samples in cpu.items():
        if name not in times:  # a sum of calls: CPU and statements only
            print(
                f"{name:<32} n {len(samples):4d}  CPU p50 {statistics.median(samples):6.1f} ms  "
                f"mean {statistics.mean(samples):6.1f} ms  statements "
                f"{statistics.median(counts[name]):3.0f}"
            )
    for name, samples in times.items():
        print(
            f"{name:<32} n {len(samples):4d}  p50 {statistics.median(samples):7.1f}  "
            f"p95 {pct(samples, 0.95):7.1f} ms  CPU p50 {statistics.median(cpu[name]):6.1f} ms"
            f"  statements {statistics.median(counts[name]):3.0f}",
            flush=True,
        )
    if args.show_sql:
        for name, sql in last_sql.items():
            print(f"\n## {name}: {len(sql)} statements")
            for line in sql:
                print(f"  {line}")
    first, later = times["submit, 1st answer"], times.get("submit, later answers (< 60 s)", [])
    if later:
        # One answer every 10 s: one forecast per minute, five θ-only answers.
        steady = (statistics.mean(first) + 5 * statistics.mean(later)) / 6
        c_first, c_later = cpu["submit, 1st answer"], cpu["submit, later answers (< 60 s)"]
        c_steady = (statistics.mean(c_first) + 5 * statistics.mean(c_later)) / 6
        print(
            f"submit, mean at one answer per 10 s (1 forecast + 5 θ-only): {steady:.1f} ms, "
            f"CPU {c_steady:.1f} ms"
        )


if __name__ == "__main__":
    main()
