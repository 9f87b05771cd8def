"""The APScheduler wiring: jobs, UTC cron times, coalescing, the lifespan and NEXUS_SCHEDULER."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from nexus_app.jobs import scheduler as scheduler_module
from nexus_app.services import jobs as job_service


def _next_fire(name: str, after: datetime) -> datetime:
    trigger = CronTrigger.from_crontab(job_service.JOBS[name].cron, timezone=UTC)
    fire = trigger.get_next_fire_time(None, after)
    assert fire is not None
    return fire


def test_every_job_is_scheduled_once_coalesced_in_utc() -> None:
    scheduler = scheduler_module.build_scheduler()
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert (
            set(jobs)
            == set(job_service.JOB_NAMES)
            == {
                "cleanup_sessions",
                "expire_subscriptions",
                "refresh_readiness",
                "detect_weak_areas",
                "nightly_backup",
            }
        )
        for job in jobs.values():
            assert job.coalesce is True and job.max_instances == 1
            assert job.misfire_grace_time == scheduler_module.MISFIRE_GRACE_SECONDS
            assert str(job.trigger.timezone) == "UTC"
            assert job.args == (job.id,)
    finally:
        scheduler.shutdown(wait=False)


def test_schedule_times() -> None:
    start = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    assert _next_fire("nightly_backup", start) == datetime(2026, 3, 1, 19, 0, tzinfo=UTC)
    assert _next_fire("cleanup_sessions", start) == datetime(2026, 3, 1, 1, 7, tzinfo=UTC)
    assert _next_fire("refresh_readiness", start) == datetime(2026, 3, 1, 6, 15, tzinfo=UTC)
    assert _next_fire("detect_weak_areas", start) == datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    # Hourly and six-hourly fires are farther apart than the dedupe window.
    for spec in job_service.JOBS.values():
        first = _next_fire(spec.name, start)
        assert _next_fire(spec.name, first + timedelta(seconds=1)) - first > spec.dedupe_window


def test_a_fire_never_raises(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    def broken(name: str, **_: object) -> job_service.JobOutcome:
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(job_service, "run_job", broken)
    with caplog.at_level(logging.ERROR):
        scheduler_module.fire("cleanup_sessions")
    assert "could not run" in caplog.text


def _capture_builds(monkeypatch: pytest.MonkeyPatch) -> list[BackgroundScheduler]:
    built: list[BackgroundScheduler] = []
    real = scheduler_module.build_scheduler

    def build() -> BackgroundScheduler:
        built.append(real())
        return built[-1]

    monkeypatch.setattr(scheduler_module, "build_scheduler", build)
    return built


def test_the_lifespan_starts_and_stops_the_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_SCHEDULER", "on")
    built = _capture_builds(monkeypatch)

    async def app_lifetime() -> bool:
        async with scheduler_module.scheduler_lifespan():
            return built[0].running

    assert asyncio.run(app_lifetime()) is True
    assert len(built) == 1 and built[0].running is False


@pytest.mark.parametrize("value", ["off", "OFF", "0", "false"])
def test_nexus_scheduler_off_disables_it(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("NEXUS_SCHEDULER", value)
    built = _capture_builds(monkeypatch)

    async def app_lifetime() -> None:
        async with scheduler_module.scheduler_lifespan():
            pass

    asyncio.run(app_lifetime())
    assert built == []
    assert scheduler_module.scheduler_enabled() is False
