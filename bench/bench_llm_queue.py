"""LLM queue benchmark: N students ask for practice feedback at once against the real model.

Run from the repo root:  python bench/bench_llm_queue.py [--n 20] [--pool 6] [--bridge ours|old]

Each request is the real feedback stream (nexus_app.ai.rag.stream_feedback on a demo item with
a wrong choice) driven through the bridge the pages use (nexus_app.state.streaming.in_thread),
all in one event loop whose default executor has ``--pool`` threads (6 = asyncio's default on a
2-core machine). The line bound and the feedback's longest wait come from the settings
(NEXUS_LLM_QUEUE_MAX, NEXUS_LLM_FEEDBACK_WAIT) unless given. One warm-up generation runs first,
so the wait estimate has a measurement to start from.

Printed: per request the first queue position and the estimate shown then, the queue wait,
the outcome (llm / explanation after the support check / busy: line full / busy: waited too
long) and the total time; then a probe — ``asyncio.to_thread`` of a trivial function every
0.5 s — whose latency shows whether other work that needs the pool kept moving.
``--bridge old`` drives the streams the way the pages did before (each ``next()`` in
``asyncio.to_thread``) for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexus_app.ai.llm import LocalLLM
from nexus_app.ai.models import find_llm_model
from nexus_app.ai.rag import FeedbackEvent, stream_feedback
from nexus_app.config import get_settings
from nexus_app.state.streaming import in_thread

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "nexus_app" / "demo" / "data" / "questions.json"
LETTERS = "ABCDE"
T = TypeVar("T")


async def old_bridge(items: Iterator[T], *, cancel: threading.Event) -> AsyncIterator[T]:
    """The bridge before the fix: every next() borrows a thread of the default pool."""
    try:
        while True:
            item = await asyncio.to_thread(next, items, None)
            if item is None:
                return
            yield item
    finally:
        cancel.set()


@dataclass
class Request:
    n: int
    first_position: int | None = None
    first_estimate: float | None = None
    queue_wait: float | None = None
    outcome: str = ""
    total: float = 0.0
    positions: list[int] = field(default_factory=list)
    # The last estimate seen while waiting, and the wait that was actually left then.
    last_estimate: float | None = None
    last_seen_at: float = 0.0

    @property
    def actual_left(self) -> float | None:
        if self.last_estimate is None or self.queue_wait is None or self.outcome.startswith("busy"):
            return None
        return max(self.queue_wait - self.last_seen_at, 0.0)


def items(n: int) -> list[dict[str, Any]]:
    rows = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    picked = []
    for row in rows[:n]:
        options = {x: row[f"option_{x.lower()}"] for x in LETTERS}
        chosen = next(x for x in LETTERS if x != row["correct_answer"])
        picked.append(
            {
                "stem": row["text"],
                "options": options,
                "chosen": chosen,
                "correct": row["correct_answer"],
                "explanation": row["explanation"],
            }
        )
    return picked


async def one(
    req: Request,
    llm: LocalLLM,
    item: dict[str, Any],
    bridge: str,
    max_waiting: int,
    max_wait: float,
) -> None:
    cancel = threading.Event()
    t0 = time.monotonic()
    stream = stream_feedback(
        llm, **item, cancel=cancel, max_waiting=max_waiting, queue_timeout_s=max_wait
    )
    bridged = (
        in_thread(stream, cancel=cancel) if bridge == "ours" else old_bridge(stream, cancel=cancel)
    )
    final: FeedbackEvent | None = None
    async with aclosing(bridged) as updates:
        async for event in updates:
            if event.kind == "queue":
                if req.first_position is None:
                    req.first_position, req.first_estimate = event.position, event.wait_s
                req.positions.append(event.position or 0)
                if event.position and event.wait_s is not None:
                    req.last_estimate = event.wait_s
                    req.last_seen_at = time.monotonic() - t0
            elif event.kind == "final":
                final = event
    req.total = time.monotonic() - t0
    result = final.result if final else None
    if result is None:
        req.outcome = "none"
    elif result.busy:
        req.outcome = "busy: line full" if req.first_position is None else "busy: waited too long"
        req.queue_wait = req.total
    else:
        req.outcome = result.source
        req.queue_wait = result.stats.queue_wait_s if result.stats else None


async def run(args: argparse.Namespace, llm: LocalLLM) -> tuple[list[Request], list[float]]:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=args.pool))
    reqs = [Request(i + 1) for i in range(args.n)]
    picked = items(args.n)
    probes: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            t = time.monotonic()
            await asyncio.to_thread(lambda: None)
            probes.append(time.monotonic() - t)
            await asyncio.sleep(0.5)

    prober = asyncio.ensure_future(probe())
    await asyncio.gather(
        *(
            one(r, llm, picked[i % len(picked)], args.bridge, args.max_waiting, args.max_wait)
            for i, r in enumerate(reqs)
        )
    )
    done.set()
    await prober
    return reqs, probes


def main() -> None:
    settings = get_settings()
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--pool", type=int, default=6)
    ap.add_argument("--bridge", choices=("ours", "old"), default="ours")
    ap.add_argument("--max-waiting", type=int, default=settings.llm_queue_max)
    ap.add_argument("--max-wait", type=float, default=settings.llm_feedback_wait_s)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()

    path = find_llm_model(args.model)
    t0 = time.monotonic()
    llm = LocalLLM(path)
    load_s = time.monotonic() - t0
    warm = stream_feedback(llm, **items(1)[0], queue_timeout_s=None)
    warm_result = [e for e in warm if e.kind == "final"][-1].result
    warm_stats = warm_result.stats if warm_result else None
    warm = (
        f"{warm_stats.total_s:.1f} s ({warm_stats.completion_tokens} tokens, "
        f"stop: {warm_stats.stop_reason})"
        if warm_stats
        else "-"
    )

    t0 = time.monotonic()
    reqs, probes = asyncio.run(run(args, llm))
    wall = time.monotonic() - t0

    print(
        f"model {llm.name}, load {load_s:.1f} s, warm-up generation {warm}; "
        f"{args.n} requests, bridge {args.bridge}, pool {args.pool} threads, "
        f"line bound {args.max_waiting}, feedback max wait {args.max_wait:.0f} s\n"
    )
    print(
        "| # | first position | estimate then (s) | last estimate / wait then left (s) "
        "| queue wait (s) | outcome | total (s) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in reqs:
        est = "-" if r.first_estimate is None else f"{r.first_estimate:.1f}"
        pos = "-" if r.first_position is None else str(r.first_position)
        wait = "-" if r.queue_wait is None else f"{r.queue_wait:.1f}"
        left = r.actual_left
        last = "-" if left is None else f"{r.last_estimate:.1f} / {left:.1f}"
        print(f"| {r.n} | {pos} | {est} | {last} | {wait} | {r.outcome} | {r.total:.1f} |")
    outcomes: dict[str, int] = {}
    for r in reqs:
        outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
    print(f"\noutcomes: {outcomes}; all done in {wall:.1f} s")
    if probes:
        print(
            f"pool probe (to_thread every 0.5 s): {len(probes)} probes, median "
            f"{statistics.median(probes) * 1000:.1f} ms, max {max(probes) * 1000:.1f} ms"
        )
    else:
        print("pool probe: no probe completed")


if __name__ == "__main__":
    main()
