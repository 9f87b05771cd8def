"""UTBK question banks and items: Genta's Queries 2, 6 and 9 and the item statistics."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session, col, select, update
from sqlmodel.sql.expression import SelectOfScalar

from nexus_app.models import (
    Attempt,
    ItemBankVersion,
    Question,
    QuestionBank,
    QuestionCreate,
    QuestionReviewLog,
    UtbkSection,
    utcnow,
)
from nexus_app.repositories._sql import select_columns, table_of

RECENT_DAYS = 7
DIFFICULTY_WINDOW = 0.5
TOP_QUESTIONS_MIN_USERS = 10

DifficultyAssessment = Literal["TOO_EASY", "TOO_HARD", "OPTIMAL", "ACCEPTABLE", "NO_DATA"]


@dataclass(frozen=True, slots=True)
class CatCandidate:
    """What the CAT engine needs of an eligible item (3PL a, b, c and its sub-type)."""

    question_id: int
    a: float | None
    b: float
    c: float | None
    sub_type: str | None


@dataclass(frozen=True, slots=True)
class QuestionListRow:
    """One row of Query 6 (the content team's question list)."""

    question_id: int
    section: str
    sub_type: str | None
    difficulty_irt: float | None
    text: str
    correct_answer: str
    is_reviewed: bool
    is_ambiguous: bool
    attempt_count: int
    correct_rate_percentage: float | None
    avg_time_seconds: int | None
    review_count: int


@dataclass(frozen=True, slots=True)
class QuestionStatsRow:
    """One row of Query 9 (top questions with a difficulty assessment)."""

    question_id: int
    section: str
    sub_type: str | None
    text: str
    difficulty_irt: float | None
    attempt_count: int
    correct_rate_percentage: float | None
    avg_time_seconds: int | None
    unique_users_answered: int
    difficulty_assessment: DifficultyAssessment


# --- banks ---------------------------------------------------------------------------


def create_question_bank(
    *,
    session: Session,
    name: str,
    description: str | None = None,
    source: str | None = None,
) -> QuestionBank:
    bank = QuestionBank(name=name, description=description, source=source)
    session.add(bank)
    session.flush()
    return bank


def get_question_bank_by_name(*, session: Session, name: str) -> QuestionBank | None:
    return session.exec(select(QuestionBank).where(QuestionBank.name == name)).first()


def _bank_count(bank_id: int, section: str | None = None) -> Any:
    query = (
        select(sa.func.count())
        .select_from(Question)
        .where(col(Question.question_bank_id) == bank_id, col(Question.deleted_at).is_(None))
    )
    if section is not None:
        query = query.where(col(Question.section) == section)
    return query.scalar_subquery()


def refresh_question_bank_counts(*, session: Session, bank_id: int) -> QuestionBank | None:
    """Recount a bank's live (not deleted) items into its denormalised counters.

    The bank keeps the seed's PU/PK/PBM columns; `count_questions_by_section` gives all
    seven sections.
    """
    session.exec(
        update(QuestionBank)
        .where(col(QuestionBank.id) == bank_id)
        .values(
            total_questions=_bank_count(bank_id),
            questions_pu=_bank_count(bank_id, "PU"),
            questions_pk=_bank_count(bank_id, "PK"),
            questions_pbm=_bank_count(bank_id, "PBM"),
        )
    )
    return session.get(QuestionBank, bank_id, populate_existing=True)


def count_questions_by_section(*, session: Session, bank_id: int | None = None) -> dict[str, int]:
    """Live items per UTBK section (every section listed, zero included)."""
    join_on: list[Any] = [
        col(Question.section) == col(UtbkSection.code),
        col(Question.deleted_at).is_(None),
    ]
    if bank_id is not None:
        join_on.append(col(Question.question_bank_id) == bank_id)
    rows = session.exec(
        select(UtbkSection.code, sa.func.count(col(Question.id)))
        .outerjoin(Question, sa.and_(*join_on))
        .group_by(col(UtbkSection.code))
    ).all()
    return {code: int(n) for code, n in rows}


# --- items ---------------------------------------------------------------------------


def create_question(
    *,
    session: Session,
    data: QuestionCreate,
    question_bank_id: int | None = None,
    is_reviewed: bool = False,
) -> Question:
    question = Question(
        **data.model_dump(), question_bank_id=question_bank_id, is_reviewed=is_reviewed
    )
    session.add(question)
    session.flush()
    return question


def get_question(
    *, session: Session, question_id: int, include_deleted: bool = False
) -> Question | None:
    question = session.get(Question, question_id)
    if question is None or (question.deleted_at is not None and not include_deleted):
        return None
    return question


def _servable(section: str) -> list[Any]:
    # Spelled like idx_questions_servable's predicate so PostgreSQL can use that index.
    return [
        col(Question.section) == section,
        col(Question.is_reviewed) == sa.true(),
        col(Question.is_ambiguous) == sa.false(),
        col(Question.deleted_at).is_(None),
    ]


def _not_recently_answered(user_id: int, since: datetime) -> Any:
    recent = select(Attempt.question_id).where(
        Attempt.user_id == user_id, col(Attempt.created_at) > since
    )
    return col(Question.id).not_in(recent)


def select_next_question_candidates(
    *,
    session: Session,
    user_id: int,
    section: str,
    theta: float,
    window: float = DIFFICULTY_WINDOW,
    limit: int = 1,
    exclude_question_ids: Collection[int] = (),
    recent_days: int = RECENT_DAYS,
    now: datetime | None = None,
) -> list[Question]:
    """Query 2 "Select next question": servable items of `section` with |b − theta| ≤
    `window` that the user has not answered in the last `recent_days` days, closest
    difficulty first, ties in random order; at most `limit`.

    `exclude_question_ids` lets the service also skip items already given in this session.
    The seed's `days_since_created` column is not computed (EXTRACT(EPOCH …) is not
    portable, and the caller has `created_at`).
    """
    since = (now or utcnow()) - timedelta(days=recent_days)
    b = col(Question.difficulty_irt)
    query = select(Question).where(
        *_servable(section),
        b.between(theta - window, theta + window),
        _not_recently_answered(user_id, since),
    )
    if exclude_question_ids:
        query = query.where(col(Question.id).not_in(list(exclude_question_ids)))
    query = query.order_by(sa.func.abs(b - theta), sa.func.random()).limit(limit)
    return list(session.exec(query).all())


# Each section's servable items as 3PL parameters, held per worker process and keyed by
# the database and the item-bank token (migration 0010's triggers write a new token on
# every change to the columns read here). Checking the token is one primary-key lookup;
# reloading a section at the seeds' scale (~14,000 items) costs ~50 ms.
_SECTION_ITEMS: dict[tuple[str, str], tuple[int, tuple[CatCandidate, ...]]] = {}
_SUPPLY_COUNTS: dict[str, tuple[int, list[tuple[str, str | None, int]]]] = {}


def _database_key(session: Session) -> str:
    return repr(session.get_bind().engine.url)


def _item_bank_token(session: Session) -> int | None:
    """The current token; None when the row is missing (a wiped table), then nothing is
    cached."""
    token = session.exec(_bank_token_query()).first()
    return None if token is None else int(token)


@cache
def _bank_token_query() -> SelectOfScalar[int]:
    # Built once (_sql.py, "hot statements"): every served item asks.
    return select(ItemBankVersion.token).where(col(ItemBankVersion.id) == 1)


def _section_items(session: Session, section: str) -> tuple[CatCandidate, ...]:
    """Every servable item of `section` with a difficulty, ordered by id."""
    token = _item_bank_token(session)
    key = (_database_key(session), section)
    cached = _SECTION_ITEMS.get(key)
    if token is not None and cached is not None and cached[0] == token:
        return cached[1]
    query = select_columns(
        col(Question.id),
        col(Question.discrimination),
        col(Question.difficulty_irt),
        col(Question.guessing_param),
        col(Question.sub_type),
    ).where(*_servable(section), col(Question.difficulty_irt).is_not(None))
    items = tuple(
        CatCandidate(question_id=int(qid), a=a, b=float(b), c=c, sub_type=sub_type)
        for qid, a, b, c, sub_type in session.exec(query.order_by(col(Question.id))).all()
    )
    if token is not None:
        _SECTION_ITEMS[key] = (token, items)
    return items


def recently_answered_ids(*, session: Session, user_id: int, since: datetime) -> set[int]:
    """Questions the user answered after `since` (idx_attempts_user_created)."""
    rows = session.exec(_recent_answers_query(), params={"user_id": user_id, "since": since})
    return {int(qid) for qid in rows.all()}


@cache
def _recent_answers_query() -> SelectOfScalar[int]:
    # Built once (_sql.py, "hot statements"): every served item asks.
    return select(Attempt.question_id).where(
        col(Attempt.user_id) == sa.bindparam("user_id"),
        col(Attempt.created_at) > sa.bindparam("since"),
    )


def list_cat_candidates(
    *,
    session: Session,
    user_id: int,
    section: str,
    exclude_question_ids: Collection[int] = (),
    recent_days: int = RECENT_DAYS,
    now: datetime | None = None,
) -> list[CatCandidate]:
    """Every item Query 2 would accept at any theta, as 3PL parameters for the CAT engine.

    Items need a difficulty (b) to be adaptive; a missing a or c comes back as None for
    the service to default. Ordered by id so the engine's indices are reproducible. The
    section's items come from the per-worker cache; only the user's recent answers are
    read per call.
    """
    since = (now or utcnow()) - timedelta(days=recent_days)
    skip = recently_answered_ids(session=session, user_id=user_id, since=since)
    skip.update(exclude_question_ids)
    items = _section_items(session, section)
    if not skip:
        return list(items)
    return [c for c in items if c.question_id not in skip]


def list_questions_by_section(
    *,
    session: Session,
    section: str,
    sub_type: str | None = None,
    is_reviewed: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[QuestionListRow]:
    """Query 6 "Get all questions by section (with filters)", paginated.

    The seed's `($2::VARCHAR IS NULL OR …)` optional filters become Python conditionals;
    its LEFT JOIN + GROUP BY for review_count becomes a correlated COUNT subquery (same
    result, no wide GROUP BY); items without a difficulty sort last on both databases.
    """
    review_count = (
        select(sa.func.count())
        .select_from(QuestionReviewLog)
        .where(col(QuestionReviewLog.question_id) == col(Question.id))
        .correlate(Question)
        .scalar_subquery()
    )
    query = select(Question, review_count).where(
        col(Question.section) == section, col(Question.deleted_at).is_(None)
    )
    if sub_type is not None:
        query = query.where(col(Question.sub_type) == sub_type)
    if is_reviewed is not None:
        query = query.where(col(Question.is_reviewed) == is_reviewed)
    query = (
        query.order_by(
            col(Question.difficulty_irt).asc().nulls_last(),
            col(Question.created_at).desc(),
            col(Question.id).desc(),
        )
        .limit(limit)
        .offset(offset)
    )
    return [
        QuestionListRow(
            question_id=int(q.id or 0),
            section=q.section,
            sub_type=q.sub_type,
            difficulty_irt=q.difficulty_irt,
            text=q.text,
            correct_answer=q.correct_answer,
            is_reviewed=q.is_reviewed,
            is_ambiguous=q.is_ambiguous,
            attempt_count=q.attempt_count,
            correct_rate_percentage=(
                None if q.correct_rate is None else round(q.correct_rate * 100, 1)
            ),
            avg_time_seconds=q.avg_time_seconds,
            review_count=int(n),
        )
        for q, n in session.exec(query).all()
    ]


def top_question_stats(
    *,
    session: Session,
    min_users: int = TOP_QUESTIONS_MIN_USERS,
    limit: int = 50,
    section: str | None = None,
    bank_id: int | None = None,
) -> list[QuestionStatsRow]:
    """Query 9 "Top performing questions": items answered by ≥ `min_users` distinct users,
    most attempted first, with the seed's difficulty assessment; optionally for one section
    and/or one bank (the admin's statistics page).

    Deviations: soft-deleted attempts do not count as answers; an item without a
    correct_rate is NO_DATA (the seed's CASE fell through to ACCEPTABLE).
    """
    rate = col(Question.correct_rate)
    users = sa.func.count(sa.distinct(col(Attempt.user_id)))
    assessment = sa.case(
        (rate.is_(None), "NO_DATA"),
        (rate > 0.85, "TOO_EASY"),
        (rate < 0.30, "TOO_HARD"),
        (sa.func.abs(rate - 0.50) < 0.15, "OPTIMAL"),
        else_="ACCEPTABLE",
    )
    filters: list[Any] = [col(Question.deleted_at).is_(None)]
    if section is not None:
        filters.append(col(Question.section) == section)
    if bank_id is not None:
        filters.append(col(Question.question_bank_id) == bank_id)
    order = (col(Question.attempt_count).desc(), col(Question.id))
    if session.get_bind().dialect.name == "postgresql":
        # At the seeds' scale grouping every answer of a section (700,000) cost seconds:
        # walk the items most attempted first and count each one's students in a LATERAL
        # subquery (an index-only scan of idx_attempts_question_user), stopping at `limit`
        # items that have enough students. Same rows, same order (docs/plans.md).
        # The ordered ids are a subquery of their own (OFFSET 0 keeps the planner from
        # flattening it), so the sort happens before the per-item counts, not after.
        ordered = (
            select(col(Question.id).label("id"), col(Question.attempt_count).label("n_answers"))
            .where(*filters)
            .order_by(*order)
            .offset(0)
            .subquery("ordered")
        )
        per_item = (
            select(sa.func.count(sa.distinct(col(Attempt.user_id))).label("n"))
            .where(col(Attempt.question_id) == ordered.c.id, col(Attempt.deleted_at).is_(None))
            .lateral("per_item")
        )
        rows = session.exec(
            select(Question, per_item.c.n, assessment)
            .select_from(ordered)
            .join(per_item, sa.true())
            .join(Question, col(Question.id) == ordered.c.id)
            .where(per_item.c.n >= min_users)
            .order_by(ordered.c.n_answers.desc(), ordered.c.id)
            .limit(limit)
        ).all()
    else:
        rows = session.exec(
            select(Question, users, assessment)
            .outerjoin(
                Attempt,
                sa.and_(
                    col(Attempt.question_id) == col(Question.id),
                    col(Attempt.deleted_at).is_(None),
                ),
            )
            .where(*filters)
            # Grouping by the primary key covers every other column of the item.
            .group_by(col(Question.id))
            .having(users >= min_users)
            .order_by(*order)
            .limit(limit)
        ).all()
    return [
        QuestionStatsRow(
            question_id=int(q.id or 0),
            section=q.section,
            sub_type=q.sub_type,
            text=q.text,
            difficulty_irt=q.difficulty_irt,
            attempt_count=q.attempt_count,
            correct_rate_percentage=(
                None if q.correct_rate is None else round(q.correct_rate * 100, 2)
            ),
            avg_time_seconds=q.avg_time_seconds,
            unique_users_answered=int(n),
            difficulty_assessment=label,
        )
        for q, n, label in rows
    ]


def update_question_stats_after_attempt(
    *, session: Session, question_id: int, is_correct: bool, time_spent_seconds: int
) -> None:
    """Fold one answer into the item's attempt_count, correct_rate and avg_time_seconds.

    One UPDATE computing the new values from the stored ones (running means), so two
    concurrent submissions cannot overwrite each other the way read-modify-write could.
    A NULL mean (no earlier answers, or imported counts without stats) restarts from
    this answer. A Question already loaded in the session keeps its old counters.
    """
    session.exec(
        _question_stats_update(),
        params={
            "question_id": question_id,
            "score": 1.0 if is_correct else 0.0,
            "seconds": time_spent_seconds,
        },
    )


@cache
def _question_stats_update() -> sa.Update:
    # Built once (see _sql.py, "hot statements"). No session sync: the caller has built
    # its result from the question already, and nothing reads the counters after this.
    t = table_of(Question).c
    n_rate = sa.case((t.correct_rate.is_(None), 0), else_=t.attempt_count)
    n_time = sa.case((t.avg_time_seconds.is_(None), 0), else_=t.attempt_count)
    score = sa.bindparam("score", type_=sa.Float)
    seconds = sa.bindparam("seconds", type_=sa.Integer)
    new_rate = (sa.func.coalesce(t.correct_rate, 0.0) * n_rate + score) / (n_rate + 1)
    new_time = (sa.cast(sa.func.coalesce(t.avg_time_seconds, 0), sa.Float) * n_time + seconds) / (
        n_time + 1
    )
    return (
        update(Question)
        .where(col(Question.id) == sa.bindparam("question_id"))
        .values(
            attempt_count=t.attempt_count + 1,
            correct_rate=new_rate,
            avg_time_seconds=sa.cast(sa.func.round(new_time), sa.Integer),
        )
        .execution_options(synchronize_session=False)
    )


def list_section_codes(*, session: Session) -> set[str]:
    return set(session.exec(select(UtbkSection.code)).all())


def list_item_identities(
    *, session: Session, bank_id: int, columns: Sequence[str]
) -> list[dict[str, Any]]:
    """The given columns of a bank's live items (the importer's duplicate check)."""
    rows = session.exec(
        select(*(getattr(Question, c) for c in columns)).where(
            col(Question.question_bank_id) == bank_id, col(Question.deleted_at).is_(None)
        )
    ).all()
    return [dict(zip(columns, row, strict=True)) for row in rows]


@dataclass(frozen=True)
class SectionSupply:
    code: str
    name: str
    servable: int
    sub_types: tuple[str, ...]


def _supply_counts(session: Session) -> list[tuple[str, str | None, int]]:
    """(section, sub_type, servable items), cached under the item-bank token like the
    section items: a full pass over the questions at the seeds' scale takes ~40 ms."""
    token = _item_bank_token(session)
    key = _database_key(session)
    cached = _SUPPLY_COUNTS.get(key)
    if token is not None and cached is not None and cached[0] == token:
        return cached[1]
    rows = [
        (str(section), sub_type, int(n))
        for section, sub_type, n in session.exec(
            select(Question.section, Question.sub_type, sa.func.count())
            .where(
                col(Question.is_reviewed),
                sa.not_(col(Question.is_ambiguous)),
                col(Question.deleted_at).is_(None),
                col(Question.difficulty_irt).is_not(None),
            )
            .group_by(col(Question.section), col(Question.sub_type))
        ).all()
    ]
    if token is not None:
        _SUPPLY_COUNTS[key] = (token, rows)
    return rows


def list_section_supply(*, session: Session) -> list[SectionSupply]:
    """Every UTBK section in order, with how many reviewed, usable items it has and
    their sub_types (the practice page's choices)."""
    sections = session.exec(select(UtbkSection).order_by(col(UtbkSection.sort_order))).all()
    counts: dict[str, int] = {}
    sub_types: dict[str, set[str]] = {}
    for section, sub_type, n in _supply_counts(session):
        counts[section] = counts.get(section, 0) + int(n)
        if sub_type:
            sub_types.setdefault(section, set()).add(sub_type)
    return [
        SectionSupply(
            code=s.code,
            name=s.name,
            servable=counts.get(s.code, 0),
            sub_types=tuple(sorted(sub_types.get(s.code, ()))),
        )
        for s in sections
    ]


def get_section(*, session: Session, code: str) -> UtbkSection | None:
    return session.get(UtbkSection, code)


def list_bank_items(*, session: Session, bank_id: int) -> list[Question]:
    """A bank's live items, ordered by id (calibration's item columns)."""
    return list(
        session.exec(
            select(Question)
            .where(col(Question.question_bank_id) == bank_id, col(Question.deleted_at).is_(None))
            .order_by(col(Question.id))
        ).all()
    )


FIRST_RESPONSE_CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class FirstResponseChunk:
    """Up to a chunk's worth of first answers, column by column (parallel sequences)."""

    user_ids: Sequence[int]
    question_ids: Sequence[int]
    is_correct: Sequence[bool]

    def __len__(self) -> int:
        return len(self.user_ids)


def iter_first_responses(
    *, session: Session, question_ids: Collection[int], chunk_size: int = FIRST_RESPONSE_CHUNK
) -> Iterator[FirstResponseChunk]:
    """Each student's FIRST answer to each of the items, in chunks of up to `chunk_size`
    rows: later answers to a seen item measure memory of it, not ability.

    Streamed (a server-side cursor on PostgreSQL), so a bank with millions of answers is
    never held as row objects all at once, and handed over column by column, which the
    caller packs into arrays without a per-row Python step (5 M answers is the platform's
    scale). Rows come in no particular order."""
    if not question_ids:
        return
    ranked = (
        select(
            col(Attempt.user_id).label("user_id"),
            col(Attempt.question_id).label("question_id"),
            col(Attempt.is_correct).label("is_correct"),
            sa.func.row_number()
            .over(
                partition_by=(col(Attempt.user_id), col(Attempt.question_id)),
                order_by=(col(Attempt.created_at), col(Attempt.id)),
            )
            .label("n"),
        )
        .where(col(Attempt.question_id).in_(list(question_ids)), col(Attempt.deleted_at).is_(None))
        .subquery()
    )
    statement = select(ranked.c.user_id, ranked.c.question_id, ranked.c.is_correct).where(
        ranked.c.n == 1
    )
    # Core fetchmany on a streamed cursor, not the ORM's yield_per partitions: at 5 M rows
    # the ORM path spent ~3x longer building and unpacking row objects than reading them.
    result = session.connection().execute(
        statement.execution_options(stream_results=True, max_row_buffer=chunk_size)
    )
    try:
        while rows := result.fetchmany(chunk_size):
            yield FirstResponseChunk(
                [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
            )
    finally:
        result.close()


def list_first_responses(
    *, session: Session, question_ids: Collection[int]
) -> list[tuple[int, int, bool]]:
    """(user_id, question_id, is_correct) of every first answer in one list (small banks)."""
    return [
        (int(u), int(q), bool(ok))
        for chunk in iter_first_responses(session=session, question_ids=question_ids)
        for u, q, ok in zip(chunk.user_ids, chunk.question_ids, chunk.is_correct, strict=True)
    ]


def list_question_banks(*, session: Session) -> list[QuestionBank]:
    return list(session.exec(select(QuestionBank).order_by(col(QuestionBank.name))).all())


def list_questions_for_section(*, session: Session, section: str) -> list[Question]:
    """Every servable item of a section (reviewed, not ambiguous, not deleted)."""
    return list(session.exec(select(Question).where(*_servable(section))).all())


# --- admin: bank overview, item lists, review state ----------------------------------

# The editor's and the item list's review states (mutually exclusive, first match wins):
# deleted > ambiguous > reviewed > pending (one approval) > draft.
ItemStatus = Literal["draft", "pending", "reviewed", "ambiguous", "deleted"]
ITEM_STATUSES: tuple[ItemStatus, ...] = ("draft", "pending", "reviewed", "ambiguous", "deleted")


@dataclass(frozen=True, slots=True)
class BankItemCounts:
    """A bank's items: live ones per section, and live ones by review state."""

    bank_id: int
    by_section: dict[str, int]
    total: int
    reviewed: int
    pending: int
    ambiguous: int
    deleted: int


@dataclass(frozen=True, slots=True)
class BankQuestionRow:
    """One row of the admin's item list of a bank."""

    question_id: int
    section: str
    sub_type: str | None
    text: str
    correct_answer: str
    difficulty_irt: float | None
    status: ItemStatus
    approvals: int
    last_review_status: str | None


def get_question_bank(*, session: Session, bank_id: int) -> QuestionBank | None:
    return session.get(QuestionBank, bank_id)


def find_question_bank_by_name_ignoring_case(*, session: Session, name: str) -> QuestionBank | None:
    """Bank names are unique regardless of case ("UTBK 2025" and "utbk 2025" would confuse)."""
    return session.exec(
        select(QuestionBank).where(sa.func.lower(col(QuestionBank.name)) == name.lower())
    ).first()


def item_status(q: Question) -> ItemStatus:
    if q.deleted_at is not None:
        return "deleted"
    if q.is_ambiguous:
        return "ambiguous"
    if q.is_reviewed:
        return "reviewed"
    if q.reviewer_1_name is not None:
        return "pending"
    return "draft"


def _status_filter(status: ItemStatus) -> list[Any]:
    live = col(Question.deleted_at).is_(None)
    not_ambiguous = col(Question.is_ambiguous) == sa.false()
    if status == "deleted":
        return [col(Question.deleted_at).is_not(None)]
    if status == "ambiguous":
        return [live, col(Question.is_ambiguous) == sa.true()]
    if status == "reviewed":
        return [live, not_ambiguous, col(Question.is_reviewed) == sa.true()]
    unreviewed = [live, not_ambiguous, col(Question.is_reviewed) == sa.false()]
    if status == "pending":
        return [*unreviewed, col(Question.reviewer_1_name).is_not(None)]
    return [*unreviewed, col(Question.reviewer_1_name).is_(None)]


def count_bank_items(*, session: Session) -> dict[int, BankItemCounts]:
    """Every bank's item counts in one grouped query (banks without items are absent)."""
    live = col(Question.deleted_at).is_(None)

    def count_if(*conditions: Any) -> Any:
        return sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0))

    rows = session.exec(
        select_columns(
            col(Question.question_bank_id),
            col(Question.section),
            count_if(live),
            count_if(live, *_status_filter("reviewed")),
            count_if(live, *_status_filter("pending")),
            count_if(live, *_status_filter("ambiguous")),
            count_if(col(Question.deleted_at).is_not(None)),
        )
        .where(col(Question.question_bank_id).is_not(None))
        .group_by(col(Question.question_bank_id), col(Question.section))
    ).all()
    totals: dict[int, dict[str, Any]] = {}
    for bank_id, section, n_live, n_rev, n_pend, n_amb, n_del in rows:
        entry = totals.setdefault(
            int(bank_id),
            {
                "by_section": {},
                "total": 0,
                "reviewed": 0,
                "pending": 0,
                "ambiguous": 0,
                "deleted": 0,
            },
        )
        if int(n_live or 0):
            entry["by_section"][section] = int(n_live)
        entry["total"] += int(n_live or 0)
        entry["reviewed"] += int(n_rev or 0)
        entry["pending"] += int(n_pend or 0)
        entry["ambiguous"] += int(n_amb or 0)
        entry["deleted"] += int(n_del or 0)
    return {bank_id: BankItemCounts(bank_id=bank_id, **e) for bank_id, e in totals.items()}


def list_bank_questions(
    *,
    session: Session,
    bank_id: int,
    section: str | None = None,
    status: ItemStatus | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[BankQuestionRow], int]:
    """A page of a bank's items (live ones unless `status` asks otherwise) and the total
    number matching, oldest first so a page keeps its items while reviewers work."""
    conditions: list[Any] = [col(Question.question_bank_id) == bank_id]
    if section is not None:
        conditions.append(col(Question.section) == section)
    conditions.extend(
        _status_filter(status) if status is not None else [col(Question.deleted_at).is_(None)]
    )
    total = session.exec(select(sa.func.count()).select_from(Question).where(*conditions)).one()
    last_review = (
        select(QuestionReviewLog.review_status)
        .where(col(QuestionReviewLog.question_id) == col(Question.id))
        .order_by(col(QuestionReviewLog.created_at).desc(), col(QuestionReviewLog.id).desc())
        .limit(1)
        .correlate(Question)
        .scalar_subquery()
    )
    rows = session.exec(
        select(Question, last_review)
        .where(*conditions)
        .order_by(col(Question.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        BankQuestionRow(
            question_id=int(q.id or 0),
            section=q.section,
            sub_type=q.sub_type,
            text=q.text,
            correct_answer=q.correct_answer,
            difficulty_irt=q.difficulty_irt,
            status=item_status(q),
            approvals=approval_count(q),
            last_review_status=last,
        )
        for q, last in rows
    ], int(total)


def approval_count(question: Question) -> int:
    """Approvals in the current review round (the reviewer_1/2 columns hold them)."""
    return int(question.reviewer_1_name is not None) + int(question.reviewer_2_name is not None)


def get_question_for_update(*, session: Session, question_id: int) -> Question | None:
    """The item, row-locked on PostgreSQL so two reviewers approving at the same moment
    cannot both take the first slot (SQLite serialises writers anyway)."""
    return session.exec(
        select(Question).where(col(Question.id) == question_id).with_for_update()
    ).first()


def reset_review(*, question: Question) -> None:
    """Back to unreviewed: the next two approvals start a new round."""
    question.is_reviewed = False
    question.reviewer_1_name = None
    question.reviewer_1_notes = None
    question.reviewer_2_name = None
    question.reviewer_2_notes = None


def refresh_question_bank_review_state(
    *, session: Session, bank_id: int, today: date
) -> QuestionBank | None:
    """A bank is reviewed when it has live items and every one of them is reviewed; the
    review date is the day it became so (cleared when an item falls back)."""
    bank = session.get(QuestionBank, bank_id)
    if bank is None:
        return None
    live = col(Question.deleted_at).is_(None)
    total, reviewed = session.exec(
        select(
            sa.func.count(),
            sa.func.sum(sa.case((col(Question.is_reviewed) == sa.true(), 1), else_=0)),
        )
        .select_from(Question)
        .where(col(Question.question_bank_id) == bank_id, live)
    ).one()
    is_reviewed = int(total) > 0 and int(reviewed or 0) == int(total)
    if is_reviewed and not bank.is_reviewed:
        bank.review_date = today
    elif not is_reviewed:
        bank.review_date = None
    bank.is_reviewed = is_reviewed
    session.add(bank)
    session.flush()
    return bank
