"""The detect_weak_areas job calls the mastery service's detect_all_weak_areas()."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy.engine import Engine

from nexus_app.services import jobs as job_service

from ._helpers import job_rows


def _mastery_ready() -> bool:
    try:
        module = importlib.import_module("nexus_app.services.mastery")
    except ImportError:
        return False
    return hasattr(module, "detect_all_weak_areas")


@pytest.mark.skipif(
    not _mastery_ready(),
    reason="nexus_app.services.mastery.detect_all_weak_areas() is not written yet",
)
def test_detect_weak_areas_job(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = job_service.run_job("detect_weak_areas")
    assert outcome.status == "success", outcome.detail
    assert outcome.detail == "0 weak areas detected"  # an empty school

    # The job reports what the service returns.
    from nexus_app.services import mastery

    monkeypatch.setattr(mastery, "detect_all_weak_areas", lambda: 7)
    again = job_service.run_job("detect_weak_areas", force=True)
    assert again.detail == "7 weak areas detected"
    assert [row.status for row in job_rows(engine, "detect_weak_areas")] == ["success"] * 2
