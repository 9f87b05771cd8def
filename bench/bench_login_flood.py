"""Other users' event latency while a flood of logins arrives (finding 5: argon2 on the loop).

A probe student, logged in on its own tab, sends a cheap private event (it re-validates the
session, as every private event does) several times a second; we time each until its delta
comes back. First without load, then while `--rate` logins a second arrive on other tabs
(correct passwords of the demo students, so every one costs a full argon2 verification,
and no throttle refuses them).

Run against servers this script starts (each from its own checkout, on a fresh SQLite
database with the demo school), e.g. main's commit and this branch:

    .venv/bin/python bench/bench_login_flood.py --serve /tmp/main-checkout --serve .

or against one already running: `--url ws://127.0.0.1:3000`. Prints p50/p95/max of the
probe's latency with and without the flood, and how the logins fared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _procs import commit_label, running_server
from wsclient import Tab

AUTH = "reflex___state____state.nexus_app___state___auth____auth_state"
CHAT = f"{AUTH}.nexus_app___state___chat____chat_state"
STUDENT_PASSWORD = "nexus-siswa-2026"  # the demo school's (nexus_app.services.demo)
PROBE_USER = "siswa30"
FLOOD_USERS = [f"siswa{n:02d}" for n in range(1, 29)]
PROBE_TIMEOUT = 60.0


@dataclass
class Phase:
    name: str
    probe_ms: list[float] = field(default_factory=list)
    probe_timeouts: int = 0
    logins_sent: int = 0
    logins_ok: int = 0
    logins_refused: int = 0
    login_ms: list[float] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)
    login_seconds: float = 0.0  # from the first login sent to the last one answered


def _count(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _login(tab: Tab, username: str, timeout: float = 120) -> tuple[bool, float, str]:
    """One login through the page's own event; (succeeded, seconds, refusal message)."""
    error = Tab.changes(AUTH, "login_error")
    seconds = await tab.call(
        f"{AUTH}.login",
        {"form_data": {"username": username, "password": STUDENT_PASSWORD}},
        until=error,
        timeout=timeout,
    )
    message = tab.var(AUTH, "login_error", "")
    return (not message, seconds, message)


async def _probe(tab: Tab, phase: Phase, stop: asyncio.Event, rate: float) -> None:
    values = itertools.cycle(["probe-a", "probe-b"])
    while not stop.is_set():
        value = next(values)
        started = time.perf_counter()
        try:
            seconds = await tab.call(
                f"{CHAT}.set_subject",
                {"value": value},
                until=Tab.changes(CHAT, "subject", value),
                timeout=PROBE_TIMEOUT,
            )
            phase.probe_ms.append(seconds * 1000)
        except TimeoutError:
            phase.probe_timeouts += 1
        await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))


async def _flood(tabs: list[Tab], phase: Phase, stop: asyncio.Event, rate: float) -> None:
    users = itertools.cycle(FLOOD_USERS)
    targets = itertools.cycle(tabs)
    pending: set[asyncio.Task[None]] = set()

    async def one(tab: Tab, username: str) -> None:
        try:
            ok, seconds, message = await _login(tab, username)
        except TimeoutError:
            _count(phase.refusals, "(no answer in 120 s)")
            return
        phase.login_ms.append(seconds * 1000)
        if ok:
            phase.logins_ok += 1
        else:
            phase.logins_refused += 1
            _count(phase.refusals, message.split(".")[0])

    start = time.perf_counter()
    while not stop.is_set():
        task = asyncio.create_task(one(next(targets), next(users)))
        pending.add(task)
        task.add_done_callback(pending.discard)
        phase.logins_sent += 1
        next_at = start + phase.logins_sent / rate
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    # Logins still in flight when the flood ends are waited for (and counted).
    if pending:
        await asyncio.wait(pending, timeout=180)
    phase.login_seconds = time.perf_counter() - start


async def measure(
    url: str, *, rate: float, seconds: float, probe_rate: float, tabs: int
) -> list[Phase]:
    probe = Tab(url, follow_redirects=True)
    await probe.open("/login")
    ok, _, message = await _login(probe, PROBE_USER)
    if not ok:
        raise RuntimeError(f"the probe could not log in: {message}")
    await asyncio.sleep(2)  # its dashboard loads
    flooders = [Tab(url, follow_redirects=False) for _ in range(tabs)]
    await asyncio.gather(*(t.open("/login") for t in flooders))

    quiet = Phase("no flood")
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    await _probe(probe, quiet, stop, probe_rate)

    flood = Phase(f"{rate:g} logins/s")
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    await asyncio.gather(
        _probe(probe, flood, stop, probe_rate), _flood(flooders, flood, stop, rate)
    )

    for tab in [probe, *flooders]:
        await tab.close()
    return [quiet, flood]


def report(label: str, phases: list[Phase]) -> None:
    print(f"\n== {label}")
    print(
        "phase            probe p50   probe p95   probe max  timeouts  "
        "logins sent/ok/refused  login p50"
    )
    for p in phases:
        logins = f"{p.logins_sent}/{p.logins_ok}/{p.logins_refused}" if p.logins_sent else "-"
        login_p50 = f"{_pct(p.login_ms, 0.5):8.0f} ms" if p.login_ms else "        -"
        print(
            f"{p.name:<15} {_pct(p.probe_ms, 0.5):8.1f} ms {_pct(p.probe_ms, 0.95):8.1f} ms "
            f"{max(p.probe_ms, default=float('nan')):8.1f} ms {p.probe_timeouts:9d}  "
            f"{logins:>22}  {login_p50}"
        )
        if p.logins_ok:
            print(
                f"{'':15} {p.logins_ok} logins answered in {p.login_seconds:.1f} s: "
                f"{p.logins_ok / p.login_seconds:.1f} successful logins per second"
            )
        for reason, count in p.refusals.items():
            print(f"{'':15} refused {count}x: {reason}")
    sys.stdout.flush()


@contextlib.contextmanager
def served(checkout: Path, port: int) -> Iterator[str]:
    """`nexus serve` from `checkout` on a fresh SQLite database with the demo school."""
    with tempfile.TemporaryDirectory(prefix="nexus-flood-") as data_dir:
        env = dict(os.environ, NEXUS_DATA_DIR=data_dir, PYTHONPATH=str(checkout))
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        env["NEXUS_SCHEDULER"] = "off"
        nexus = str(checkout / ".venv" / "bin" / "nexus")
        for args in (["db", "upgrade"], ["demo", "seed"]):
            subprocess.run([nexus, *args], env=env, cwd=checkout, check=True, capture_output=True)
        with running_server(
            [nexus, "serve", "--port", str(port)],
            env=env,
            cwd=checkout,
            ready_url=f"http://127.0.0.1:{port}/login",
            log=Path(data_dir) / "serve.log",
        ):
            yield f"ws://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--url", help="a running server, e.g. ws://127.0.0.1:3000")
    parser.add_argument(
        "--serve", action="append", type=Path, default=[], help="a checkout to start"
    )
    parser.add_argument("--port", type=int, default=3122)
    parser.add_argument("--rate", type=float, default=20.0, help="logins per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--probe-rate", type=float, default=5.0, help="probe events per second")
    parser.add_argument("--tabs", type=int, default=40, help="tabs the logins arrive on")
    args = parser.parse_args()
    if not args.url and not args.serve:
        parser.error("give --url or at least one --serve")
    options = {
        "rate": args.rate,
        "seconds": args.seconds,
        "probe_rate": args.probe_rate,
        "tabs": args.tabs,
    }
    print(
        f"probe: {args.probe_rate:g} events/s for {args.seconds:g} s per phase; flood: "
        f"{args.rate:g} logins/s on {args.tabs} tabs; {os.cpu_count()} CPUs"
    )
    if args.url:
        report(args.url, asyncio.run(measure(args.url, **options)))
    for checkout in args.serve:
        checkout = checkout.resolve()
        with served(checkout, args.port) as url:
            time.sleep(3)
            report(commit_label(checkout), asyncio.run(measure(url, **options)))


if __name__ == "__main__":
    main()
