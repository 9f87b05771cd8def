"""Practice questions for a weak topic (OpenClass) on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session

from nexus_app.repositories import practice_questions as pq

from . import factories as f


def test_practice_questions_filter_topic_and_difficulty_with_limit(session: Session) -> None:
    mat, fis = f.subject(session), f.subject(session)

    def add(subject_id: int, topic: str, difficulty: str, text: str) -> int:
        row = pq.create_practice_question(
            session=session,
            subject_id=subject_id,
            topic=topic,
            question=text,
            answer="jawaban",
            difficulty=difficulty,
        )
        assert row.id is not None
        return row.id

    easy = {add(mat.id, "Pythagoras", "easy", f"mudah {i}") for i in range(7)}
    add(mat.id, "Pythagoras", "hard", "sulit")
    add(mat.id, "Aljabar", "easy", "aljabar")
    add(fis.id, "Pythagoras", "easy", "fisika")

    rows = pq.list_practice_questions_for_topic(
        session=session, subject_id=mat.id, topic="Pythagoras", difficulty="easy"
    )
    assert len(rows) == 5  # the seed's LIMIT 5
    assert {r.id for r in rows} <= easy
    any_level = pq.list_practice_questions_for_topic(
        session=session, subject_id=mat.id, topic="Pythagoras", limit=100
    )
    assert len(any_level) == 8


def test_practice_questions_come_in_random_order(session: Session) -> None:
    mat = f.subject(session)
    for i in range(6):
        pq.create_practice_question(
            session=session,
            subject_id=mat.id,
            topic="T",
            question=str(i),
            answer="a",
            difficulty="easy",
        )
    seen: set[int] = set()
    orders: set[tuple[int, ...]] = set()
    for _ in range(30):
        rows = pq.list_practice_questions_for_topic(
            session=session, subject_id=mat.id, topic="T", difficulty="easy"
        )
        ids = tuple(r.id or 0 for r in rows)
        seen.update(ids)
        orders.add(ids)
    # A fixed order would always drop the same item and always give the same sequence.
    assert len(seen) == 6 and len(orders) > 1
