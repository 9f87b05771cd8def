"""Warm start time of the app in prod mode and the server's memory.

Run: .venv/bin/python bench/bench_serve.py [--port 3119] [--runs 2]
"Warm" means the set-up has run once (venv, bun, node modules present); every prod start
still compiles the pages and builds the frontend, which is what this measures.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total_kb, stack = 0, [pid]
    while stack:
        current = stack.pop()
        stack.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def _start(port: int, data_dir: str) -> tuple[float, float]:
    env = dict(os.environ, NEXUS_DATA_DIR=data_dir)
    env.pop("DATABASE_URL", None)
    nexus = str(ROOT / ".venv" / "bin" / "nexus")
    for args in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([nexus, *args], env=env, check=True, capture_output=True)
    start = time.perf_counter()
    process = subprocess.Popen(
        [nexus, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.perf_counter() - start > 600:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)
        ready = time.perf_counter() - start
        for _ in range(20):  # a few page loads so the backend is warmed
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).read()
        time.sleep(2)
        return ready, _tree_rss_mb(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=3119)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(1, args.runs + 1):
            ready, rss = _start(args.port, tmp)
            print(
                f"run {run}: ready in {ready:.1f} s, server memory (RSS, process tree) {rss:.0f} MB"
            )
    sys.exit(0)


if __name__ == "__main__":
    main()
