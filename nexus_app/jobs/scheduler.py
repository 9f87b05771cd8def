"""The in-app scheduler: APScheduler started and stopped by the Reflex app's lifespan.

Every backend worker starts one (with several workers, `services.jobs.run_job` makes sure
each scheduled fire runs once). Times are UTC; the jobs and their cron schedules live in
`services.jobs.JOBS`. NEXUS_SCHEDULER=off (tests, e2e, a worker that should not run jobs)
disables it.

Register in nexus_app/nexus_app.py:  app.register_lifespan_task(scheduler_lifespan)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from nexus_app.services import jobs as job_service

log = logging.getLogger(__name__)

OFF_VALUES = frozenset({"off", "0", "false", "no", "disabled"})
# A fire delayed longer than this (process suspended, pool busy) is dropped, not run late;
# kept well inside the jobs' dedupe window so a late fire never slips past it.
MISFIRE_GRACE_SECONDS = 10 * 60


class _SchedulerSettings(BaseSettings):
    # Read like the app's other settings (environment, then .env).
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    scheduler: str = Field(default="on", alias="NEXUS_SCHEDULER")


def scheduler_enabled() -> bool:
    return _SchedulerSettings().scheduler.strip().lower() not in OFF_VALUES


def fire(name: str) -> None:
    """What APScheduler calls: a scheduled (deduplicated) run that never raises."""
    try:
        outcome = job_service.run_job(name)
    except Exception:
        # e.g. the database is unreachable: log it and let the next fire try again.
        log.exception("scheduled job %s could not run", name)
        return
    if outcome.status == "failed":
        log.error("scheduled job %s failed: %s", name, outcome.detail)


def build_scheduler() -> BackgroundScheduler:
    """A scheduler (not started) with every job of `services.jobs.JOBS`."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={
            "coalesce": True,  # several missed fires run once
            "max_instances": 1,  # never overlap itself inside one process
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )
    for spec in job_service.JOBS.values():
        scheduler.add_job(
            fire,
            trigger=CronTrigger.from_crontab(spec.cron, timezone=UTC),
            args=[spec.name],
            id=spec.name,
            name=spec.name,
            replace_existing=True,
        )
    return scheduler


@asynccontextmanager
async def scheduler_lifespan() -> AsyncIterator[None]:
    """Reflex lifespan task: start the scheduler with the app, stop it on shutdown."""
    if not scheduler_enabled():
        log.info("scheduler disabled (NEXUS_SCHEDULER=off)")
        yield
        return
    scheduler = build_scheduler()
    scheduler.start()
    log.info("scheduler started: %s", ", ".join(job_service.JOB_NAMES))
    try:
        yield
    finally:
        # Do not wait for a running job: the process is going away and run_job's
        # records (PostgreSQL lock released, SQLite stale row) recover on their own.
        scheduler.shutdown(wait=False)
        log.info("scheduler stopped")
