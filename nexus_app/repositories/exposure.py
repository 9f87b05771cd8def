"""Exposure counts for adaptive item selection: sessions per section, showings per item.

Both counters grow only through `INSERT … ON CONFLICT DO UPDATE SET n = n + 1`, a single
statement that the database applies atomically, so students answering at the same time on
PostgreSQL never lose an increment (no read-modify-write in Python). A missing row is zero.
"""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from nexus_app.models import ItemExposure, Question, SectionExposure
from nexus_app.repositories._dialect import dialect_insert, dialect_name, upsert_insert
from nexus_app.repositories._sql import table_of


def count_item_shown(*, session: Session, question_id: int) -> int:
    """One more session was shown this item; returns its new count."""
    stmt = _item_shown_upsert(dialect_name(session))
    return int(session.execute(stmt, {"shown_id": question_id}).scalar_one())


@cache
def _item_shown_upsert(dialect: str) -> sa.Executable:
    # Built once per database (_sql.py, "hot statements"): every served item counts.
    table: sa.Table = table_of(ItemExposure)
    insert = dialect_insert(dialect, ItemExposure)
    # "shown_id", not "question_id": an INSERT reserves its column names.
    insert = insert.values(question_id=sa.bindparam("shown_id"), administered_count=1)
    return insert.on_conflict_do_update(
        index_elements=["question_id"],
        set_={"administered_count": table.c.administered_count + 1},
    ).returning(table.c.administered_count)


def count_section_examinee(*, session: Session, section: str) -> int:
    """One more adaptive session started in this section; returns the new count."""
    table: sa.Table = table_of(SectionExposure)
    insert = upsert_insert(session, SectionExposure).values(section=section, examinee_count=1)
    stmt = insert.on_conflict_do_update(
        index_elements=["section"],
        set_={"examinee_count": table.c.examinee_count + 1},
    ).returning(table.c.examinee_count)
    return int(session.execute(stmt).scalar_one())


def get_section_examinees(*, session: Session, section: str) -> int:
    count = session.exec(_section_examinees_query(), params={"section": section}).first()
    return int(count or 0)


@cache
def _section_examinees_query() -> SelectOfScalar[int]:
    # Built once (_sql.py, "hot statements"): every served item asks.
    return select(SectionExposure.examinee_count).where(
        col(SectionExposure.section) == sa.bindparam("section")
    )


def get_section_item_counts(
    *, session: Session, section: str, min_count: int = 0
) -> dict[int, int]:
    """Showings per item of a section (items never shown are absent: zero).

    By section rather than by a list of ids, so a large bank never meets SQLite's limit
    on bound parameters. `min_count` leaves out items shown fewer times (absent too):
    the selector only needs the items near its cap, a few of a section's thousands.
    """
    # min_count 0 is the same query: a count is never negative.
    rows = session.exec(
        _section_item_counts_query(), params={"section": section, "min_count": min_count}
    ).all()
    return {int(qid): int(n) for qid, n in rows}


@cache
def _section_item_counts_query() -> Select[int, int]:
    # Built once (_sql.py, "hot statements"): every served item asks.
    return (
        select(ItemExposure.question_id, ItemExposure.administered_count)
        .join(Question, col(Question.id) == col(ItemExposure.question_id))
        .where(
            col(Question.section) == sa.bindparam("section"),
            col(ItemExposure.administered_count) >= sa.bindparam("min_count"),
        )
    )
