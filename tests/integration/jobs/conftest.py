"""Fixtures for the job tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nexus_app.services import jobs as job_service


@pytest.fixture
def register_job(monkeypatch: pytest.MonkeyPatch) -> Callable[..., job_service.JobSpec]:
    """Add a stand-in job to the registry for one test."""

    def register(name: str, func: Callable[[str], str], **kwargs: Any) -> job_service.JobSpec:
        spec = job_service.JobSpec(
            name=name,
            description="test job",
            cron="0 0 * * *",
            schedule_text="never",
            func=func,
            **kwargs,
        )
        monkeypatch.setitem(job_service.JOBS, name, spec)
        return spec

    return register
