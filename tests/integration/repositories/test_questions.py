"""Question banks and items (Genta Queries 2, 6, 9 and item statistics) on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from nexus_app.models import Question, QuestionCreate, QuestionReviewLog, utcnow
from nexus_app.repositories import questions

from . import factories as f


def test_create_and_get_bank_by_name(session: Session) -> None:
    bank = questions.create_question_bank(session=session, name="UTBK 2024", source="practice_set")
    assert bank.id is not None and bank.total_questions == 0
    found = questions.get_question_bank_by_name(session=session, name="UTBK 2024")
    assert found is not None and found.id == bank.id
    assert questions.get_question_bank_by_name(session=session, name="utbk 2024x") is None


def test_create_question_from_validated_import_row(session: Session) -> None:
    data = QuestionCreate(
        section="PU",
        sub_type="logika",
        text="Semua A adalah B ...",
        option_a="1",
        option_b="2",
        option_c="3",
        option_d="4",
        option_e="5",
        correct_answer="C",
        difficulty_irt=0.3,
        discrimination=1.1,
        guessing_param=0.2,
    )
    bank = questions.create_question_bank(session=session, name="B")
    q = questions.create_question(session=session, data=data, question_bank_id=bank.id)
    assert q.id is not None and q.question_bank_id == bank.id and not q.is_reviewed
    assert questions.get_question(session=session, question_id=q.id) is q
    q.deleted_at = utcnow()
    assert questions.get_question(session=session, question_id=q.id) is None
    assert questions.get_question(session=session, question_id=q.id, include_deleted=True) is q


def test_refresh_bank_counts_counts_live_items_per_section(session: Session) -> None:
    bank = questions.create_question_bank(session=session, name="Set 1")
    other = questions.create_question_bank(session=session, name="Set 2")
    for section, n in [("PU", 3), ("PK", 2), ("PBM", 1), ("PM", 2)]:
        for _ in range(n):
            f.question(session, section=section, bank_id=bank.id)
    f.question(session, section="PU", bank_id=bank.id, deleted_at=utcnow())
    f.question(session, section="PU", bank_id=other.id)
    refreshed = questions.refresh_question_bank_counts(session=session, bank_id=bank.id)
    assert refreshed is not None
    assert (
        refreshed.total_questions,
        refreshed.questions_pu,
        refreshed.questions_pk,
        refreshed.questions_pbm,
    ) == (8, 3, 2, 1)
    counts = questions.count_questions_by_section(session=session, bank_id=bank.id)
    assert counts == {"PU": 3, "PPU": 0, "PBM": 1, "PK": 2, "LBI": 0, "LBE": 0, "PM": 2}
    assert questions.count_questions_by_section(session=session)["PU"] == 4


def test_next_question_candidates_apply_every_filter_and_order_by_distance(
    session: Session,
) -> None:
    me, other = f.user(session), f.user(session)
    now = utcnow()
    near = f.question(session, b=0.55)
    exact = f.question(session, b=0.5)
    edge = f.question(session, b=0.0)  # |b - theta| = 0.5: inside (BETWEEN is inclusive)
    f.question(session, b=1.2)  # outside the window
    f.question(session, b=0.5, section="PK")  # other section
    f.question(session, b=0.5, is_reviewed=False)
    f.question(session, b=0.5, is_ambiguous=True)
    f.question(session, b=0.5, deleted_at=now)
    f.question(session, b=None)  # uncalibrated
    recent = f.question(session, b=0.5)
    old = f.question(session, b=0.6)
    theirs = f.question(session, b=0.45)
    f.attempt(session, user_id=me.id, question_id=recent.id, created_at=now - timedelta(days=6))
    f.attempt(session, user_id=me.id, question_id=old.id, created_at=now - timedelta(days=8))
    f.attempt(session, user_id=other.id, question_id=theirs.id, created_at=now)

    rows = questions.select_next_question_candidates(
        session=session, user_id=me.id, section="PU", theta=0.5, limit=10, now=now
    )
    assert [q.id for q in rows[:1]] == [exact.id]
    assert {q.id for q in rows[1:3]} == {near.id, theirs.id}  # both 0.05 away: random tie
    assert [q.id for q in rows[3:]] == [old.id, edge.id]
    assert (
        len(
            questions.select_next_question_candidates(
                session=session, user_id=me.id, section="PU", theta=0.5, now=now
            )
        )
        == 1
    )  # the seed's LIMIT 1
    excluded = questions.select_next_question_candidates(
        session=session,
        user_id=me.id,
        section="PU",
        theta=0.5,
        limit=10,
        now=now,
        exclude_question_ids=[exact.id, near.id],
    )
    assert exact.id not in {q.id for q in excluded} and near.id not in {q.id for q in excluded}
    wider = questions.select_next_question_candidates(
        session=session, user_id=me.id, section="PU", theta=0.5, window=1.0, limit=10, now=now
    )
    assert len(wider) == 6  # b = 1.2 joins


def test_next_question_ties_are_random(session: Session) -> None:
    me = f.user(session)
    ids = {f.question(session, b=0.2).id for _ in range(4)}
    firsts = {
        questions.select_next_question_candidates(
            session=session, user_id=me.id, section="PU", theta=0.0
        )[0].id
        for _ in range(30)
    }
    assert firsts <= ids and len(firsts) > 1


def test_cat_candidates_list_every_eligible_item_with_parameters(session: Session) -> None:
    me = f.user(session)
    now = utcnow()
    a = f.question(session, b=-2.5, a=1.3, c=0.15, sub_type="logika")
    b = f.question(session, b=2.5, a=None, c=None, sub_type="analogi")
    seen = f.question(session, b=0.0)
    f.question(session, b=None)
    f.question(session, b=0.0, is_reviewed=False)
    f.question(session, b=0.0, section="PK")
    f.attempt(session, user_id=me.id, question_id=seen.id, created_at=now - timedelta(days=1))
    rows = questions.list_cat_candidates(session=session, user_id=me.id, section="PU", now=now)
    assert rows == [
        questions.CatCandidate(question_id=a.id, a=1.3, b=-2.5, c=0.15, sub_type="logika"),
        questions.CatCandidate(question_id=b.id, a=None, b=2.5, c=None, sub_type="analogi"),
    ]
    assert (
        questions.list_cat_candidates(
            session=session, user_id=me.id, section="PU", now=now, exclude_question_ids={a.id}
        )
        == rows[1:]
    )
    later = now + timedelta(days=8)  # the 7-day exclusion has lapsed
    assert (
        len(questions.list_cat_candidates(session=session, user_id=me.id, section="PU", now=later))
        == 3
    )


def test_cached_section_items_follow_every_item_change(session: Session) -> None:
    """The per-worker item cache is invalidated by migration 0010's triggers: each change
    to a column item selection reads shows at once; the per-answer statistics do not
    bump the token (so answers do not reload the section)."""
    me = f.user(session)

    def ids() -> list[int]:
        rows = questions.list_cat_candidates(session=session, user_id=me.id, section="PU")
        return [r.question_id for r in rows]

    def supply() -> int:
        return {s.code: s for s in questions.list_section_supply(session=session)}["PU"].servable

    q1 = f.question(session, b=0.0, a=1.0)
    q2 = f.question(session, b=0.5)
    assert ids() == [q1.id, q2.id] and supply() == 2
    token = questions._item_bank_token(session)
    assert token is not None  # the triggers exist on this database

    questions.update_question_stats_after_attempt(
        session=session, question_id=q1.id, is_correct=True, time_spent_seconds=30
    )
    assert questions._item_bank_token(session) == token

    q1.discrimination = 1.7
    session.add(q1)
    session.flush()
    assert questions.list_cat_candidates(session=session, user_id=me.id, section="PU")[0].a == 1.7
    q2.is_ambiguous = True
    session.add(q2)
    session.flush()
    assert ids() == [q1.id] and supply() == 1
    q3 = f.question(session, b=1.0)
    assert ids() == [q1.id, q3.id] and supply() == 2
    q3.deleted_at = utcnow()
    session.add(q3)
    session.flush()
    assert ids() == [q1.id] and supply() == 1
    q1.section = "PK"
    session.add(q1)
    session.flush()
    assert ids() == [] and supply() == 0


def test_questions_by_section_filters_counts_reviews_and_paginates(session: Session) -> None:
    now = utcnow()
    hard = f.question(session, b=1.0, sub_type="logika", correct_rate=0.456, attempt_count=12)
    easy_old = f.question(session, b=-1.0, sub_type="logika", created_at=now - timedelta(days=2))
    easy_new = f.question(session, b=-1.0, sub_type="analogi", is_reviewed=False, created_at=now)
    nob = f.question(session, b=None, sub_type="logika")
    f.question(session, b=0.0, deleted_at=now)
    f.question(session, b=0.0, section="PK")
    for status in ("approved", "needs_revision"):
        session.add(
            QuestionReviewLog(question_id=hard.id, reviewer_name="Bu Ani", review_status=status)
        )
    session.flush()

    rows = questions.list_questions_by_section(session=session, section="PU")
    assert [r.question_id for r in rows] == [easy_new.id, easy_old.id, hard.id, nob.id]
    by_id = {r.question_id: r for r in rows}
    assert by_id[hard.id].review_count == 2 and by_id[easy_old.id].review_count == 0
    assert by_id[hard.id].correct_rate_percentage == 45.6
    assert by_id[easy_old.id].correct_rate_percentage is None

    logika = questions.list_questions_by_section(session=session, section="PU", sub_type="logika")
    assert [r.question_id for r in logika] == [easy_old.id, hard.id, nob.id]
    unreviewed = questions.list_questions_by_section(
        session=session, section="PU", is_reviewed=False
    )
    assert [r.question_id for r in unreviewed] == [easy_new.id]
    reviewed = questions.list_questions_by_section(session=session, section="PU", is_reviewed=True)
    assert easy_new.id not in {r.question_id for r in reviewed} and len(reviewed) == 3
    page2 = questions.list_questions_by_section(session=session, section="PU", limit=2, offset=2)
    assert [r.question_id for r in page2] == [hard.id, nob.id]


def _answered_by(session: Session, q: Question, users: list[int]) -> None:
    for uid in users:
        f.attempt(session, user_id=uid, question_id=q.id)


def test_top_question_stats_assessment_and_having_min_users(session: Session) -> None:
    users = [f.user(session).id for _ in range(12)]
    easy = f.question(session, correct_rate=0.9, attempt_count=40)
    hard = f.question(session, correct_rate=0.2, attempt_count=30)
    optimal = f.question(session, correct_rate=0.5, attempt_count=20)
    fine = f.question(session, correct_rate=0.75, attempt_count=50)
    few = f.question(session, correct_rate=0.5, attempt_count=99)
    gone = f.question(session, correct_rate=0.5, attempt_count=98, deleted_at=utcnow())
    for q in (easy, hard, optimal, fine, gone):
        _answered_by(session, q, users[:10])
    _answered_by(session, optimal, users[:10])  # repeat answers: still 10 distinct users
    _answered_by(session, few, users[:9])
    f.attempt(session, user_id=users[10], question_id=few.id, deleted_at=utcnow())

    rows = questions.top_question_stats(session=session)
    assert [(r.question_id, r.difficulty_assessment) for r in rows] == [
        (fine.id, "ACCEPTABLE"),
        (easy.id, "TOO_EASY"),
        (hard.id, "TOO_HARD"),
        (optimal.id, "OPTIMAL"),
    ]
    assert all(r.unique_users_answered == 10 for r in rows)
    assert rows[1].correct_rate_percentage == 90.0
    lower = questions.top_question_stats(session=session, min_users=9, limit=2)
    assert [r.question_id for r in lower] == [few.id, fine.id]


def test_update_question_stats_keeps_running_means(session: Session) -> None:
    q = f.question(session)
    questions.update_question_stats_after_attempt(
        session=session, question_id=q.id, is_correct=True, time_spent_seconds=30
    )
    session.refresh(q)  # the UPDATE leaves loaded objects as they were
    assert (q.attempt_count, q.correct_rate, q.avg_time_seconds) == (1, 1.0, 30)
    questions.update_question_stats_after_attempt(
        session=session, question_id=q.id, is_correct=False, time_spent_seconds=61
    )
    questions.update_question_stats_after_attempt(
        session=session, question_id=q.id, is_correct=False, time_spent_seconds=20
    )
    session.refresh(q)
    assert q.attempt_count == 3
    assert abs((q.correct_rate or 0) - 1 / 3) < 1e-9
    assert q.avg_time_seconds == 37  # (30 + 61 + 20) / 3 = 37.0


def test_update_question_stats_restarts_means_after_imported_counts(session: Session) -> None:
    q = f.question(session, attempt_count=500, correct_rate=None, avg_time_seconds=None)
    questions.update_question_stats_after_attempt(
        session=session, question_id=q.id, is_correct=False, time_spent_seconds=44
    )
    session.refresh(q)
    assert (q.attempt_count, q.correct_rate, q.avg_time_seconds) == (501, 0.0, 44)


def test_first_responses_stream_in_chunks_and_keep_only_first_answers(session: Session) -> None:
    bank = questions.create_question_bank(session=session, name="Kalibrasi")
    items = [f.question(session, bank_id=bank.id) for _ in range(3)]
    other = f.question(session)  # another bank's item: never read
    students = [f.user(session) for _ in range(4)]
    start = utcnow() - timedelta(days=1)
    expected = set()
    for i, student in enumerate(students):
        for j, item in enumerate(items):
            first = (i + j) % 2 == 0
            f.attempt(
                session, user_id=student.id, question_id=item.id, is_correct=first, created_at=start
            )
            # A later answer to the same item (memory, not ability) and a deleted one.
            f.attempt(
                session,
                user_id=student.id,
                question_id=item.id,
                is_correct=not first,
                created_at=start + timedelta(hours=1),
            )
            expected.add((student.id, item.id, first))
        f.attempt(session, user_id=student.id, question_id=other.id, created_at=start)
    f.attempt(
        session,
        user_id=students[0].id,
        question_id=items[0].id,
        is_correct=False,
        created_at=start - timedelta(hours=1),
        deleted_at=utcnow(),
    )
    ids = [q.id for q in items]
    chunks = list(questions.iter_first_responses(session=session, question_ids=ids, chunk_size=5))
    assert [len(c) for c in chunks] == [5, 5, 2]
    rows = {
        (u, q, bool(ok))
        for c in chunks
        for u, q, ok in zip(c.user_ids, c.question_ids, c.is_correct, strict=True)
    }
    assert rows == expected
    assert set(questions.list_first_responses(session=session, question_ids=ids)) == expected
    assert list(questions.iter_first_responses(session=session, question_ids=[])) == []
