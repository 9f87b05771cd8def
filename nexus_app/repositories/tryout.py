"""Tryout blueprints, sittings, their sections and items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nexus_app.models import (
    PtnProgram,
    Question,
    TryoutBlueprint,
    TryoutBlueprintSection,
    TryoutItem,
    TryoutSitting,
    TryoutSittingSection,
    User,
)
from nexus_app.repositories._sql import select_columns

# --- blueprints ------------------------------------------------------------------------


def list_blueprints(*, session: Session) -> list[TryoutBlueprint]:
    return list(session.exec(select(TryoutBlueprint).order_by(col(TryoutBlueprint.id))).all())


def get_blueprint(*, session: Session, blueprint_id: int) -> TryoutBlueprint | None:
    return session.get(TryoutBlueprint, blueprint_id)


def get_blueprint_by_name(*, session: Session, name: str) -> TryoutBlueprint | None:
    return session.exec(select(TryoutBlueprint).where(col(TryoutBlueprint.name) == name)).first()


def list_blueprint_sections(*, session: Session, blueprint_id: int) -> list[TryoutBlueprintSection]:
    return list(
        session.exec(
            select(TryoutBlueprintSection)
            .where(col(TryoutBlueprintSection.blueprint_id) == blueprint_id)
            .order_by(col(TryoutBlueprintSection.position))
        ).all()
    )


def save_blueprint(
    *, session: Session, name: str, sections: Sequence[tuple[int, str, int, float]]
) -> TryoutBlueprint:
    """Create the blueprint, or replace the sections of the one with this name.

    `sections`: (position, section code, item count, minutes)."""
    blueprint = get_blueprint_by_name(session=session, name=name)
    if blueprint is None:
        blueprint = TryoutBlueprint(name=name)
        session.add(blueprint)
        session.flush()
    else:
        for old in list_blueprint_sections(session=session, blueprint_id=blueprint.id or 0):
            session.delete(old)
        session.flush()
    assert blueprint.id is not None
    for position, code, items, minutes in sections:
        session.add(
            TryoutBlueprintSection(
                blueprint_id=blueprint.id,
                position=position,
                section=code,
                item_count=items,
                minutes=minutes,
            )
        )
    session.flush()
    return blueprint


# --- sittings --------------------------------------------------------------------------


def add_sitting(
    *,
    session: Session,
    sitting: TryoutSitting,
    sections: Sequence[TryoutSittingSection],
    items: Sequence[TryoutItem],
) -> None:
    session.add(sitting)
    session.flush()
    session.add_all(list(sections))
    session.add_all(list(items))
    session.flush()


def lock_user_for_start(*, session: Session, user_id: int) -> None:
    """Serialise one student's tryout starts until the transaction ends, so two tabs pressing
    start at once make one sitting: the user's row is locked (SELECT … FOR UPDATE) on
    PostgreSQL; SQLite ignores FOR UPDATE, so a no-op write takes the database's write lock
    before the open sitting is looked for."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(User.id).where(col(User.id) == user_id).with_for_update()).first()
    else:
        session.execute(
            sa.update(User).where(col(User.id) == user_id).values(username=User.username)
        )


def get_open_sitting(*, session: Session, user_id: int) -> TryoutSitting | None:
    return session.exec(
        select(TryoutSitting)
        .where(col(TryoutSitting.user_id) == user_id, col(TryoutSitting.finished_at).is_(None))
        .order_by(col(TryoutSitting.started_at).desc())
    ).first()


def get_latest_finished(*, session: Session, user_id: int) -> TryoutSitting | None:
    return session.exec(
        select(TryoutSitting)
        .where(col(TryoutSitting.user_id) == user_id, col(TryoutSitting.finished_at).is_not(None))
        .order_by(col(TryoutSitting.finished_at).desc())
    ).first()


def get_sitting(*, session: Session, sitting_id: str, user_id: int) -> TryoutSitting | None:
    """The sitting if it belongs to this user (None otherwise)."""
    return session.exec(
        select(TryoutSitting).where(
            col(TryoutSitting.id) == sitting_id, col(TryoutSitting.user_id) == user_id
        )
    ).first()


def list_sitting_sections(*, session: Session, sitting_id: str) -> list[TryoutSittingSection]:
    return list(
        session.exec(
            select(TryoutSittingSection)
            .where(col(TryoutSittingSection.sitting_id) == sitting_id)
            .order_by(col(TryoutSittingSection.position))
        ).all()
    )


def list_items(
    *, session: Session, sitting_id: str, position: int | None = None
) -> list[TryoutItem]:
    query = select(TryoutItem).where(col(TryoutItem.sitting_id) == sitting_id)
    if position is not None:
        query = query.where(col(TryoutItem.position) == position)
    return list(
        session.exec(query.order_by(col(TryoutItem.position), col(TryoutItem.number))).all()
    )


def get_item(*, session: Session, sitting_id: str, position: int, number: int) -> TryoutItem | None:
    return session.get(TryoutItem, (sitting_id, position, number))


def item_usage(*, session: Session, blueprint_id: int) -> dict[int, int]:
    """question id -> in how many sittings of the blueprint it was drawn (exposure)."""
    rows = session.exec(
        select_columns(col(TryoutItem.question_id), sa.func.count())
        .join(TryoutSitting, col(TryoutSitting.id) == col(TryoutItem.sitting_id))
        .where(col(TryoutSitting.blueprint_id) == blueprint_id)
        .group_by(col(TryoutItem.question_id))
    ).all()
    return {int(question_id): int(n) for question_id, n in rows}


def questions_by_id(*, session: Session, ids: Sequence[int]) -> dict[int, Question]:
    if not ids:
        return {}
    rows = session.exec(select(Question).where(col(Question.id).in_(list(ids)))).all()
    return {int(q.id or 0): q for q in rows}


def latest_finished_by_student(
    *, session: Session, blueprint_id: int
) -> list[tuple[int, TryoutSitting]]:
    """(user id, newest finished sitting) for every student who finished this blueprint."""
    rows = session.exec(
        select(TryoutSitting)
        .join(User, col(User.id) == col(TryoutSitting.user_id))
        .where(
            col(TryoutSitting.blueprint_id) == blueprint_id,
            col(TryoutSitting.finished_at).is_not(None),
            col(User.role) == "siswa",
        )
        .order_by(col(TryoutSitting.finished_at))
    ).all()
    newest: dict[int, TryoutSitting] = {}
    for sitting in rows:
        newest[sitting.user_id] = sitting
    return list(newest.items())


def section_scores(*, session: Session, sitting_ids: Sequence[str]) -> dict[str, dict[str, float]]:
    """{sitting id: {section code: score}} for scored sections."""
    if not sitting_ids:
        return {}
    rows = session.exec(
        select(TryoutSittingSection).where(
            col(TryoutSittingSection.sitting_id).in_(list(sitting_ids)),
            col(TryoutSittingSection.score).is_not(None),
        )
    ).all()
    out: dict[str, dict[str, float]] = {}
    for row in rows:
        out.setdefault(row.sitting_id, {})[row.section] = float(row.score or 0.0)
    return out


@dataclass(frozen=True, slots=True)
class SectionEvidence:
    """One scored section of a finished sitting, with what the student answered."""

    sitting_id: str
    section: str
    ended_at: datetime
    theta: float
    se: float
    answered: int
    correct: int


def list_section_evidence(*, session: Session, user_id: int) -> list[SectionEvidence]:
    """Every scored section of the user's finished sittings, oldest first (one query)."""
    s, ss, ti, q = TryoutSitting, TryoutSittingSection, TryoutItem, Question
    answered = sa.func.count(col(ti.answer))
    correct = sa.func.sum(sa.case((col(ti.answer) == col(q.correct_answer), 1), else_=0))
    rows = session.exec(
        select_columns(
            col(ss.sitting_id),
            col(ss.section),
            col(ss.ended_at),
            col(ss.theta),
            col(ss.se),
            answered,
            correct,
        )
        .join(s, col(s.id) == col(ss.sitting_id))
        .join(
            ti, (col(ti.sitting_id) == col(ss.sitting_id)) & (col(ti.position) == col(ss.position))
        )
        .join(q, col(q.id) == col(ti.question_id))
        .where(
            col(s.user_id) == user_id,
            col(s.finished_at).is_not(None),
            col(ss.theta).is_not(None),
            col(ss.se).is_not(None),
            col(ss.ended_at).is_not(None),
        )
        .group_by(
            col(ss.sitting_id),
            col(ss.position),
            col(ss.section),
            col(ss.ended_at),
            col(ss.theta),
            col(ss.se),
        )
        .order_by(col(ss.ended_at), col(ss.position))
    ).all()
    return [
        SectionEvidence(sid, code, ended, float(theta), float(se), int(n or 0), int(k or 0))
        for sid, code, ended, theta, se, n, k in rows
    ]


def list_finished_sittings(*, session: Session, user_id: int) -> list[tuple[TryoutSitting, str]]:
    """The user's finished sittings with their blueprint's name, oldest first."""
    rows = session.exec(
        select(TryoutSitting, TryoutBlueprint.name)
        .join(TryoutBlueprint, col(TryoutBlueprint.id) == col(TryoutSitting.blueprint_id))
        .where(col(TryoutSitting.user_id) == user_id, col(TryoutSitting.finished_at).is_not(None))
        .order_by(col(TryoutSitting.finished_at), col(TryoutSitting.id))
    ).all()
    return [(sitting, str(name)) for sitting, name in rows]


def touch(*, session: Session, row: object) -> None:
    session.add(row)
    session.flush()


# --- PTN programmes ----------------------------------------------------------------------


def list_programs(*, session: Session) -> list[PtnProgram]:
    """Every programme row, oldest year first."""
    return list(
        session.exec(select(PtnProgram).order_by(col(PtnProgram.year), col(PtnProgram.id))).all()
    )


def upsert_program(*, session: Session, program: PtnProgram) -> None:
    """Add the row, or update the one with the same ptn, programme and year."""
    old = session.exec(
        select(PtnProgram).where(
            col(PtnProgram.ptn) == program.ptn,
            col(PtnProgram.program) == program.program,
            col(PtnProgram.year) == program.year,
        )
    ).first()
    if old is None:
        session.add(program)
    else:
        old.capacity, old.applicants, old.cutoff = (
            program.capacity,
            program.applicants,
            program.cutoff,
        )
        session.add(old)
    session.flush()
