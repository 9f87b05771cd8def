"""Soak: many students practise for minutes against `nexus serve`; does server memory grow?

Run: .venv/bin/python bench/bench_soak.py --students 200 --minutes 10 [--workers 2]

Makes its own PostgreSQL database (`nexus_soak_<hex>` on 127.0.0.1:5432, dropped at the end),
migrates it, seeds the demo school without books and adds `soak001…` students; with
--workers > 1 (or --redis) the server uses a Redis database of its own (--redis-db, flushed
at the end). Starts `nexus serve --backend-only` (the websocket and API: the load path) and
drives it with `bench/wsclient.py` tabs speaking Reflex's protocol: every student logs in
(arrivals spread over --ramp seconds), opens /practice, starts a session and answers one
question every --interval seconds (choose, submit, next question). The language model is
switched off (NEXUS_LLM_MODEL points nowhere), so wrong answers get the stored explanation
and the figure is the app's own memory.

Prints the RSS of the server's process tree every --sample seconds, and the growth from the
first sample after every student is practising (the baseline) to the last one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _procs import stop, tree_rss_by_pid
from wsclient import ON_LOAD, Tab, Update, var_key

ROOT = Path(__file__).resolve().parent.parent

NEXUS = str(ROOT / ".venv" / "bin" / "nexus")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AUTH = "reflex___state____state.nexus_app___state___auth____auth_state"
DASHBOARD = f"{AUTH}.nexus_app___state___dashboard____dashboard_state"
PRACTICE = f"{AUTH}.nexus_app___state___practice____practice_state"
PASSWORD = "soak-siswa-2026"
EVENT_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _either(*checks: Callable[[Update], bool]) -> Callable[[Update], bool]:
    return lambda update: any(check(update) for check in checks)


class Student:
    def __init__(self, url: str, username: str, rng: random.Random) -> None:
        self.tab = Tab(url)
        self.username = username
        self.rng = rng

    async def login(self) -> None:
        tab = self.tab
        await tab.open("/login", timeout=EVENT_TIMEOUT)
        dashboard = Tab.changes(DASHBOARD, "plan_line")
        on_page = tab.expect(lambda u: tab.path == "/dashboard" and dashboard(u))
        refused = tab.expect(
            lambda u: bool(u.get("delta", {}).get(AUTH, {}).get(var_key("login_error")))
        )
        form = {"username": self.username, "password": PASSWORD}
        await tab.send(f"{AUTH}.login", {"form_data": form})
        done, _ = await asyncio.wait(
            {on_page, refused}, timeout=EVENT_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        for future in (on_page, refused):
            future.cancel()
        if on_page not in done:
            raise RuntimeError(f"login: {tab.var(AUTH, 'login_error')!r}")

    async def start(self) -> None:
        tab = self.tab
        tab.path = "/practice"
        await tab.call(ON_LOAD, until=Tab.changes(PRACTICE, "sections"), timeout=EVENT_TIMEOUT)
        if tab.var(PRACTICE, "phase") == "question":
            return
        # A student who has answered every item of a section moves on to the next one, as a
        # real student would, instead of counting the bank's end as an error.
        codes = [c["code"] for c in tab.var(PRACTICE, "sections") or [] if c.get("code")]
        current = tab.var(PRACTICE, "section")
        ordered = (
            codes[codes.index(current) :] + codes[: codes.index(current)]
            if current in codes
            else codes
        )
        for code in ordered or [current]:
            if code != tab.var(PRACTICE, "section"):
                await tab.call(
                    f"{PRACTICE}.set_section",
                    {"code": code},
                    until=Tab.changes(PRACTICE, "section", code),
                    timeout=EVENT_TIMEOUT,
                )
            await tab.call(
                f"{PRACTICE}.start",
                until=_either(Tab.changes(PRACTICE, "phase"), Tab.changes(PRACTICE, "error")),
                timeout=EVENT_TIMEOUT,
            )
            if tab.var(PRACTICE, "phase") == "question":
                return
            if "sudah kamu kerjakan" not in str(tab.var(PRACTICE, "error")):
                break
        raise RuntimeError(f"start: {tab.var(PRACTICE, 'error')!r}")

    async def answer(self, submits: list[float]) -> None:
        tab = self.tab
        letter = self.rng.choice("ABCDE")
        await tab.call(
            f"{PRACTICE}.choose",
            {"letter": letter},
            until=Tab.changes(PRACTICE, "selected", letter),
            timeout=EVENT_TIMEOUT,
        )
        seconds = await tab.call(
            f"{PRACTICE}.submit",
            until=_either(Tab.changes(PRACTICE, "phase", "result"), Tab.changes(PRACTICE, "error")),
            timeout=EVENT_TIMEOUT,
        )
        if tab.var(PRACTICE, "phase") != "result":
            raise RuntimeError(f"submit: {tab.var(PRACTICE, 'error')!r}")
        submits.append(seconds)
        await tab.call(
            f"{PRACTICE}.next_question",
            until=_either(Tab.changes(PRACTICE, "phase"), Tab.changes(PRACTICE, "error")),
            timeout=EVENT_TIMEOUT,
        )
        if tab.var(PRACTICE, "phase") != "question":
            await self.start()  # the session ended (a tryout, or the section ran out)


async def drive(
    url: str,
    usernames: list[str],
    args: argparse.Namespace,
    server_pid: int,
) -> None:
    errors: Counter[str] = Counter()
    submits: list[float] = []
    samples: list[tuple[float, dict[int, float]]] = []
    stop = asyncio.Event()
    practising = 0
    all_practising = asyncio.Event()

    async def student_loop(student: Student, delay: float) -> None:
        nonlocal practising
        await asyncio.sleep(delay)
        counted = False
        while not stop.is_set():
            try:
                if student.tab.closed.is_set() or student.tab.path != "/practice":
                    await student.login()
                    await student.start()
                if not counted:
                    counted = True
                    practising += 1
                    if practising == len(usernames):
                        all_practising.set()
                while not stop.is_set():
                    await asyncio.sleep(args.interval * student.rng.uniform(0.8, 1.2))
                    await student.answer(submits)
            except Exception as exc:
                errors[f"{type(exc).__name__}: {str(exc)[:60]}"] += 1
                with contextlib.suppress(Exception):
                    await student.tab.close()
                student.tab.path = "/login"
                await asyncio.sleep(5)
        with contextlib.suppress(Exception):
            await student.tab.close()

    rng = random.Random(args.seed)
    students = [
        Student(url, name, random.Random(args.seed + i)) for i, name in enumerate(usernames)
    ]
    tasks = [asyncio.create_task(student_loop(s, rng.uniform(0, args.ramp))) for s in students]
    started = time.monotonic()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_practising.wait(), args.ramp + 600)
    baseline_at = time.monotonic()
    print(
        f"{practising}/{len(usernames)} students practising after {baseline_at - started:.0f} s; "
        f"soaking {args.minutes} min",
        flush=True,
    )
    end = baseline_at + args.minutes * 60
    while True:
        rss = tree_rss_by_pid(server_pid)
        samples.append((time.monotonic() - baseline_at, rss))
        recent = submits[-500:]
        p50 = statistics.median(recent) * 1000 if recent else float("nan")
        print(
            f"  t+{samples[-1][0]:5.0f} s  server RSS {sum(rss.values()):7.1f} MB "
            f"({', '.join(f'{v:.0f}' for v in sorted(rss.values(), reverse=True))})  "
            f"answers {len(submits)}  submit p50 (last 500) {p50:.0f} ms  "
            f"errors {sum(errors.values())} {dict(errors.most_common(2)) if errors else ''}",
            flush=True,
        )
        if time.monotonic() >= end:
            break
        await asyncio.sleep(min(args.sample, max(0.0, end - time.monotonic())))
    stop.set()
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(BaseException):
            await task
    first, last = sum(samples[0][1].values()), sum(samples[-1][1].values())
    ordered = sorted(submits)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    print(
        f"baseline {first:.1f} MB, end {last:.1f} MB: growth {100 * (last - first) / first:+.1f}%"
    )
    if ordered:
        print(
            f"{len(ordered)} answers; submit p50/p95/p99 {pct(0.5):.0f}/{pct(0.95):.0f}/"
            f"{pct(0.99):.0f} ms"
        )
    print(f"errors: {dict(errors) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=float, default=10, help="seconds between answers")
    parser.add_argument("--ramp", type=float, default=120, help="arrivals spread over (s)")
    parser.add_argument("--sample", type=float, default=60, help="seconds between RSS samples")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis", action="store_true", help="Redis state even with 1 worker")
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    import sqlalchemy as sa

    name = f"nexus_soak_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    data_dir = tempfile.mkdtemp(prefix="nexus-soak-")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=PG_ADMIN.rsplit("/", 1)[0] + f"/{name}",
        NEXUS_DATA_DIR=data_dir,
        NEXUS_SCHEDULER="off",
        NEXUS_LLM_MODEL=str(Path(data_dir) / "no-model.gguf"),
        NEXUS_WORKERS=str(args.workers),
    )
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    if args.workers > 1 or args.redis:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    process: subprocess.Popen[bytes] | None = None
    try:
        for command in (["db", "upgrade"], ["demo", "seed", "--no-books"]):
            subprocess.run([NEXUS, *command], env=env, cwd=ROOT, check=True, capture_output=True)
        usernames = [f"soak{n:03d}" for n in range(1, args.students + 1)]
        # Students who have done the onboarding, as the demo school's (they land on
        # /dashboard after logging in).
        create = (
            "import sys\n"
            "from datetime import date\n"
            "import numpy as np\n"
            "from nexus_app.db import unit_of_work\n"
            "from nexus_app.services import auth\n"
            "from nexus_app.services.demo_history import complete_demo_onboarding\n"
            "for i, u in enumerate(sys.argv[1:]):\n"
            f"    user = auth.create_user(username=u, password={PASSWORD!r}, role='siswa',"
            " full_name=u, class_name='XII SOAK')\n"
            "    with unit_of_work() as session:\n"
            "        complete_demo_onboarding(session, user.id, np.random.default_rng(i),"
            " date.today())\n"
        )
        subprocess.run([sys.executable, "-c", create, *usernames], env=env, cwd=ROOT, check=True)
        # Ten minutes at one answer per 10 s is ~60 answers: lift the free plan's daily
        # practice quota (40) so the soak measures the server, not the plan.
        with sa.create_engine(env["DATABASE_URL"]).begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE subscription_tiers SET practice_questions_per_day = NULL"
                    " WHERE tier = 'free'"
                )
            )
        port = args.port or _free_port()
        log = Path(data_dir) / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [NEXUS, "serve", "--backend-only", "--port", str(port)],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 300
        while True:
            ping = f"http://127.0.0.1:{port}/ping"
            with contextlib.suppress(OSError), urllib.request.urlopen(ping, timeout=5):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(1)
        print(
            f"nexus serve --backend-only, {args.workers} worker(s), "
            f"{'Redis' if 'REDIS_URL' in env else 'memory'} state; {args.students} students, "
            f"one answer every {args.interval:g} s",
            flush=True,
        )
        asyncio.run(drive(f"ws://127.0.0.1:{port}", usernames, args, process.pid))
    finally:
        if process is not None:
            stop(process)
        if "REDIS_URL" in env:
            import redis

            redis.Redis.from_url(redis_url).flushdb()
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))


if __name__ == "__main__":
    main()
