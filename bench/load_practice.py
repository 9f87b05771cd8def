"""A whole school practising at once, through Reflex's real websocket protocol (issue 16).

Each simulated student is one browser tab (bench/wsclient.py): it opens /login, logs in with
the page's own event (argon2 and all), waits for its dashboard, opens /practice, starts a
session and then answers one question every `--answer-interval` seconds: submit a pick
(the page keeps a click in the browser and sends it with the submit), rate the feedback
when the page offers it (a wrong answer), next question. Students arrive spread over
`--ramp` seconds; submit figures are taken only in the steady window after the ramp
(`--duration` seconds), logins during the ramp.

Before the levels, "a class logging in at once": `--class-size` students (40) send their
login within `--class-window` seconds (2) and we time each until its dashboard has loaded.

    # against a server this script starts from a checkout (PostgreSQL, demo school + extra
    # students made with a precomputed argon2 hash), several levels on one server:
    python bench/load_practice.py --serve . --students 100,250,500
    # against a running server (its process id for the CPU and memory figures):
    python bench/load_practice.py --url ws://127.0.0.1:3000 --server-pid 1234 --students 25

Prints per level: submit p50/p95/p99, next-question and login p50/p95, errors by kind, the
server's CPU (cores busy, from /proc for the server's whole process tree, during the steady
window) and the resident memory of each of its processes. Extra students are `murid0001`…
with the demo students' password; with `--url` they must exist already (`--make-students`
with the server's DATABASE_URL makes them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _procs import (
    commit_label,
    load_average,
    own_cpu_seconds,
    running_server,
    tree_cpu_seconds,
    tree_rss,
)
from wsclient import ON_LOAD, Tab, Update, var_key

AUTH = "reflex___state____state.nexus_app___state___auth____auth_state"
DASHBOARD = f"{AUTH}.nexus_app___state___dashboard____dashboard_state"
PRACTICE = f"{AUTH}.nexus_app___state___practice____practice_state"
PASSWORD = "nexus-siswa-2026"  # the demo students' (nexus_app.services.demo)
USER_PREFIX = "murid"
CLASS_SIZE = 40
LETTERS = "ABCDE"
EVENT_TIMEOUT = 60.0
LOGIN_TIMEOUT = 120.0
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# --- statistics ------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of `values`; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 1))))  # ceil(q * n)
    return ordered[rank - 1]


def ms(values: list[float], *qs: float) -> str:
    """'p50 / p95 / ... ms' of seconds."""
    if not values:
        return "-"
    return " / ".join(f"{percentile(values, q) * 1000:.0f}" for q in qs) + " ms"


@dataclass
class Level:
    """What one level (or the class scenario) measured."""

    name: str
    students: int = 0
    submit: list[float] = field(default_factory=list)  # steady window only
    next_question: list[float] = field(default_factory=list)
    rate: list[float] = field(default_factory=list)
    login: list[float] = field(default_factory=list)  # login event → dashboard loaded
    practice_open: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    answers_total: int = 0
    feedback_late: int = 0  # feedback not there when the student moved on (not an error)
    updates_received: int = 0  # state updates the server sent all tabs, logins included
    steady_seconds: float = 0.0
    cpu_cores: float = float("nan")  # server's process tree, steady window
    client_cpu_cores: float = float("nan")  # this load generator, steady window
    rss_mb: list[tuple[str, float]] = field(default_factory=list)
    load_average: str = ""

    def error_count(self) -> int:
        return sum(self.errors.values())


# --- one student -------------------------------------------------------------------------


def _filled(state: str, name: str) -> Callable[[Update], bool]:
    """The update sets `state`.`name` to something non-empty (a reset sends the empty
    defaults of every child state first)."""
    key = var_key(name)
    return lambda update: bool(update.get("delta", {}).get(state, {}).get(key))


def _any(*predicates: Callable[[Update], bool]) -> Callable[[Update], bool]:
    return lambda update: any(p(update) for p in predicates)


class Student:
    """One tab: log in, open /practice, answer every `interval` seconds."""

    def __init__(
        self, url: str, username: str, rng: random.Random, feedback_patience: float = 8.0
    ) -> None:
        self.tab = Tab(url)
        self.username = username
        self.rng = rng
        self.feedback_patience = feedback_patience
        self.step = "arriving"  # what the student waits for now (named when one is stuck)

    async def login(self, level: Level) -> bool:
        """Open /login, log in, wait for the dashboard's data; False (error counted) if not."""
        self.step = "login"
        await self.tab.open("/login", timeout=LOGIN_TIMEOUT)
        await asyncio.sleep(1.0)  # reading the form (the tab's token handshake ends meanwhile)
        if not await _login_open_tab(self, level):
            return False
        if self.tab.path != "/dashboard":
            level.errors[f"login landed on {self.tab.path}"] += 1
            return False
        return True

    async def open_practice(self, level: Level) -> bool:
        tab = self.tab
        self.step = "open /practice"
        tab.path = "/practice"  # a client-side navigation: the router runs the page's on_load
        seconds = await tab.call(
            ON_LOAD, until=_filled(PRACTICE, "sections"), timeout=EVENT_TIMEOUT
        )
        level.practice_open.append(seconds)
        return await self.start(level)

    async def start(self, level: Level) -> bool:
        tab = self.tab
        self.step = "start"
        await tab.call(
            f"{PRACTICE}.start",
            until=_any(Tab.changes(PRACTICE, "phase"), _filled(PRACTICE, "error")),
            timeout=EVENT_TIMEOUT,
        )
        if tab.var(PRACTICE, "phase") != "question":
            level.errors[f"start: {str(tab.var(PRACTICE, 'error', ''))[:60]}"] += 1
            return False
        return True

    async def answer(self, level: Level, steady: Callable[[], bool]) -> bool:
        """One question: submit a pick, rate the feedback if offered, next question. The
        page keeps a clicked pick in the browser and sends it with the submit, as here."""
        tab = self.tab
        pick = f"{tab.var(PRACTICE, 'question_id')}:{self.rng.choice(LETTERS)}"
        # A wrong answer's feedback comes from a background event that ends by setting
        # feedback_busy to False: listen before submitting so that end cannot be missed.
        feedback_done = tab.expect(Tab.changes(PRACTICE, "feedback_busy", False))
        try:
            self.step = "submit"
            seconds = await tab.call(
                f"{PRACTICE}.submit_pick",
                {"pick": pick},
                until=_any(Tab.changes(PRACTICE, "phase", "result"), _filled(PRACTICE, "error")),
                timeout=EVENT_TIMEOUT,
            )
            if tab.var(PRACTICE, "phase") != "result":
                level.errors[f"submit: {str(tab.var(PRACTICE, 'error', ''))[:60]}"] += 1
                return False
            level.answers_total += 1
            if steady():
                level.submit.append(seconds)
            if not tab.var(PRACTICE, "is_correct"):
                await self._rate(level, steady, feedback_done)
        finally:
            feedback_done.cancel()
        self.step = "next question"
        seconds = await tab.call(
            f"{PRACTICE}.next_question",
            until=_any(Tab.changes(PRACTICE, "phase"), _filled(PRACTICE, "error")),
            timeout=EVENT_TIMEOUT,
        )
        phase = tab.var(PRACTICE, "phase")
        if steady():
            level.next_question.append(seconds)
        if phase == "finished":
            return await self.start(level)
        if phase != "question":
            level.errors[f"next: {phase} {str(tab.var(PRACTICE, 'error', ''))[:50]}"] += 1
            return False
        return True

    async def _rate(
        self, level: Level, steady: Callable[[], bool], feedback_done: asyncio.Future[Update]
    ) -> None:
        """The feedback arrives with the result (cached, or the stored explanation when the
        model is busy) or from a background event while the model writes it; when it has an
        id the page shows the thumbs: rate it. No id (a busy-model fallback, the daily limit):
        nothing to rate. A student reads it until the next answer is due at most."""
        tab = self.tab
        self.step = "feedback"
        if not tab.var(PRACTICE, "feedback_text"):
            try:
                await asyncio.wait_for(asyncio.shield(feedback_done), self.feedback_patience)
            except TimeoutError:
                level.feedback_late += 1  # still queued or writing: the student moves on
                return
        if not tab.var(PRACTICE, "feedback_id"):
            return
        self.step = "rating"
        seconds = await tab.call(
            f"{PRACTICE}.rate_feedback",
            {"helpful": self.rng.random() < 0.7},
            until=Tab.changes(PRACTICE, "feedback_rating"),
            timeout=EVENT_TIMEOUT,
        )
        if steady():
            level.rate.append(seconds)

    async def run(
        self, level: Level, *, interval: float, stop: asyncio.Event, steady: Callable[[], bool]
    ) -> None:
        try:
            if not await self.login(level) or not await self.open_practice(level):
                return
            # Students do not answer in lockstep: the first answer comes within one interval.
            next_at = time.monotonic() + self.rng.uniform(0, interval)
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(0.0, next_at - time.monotonic()))
                if stop.is_set():
                    break
                next_at += interval
                if self.tab.path != "/practice":
                    level.errors[f"sent to {self.tab.path}"] += 1
                    return
                if not await self.answer(level, steady):
                    return
        except TimeoutError:
            level.errors["timeout (no answer in 60 s)"] += 1
        except (ConnectionError, OSError) as exc:
            level.errors[f"connection: {type(exc).__name__}"] += 1
        finally:
            level.updates_received += self.tab.updates_received
            with contextlib.suppress(Exception):
                await self.tab.close()


# --- scenarios -------------------------------------------------------------------------


async def class_login(url: str, usernames: list[str], window: float, seed: int) -> Level:
    """A class logs in within `window` seconds: time from each login until its dashboard."""
    level = Level(f"a class of {len(usernames)} logging in within {window:g} s")
    level.students = len(usernames)
    rng = random.Random(seed)
    students = [Student(url, name, random.Random(seed + i)) for i, name in enumerate(usernames)]

    async def one(student: Student, delay: float) -> None:
        try:
            await student.tab.open("/login", timeout=LOGIN_TIMEOUT)
            await asyncio.sleep(delay)
            # open() again inside login() would reconnect: log in on the open tab.
            await _login_open_tab(student, level)
        except TimeoutError:
            level.errors["timeout"] += 1
        finally:
            with contextlib.suppress(Exception):
                await student.tab.close()

    # The tabs are open on /login first (the students are looking at the form).
    start_at = 5.0
    await asyncio.gather(*(one(s, start_at + rng.uniform(0, window)) for s in students))
    level.load_average = load_average()
    return level


async def _login_open_tab(student: Student, level: Level) -> bool:
    tab = student.tab
    on_page = tab.expect(_filled(DASHBOARD, "plan_line"))
    refused = tab.expect(
        lambda u: bool(u.get("delta", {}).get(AUTH, {}).get(var_key("login_error")))
    )
    started = time.perf_counter()
    await tab.send(
        f"{AUTH}.login", {"form_data": {"username": student.username, "password": PASSWORD}}
    )
    done, _ = await asyncio.wait(
        {on_page, refused}, timeout=LOGIN_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
    )
    for f in (on_page, refused):
        if not f.done():
            f.cancel()
    if on_page in done:
        level.login.append(time.perf_counter() - started)
        return True
    message = tab.var(AUTH, "login_error", "") if refused in done else "(no answer)"
    level.errors[f"login refused: {str(message)[:60]}"] += 1
    return False


async def practice_level(
    url: str,
    usernames: list[str],
    *,
    ramp: float,
    duration: float,
    interval: float,
    server_pid: int | None,
    seed: int,
    tail: float = 15.0,
) -> Level:
    level = Level(f"{len(usernames)} students")
    level.students = len(usernames)
    stop = asyncio.Event()
    steady_from = time.monotonic() + ramp + interval  # everyone in and answering
    steady = lambda: time.monotonic() >= steady_from  # noqa: E731
    students = [
        Student(url, name, random.Random(seed + i), feedback_patience=0.8 * interval)
        for i, name in enumerate(usernames)
    ]
    tasks = []
    for i, student in enumerate(students):
        tasks.append(
            asyncio.create_task(student.run(level, interval=interval, stop=stop, steady=steady))
        )
        await asyncio.sleep(ramp / max(1, len(students)) if i < len(students) - 1 else 0)
    await asyncio.sleep(max(0.0, steady_from - time.monotonic()))
    cpu0 = tree_cpu_seconds(server_pid) if server_pid else 0.0
    own0, wall0 = own_cpu_seconds(), time.monotonic()
    await asyncio.sleep(duration)
    wall = time.monotonic() - wall0
    if server_pid:
        level.cpu_cores = (tree_cpu_seconds(server_pid) - cpu0) / wall
        level.rss_mb = tree_rss(server_pid)
    level.client_cpu_cores = (own_cpu_seconds() - own0) / wall
    level.steady_seconds = wall
    level.load_average = load_average()
    stop.set()
    # Students finish the question in hand; one still waiting after `tail` seconds is
    # counted, not waited for (the next level must not start under its tail).
    _, pending = await asyncio.wait(tasks, timeout=tail)
    for task in pending:
        task.cancel()
    for task, student in zip(tasks, students, strict=True):
        if task in pending:
            level.errors[f"still waiting ({student.step}) {tail:g} s after the end"] += 1
    if pending:
        await asyncio.wait(pending, timeout=5)
    return level


# --- report ----------------------------------------------------------------------------


def report(level: Level) -> str:
    lines = [f"== {level.name}  (load average at the end: {level.load_average or load_average()})"]
    if level.submit or level.answers_total:
        rate = len(level.submit) / level.steady_seconds if level.steady_seconds else 0
        lines += [
            f"  submit p50/p95/p99     {ms(level.submit, 0.5, 0.95, 0.99)}  "
            f"({len(level.submit)} in {level.steady_seconds:.0f} s steady, {rate:.1f}/s; "
            f"{level.answers_total} answers in all)",
            f"  next question p50/p95  {ms(level.next_question, 0.5, 0.95)}",
            f"  rate feedback p50/p95  {ms(level.rate, 0.5, 0.95)} ({len(level.rate)} rated; "
            f"{level.feedback_late} feedbacks not ready when the student moved on)",
            f"  open /practice p50/p95 {ms(level.practice_open, 0.5, 0.95)}",
            f"  state updates received {level.updates_received} "
            f"({level.updates_received / max(level.answers_total, 1):.1f} per answer, "
            "logins and page loads included)",
        ]
    lines.append(
        f"  login p50/p95/max      {ms(level.login, 0.5, 0.95, 1.0)} "
        f"({len(level.login)} on their dashboard"
        + (
            f", {sum(1 for s in level.login if s <= 3.0)} within 3 s)"
            if level.name.startswith("a class")
            else ")"
        )
    )
    lines.append(f"  errors                 {level.error_count()}")
    for kind, count in level.errors.most_common():
        lines.append(f"    {count} × {kind}")
    if level.cpu_cores == level.cpu_cores:  # not NaN
        lines.append(
            f"  server CPU             {level.cpu_cores:.2f} cores of {os.cpu_count()} "
            f"(load generator {level.client_cpu_cores:.2f})"
        )
    for cmd, rss in level.rss_mb:
        if rss >= 20:
            lines.append(f"  RSS {rss:7.0f} MB  {cmd}")
    return "\n".join(lines)


# --- a server from a checkout ------------------------------------------------------------

MAKE_STUDENTS = """
import sys
import numpy as np
from nexus_app.db import unit_of_work
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import hash_password
from nexus_app.services.demo_history import complete_demo_onboarding
from nexus_app.models.base import utcnow

count, prefix, per_class = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
password_hash = hash_password(sys.argv[4])  # once: every extra student shares it
today = utcnow().date()
with unit_of_work() as session:
    for i in range(1, count + 1):
        username = f"{prefix}{i:04d}"
        if user_repo.username_exists(session=session, username=username):
            continue
        user = user_repo.create_user(
            session=session, username=username, password_hash=password_hash, role="siswa",
            full_name=f"Murid Beban {i}", class_name=f"XII Beban {(i - 1) // per_class + 1:02d}",
            grade=12,
        )
        complete_demo_onboarding(session, user.id, np.random.default_rng(i), today)
print(count)
"""


def make_students(python: str, env: dict[str, str], cwd: Path, count: int) -> None:
    subprocess.run(
        [python, "-c", MAKE_STUDENTS, str(count), USER_PREFIX, str(CLASS_SIZE), PASSWORD],
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _fresh_database(admin_url: str, name: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@contextlib.contextmanager
def served(
    checkout: Path, port: int, *, students: int, workers: int | None, redis_url: str | None
) -> Iterator[tuple[str, int]]:
    """`nexus serve` from `checkout` on a fresh PostgreSQL database with the demo school and
    `students` extra students; yields (websocket url, server pid)."""
    venv = checkout / ".venv" / "bin"
    with tempfile.TemporaryDirectory(prefix="nexus-load-") as data_dir:
        url = _fresh_database(os.environ.get("BENCH_PG_URL", DEFAULT_PG), f"nexus_load_{port}")
        env = dict(os.environ, NEXUS_DATA_DIR=data_dir, PYTHONPATH=str(checkout))
        env["DATABASE_URL"] = url
        env["NEXUS_SCHEDULER"] = "off"
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        nexus = str(venv / "nexus")
        for args in (["db", "upgrade"], ["demo", "seed", "--no-books"]):
            subprocess.run([nexus, *args], env=env, cwd=checkout, check=True, capture_output=True)
        make_students(str(venv / "python"), env, checkout, students)
        command = [nexus, "serve", "--port", str(port)]
        if workers:
            command += ["--workers", str(workers)]
        with running_server(
            command,
            env=env,
            cwd=checkout,
            ready_url=f"http://127.0.0.1:{port}/login",
            log=Path(data_dir) / "serve.log",
        ) as process:
            yield f"ws://127.0.0.1:{port}", process.pid


async def run_all(url: str, server_pid: int | None, args: argparse.Namespace) -> list[Level]:
    levels = []
    names = args.usernames or [f"{USER_PREFIX}{i:04d}" for i in range(1, args.total_students + 1)]
    if args.class_size:
        # The class uses the last accounts, the levels the first ones.
        level = await class_login(url, names[-args.class_size :], args.class_window, args.seed)
        print(report(level), flush=True)
        levels.append(level)
    for count in args.levels:
        level = await practice_level(
            url,
            names[:count],
            ramp=args.ramp if args.ramp is not None else count / 5,
            duration=args.duration,
            interval=args.answer_interval,
            server_pid=server_pid,
            seed=args.seed,
            tail=args.tail,
        )
        print(report(level), flush=True)
        levels.append(level)
        await asyncio.sleep(args.pause)
    return levels


def main(argv: list[str] | None = None) -> list[Level]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running server, e.g. ws://127.0.0.1:3000")
    where.add_argument("--serve", type=Path, help="a checkout to start `nexus serve` from")
    parser.add_argument("--server-pid", type=int, help="with --url: the server's process id")
    parser.add_argument("--port", type=int, default=3133)
    parser.add_argument(
        "--students", default="100", help="students per level, comma-separated: 100,250,500"
    )
    parser.add_argument(
        "--ramp", type=float, help="seconds over which a level's students arrive (students/5)"
    )
    parser.add_argument("--duration", type=float, default=60.0, help="steady window, seconds")
    parser.add_argument("--answer-interval", type=float, default=10.0)
    parser.add_argument("--pause", type=float, default=5.0, help="seconds between levels")
    parser.add_argument(
        "--tail",
        type=float,
        default=15.0,
        help="seconds a level waits for students still busy at its end (then: an error)",
    )
    parser.add_argument("--class-size", type=int, default=CLASS_SIZE, help="0: no class scenario")
    parser.add_argument("--class-window", type=float, default=2.0)
    parser.add_argument("--workers", type=int, help="passed to `nexus serve --workers`")
    parser.add_argument("--redis-url", help="REDIS_URL for the served checkout")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--usernames",
        help="with --url: these accounts (comma-separated, demo password), not murid0001…",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here (a list of levels)")
    args = parser.parse_args(argv)
    args.levels = [int(x) for x in args.students.split(",") if x.strip()]
    args.total_students = max(args.levels, default=0) + args.class_size
    args.usernames = [u.strip() for u in (args.usernames or "").split(",") if u.strip()]
    if args.usernames and len(args.usernames) < args.total_students:
        parser.error(f"--usernames: {args.total_students} accounts needed")
    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, load average {load_average()}, "
        f"{os.cpu_count()} CPUs; levels {args.levels}, answer every {args.answer_interval:g} s, "
        f"steady window {args.duration:g} s",
        flush=True,
    )
    if args.url:
        levels = asyncio.run(run_all(args.url, args.server_pid, args))
    else:
        checkout = args.serve.resolve()
        print(commit_label(checkout), flush=True)
        with served(
            checkout,
            args.port,
            students=args.total_students,
            workers=args.workers,
            redis_url=args.redis_url,
        ) as (url, pid):
            levels = asyncio.run(run_all(url, pid, args))
    if args.json:
        args.json.write_text(
            json.dumps([_as_json(level) for level in levels], indent=1, ensure_ascii=False)
        )
    return levels


def _as_json(level: Level) -> dict[str, Any]:
    def q(values: list[float], *qs: float) -> list[float]:
        return [round(percentile(values, x) * 1000, 1) for x in qs]

    return {
        "name": level.name,
        "students": level.students,
        "submit_ms": q(level.submit, 0.5, 0.95, 0.99),
        "submits": len(level.submit),
        "next_ms": q(level.next_question, 0.5, 0.95),
        "login_ms": q(level.login, 0.5, 0.95, 1.0),
        "logins": len(level.login),
        "within_3s": sum(1 for s in level.login if s <= 3.0),
        "answers": level.answers_total,
        "rated": len(level.rate),
        "feedback_late": level.feedback_late,
        "updates_received": level.updates_received,
        "errors": dict(level.errors),
        "cpu_cores": round(level.cpu_cores, 2),
        "client_cpu_cores": round(level.client_cpu_cores, 2),
        "rss_mb": level.rss_mb,
        "load_average": level.load_average,
    }


if __name__ == "__main__":
    main()
