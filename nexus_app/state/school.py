"""States for the admin overview and the teacher's class page."""

from __future__ import annotations

import reflex as rx

from nexus_app.services import school
from nexus_app.state.auth import AuthState


class AdminOverviewState(AuthState):
    students: int = 0
    teachers: int = 0
    admins: int = 0
    subjects: int = 0
    banks: int = 0
    database: str = ""
    questions_by_section: list[dict[str, str]] = []

    @rx.event
    def load(self) -> None:
        actor = self.require("admin")
        overview = school.admin_overview(actor=actor)
        self.students = overview.users_by_role.get("siswa", 0)
        self.teachers = overview.users_by_role.get("guru", 0)
        self.admins = overview.users_by_role.get("admin", 0)
        self.subjects = overview.subjects
        self.banks = overview.banks
        self.database = overview.database
        self.questions_by_section = [
            {"section": code, "count": str(n)}
            for code, n in sorted(overview.questions_by_section.items())
        ]
