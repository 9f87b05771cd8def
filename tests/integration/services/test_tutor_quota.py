"""The tutor's daily quota is checked and used in one step (hardening, low finding): two
questions asked at the same moment by a student with one question left cannot both pass.
Real threads against both databases."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.ai.llm import ChatMessage, FifoLock, ScriptedChatModel
from nexus_app.services import auth, billing, books, subjects, tutor
from tests.integration.services.test_books_tutor import BOOK

QUESTION = "Apa yang dimaksud dengan percepatan?"
# A lead-in the book backs: the answer shown is it, then the book's quote.
REPLY = "Percepatan mobil tersebut 4 meter per sekon kuadrat [1]."
LEAD_IN = "Percepatan mobil tersebut 4 meter per sekon kuadrat."


def _rows(engine: Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT model_used, response FROM chat_history")))


@pytest.fixture
def limited(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tutor_lead_in: None):
    subjects.create_subject(grade=10, name="Fisika", code="FIS_10")
    book = tmp_path / "fisika.md"
    book.write_text(BOOK, encoding="utf-8")
    books.ingest_book(path=book, subject_code="FIS_10", title="Fisika Dasar")
    admin = auth.create_user(username="admin01", password="kata-sandi-1", role="admin")

    def allow(per_day: int) -> None:
        billing.update_tier(
            actor=admin,
            tier="free",
            display_name="Gratis",
            practice_questions_per_day="",
            ai_feedback_per_day="",
            tutor_questions_per_day=str(per_day),
        )

    release = threading.Event()

    def reply(_messages: Sequence[ChatMessage]) -> str:
        release.wait(120)  # holds the model until the test has seen both questions
        return REPLY

    model = ScriptedChatModel(reply, queue=FifoLock())
    monkeypatch.setattr(tutor, "language_model", lambda: model)
    student = auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")
    return {"allow": allow, "student": student, "model": model, "release": release}


def test_two_questions_at_once_cannot_both_use_the_last_one(engine: Engine, limited) -> None:
    limited["allow"](1)
    model: ScriptedChatModel = limited["model"]
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def ask() -> None:
        start.wait(30)
        try:
            tutor.ask(subject_code="FIS_10", question=QUESTION, actor=limited["student"])
            outcomes.append("answered")
        except billing.DailyLimitReached:
            outcomes.append("refused")
        except Exception as exc:  # reported below
            outcomes.append(f"error: {exc!r}")

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    # Each question has either passed the limit (it is in the model's line) or been refused;
    # only then does the model answer, so both checks happened while neither was saved.
    deadline = time.monotonic() + 120
    while len(model.queue) + outcomes.count("refused") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    limited["release"].set()
    for t in threads:
        t.join(120)
    assert sorted(outcomes) == ["answered", "refused"]
    rows = _rows(engine)
    assert len(rows) == 1 and rows[0].model_used == "scripted"
    assert rows[0].response.startswith(LEAD_IN + "\n\n")


def test_a_question_counts_from_the_start_and_a_dropped_one_is_given_back(
    engine: Engine, limited
) -> None:
    limited["allow"](2)
    limited["release"].set()
    student = limited["student"]
    stream = tutor.stream(subject_code="FIS_10", question=QUESTION, actor=student)
    assert next(stream).kind == "sources"
    # Recorded as soon as it was asked, but not shown in the history while pending.
    assert [r.model_used for r in _rows(engine)] == [tutor.PENDING_MODEL]
    assert tutor.history(actor=student) == []
    stream.close()  # the student left before the answer
    assert _rows(engine) == []
    # Both questions of the day are still there.
    for _ in range(2):
        assert tutor.ask(subject_code="FIS_10", question=QUESTION, actor=student).mode == "llm"
    with pytest.raises(billing.DailyLimitReached):
        tutor.ask(subject_code="FIS_10", question=QUESTION, actor=student)
    assert [h.answer.partition("\n\n")[0] for h in tutor.history(actor=student)] == [
        LEAD_IN,
        LEAD_IN,
    ]
