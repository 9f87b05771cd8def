"""School overview for admins and class rosters for teachers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from nexus_app import formatting
from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.models import utcnow
from nexus_app.repositories import ops as ops_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import school as school_repo
from nexus_app.services import backup, jobs
from nexus_app.services.auth import CurrentUser, require_admin


@dataclass(frozen=True)
class JobHealth:
    """The newest run of one scheduled job (or none yet)."""

    name: str
    status: str  # success / failed / skipped / running / never
    started_at: str
    detail: str


@dataclass(frozen=True)
class Overview:
    users_by_role: dict[str, int]
    questions_by_section: dict[str, int]
    subjects: int
    banks: int
    database: str
    # What keeps the server alive: the newest backup, yesterday's errors, each job's last run.
    last_backup: str = ""
    last_backup_age_hours: float | None = None
    errors_last_day: int = 0
    jobs: list[JobHealth] = field(default_factory=list)


def _job_health() -> list[JobHealth]:
    rows = []
    for name in jobs.JOB_NAMES:
        # Per job: a daily job that stopped days ago must still show its last (failed) run.
        newest = jobs.list_runs(limit=1, name=name)
        run = newest[0] if newest else None
        rows.append(
            JobHealth(name, "never", formatting.EMPTY, "belum pernah berjalan")
            if run is None
            else JobHealth(
                name, run.status, formatting.format_datetime(run.started_at), run.detail or ""
            )
        )
    return rows


def admin_overview(*, actor: CurrentUser) -> Overview:
    require_admin(actor)
    now = utcnow()
    backups = backup.list_backups()
    newest = backups[0] if backups else None
    with unit_of_work() as session:
        counts = (
            school_repo.count_users_by_role(session=session),
            question_repo.count_questions_by_section(session=session),
            school_repo.count_subjects(session=session),
            school_repo.count_banks(session=session),
            ops_repo.count_errors_since(session=session, since=now - timedelta(days=1)),
        )
    return Overview(
        users_by_role=counts[0],
        questions_by_section=counts[1],
        subjects=counts[2],
        banks=counts[3],
        database=get_settings().resolved_database_url.split(":", 1)[0].split("+")[0],
        last_backup=newest.name if newest else "",
        last_backup_age_hours=(
            round((now - newest.created_at).total_seconds() / 3600, 1) if newest else None
        ),
        errors_last_day=counts[4],
        jobs=_job_health(),
    )
