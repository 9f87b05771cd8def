"""School overview for admins and class rosters for teachers."""

from __future__ import annotations

from dataclasses import dataclass

from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import school as school_repo
from nexus_app.services.auth import CurrentUser, require_admin


@dataclass(frozen=True)
class Overview:
    users_by_role: dict[str, int]
    questions_by_section: dict[str, int]
    subjects: int
    banks: int
    database: str


def admin_overview(*, actor: CurrentUser) -> Overview:
    require_admin(actor)
    with unit_of_work() as session:
        return Overview(
            users_by_role=school_repo.count_users_by_role(session=session),
            questions_by_section=question_repo.count_questions_by_section(session=session),
            subjects=school_repo.count_subjects(session=session),
            banks=school_repo.count_banks(session=session),
            database=get_settings().resolved_database_url.split(":", 1)[0].split("+")[0],
        )
