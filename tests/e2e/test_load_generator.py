"""bench/load_practice.py drives the real server: three demo students log in, open /practice
and answer for a few seconds through Reflex's websocket protocol, with no error."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import load_practice


def test_three_students_practise_through_the_websocket(server: str) -> None:
    # The generator runs its own asyncio loop; in a thread of its own it cannot meet the
    # loop that Playwright's sync API leaves in this one (earlier browser tests).
    args = [
        "--url",
        server.replace("http://", "ws://"),
        "--students",
        "3",
        "--ramp",
        "1",
        "--duration",
        "6",
        "--answer-interval",
        "2",
        "--class-size",
        "0",
        "--usernames",
        "siswa14,siswa15,siswa16",
        # The shared demo server may still be writing feedback for earlier tests: a student
        # slow to reach the dashboard is the load figures' business, not this smoke test's;
        # one that never gets there in 2 minutes still fails it.
        "--tail",
        "120",
    ]
    with ThreadPoolExecutor(max_workers=1) as pool:
        levels = pool.submit(load_practice.main, args).result()
    [level] = levels
    assert level.error_count() == 0, level.errors
    assert len(level.login) == 3 and len(level.practice_open) == 3
    assert level.answers_total >= 3 and level.submit
