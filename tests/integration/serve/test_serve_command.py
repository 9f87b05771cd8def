"""`nexus serve --workers`: refused in one line where workers could not share state."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import ROOT

NEXUS = str(ROOT / ".venv" / "bin" / "nexus")


def _serve(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "NEXUS_WORKERS")}
    environment.update(env)
    return subprocess.run(
        [NEXUS, "serve", *args],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_several_workers_without_redis_are_refused_in_one_line() -> None:
    result = _serve("--workers", "2", "--port", "1")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: several workers share students' state through Redis: set REDIS_URL "
        "(or use --workers 1)"
    ]


def test_the_environment_variable_is_read_too() -> None:
    result = _serve("--port", "1", NEXUS_WORKERS="0")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: --workers must be at least 1"
