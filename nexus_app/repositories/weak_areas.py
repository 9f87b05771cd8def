"""Weak areas: recorded per topic, kept as history (resolved, never deleted)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select, update
from sqlmodel.sql.expression import Select

from nexus_app.models import Subject, User, WeakArea, utcnow
from nexus_app.repositories._dialect import dialect_name
from nexus_app.repositories._sql import listed_student_probe, select_columns

INTERVENTION_MIN_WEAK_AREAS = 3


@dataclass(frozen=True, slots=True)
class InterventionRow:
    """One row of "Identify students needing intervention": a student in one subject/section."""

    user_id: int
    username: str
    full_name: str | None
    subject_id: int | None
    subject_name: str | None
    section: str | None
    weak_area_count: int

    @property
    def area(self) -> str:
        """What the teacher sees: the subject's name, or the UTBK section code."""
        return self.subject_name or self.section or ""


def _open_area_groups(having: sa.ColumnElement[bool]) -> Select[Any]:
    """Open weak areas counted per (student, subject, section) as `user_id, subject_id,
    section, n`, keeping the groups that pass `having`."""
    return (
        select_columns(
            col(WeakArea.user_id).label("user_id"),
            col(WeakArea.subject_id).label("subject_id"),
            col(WeakArea.section).label("section"),
            sa.func.count().label("n"),
        )
        .where(col(WeakArea.resolved_at).is_(None))
        .group_by(col(WeakArea.user_id), col(WeakArea.subject_id), col(WeakArea.section))
        .having(having)
    )


def _same_owner(subject_id: int | None, section: str | None) -> list[Any]:
    # IS NULL comparisons: "no subject" must match only rows without a subject.
    return [
        col(WeakArea.subject_id).is_(None)
        if subject_id is None
        else col(WeakArea.subject_id) == subject_id,
        col(WeakArea.section).is_(None) if section is None else col(WeakArea.section) == section,
    ]


def record_weak_area(
    *,
    session: Session,
    user_id: int,
    topic: str,
    subject_id: int | None = None,
    section: str | None = None,
    weakness_score: float | None = None,
    recommended_practice: str | None = None,
) -> WeakArea:
    """Record that a student is weak at a topic.

    If the same topic is already open for the student, that row is updated instead of a
    second one being added: a repeat detection must not inflate the intervention count.
    """
    if subject_id is None and section is None:
        raise ValueError("give subject_id or section")
    existing = session.exec(
        select(WeakArea).where(
            WeakArea.user_id == user_id,
            WeakArea.topic == topic,
            col(WeakArea.resolved_at).is_(None),
            *_same_owner(subject_id, section),
        )
    ).first()
    if existing is not None:
        existing.weakness_score = weakness_score
        existing.recommended_practice = recommended_practice
        session.add(existing)
        session.flush()
        return existing
    row = WeakArea(
        user_id=user_id,
        subject_id=subject_id,
        section=section,
        topic=topic,
        weakness_score=weakness_score,
        recommended_practice=recommended_practice,
    )
    session.add(row)
    session.flush()
    return row


# (topic, subject_id, section): what one open weak area is about.
WeakAreaKey = tuple[str, int | None, str | None]


def apply_weak_area_changes(
    *,
    session: Session,
    user_id: int,
    open_rows: Sequence[WeakArea],
    weak: dict[WeakAreaKey, tuple[float, str]],
    recovered: Collection[WeakAreaKey],
    now: datetime,
) -> None:
    """A student's whole detection in one batch: `record_weak_area` for every key of `weak`
    (score, recommendation) and `resolve_weak_areas` for every recovered key, given the
    student's open rows as `list_open_weak_areas` read them. Changed rows are updated and
    new ones inserted in one flush, the recovered closed by one UPDATE."""
    by_key: dict[WeakAreaKey, list[WeakArea]] = {}
    for row in sorted(open_rows, key=lambda r: r.id or 0):
        by_key.setdefault((row.topic, row.subject_id, row.section), []).append(row)
    for (topic, subject_id, section), (score, recommendation) in weak.items():
        if subject_id is None and section is None:
            raise ValueError("give subject_id or section")
        existing = by_key.get((topic, subject_id, section))
        if existing:
            # Unchanged values write nothing (the ORM compares them).
            existing[0].weakness_score = score
            existing[0].recommended_practice = recommendation
            session.add(existing[0])
        else:
            session.add(
                WeakArea(
                    user_id=user_id,
                    subject_id=subject_id,
                    section=section,
                    topic=topic,
                    weakness_score=score,
                    recommended_practice=recommendation,
                )
            )
    session.flush()
    ids = [row.id for key in recovered for row in by_key.get(key, ())]
    if ids:
        session.exec(
            update(WeakArea)
            .where(col(WeakArea.id).in_(ids), col(WeakArea.resolved_at).is_(None))
            .values(resolved_at=now)
        )


def resolve_weak_areas(
    *,
    session: Session,
    user_id: int,
    topic: str,
    subject_id: int | None = None,
    section: str | None = None,
    now: datetime | None = None,
) -> int:
    """Close the open weak areas of one topic (the student recovered); returns how many."""
    result = session.exec(
        update(WeakArea)
        .where(
            col(WeakArea.user_id) == user_id,
            col(WeakArea.topic) == topic,
            col(WeakArea.resolved_at).is_(None),
            *_same_owner(subject_id, section),
        )
        .values(resolved_at=now or utcnow())
    )
    return int(result.rowcount or 0)


def list_open_weak_areas(
    *,
    session: Session,
    user_id: int,
    subject_id: int | None = None,
    section: str | None = None,
) -> list[WeakArea]:
    """A student's unresolved weak areas, the weakest (highest score) first."""
    filters: list[Any] = []
    if subject_id is not None:
        filters.append(col(WeakArea.subject_id) == subject_id)
    if section is not None:
        filters.append(col(WeakArea.section) == section)
    return list(
        session.exec(
            select(WeakArea)
            .where(WeakArea.user_id == user_id, col(WeakArea.resolved_at).is_(None), *filters)
            .order_by(
                col(WeakArea.weakness_score).desc().nulls_last(),
                col(WeakArea.detected_at).desc(),
                col(WeakArea.id).desc(),
            )
        ).all()
    )


def list_students_needing_intervention(
    *,
    session: Session,
    min_weak_areas: int = INTERVENTION_MIN_WEAK_AREAS,
    class_name: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[InterventionRow]:
    """Seed query "Identify students needing intervention".

    Counts only open weak areas (resolved ones are history here), groups per student and
    per subject or UTBK section (the seed's inner join on subjects dropped section rows),
    and keeps groups with at least `min_weak_areas`. `class_name` narrows to one class;
    `limit`/`offset` page through the order (all classes of a 100,000-student school are
    25,000 rows).
    """
    count = sa.func.count(col(WeakArea.id))
    filters: list[Any] = [
        col(User.role) == "siswa",
        col(User.deleted_at).is_(None),
        col(WeakArea.resolved_at).is_(None),
    ]
    query: Any
    if class_name is None and limit is not None and dialect_name(session) == "postgresql":
        return _intervention_page(
            session, min_weak_areas=min_weak_areas, limit=limit, offset=offset
        )
    if class_name is None:
        # Every class: count the open weak areas per (student, subject, section) first and
        # join only the groups that pass to users and subjects, instead of joining 75,000
        # open rows to their students and grouping by names.
        groups = _open_area_groups(count >= min_weak_areas).subquery()
        query = (
            select_columns(*_group_row_columns(groups))
            .join(groups, groups.c.user_id == col(User.id))
            .outerjoin(Subject, col(Subject.id) == groups.c.subject_id)
            .where(col(User.role) == "siswa", col(User.deleted_at).is_(None))
            .order_by(
                groups.c.n.desc(),
                col(User.username),
                col(Subject.name).nulls_last(),
                groups.c.section.nulls_last(),
            )
        )
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        return _intervention_rows(session.exec(query).all())
    filters.append(col(User.class_name) == class_name)
    query = (
        select_columns(
            col(User.id),
            col(User.username),
            col(User.full_name),
            col(WeakArea.subject_id),
            col(Subject.name),
            col(WeakArea.section),
            count,
        )
        .join(WeakArea, col(WeakArea.user_id) == col(User.id))
        .outerjoin(Subject, col(Subject.id) == col(WeakArea.subject_id))
        .where(*filters)
        .group_by(
            col(User.id),
            col(User.username),
            col(User.full_name),
            col(WeakArea.subject_id),
            col(Subject.name),
            col(WeakArea.section),
        )
        .having(count >= min_weak_areas)
        .order_by(
            count.desc(),
            col(User.username),
            col(Subject.name).nulls_last(),
            col(WeakArea.section).nulls_last(),
        )
    )
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return _intervention_rows(session.exec(query).all())


def _open_groups_per_level(session: Session, *, min_weak_areas: int) -> list[tuple[int, int]]:
    """(weak-area count, groups with that count), highest first, over listed students.

    One pass over the open weak areas; the students left out of the list (teachers,
    deleted accounts) are a few thousand ids read from `idx_users_unlisted`, so `users`
    itself is not read.
    """
    count = sa.func.count()
    unlisted = select(col(User.id)).where(
        sa.or_(col(User.role) != "siswa", col(User.deleted_at).is_not(None))
    )
    groups = (
        select_columns(col(WeakArea.user_id).label("user_id"), count.label("n"))
        .where(col(WeakArea.resolved_at).is_(None))
        .group_by(col(WeakArea.user_id), col(WeakArea.subject_id), col(WeakArea.section))
        .having(count >= min_weak_areas)
        .subquery("groups")
    )
    # Excluded after grouping: a third as many lookups as filtering every open row.
    query = (
        select_columns(groups.c.n, sa.func.count())
        .where(groups.c.user_id.not_in(unlisted))
        .group_by(groups.c.n)
        .order_by(groups.c.n.desc())
    )
    return [(int(n), int(c)) for n, c in session.exec(query).all()]


def _walk_level(session: Session, *, groups: int, rows_to_reach: int) -> bool:
    """Whether to find a level's rows by walking students in username order (about
    `rows_to_reach × students / groups` students) rather than grouping every open weak
    area again and looking up each of the level's `groups` students. Both are exact."""
    # The planner's row estimate of `users` (kept by ANALYZE/autovacuum): no count needed.
    students = session.execute(
        sa.text("SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass")
    ).scalar_one()
    walked = rows_to_reach * max(float(students), 1.0) / groups
    return walked < groups + 5_000


def _intervention_page(
    session: Session, *, min_weak_areas: int, limit: int, offset: int
) -> list[InterventionRow]:
    """A page of every class's intervention list on PostgreSQL without joining 25,000
    groups to 100,000 students.

    The order is (count desc, username, subject, section). The counts per level come
    first (one pass over the open weak areas); the page's levels are then read one way or
    the other: a level with many groups (at the seeds' scale every student with three
    open weak areas in a section, 25,000 of them) by walking students in username order
    (`uq_users_username`) and grouping each one's open weak areas, which stops after the
    page's rows; a few rare levels together by grouping and looking up only their
    students by primary key.
    """
    pages: list[InterventionRow] = []
    start, end = offset, offset + limit
    # Consecutive rare levels, read together: (n, position of the level's first group).
    direct: list[tuple[int, int]] = []
    direct_end = 0  # position after the last of them

    def flush_direct() -> None:
        if direct:
            first = direct[0][1]
            pages.extend(
                _intervention_levels(
                    session,
                    lowest=direct[-1][0],
                    highest=direct[0][0],
                    skip=max(start - first, 0),
                    take=min(end, direct_end) - max(start, first),
                )
            )
            direct.clear()

    last = 0  # groups in the levels above
    for n, groups in _open_groups_per_level(session, min_weak_areas=min_weak_areas):
        first, last = last, last + groups
        if last <= start:
            continue
        if first >= end:
            break
        skip = max(start - first, 0)
        take = min(end, last) - max(start, first)
        if _walk_level(session, groups=groups, rows_to_reach=skip + take):
            flush_direct()
            pages.extend(_intervention_walk(session, level=n, skip=skip, take=take))
        else:
            direct.append((n, first))
            direct_end = last
    flush_direct()
    return pages


def _intervention_levels(
    session: Session, *, lowest: int, highest: int, skip: int, take: int
) -> list[InterventionRow]:
    """Rows of the levels `lowest..highest` (rare ones): grouped, each student looked up
    by primary key (`LIMIT 1` keeps it a probe, not a hash join over every student)."""
    groups = _open_area_groups(sa.func.count().between(lowest, highest)).subquery("groups")
    student = listed_student_probe(groups.c.user_id)
    query = (
        select_columns(
            *_group_row_columns(
                groups,
                user_id=groups.c.user_id,
                username=student.c.username,
                full_name=student.c.full_name,
            )
        )
        .select_from(
            groups.join(student, sa.true()).outerjoin(
                Subject, col(Subject.id) == groups.c.subject_id
            )
        )
        .order_by(
            groups.c.n.desc(),
            student.c.username,
            col(Subject.name).nulls_last(),
            groups.c.section.nulls_last(),
        )
        .limit(take)
        .offset(skip)
    )
    return _intervention_rows(session.exec(query).all())


def _intervention_walk(
    session: Session, *, level: int, skip: int, take: int
) -> list[InterventionRow]:
    """Rows of one level with many groups: students in username order, each one's open
    weak areas grouped (`idx_weak_areas_open`), until `skip + take` rows are found."""
    count = sa.func.count()
    groups = (
        select_columns(
            col(WeakArea.subject_id).label("subject_id"),
            col(WeakArea.section).label("section"),
            count.label("n"),
        )
        .where(col(WeakArea.user_id) == col(User.id), col(WeakArea.resolved_at).is_(None))
        .group_by(col(WeakArea.subject_id), col(WeakArea.section))
        .having(count == level)
        .lateral("groups")
    )
    query = (
        select_columns(*_group_row_columns(groups))
        .select_from(
            sa.join(User, groups, sa.true()).outerjoin(
                Subject, col(Subject.id) == groups.c.subject_id
            )
        )
        .where(col(User.role) == "siswa", col(User.deleted_at).is_(None))
        .order_by(col(User.username), col(Subject.name).nulls_last(), groups.c.section.nulls_last())
        .limit(take)
        .offset(skip)
    )
    return _intervention_rows(session.exec(query).all())


def _group_row_columns(
    groups: Any,
    *,
    user_id: Any = None,
    username: Any = None,
    full_name: Any = None,
) -> tuple[Any, ...]:
    """The columns `_intervention_rows` reads, for `groups` (subject_id, section, n per
    student) and the student's columns (the users table's unless given)."""
    return (
        col(User.id) if user_id is None else user_id,
        col(User.username) if username is None else username,
        col(User.full_name) if full_name is None else full_name,
        groups.c.subject_id,
        col(Subject.name),
        groups.c.section,
        groups.c.n,
    )


def _intervention_rows(rows: Sequence[Any]) -> list[InterventionRow]:
    return [
        InterventionRow(
            user_id=int(user_id),
            username=username,
            full_name=full_name,
            subject_id=subject_id,
            subject_name=subject_name,
            section=section,
            weak_area_count=int(n),
        )
        for user_id, username, full_name, subject_id, subject_name, section, n in rows
    ]
