"""Practice from mistakes: the Leitner review queue on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from nexus_app.db import unit_of_work
from nexus_app.formatting import LOCAL_ZONE, local_date
from nexus_app.models import utcnow
from nexus_app.repositories import tryout as tryout_repo
from nexus_app.services import auth, practice, review_queue, tryout
from nexus_app.services.bank_import import import_bank
from tests.integration.services.test_practice import _bank_csv

TINY = b"order,section,items,minutes\n1,PU,3,5\n"


@pytest.fixture
def student(engine: Engine) -> auth.CurrentUser:
    report = import_bank(
        filename="b.csv",
        data=_bank_csv("PU", 12),
        bank_name="Uji",
        mark_reviewed_by=["Bu Ani", "Pak Budi"],
    )
    assert report.ok
    return auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")


def _wrong_practice_answer(student: auth.CurrentUser) -> int:
    view = practice.start_session(actor=student, section="PU")
    result = practice.submit_answer(
        actor=student,
        session_id=view.session_id,
        question_id=view.question_id,
        position=view.position,
        answer="A",  # the bank's key is always B
    )
    assert not result.is_correct
    return view.question_id


def test_a_wrong_answer_enters_box_one_due_tomorrow(student: auth.CurrentUser) -> None:
    question_id = _wrong_practice_answer(student)
    now = utcnow()
    entry = review_queue.get_box(user_id=student.id, question_id=question_id)
    assert entry is not None and entry.box == 1 and not entry.last_correct
    assert entry.due_at.tzinfo is not None
    # Due at 00:00 WIB of tomorrow (school days): at most a day away, never today.
    due_local = entry.due_at.astimezone(LOCAL_ZONE)
    assert (due_local.hour, due_local.minute) == (0, 0)
    assert local_date(entry.due_at) == local_date(now) + timedelta(days=1)
    # Not due yet: nothing is served today.
    assert review_queue.due_count(user_id=student.id, now=now) == 0
    assert review_queue.next_due(user_id=student.id, now=now) is None
    tomorrow = now + timedelta(days=1, minutes=1)
    assert review_queue.due_count(user_id=student.id, now=tomorrow) == 1
    assert review_queue.next_due(user_id=student.id, now=tomorrow) == question_id


def test_right_reviews_climb_the_boxes_and_the_last_leaves(student: auth.CurrentUser) -> None:
    question_id = _wrong_practice_answer(student)
    now = utcnow()
    uid = student.id
    # Right before it is due changes nothing.
    with unit_of_work() as session:
        review_queue.record_review(
            session, user_id=uid, question_id=question_id, correct=True, now=now
        )
    entry = review_queue.get_box(user_id=uid, question_id=question_id)
    assert entry is not None and entry.box == 1
    for box, gap in zip(range(2, 6), review_queue.BOX_DAYS, strict=False):
        now += timedelta(days=gap, minutes=1)
        assert review_queue.next_due(user_id=uid, now=now) == question_id
        with unit_of_work() as session:
            review_queue.record_review(
                session, user_id=uid, question_id=question_id, correct=True, now=now
            )
        entry = review_queue.get_box(user_id=uid, question_id=question_id)
        assert entry is not None and entry.box == box and entry.last_correct
        assert review_queue.due_count(user_id=uid, now=now) == 0
    # A wrong review sends it back to box 1 ...
    now += timedelta(days=31)
    with unit_of_work() as session:
        review_queue.record_review(
            session, user_id=uid, question_id=question_id, correct=False, now=now
        )
    entry = review_queue.get_box(user_id=uid, question_id=question_id)
    assert entry is not None and entry.box == 1
    # ... and from the last box a right answer takes it out of the queue.
    with unit_of_work() as session:
        row = review_queue.queue_repo.get_entry(
            session=session, user_id=uid, question_id=question_id
        )
        assert row is not None
        row.box = review_queue.LAST_BOX
        session.add(row)
    now += timedelta(days=31)
    with unit_of_work() as session:
        review_queue.record_review(
            session, user_id=uid, question_id=question_id, correct=True, now=now
        )
    assert review_queue.get_box(user_id=uid, question_id=question_id) is None
    assert review_queue.due_count(user_id=uid, now=now + timedelta(days=60)) == 0


def test_a_right_practice_answer_on_a_due_item_moves_it_up(student: auth.CurrentUser) -> None:
    question_id = _wrong_practice_answer(student)
    # Make it due now, then answer it right in practice.
    with unit_of_work() as session:
        row = review_queue.queue_repo.get_entry(
            session=session, user_id=student.id, question_id=question_id
        )
        assert row is not None
        row.due_at = utcnow() - timedelta(minutes=1)
        session.add(row)
    with unit_of_work() as session:
        review_queue.record_review(
            session, user_id=student.id, question_id=question_id, correct=True, now=utcnow()
        )
    entry = review_queue.get_box(user_id=student.id, question_id=question_id)
    assert entry is not None and entry.box == 2


def test_tryout_wrong_answers_enter_only_after_finishing(student: auth.CurrentUser) -> None:
    report = tryout.import_blueprint(data=TINY, name="Mini")
    assert report.ok
    blueprint_id = next(b.id for b in tryout.list_blueprints() if b.name == "Mini")
    view = tryout.start_tryout(actor=student, blueprint_id=blueprint_id)
    sid = view.sitting_id
    tryout.answer_item(actor=student, sitting_id=sid, position=1, number=1, answer="A")
    tryout.answer_item(actor=student, sitting_id=sid, position=1, number=2, answer="B")
    with unit_of_work() as session:
        items = tryout_repo.list_items(session=session, sitting_id=sid)
        wrong_id = next(i.question_id for i in items if i.number == 1)
    later = utcnow() + timedelta(days=2)
    # Still running: nothing queued yet.
    assert review_queue.due_count(user_id=student.id, now=later) == 0
    assert tryout.end_section(actor=student, sitting_id=sid, position=1) is None
    # Wrong answered -> queued; right and unanswered -> not.
    assert review_queue.due_count(user_id=student.id, now=later) == 1
    assert review_queue.next_due(user_id=student.id, now=later) == wrong_id


def test_practice_serves_due_items_first_and_not_the_others(student: auth.CurrentUser) -> None:
    question_id = _wrong_practice_answer(student)
    now = utcnow()
    # Not due: the next session chooses adaptively (and may not repeat it within 7 days).
    assert review_queue.next_due_section(user_id=student.id, now=now) is None
    with unit_of_work() as session:
        row = review_queue.queue_repo.get_entry(
            session=session, user_id=student.id, question_id=question_id
        )
        assert row is not None
        row.due_at = now - timedelta(minutes=1)
        session.add(row)
    assert review_queue.next_due_section(user_id=student.id, now=utcnow()) == "PU"
    view = practice.start_session(actor=student, section="PU")
    assert view.question_id == question_id
    practice.submit_answer(
        actor=student,
        session_id=view.session_id,
        question_id=view.question_id,
        position=view.position,
        answer="B",
    )
    entry = review_queue.get_box(user_id=student.id, question_id=question_id)
    assert entry is not None and entry.box == 2
    assert review_queue.due_count(user_id=student.id, now=utcnow()) == 0
