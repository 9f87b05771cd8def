"""School-wide counts and class rosters."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import QuestionBank, Subject, User


def count_users_by_role(*, session: Session) -> dict[str, int]:
    rows = session.exec(
        select(User.role, sa.func.count()).where(col(User.deleted_at).is_(None)).group_by(User.role)
    ).all()
    return {role: int(n) for role, n in rows}


def count_subjects(*, session: Session) -> int:
    return int(session.exec(select(sa.func.count()).select_from(Subject)).one())


def count_banks(*, session: Session) -> int:
    return int(session.exec(select(sa.func.count()).select_from(QuestionBank)).one())
