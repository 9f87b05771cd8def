"""What one student's login costs the server, up to their dashboard (issue 16: a class of 40
logging in within 2 s, all on their page in <= 3 s).

The machine these figures are taken on is shared and busy, so wall-clock times say little;
this counts what is steady: the server-side calls one login makes, replayed in-process in
the order the server makes them, with the SQL statements each sends (a
`before_cursor_execute` listener) and this thread's CPU seconds (`time.thread_time`: the
app's Python, SQLAlchemy and driver work, argon2 included for the login itself; PostgreSQL's
own work is not in it).

The steps (what the server runs between the login click and the filled dashboard):

  login       AuthState.login: auth.login (throttle check, argon2, session row)
  hydrate     SessionHygieneMiddleware on /dashboard's hydrate: session_cache.validate
  guard       AuthState.guard: reuses the hydrate's check (main: session_cache.validate)
  dashboard   DashboardState.load: the cached check, dashboard.student_dashboard, due count
  tasks       StudentTasksState.load: its session check and tasks.my_tasks

`STEPS` below mirrors this checkout's handlers; a copy of this script in another checkout
must mirror that checkout's (main de5f5fc: the guard asked the database again,
`session_cache.validate`, and the tasks card too, `auth.current_user_for_digest`).

    # once: a PostgreSQL bench database with the demo school and 40 extra students
    python bench/bench_login_cost.py --db nexus_login16 --setup
    python bench/bench_login_cost.py --db nexus_login16 --students 40

`--profile FILE` also writes a cProfile of the dashboard steps (pstats format). Through the
real websocket protocol against a server, the wall-clock side: bench/load_practice.py
--serve CHECKOUT --students "" --class-size 40 (its class scenario), which also prints the
server's CPU seconds per login when it started the server.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "nexus-siswa-2026"  # the demo school's students' password
PREFIX = "murid"


def setup(url: str, db: str, students: int) -> None:
    """A fresh bench database: migrations, the demo school, `students` onboarded students."""
    from load_practice import MAKE_STUDENTS

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
    engine.dispose()
    env = dict(os.environ, DATABASE_URL=url, NEXUS_SCHEDULER="off", PYTHONPATH=str(ROOT))
    nexus = str(Path(sys.executable).parent / "nexus")
    for args in (["db", "upgrade"], ["demo", "seed", "--no-books"]):
        subprocess.run([nexus, *args], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(
        [sys.executable, "-c", MAKE_STUDENTS, str(students), PREFIX, "40", PASSWORD],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def steps() -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """This checkout's server-side calls for one login, in order (see the module text)."""
    from nexus_app.services import auth, dashboard, review_queue, session_cache, tasks

    def login(ctx: dict[str, Any]) -> None:
        result = auth.login(username=ctx["username"], password=PASSWORD, client_ip="10.0.0.1")
        ctx["digest"] = result.session_digest

    def hydrate(ctx: dict[str, Any]) -> None:
        session_cache.validate(ctx["digest"], None, pending_password_ok=True)

    def guard(ctx: dict[str, Any]) -> None:
        # The guard right after the hydrate reuses the hydrate's check (state/auth.py
        # `_require_fresh`); main's guard asked the database: session_cache.validate.
        ctx["actor"] = session_cache.recent_user(ctx["digest"], ("siswa",)) or (
            session_cache.validate(ctx["digest"], ("siswa",))
        )

    def dashboard_load(ctx: dict[str, Any]) -> None:
        actor = session_cache.recent_user(ctx["digest"], ("siswa",)) or session_cache.validate(
            ctx["digest"], ("siswa",)
        )
        dashboard.student_dashboard(actor=actor)
        review_queue.due_count(user_id=actor.id)

    def tasks_load(ctx: dict[str, Any]) -> None:
        actor = session_cache.recent_user(ctx["digest"], ("siswa",)) or session_cache.validate(
            ctx["digest"], ("siswa",)
        )
        tasks.my_tasks(actor=actor)

    return [
        ("login", login),
        ("hydrate", hydrate),
        ("guard", guard),
        ("dashboard", dashboard_load),
        ("tasks", tasks_load),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="nexus_login16")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--setup", action="store_true", help="(re)create the bench database")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the dashboard steps")
    parser.add_argument("--label", default=str(ROOT), help="printed with the figures")
    args = parser.parse_args()
    if args.db.startswith("nexus_test"):
        raise SystemExit("use a bench database, not a test database")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{args.db}"
    if args.setup:
        setup(url, args.db, args.students + 1)  # and one for the warm-up
    os.environ["DATABASE_URL"] = url
    os.environ["NEXUS_SCHEDULER"] = "off"

    from nexus_app.db import get_engine
    from nexus_app.services import session_cache

    engine = get_engine()
    statements = [0]

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        statements[0] += 1

    with engine.begin() as conn:
        # The login throttle would refuse a second run's logins from one address.
        conn.execute(sa.text("DELETE FROM login_attempts"))

    plan = steps()
    cpu: dict[str, list[float]] = {name: [] for name, _ in plan}
    count: dict[str, list[int]] = {name: [] for name, _ in plan}
    profiler = cProfile.Profile() if args.profile else None
    # A warm-up login (first-use imports, caches filled once per process, not per login).
    names = [f"{PREFIX}{i:04d}" for i in range(1, args.students + 2)]
    for n, username in enumerate(names):
        ctx: dict[str, Any] = {"username": username}
        session_cache.clear()
        for name, fn in plan:
            before = statements[0]
            c0 = time.thread_time()
            if profiler is not None and n > 0 and name != "login":
                profiler.enable()
            fn(ctx)
            if profiler is not None:
                profiler.disable()
            if n > 0:
                cpu[name].append(time.thread_time() - c0)
                count[name].append(statements[0] - before)
    if profiler is not None:
        profiler.dump_stats(str(args.profile))

    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, {args.label}, "
        f"{args.students} logins (after one warm-up)"
    )
    total_cpu = total_n = 0.0
    for name, _ in plan:
        c = statistics.median(cpu[name]) * 1000
        s = statistics.median(count[name])
        total_cpu += c
        total_n += s
        print(f"  {name:10s} CPU {c:7.1f} ms   statements {s:4.0f}")
    no_login = total_cpu - statistics.median(cpu["login"]) * 1000
    print(
        f"  {'total':10s} CPU {total_cpu:7.1f} ms   statements {total_n:4.0f}"
        f"   (without the login step: CPU {no_login:.1f} ms, "
        f"statements {total_n - statistics.median(count['login']):.0f})"
    )


if __name__ == "__main__":
    main()
