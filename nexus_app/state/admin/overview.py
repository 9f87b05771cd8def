"""State of /admin: the admin's overview of the school server."""

from __future__ import annotations

import dataclasses

from nexus_app.services import school
from nexus_app.services.auth import CurrentUser
from nexus_app.state.admin.base import admin_event
from nexus_app.state.auth import AuthState


@dataclasses.dataclass
class JobRow:
    """The last run of one scheduled job."""

    name: str
    status: str
    started_at: str
    detail: str


class AdminOverviewState(AuthState):
    students: int = 0
    teachers: int = 0
    admins: int = 0
    subjects: int = 0
    banks: int = 0
    database: str = ""
    questions_by_section: list[dict[str, str]] = []
    last_backup: str = ""
    # The nightly backup runs every 24 h: older than 36 h means it has been missed.
    backup_stale: bool = False
    errors_last_day: int = 0
    jobs: list[JobRow] = []

    @admin_event
    def load(self, actor: CurrentUser) -> None:
        overview = school.admin_overview(actor=actor)
        self.students = overview.users_by_role.get("siswa", 0)
        self.teachers = overview.users_by_role.get("guru", 0)
        self.admins = overview.users_by_role.get("admin", 0)
        self.subjects = overview.subjects
        self.banks = overview.banks
        self.database = overview.database
        age = overview.last_backup_age_hours
        self.last_backup = (
            f"{overview.last_backup} ({str(age).replace('.', ',')} jam lalu)"
            if overview.last_backup
            else "belum ada cadangan"
        )
        self.backup_stale = age is None or age > 36
        self.errors_last_day = overview.errors_last_day
        self.jobs = [
            JobRow(name=j.name, status=j.status, started_at=j.started_at, detail=j.detail)
            for j in overview.jobs
        ]
        self.questions_by_section = [
            {"section": code, "count": str(n)}
            for code, n in sorted(overview.questions_by_section.items())
        ]
