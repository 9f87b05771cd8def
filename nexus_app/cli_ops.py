"""`nexus jobs …` and `nexus backup …`: sub-commands that nexus_app/cli.py mounts with

    app.add_typer(jobs_app, name="jobs")
    app.add_typer(backup_app, name="backup")

Same conventions as cli.py: each failure prints one `error: …` line on stderr and exits
non-zero (nexus_app.cli_common).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

import typer

from nexus_app.cli_common import fail, run
from nexus_app.formatting import format_datetime, format_size
from nexus_app.services.jobs import JOB_NAMES, JOBS

T = TypeVar("T")

jobs_app = typer.Typer(help="Scheduled jobs: run one now, see the last runs.", no_args_is_help=True)
backup_app = typer.Typer(help="Database backups: create, list, restore.", no_args_is_help=True)

_JOB_LIST = ", ".join(JOB_NAMES)


def _one_line(text: str | None, width: int = 80) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# --- jobs -------------------------------------------------------------------------------------


@jobs_app.command("run", help=f"Run one job now. NAME is one of: {_JOB_LIST}.")
def jobsrun(
    name: Annotated[str, typer.Argument(help=f"One of: {_JOB_LIST}.", show_default=False)],
) -> None:
    from nexus_app.services.jobs import run_job

    if name not in JOBS:
        fail(f"unknown job '{name}' (choose from {_JOB_LIST})")
    # force: an operator's run is not a duplicate of the last scheduled one; it is still
    # refused while another worker is running the same job.
    outcome = run(lambda: run_job(name, force=True))
    if outcome.status == "skipped":
        fail(f"job '{name}' not run: {outcome.detail}")
    if outcome.status == "failed":
        fail(f"job '{name}' failed after {outcome.duration_ms} ms: {_one_line(outcome.detail)}")
    typer.echo(f"{name}: {outcome.detail} ({outcome.duration_ms} ms, run {outcome.job_id[:8]})")


@jobs_app.command("list")
def jobs_list(
    limit: Annotated[int, typer.Option("--limit", help="How many runs to show.", min=1)] = 20,
    name: Annotated[
        str | None, typer.Option("--name", help=f"Only this job ({_JOB_LIST}).")
    ] = None,
) -> None:
    """Show the schedule (UTC, as the scheduler runs) and the last runs (newest first, WIB)."""
    from nexus_app.services.jobs import list_runs

    if name is not None and name not in JOBS:
        fail(f"unknown job '{name}' (choose from {_JOB_LIST})")
    runs = run(lambda: list_runs(limit=limit, name=name))
    typer.echo("schedule (UTC):")
    for spec in JOBS.values():
        if name is None or spec.name == name:
            typer.echo(f"  {spec.name:<18} {spec.schedule_text}")
    if not runs:
        typer.echo("no runs yet")
        return
    typer.echo(f"{'started':<23}  {'job':<18} {'status':<8} {'ms':>8}  detail")
    for job_run in runs:
        ms = "" if job_run.duration_ms is None else str(job_run.duration_ms)
        typer.echo(
            f"{format_datetime(job_run.started_at, seconds=True)}  {job_run.name:<18} "
            f"{job_run.status:<8} {ms:>8}  {_one_line(job_run.detail)}"
        )


# --- backups ----------------------------------------------------------------------------------


@backup_app.command("create")
def backup_create() -> None:
    """Back up the database now into NEXUS_DATA_DIR/backups; prints the path and size."""
    from nexus_app.services.backup import create_backup

    info = run(create_backup)
    typer.echo(f"{info.path} ({format_size(info.size_bytes)})")


@backup_app.command("list")
def backup_list() -> None:
    """List backups, newest first, with their sizes and dates (WIB)."""
    from nexus_app.services.backup import backups_dir, list_backups

    backups = run(list_backups)
    if not backups:
        typer.echo(f"no backups in {backups_dir()}")
        return
    typer.echo(f"{'created':<23}  {'size':>9}  {'database':<10} {'revision':<12} file")
    for info in backups:
        typer.echo(
            f"{format_datetime(info.created_at, seconds=True)}  {format_size(info.size_bytes):>9}  "
            f"{info.database:<10} {info.alembic_revision or '?':<12} {info.path}"
        )


@backup_app.command("restore")
def backup_restore(
    file: Annotated[Path, typer.Argument(help="A backup file, or its name in the backups folder.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: replace the whole current database.")
    ] = False,
) -> None:
    """Replace the current database with a backup (a safety backup is taken first)."""
    from nexus_app.services.backup import inspect_backup, restore_backup

    if not yes:
        # Validate first, so a bad file is reported even without --yes.
        run(lambda: inspect_backup(file))
        fail(
            f"restoring replaces the whole current database with {file.name}; "
            "run again with --yes to confirm"
        )
    result = run(lambda: restore_backup(file))
    total = sum(result.row_counts.values())
    typer.echo(
        f"restored {result.restored.name} ({total} rows in {len(result.row_counts)} tables); "
        f"previous database saved as {result.safety_backup.path}; "
        f"{result.sessions_ended} sessions ended (everyone logs in again)"
    )
    if result.needs_upgrade:
        typer.echo("the backup predates this version's schema: run `nexus db upgrade` next")
