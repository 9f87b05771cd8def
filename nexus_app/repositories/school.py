"""School-wide counts and class rosters."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import QuestionBank, Subject, User


@dataclass(frozen=True)
class RosterRow:
    class_name: str
    username: str
    full_name: str
    last_login_iso: str | None
    onboarding_completed: bool


def count_users_by_role(*, session: Session) -> dict[str, int]:
    rows = session.exec(
        select(User.role, sa.func.count()).where(col(User.deleted_at).is_(None)).group_by(User.role)
    ).all()
    return {role: int(n) for role, n in rows}


def count_subjects(*, session: Session) -> int:
    return int(session.exec(select(sa.func.count()).select_from(Subject)).one())


def count_banks(*, session: Session) -> int:
    return int(session.exec(select(sa.func.count()).select_from(QuestionBank)).one())


def class_roster(*, session: Session) -> list[RosterRow]:
    """Active students grouped by class, for the teacher's class page."""
    users = session.exec(
        select(User)
        .where(User.role == "siswa", col(User.deleted_at).is_(None), col(User.is_active))
        .order_by(User.class_name, User.username)
    ).all()
    return [
        RosterRow(
            class_name=u.class_name or "Tanpa kelas",
            username=u.username,
            full_name=u.full_name or u.username,
            last_login_iso=u.last_login.isoformat() if u.last_login else None,
            onboarding_completed=u.onboarding_completed,
        )
        for u in users
    ]
