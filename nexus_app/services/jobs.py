"""Scheduled jobs: what they are, when they run, and `run_job`, which runs one exactly once.

Each job is a service function that opens its own transaction(s) and returns a short
summary. `run_job` wraps it:

- the single-run guarantee across backend workers (see `repositories.jobs`): a run that
  finds the job already running, or (for a scheduled fire) finds a run of it that started
  within `dedupe_window`, records `skipped` and does nothing. The window is what makes two
  workers firing the same cron slot a few milliseconds apart run the job once, even when
  the first run has already finished;
- a `job_runs` row per run: `running` while it works, then `success` / `failed` with the
  duration and the summary or the error text. A failure is also captured in
  `error_logs`; it is never raised into the scheduler.

Schedules are cron expressions in UTC (WIB = UTC+7); the scheduler in `nexus_app.jobs`
reads them from here, so `nexus jobs …` and the app agree.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from nexus_app import formatting
from nexus_app.services.errors import InvalidInput

if TYPE_CHECKING:
    from sqlmodel import Session

# The database modules are imported inside the functions that use them: the `nexus`
# command imports this module for the job names in its --help, and that must stay fast.

log = logging.getLogger(__name__)

DETAIL_LIMIT = 4000  # job_runs.detail is TEXT; keep the log readable


@dataclass(frozen=True)
class JobSpec:
    name: str
    description: str
    cron: str  # minute hour day month weekday, UTC
    schedule_text: str  # the same for people
    func: Callable[[str], str]  # job_id -> summary
    # A later scheduled fire within this window is a duplicate (another worker's).
    dedupe_window: timedelta = timedelta(minutes=30)
    # SQLite only: a `running` row older than this belongs to a process that died.
    stale_after: timedelta = timedelta(hours=3)


@dataclass(frozen=True)
class JobOutcome:
    job_id: str
    name: str
    status: str  # success / failed / skipped
    duration_ms: int
    detail: str

    @property
    def ok(self) -> bool:
        return self.status == "success"


@dataclass(frozen=True)
class JobRunView:
    job_id: str
    name: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    detail: str | None


# --- the jobs -------------------------------------------------------------------------------


def _cleanup_sessions(job_id: str) -> str:
    from nexus_app.config import get_settings
    from nexus_app.services.auth import cleanup_expired_sessions, prune_login_attempts

    sessions = cleanup_expired_sessions()
    attempts = prune_login_attempts()
    days = get_settings().login_attempts_keep_days
    return (
        f"removed {sessions} expired sessions and {attempts} login attempts older than {days} days"
    )


def _refresh_readiness(job_id: str) -> str:
    from nexus_app.services.readiness_refresh import refresh_all_readiness

    return str(refresh_all_readiness(job_id=job_id))


def _detect_weak_areas(job_id: str) -> str:
    # Imported when the job runs: the mastery service is developed separately.
    from nexus_app.services.mastery import detect_all_weak_areas

    return f"{detect_all_weak_areas()} weak areas detected"


def _nightly_backup(job_id: str) -> str:
    from nexus_app.services.backup import nightly_backup

    return nightly_backup()


def _expire_subscriptions(job_id: str) -> str:
    from nexus_app.services.billing import expire_lapsed_subscriptions

    return f"{expire_lapsed_subscriptions()} subscriptions fell back to free"


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            name="cleanup_sessions",
            description="Delete expired login sessions and login attempts older than 30 days.",
            cron="7 * * * *",
            schedule_text="hourly at :07",
            func=_cleanup_sessions,
            stale_after=timedelta(hours=1),
        ),
        JobSpec(
            name="expire_subscriptions",
            description="Return students whose paid subscription ended to the free tier.",
            cron="12 * * * *",
            schedule_text="hourly at :12",
            func=_expire_subscriptions,
            stale_after=timedelta(hours=1),
        ),
        JobSpec(
            name="refresh_readiness",
            description="Recount accuracy and theta, re-forecast readiness for every student.",
            cron="15 */6 * * *",
            schedule_text="every 6 hours at 00:15, 06:15, 12:15, 18:15 UTC",
            func=_refresh_readiness,
        ),
        JobSpec(
            name="detect_weak_areas",
            description="Detect weak areas for every student from mastery and activity.",
            cron="30 18 * * *",
            schedule_text="daily at 18:30 UTC (01:30 WIB)",
            func=_detect_weak_areas,
        ),
        JobSpec(
            name="nightly_backup",
            description="Back up the database; delete backups older than 28 days.",
            cron="0 19 * * *",
            schedule_text="daily at 19:00 UTC (02:00 WIB)",
            func=_nightly_backup,
            stale_after=timedelta(hours=6),
        ),
    )
}
JOB_NAMES: tuple[str, ...] = tuple(JOBS)


def get_job(name: str) -> JobSpec:
    try:
        return JOBS[name]
    except KeyError:
        raise InvalidInput(
            f"Tugas '{name}' tidak dikenal (pilihan: {', '.join(JOB_NAMES)})."
        ) from None


# --- running one ----------------------------------------------------------------------------


def _claim(lock: Session, spec: JobSpec, *, force: bool, now: datetime) -> str | None:
    """Inside the lock transaction: None when this process may run the job, else why not."""
    from nexus_app.repositories import jobs as jobs_repo

    if not jobs_repo.acquire_job_lock(session=lock, name=spec.name):
        return "another worker is running this job"
    if jobs_repo.holds_lock_for_whole_run(session=lock):
        # Every live run holds the lock; we hold it, so any 'running' row is a dead one.
        jobs_repo.abandon_running(session=lock, name=spec.name, now=now)
    else:
        running = jobs_repo.find_running(session=lock, name=spec.name, since=now - spec.stale_after)
        if running is not None:
            return f"already running since {running.started_at:%Y-%m-%d %H:%M:%S} UTC"
        jobs_repo.abandon_running(
            session=lock, name=spec.name, now=now, before=now - spec.stale_after
        )
    if not force:
        recent = jobs_repo.latest_run_since(
            session=lock, name=spec.name, since=now - spec.dedupe_window
        )
        if recent is not None:
            return (
                f"already {recent.status} at {recent.started_at:%Y-%m-%d %H:%M:%S} UTC "
                f"(run {recent.job_id[:8]})"
            )
    return None


def _short(text: str) -> str:
    return formatting.shorten(text, DETAIL_LIMIT)


def run_job(name: str, *, force: bool = False) -> JobOutcome:
    """Run one job now, once across all workers, and log it in `job_runs`.

    `force=False` is a scheduled fire (deduplicated within the job's window);
    `force=True` is an operator's "run it now" (only refused while a run is in progress).
    The job's own errors become a `failed` outcome; only a database that cannot record
    the run at all raises.
    """
    from sqlmodel import Session

    from nexus_app.db import get_engine, unit_of_work
    from nexus_app.models import utcnow
    from nexus_app.repositories import jobs as jobs_repo

    spec = get_job(name)
    job_id = uuid.uuid4().hex
    clock = time.perf_counter()
    started = utcnow()
    with Session(get_engine(), expire_on_commit=False) as lock:
        reason = _claim(lock, spec, force=force, now=started)
        if reason is not None:
            ms = round((time.perf_counter() - clock) * 1000)
            jobs_repo.insert_run(
                session=lock,
                job_id=job_id,
                name=name,
                status="skipped",
                started_at=started,
                finished_at=utcnow(),
                duration_ms=ms,
                detail=reason,
            )
            lock.commit()
            log.info("job %s skipped: %s", name, reason)
            return JobOutcome(job_id, name, "skipped", ms, reason)
        if jobs_repo.holds_lock_for_whole_run(session=lock):
            # The lock transaction stays open until the end; 'running' is visible now.
            with unit_of_work() as session:
                jobs_repo.insert_run(
                    session=session, job_id=job_id, name=name, status="running", started_at=started
                )
        else:
            # SQLite: the committed 'running' row is the claim; release the write lock.
            jobs_repo.insert_run(
                session=lock, job_id=job_id, name=name, status="running", started_at=started
            )
            lock.commit()

        status, detail = _execute(spec, job_id)
        ms = round((time.perf_counter() - clock) * 1000)
        with unit_of_work() as session:
            jobs_repo.finish_run(
                session=session,
                job_id=job_id,
                status=status,
                finished_at=utcnow(),
                duration_ms=ms,
                detail=detail,
            )
        # PostgreSQL: the advisory lock is released only after the outcome is committed,
        # so a worker that gets the lock next always sees this run.
        try:
            lock.commit()
        except Exception:
            # e.g. the server closed the idle lock connection: the outcome is recorded
            # and the lock is gone either way.
            log.warning("job %s: could not close its lock transaction", name, exc_info=True)
    log.info("job %s %s in %d ms: %s", name, status, ms, detail)
    return JobOutcome(job_id, name, status, ms, detail)


def _execute(spec: JobSpec, job_id: str) -> tuple[str, str]:
    try:
        return "success", _short(spec.func(job_id))
    except Exception as exc:
        log.exception("job %s failed", spec.name)
        from nexus_app.services import error_log

        error_log.capture(exc, endpoint=f"job:{spec.name}", severity="high")
        message = str(exc).strip() or type(exc).__name__
        return "failed", _short(f"{type(exc).__name__}: {message}")


def list_runs(*, limit: int = 20, name: str | None = None) -> list[JobRunView]:
    """The newest runs first (all jobs, or one)."""
    from nexus_app.db import unit_of_work
    from nexus_app.repositories import jobs as jobs_repo

    if name is not None:
        get_job(name)
    with unit_of_work() as session:
        rows = jobs_repo.list_runs(session=session, limit=limit, name=name)
        return [
            JobRunView(
                job_id=row.job_id,
                name=row.job_name,
                status=row.status,
                started_at=row.started_at,
                finished_at=row.finished_at,
                duration_ms=row.duration_ms,
                detail=row.detail,
            )
            for row in rows
        ]
