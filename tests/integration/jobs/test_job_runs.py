"""run_job: logging in job_runs, failures, and the single-run guarantee on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.models import utcnow
from nexus_app.services import auth
from nexus_app.services import jobs as job_service
from nexus_app.services.errors import InvalidInput

from ._helpers import SlowJob, job_rows, statuses

ROOT = Path(__file__).resolve().parents[3]


def _fire_together(n: int, action) -> list:
    """Start n threads that call `action` at the same instant; their results in order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        barrier.wait()
        results[i] = action()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_a_run_is_logged_with_duration_and_summary(engine: Engine, register_job) -> None:
    job = SlowJob(0.05)
    register_job("t_ok", job)
    outcome = job_service.run_job("t_ok")
    assert outcome.status == "success" and outcome.ok
    assert outcome.detail == "did the work" and outcome.duration_ms >= 50
    (row,) = job_rows(engine, "t_ok")
    assert row.job_id == outcome.job_id == job.job_ids[0]
    assert len(row.job_id) == 32  # a uuid4, hex
    assert row.status == "success" and row.detail == "did the work"
    assert row.duration_ms >= 50 and row.finished_at is not None


def test_a_failure_is_logged_not_raised(engine: Engine, register_job) -> None:
    register_job("t_fail", SlowJob(fail=True))
    outcome = job_service.run_job("t_fail")
    assert outcome.status == "failed"
    assert outcome.detail == "RuntimeError: disk penuh"
    (row,) = job_rows(engine, "t_fail")
    assert row.status == "failed" and row.detail == "RuntimeError: disk penuh"
    with engine.connect() as conn:
        logged = conn.execute(
            sa.text("SELECT error_type, endpoint FROM error_logs WHERE endpoint = 'job:t_fail'")
        ).one()
    assert logged.error_type == "RuntimeError"


def test_unknown_job_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidInput, match="cleanup_sessions"):
        job_service.run_job("nope")


def test_cleanup_sessions_job(engine: Engine) -> None:
    auth.create_user(username="siswa01", password="kata-sandi-aman", role="siswa")
    auth.login(username="siswa01", password="kata-sandi-aman")
    auth.login(username="siswa01", password="kata-sandi-aman")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE sessions SET expires_at = :t"), {"t": utcnow()})
        # The two successful logins are recent; one old failure is past the 30 days.
        conn.execute(
            sa.text(
                "INSERT INTO login_attempts (username, succeeded, ip_address, created_at) "
                "VALUES ('siswa01', :f, '10.0.0.9', :t)"
            ),
            {"f": False, "t": utcnow() - timedelta(days=31)},
        )
    outcome = job_service.run_job("cleanup_sessions")
    assert outcome.status == "success"
    assert outcome.detail == "removed 2 expired sessions and 1 login attempts older than 30 days"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM login_attempts")).scalar() == 2


def test_two_workers_firing_the_same_slot_run_it_once(engine: Engine, register_job) -> None:
    """Scheduled fires: the second is skipped whether the first is running or finished."""
    job = SlowJob(0.3)
    register_job("t_slot", job)
    outcomes = _fire_together(2, lambda: job_service.run_job("t_slot"))
    assert sorted(o.status for o in outcomes) == ["skipped", "success"]
    assert job.calls == 1
    # A third worker whose clock is a little late: the job already ran in this slot.
    late = job_service.run_job("t_slot")
    assert late.status == "skipped" and "already success" in late.detail
    assert job.calls == 1
    assert statuses(engine, "t_slot") == ["skipped", "skipped", "success"]


def test_a_manual_run_is_refused_only_while_one_is_running(engine: Engine, register_job) -> None:
    job = SlowJob(0.4)
    register_job("t_manual", job)
    outcomes = _fire_together(2, lambda: job_service.run_job("t_manual", force=True))
    assert sorted(o.status for o in outcomes) == ["skipped", "success"]
    skipped = next(o for o in outcomes if o.status == "skipped")
    assert "running" in skipped.detail
    assert job.calls == 1
    # Once it has finished, an operator may run it again at once.
    assert job_service.run_job("t_manual", force=True).status == "success"
    assert job.calls == 2


def test_many_workers_at_once(engine: Engine, register_job) -> None:
    job = SlowJob(0.2)
    register_job("t_many", job)
    outcomes = _fire_together(5, lambda: job_service.run_job("t_many"))
    assert sorted(o.status for o in outcomes) == ["skipped"] * 4 + ["success"]
    assert job.calls == 1


def test_a_dead_run_does_not_block_the_job_forever(engine: Engine, register_job) -> None:
    """A worker killed mid-run leaves a 'running' row. PostgreSQL knows it is dead at once
    (the advisory lock died with it); SQLite trusts it until `stale_after`."""
    job = SlowJob()
    register_job("t_dead", job, stale_after=timedelta(hours=1), dedupe_window=timedelta(0))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO job_runs (job_id, job_name, status, started_at) "
                "VALUES ('dead', 't_dead', 'running', :t)"
            ),
            {"t": utcnow() - timedelta(minutes=10)},
        )
    outcome = job_service.run_job("t_dead")
    if engine.dialect.name == "postgresql":
        assert outcome.status == "success"
    else:
        assert outcome.status == "skipped" and "already running since" in outcome.detail
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE job_runs SET started_at = :t WHERE job_id = 'dead'"),
                {"t": utcnow() - timedelta(hours=2)},
            )
        assert job_service.run_job("t_dead").status == "success"
    rows = {row.job_id: row for row in job_rows(engine, "t_dead")}
    assert rows["dead"].status == "failed" and "abandoned" in rows["dead"].detail
    assert job.calls == 1


_WORKER = """
import sys, time
import nexus_app.repositories.jobs  # import the heavy modules before the start signal
from nexus_app.services import jobs as s

def slow(job_id):
    time.sleep(0.5)
    return "worked"

s.JOBS["t_proc"] = s.JobSpec("t_proc", "test", "0 0 * * *", "never", slow)
print("ready", flush=True)
sys.stdin.readline()  # the parent releases both workers at the same instant
print(s.run_job("t_proc").status, flush=True)
"""


def test_two_processes_firing_together_run_it_once(engine: Engine, db_url: str) -> None:
    """Real worker processes, each with its own connection pool, fire at the same instant."""
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    assert sorted(out.strip() for out, _ in outputs) == ["skipped", "success"]
    assert statuses(engine, "t_proc") == ["skipped", "success"]


def test_list_runs_newest_first(engine: Engine, register_job) -> None:
    register_job("t_list", SlowJob(), dedupe_window=timedelta(0))
    first = job_service.run_job("t_list")
    second = job_service.run_job("t_list")
    runs = job_service.list_runs(name="t_list")
    assert [r.job_id for r in runs] == [second.job_id, first.job_id]
    assert all(r.status == "success" and r.duration_ms is not None for r in runs)
    assert job_service.list_runs(limit=1)[0].job_id == second.job_id
