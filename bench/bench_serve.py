"""Warm start time of the app in prod mode and the server's memory.

Run: .venv/bin/python bench/bench_serve.py [--port 3119] [--runs 2]
"Warm" means the set-up has run once (venv, bun, node modules present); every prod start
still compiles the pages and builds the frontend, which is what this measures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _procs import running_server, tree_rss_mb  # noqa: E402


def _start(port: int, data_dir: str) -> tuple[float, float]:
    env = dict(os.environ, NEXUS_DATA_DIR=data_dir)
    env.pop("DATABASE_URL", None)
    nexus = str(ROOT / ".venv" / "bin" / "nexus")
    for args in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([nexus, *args], env=env, check=True, capture_output=True)
    start = time.perf_counter()
    with running_server(
        [nexus, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        ready_url=f"http://127.0.0.1:{port}/login",
        log=Path(data_dir) / "serve.log",
        timeout=600,
        poll=0.2,
    ) as process:
        ready = time.perf_counter() - start
        for _ in range(20):  # a few page loads so the backend is warmed
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).read()
        time.sleep(2)
        return ready, tree_rss_mb(process.pid)


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
