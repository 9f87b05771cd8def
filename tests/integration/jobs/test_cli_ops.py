"""`nexus jobs …` and `nexus backup …` (the Typer sub-apps, run in-process)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from nexus_app.cli_ops import backup_app, jobs_app
from nexus_app.services import backup

from ._helpers import SlowJob

runner = CliRunner()
CHOICES = (
    "cleanup_sessions, expire_subscriptions, refresh_readiness, detect_weak_areas, nightly_backup"
)


def test_help_lists_the_job_names() -> None:
    for args in (["--help"], ["run", "--help"]):
        result = runner.invoke(jobs_app, args)
        assert result.exit_code == 0
    assert "cleanup_sessions" in result.stdout and "nightly_backup" in result.stdout
    for command in ("create", "list", "restore"):
        assert runner.invoke(backup_app, [command, "--help"]).exit_code == 0


def test_unknown_job(engine: Engine) -> None:
    result = runner.invoke(jobs_app, ["run", "x"])
    assert result.exit_code == 1
    assert result.stderr == f"error: unknown job 'x' (choose from {CHOICES})\n"
    assert runner.invoke(jobs_app, ["list", "--name", "x"]).exit_code == 1


def test_run_and_list(engine: Engine) -> None:
    result = runner.invoke(jobs_app, ["run", "cleanup_sessions"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(
        "cleanup_sessions: removed 0 expired sessions and 0 login attempts older than 30 days ("
    )
    # An operator's run right after is not treated as a duplicate of the first.
    assert runner.invoke(jobs_app, ["run", "cleanup_sessions"]).exit_code == 0
    listed = runner.invoke(jobs_app, ["list"])
    assert listed.exit_code == 0
    assert "19:00 UTC (02:00 WIB)" in listed.stdout
    runs = [line for line in listed.stdout.splitlines() if " success " in line]
    assert len(runs) == 2 and all("cleanup_sessions" in line for line in runs)
    # Run times read as the school's clock and say so, like the pages.
    assert all(re.match(r"\d\d-\d\d-\d{4} \d\d:\d\d:\d\d WIB  ", line) for line in runs)


def test_a_failing_job_exits_non_zero_with_one_line(engine: Engine, register_job) -> None:
    register_job("t_cli_fail", SlowJob(fail=True))
    result = runner.invoke(jobs_app, ["run", "t_cli_fail"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: job 't_cli_fail' failed after ")
    assert result.stderr.rstrip().endswith("RuntimeError: disk penuh")
    assert result.stderr.count("\n") == 1


def test_backup_create_list_restore(engine: Engine) -> None:
    created = runner.invoke(backup_app, ["create"])
    assert created.exit_code == 0, created.stderr
    path_text, size = created.stdout.strip().rsplit(" (", 1)
    path = Path(path_text)
    assert path.is_file() and path.parent == backup.backups_dir() and size.endswith("B)")

    listed = runner.invoke(backup_app, ["list"])
    assert listed.exit_code == 0 and path.name in listed.stdout
    row = next(line for line in listed.stdout.splitlines() if path.name in line)
    assert re.match(r"\d\d-\d\d-\d{4} \d\d:\d\d:\d\d WIB  ", row)

    refused = runner.invoke(backup_app, ["restore", str(path)])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: restoring replaces the whole current database")
    assert "--yes" in refused.stderr and refused.stderr.count("\n") == 1

    # A bare name is looked up in the backups folder.
    restored = runner.invoke(backup_app, ["restore", path.name, "--yes"])
    assert restored.exit_code == 0, restored.stderr
    assert restored.stdout.startswith(f"restored {path.name} (")
    assert "pre-restore" in restored.stdout


@pytest.mark.parametrize("yes", [[], ["--yes"]])
def test_restore_of_a_non_backup_is_refused(engine: Engine, tmp_path: Path, yes) -> None:
    junk = tmp_path / "foto.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0 not a backup")
    result = runner.invoke(backup_app, ["restore", str(junk), *yes])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Berkas 'foto.jpg' bukan cadangan Nexus")
    assert result.stderr.count("\n") == 1
    assert backup.list_backups() == []  # not even a safety backup


def test_restore_of_a_missing_file(engine: Engine) -> None:
    result = runner.invoke(backup_app, ["restore", "nexus-20990101-000000.sqlite.gz", "--yes"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Berkas cadangan tidak ditemukan")
