"""Exposure counters on SQLite and PostgreSQL: upserts, reads, no lost increments."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from nexus_app.repositories import exposure

from . import factories as f


def test_counters_start_at_zero_and_grow_by_one(session: Session) -> None:
    q1 = f.question(session, section="PU")
    q2 = f.question(session, section="PU")
    q3 = f.question(session, section="PK")
    session.commit()
    assert exposure.get_section_examinees(session=session, section="PU") == 0
    assert exposure.get_section_item_counts(session=session, section="PU") == {}

    assert exposure.count_section_examinee(session=session, section="PU") == 1
    assert exposure.count_section_examinee(session=session, section="PU") == 2
    assert exposure.count_item_shown(session=session, question_id=q1.id) == 1
    assert exposure.count_item_shown(session=session, question_id=q1.id) == 2
    assert exposure.count_item_shown(session=session, question_id=q3.id) == 1
    session.commit()

    assert exposure.get_section_examinees(session=session, section="PU") == 2
    assert exposure.get_section_examinees(session=session, section="PK") == 0
    # By section: q3 is PK, q2 was never shown.
    assert exposure.get_section_item_counts(session=session, section="PU") == {q1.id: 2}
    assert q2.id not in exposure.get_section_item_counts(session=session, section="PU")


def test_deleting_a_question_deletes_its_count(engine: Engine, session: Session) -> None:
    q = f.question(session)
    session.commit()
    exposure.count_item_shown(session=session, question_id=q.id)
    session.commit()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM questions WHERE id = :id"), {"id": q.id})
        assert conn.execute(sa.text("SELECT COUNT(*) FROM item_exposure")).scalar_one() == 0


def test_concurrent_increments_are_not_lost(engine: Engine, session: Session) -> None:
    q = f.question(session)
    session.commit()
    qid = q.id
    workers, rounds = 6, 10
    start = threading.Barrier(workers)
    done: list[int] = []
    refused: list[str] = []

    def work() -> None:
        start.wait()
        for _ in range(rounds):
            try:
                with Session(engine) as s, s.begin():
                    exposure.count_item_shown(session=s, question_id=qid)
                    exposure.count_section_examinee(session=s, section="PU")
                done.append(1)
            except OperationalError as exc:  # SQLite may refuse a racing writer
                refused.append(type(exc).__name__)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if engine.dialect.name == "postgresql":
        assert not refused
    assert len(done) + len(refused) == workers * rounds
    with Session(engine) as s:
        # Every committed transaction counted exactly once: nothing lost, nothing doubled.
        assert exposure.get_section_item_counts(session=s, section="PU") == {qid: len(done)}
        assert exposure.get_section_examinees(session=s, section="PU") == len(done)
