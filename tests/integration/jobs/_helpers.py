"""Shared pieces of the job tests: a stand-in job and readers of `job_runs`."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine


class SlowJob:
    """A job that takes `seconds` (optionally failing) and counts how often it really ran."""

    def __init__(self, seconds: float = 0.0, fail: bool = False) -> None:
        self.seconds = seconds
        self.fail = fail
        self.calls = 0
        self.job_ids: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, job_id: str) -> str:
        with self._lock:
            self.calls += 1
            self.job_ids.append(job_id)
        time.sleep(self.seconds)
        if self.fail:
            raise RuntimeError("disk penuh")
        return "did the work"


def job_rows(engine: Engine, name: str) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT job_id, status, duration_ms, detail, started_at, finished_at "
                    "FROM job_runs WHERE job_name = :n ORDER BY id"
                ),
                {"n": name},
            )
        )


def statuses(engine: Engine, name: str) -> list[str]:
    return sorted(row.status for row in job_rows(engine, name))
