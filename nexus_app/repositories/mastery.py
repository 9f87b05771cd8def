"""Topic mastery: the OpenClass seed's "Pedagogical Intelligence" mastery queries.

A mastery row belongs to a school subject (`subject_id`) or to a UTBK section
(`section`); each kind has its own partial unique index, so the seed's
`ON CONFLICT (user_id, subject_id, topic)` becomes a conflict target with an index
predicate that names the matching index.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from nexus_app.models import TopicMastery, utcnow
from nexus_app.repositories._dialect import dialect_insert, dialect_name
from nexus_app.repositories._sql import table_of

WEAK_MASTERY_THRESHOLD = 0.4


def _owner_filter(subject_id: int | None, section: str | None) -> list[Any]:
    filters: list[Any] = []
    if subject_id is not None:
        filters.append(col(TopicMastery.subject_id) == subject_id)
    if section is not None:
        filters.append(col(TopicMastery.section) == section)
    return filters


def upsert_topic_mastery(
    *,
    session: Session,
    user_id: int,
    topic: str,
    mastery_level: float,
    subject_id: int | None = None,
    section: str | None = None,
    questions_answered: int = 1,
    correct_answers: int = 0,
    now: datetime | None = None,
) -> TopicMastery:
    """Seed query "Update topic mastery" (INSERT … ON CONFLICT DO UPDATE), on both databases.

    Give exactly one of `subject_id` (school tutor) or `section` (UTBK practice). The new
    row starts with `questions_answered`/`correct_answers`; an existing row adds them to its
    counts (the seed inserted 5 but added 1 on conflict, an inconsistency) and takes the
    new `mastery_level`, which the service computes.
    """
    if (subject_id is None) == (section is None):
        raise ValueError("give exactly one of subject_id or section")
    when = now or utcnow()
    row_values = {
        "user_id": user_id,
        "subject_id": subject_id,
        "section": section,
        "topic": topic,
        "mastery_level": mastery_level,
        "question_count": questions_answered,
        "correct_count": correct_answers,
        "last_interaction": when,
        "created_at": when,
        "updated_at": when,
    }
    stmt = _mastery_upsert(dialect_name(session), subject_id is not None, tuple(row_values))
    # populate_existing: a row already in the identity map takes the upserted values.
    row: TopicMastery = session.scalars(
        stmt,
        params={f"v_{name}": value for name, value in row_values.items()},
        execution_options={"populate_existing": True},
    ).one()
    return row


@cache
def _mastery_upsert(
    dialect: str, by_subject: bool, columns: tuple[str, ...]
) -> ReturningInsert[Any]:
    # Built once per database and shape (_sql.py, "hot statements"); the VALUES come as
    # parameters "v_<column>" (an INSERT reserves the bare column names for itself).
    table: sa.Table = table_of(TopicMastery)
    insert = dialect_insert(dialect, TopicMastery)
    insert = insert.values({name: sa.bindparam(f"v_{name}") for name in columns})
    if by_subject:
        # Matches uq_topic_mastery_subject_topic (WHERE subject_id IS NOT NULL).
        target = ["user_id", "subject_id", "topic"]
        predicate = table.c.subject_id.is_not(None)
    else:
        # Matches uq_topic_mastery_section_topic (WHERE subject_id IS NULL).
        target = ["user_id", "section", "topic"]
        predicate = table.c.subject_id.is_(None)
    return insert.on_conflict_do_update(
        index_elements=target,
        index_where=predicate,
        set_={
            "mastery_level": insert.excluded.mastery_level,
            "question_count": table.c.question_count + insert.excluded.question_count,
            "correct_count": table.c.correct_count + insert.excluded.correct_count,
            "last_interaction": insert.excluded.last_interaction,
            # ON CONFLICT DO UPDATE does not run Column.onupdate: set it here.
            "updated_at": insert.excluded.updated_at,
        },
    ).returning(TopicMastery)


def list_topic_mastery(
    *,
    session: Session,
    user_id: int,
    subject_id: int | None = None,
    section: str | None = None,
) -> list[TopicMastery]:
    """Seed query "Get student's mastery levels": weakest first.

    `subject_id` / `section` narrow the list; with neither, every topic of the student.
    """
    return list(
        session.exec(
            select(TopicMastery)
            .where(TopicMastery.user_id == user_id, *_owner_filter(subject_id, section))
            .order_by(col(TopicMastery.mastery_level), col(TopicMastery.topic))
        ).all()
    )


def list_weak_topics(
    *,
    session: Session,
    user_id: int,
    subject_id: int | None = None,
    section: str | None = None,
    threshold: float = WEAK_MASTERY_THRESHOLD,
) -> list[TopicMastery]:
    """Seed query "Detect weak areas (mastery < 0.4)": topics strictly below `threshold`."""
    return list(
        session.exec(
            select(TopicMastery)
            .where(
                TopicMastery.user_id == user_id,
                col(TopicMastery.mastery_level) < threshold,
                *_owner_filter(subject_id, section),
            )
            .order_by(col(TopicMastery.mastery_level), col(TopicMastery.topic))
        ).all()
    )


def get_topic_mastery(
    *,
    session: Session,
    user_id: int,
    topic: str,
    subject_id: int | None = None,
    section: str | None = None,
) -> TopicMastery | None:
    by_subject = subject_id is not None
    return session.exec(
        _topic_mastery_query(by_subject),
        params={"user_id": user_id, "topic": topic, "owner": subject_id if by_subject else section},
    ).first()


@cache
def _topic_mastery_query(by_subject: bool) -> SelectOfScalar[TopicMastery]:
    # Built once per shape (_sql.py, "hot statements"): every practice answer reads one.
    query = select(TopicMastery).where(
        col(TopicMastery.user_id) == sa.bindparam("user_id"),
        col(TopicMastery.topic) == sa.bindparam("topic"),
    )
    if by_subject:
        return query.where(col(TopicMastery.subject_id) == sa.bindparam("owner"))
    return query.where(
        col(TopicMastery.subject_id).is_(None), col(TopicMastery.section) == sa.bindparam("owner")
    )


def list_users_with_mastery(*, session: Session) -> list[int]:
    """Students who have any mastery row: the daily weak-area job walks these."""
    return [int(u) for u in session.exec(select(TopicMastery.user_id).distinct()).all()]
