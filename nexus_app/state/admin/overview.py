"""State of /admin: the admin's overview of the school server."""

from __future__ import annotations

import dataclasses

import reflex as rx

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


@dataclasses.dataclass
class SectionCount:
    """How many questions one UTBK subtest has."""

    section: str
    count: int


class AdminOverviewState(AuthState):
    students: rx.Field[int] = rx.field(0)
    teachers: rx.Field[int] = rx.field(0)
    admins: rx.Field[int] = rx.field(0)
    subjects: rx.Field[int] = rx.field(0)
    banks: rx.Field[int] = rx.field(0)
    database: rx.Field[str] = rx.field("")
    questions_by_section: rx.Field[list[SectionCount]] = rx.field(default_factory=list)
    last_backup: rx.Field[str] = rx.field("")
    # The nightly backup runs every 24 h: older than 36 h means it has been missed.
    backup_stale: rx.Field[bool] = rx.field(False)
    errors_last_day: rx.Field[int] = rx.field(0)
    jobs: rx.Field[list[JobRow]] = rx.field(default_factory=list)

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
            SectionCount(section=code, count=n)
            for code, n in sorted(overview.questions_by_section.items())
        ]
