"""The language model fails mid-answer: a clear Indonesian message, and the app keeps serving.

A scripted chat model streams a few tokens of its answer and then raises (what llama.cpp does
when it runs out of memory or its context breaks). The question goes through the real path a
tab uses — ChatState.send -> services.tutor.stream -> rag.Tutor -> the model's queue — on both
databases. The student must see the book passages with a notice saying the AI failed (not a
half sentence, not a stack trace), the question must not count against the daily limit, the
model's slot must be free, and the next question must be answered by the model as usual.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from reflex.state import State
from sqlalchemy.engine import Engine

from nexus_app.ai import rag
from nexus_app.ai.llm import ChatMessage, FifoLock, ScriptedChatModel
from nexus_app.ai.llm.generation import GenerationStats, _Params
from nexus_app.services import auth, books, subjects, tutor
from nexus_app.state.chat import ChatState
from tests.integration.services.test_books_tutor import BOOK
from tests.integration.state.tabs import chat_tab, settle_streams, sign_in

# The model's lead-in (one book sentence backs it); the answer shown is it, then the quote.
GOOD = "Percepatan mobil tersebut 4 meter per sekon kuadrat."


class BreaksOnce(ScriptedChatModel):
    """The first generation streams three words, then raises like a crashed llama.cpp call."""

    def __init__(self) -> None:
        super().__init__(GOOD, queue=FifoLock(), name="model-uji")
        self.failures = 0

    def _stream(self, messages: list[ChatMessage], params: _Params, stats: GenerationStats):
        pieces = super()._stream(messages, params, stats)
        if self.failures:
            yield from pieces
            return
        for i, piece in enumerate(pieces):
            if i == 3:
                self.failures += 1
                raise RuntimeError("llama_decode returned -3 (simulated)")
            yield piece


@pytest.fixture
def student(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    subjects.create_subject(grade=10, name="Fisika", code="FIS_10")
    book = tmp_path / "fisika.md"
    book.write_text(BOOK, encoding="utf-8")
    books.ingest_book(path=book, subject_code="FIS_10", title="Fisika Dasar")
    auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")
    model = BreaksOnce()
    monkeypatch.setattr(tutor, "language_model", lambda: model)
    return {"token": auth.login(username="siswa01", password="kata-sandi-1").token, "model": model}


@pytest.mark.usefixtures("tutor_lead_in")
def test_model_failing_mid_answer_gives_a_message_and_the_next_question_works(
    engine: Engine, student: dict[str, object]
) -> None:
    model = student["model"]
    assert isinstance(model, BreaksOnce)
    send = ChatState.event_handlers["send"].fn
    chat = chat_tab(str(student["token"]))
    chat.subject = "FIS_10"
    seen: list[str] = []

    async def main() -> None:
        chat.question = "Apa yang dimaksud dengan percepatan?"
        await asyncio.wait_for(send(chat), 60)
        seen.extend([chat.answer, chat.notice, chat.error])
        await settle_streams()
        # The model's slot is free again: nobody holds it, nobody waits.
        assert len(model.queue) == 0
        chat.question = "Apa yang dimaksud dengan percepatan?"
        await asyncio.wait_for(send(chat), 60)

    asyncio.run(main())
    failed_answer, failed_notice, failed_error = seen
    assert model.failures == 1 and len(model.calls) == 2
    # The failed one: the book's passage with a plain Indonesian notice, no half sentence.
    assert failed_error == ""
    assert failed_notice == rag.NOTICE_MODEL_FAILED
    assert "percepatan" in failed_answer.lower()
    assert failed_answer != " ".join(GOOD.split()[:3])
    # The next one: the model's lead-in above the book's quote, no notice.
    assert chat.error == "" and chat.notice == ""
    assert chat.answer.startswith(GOOD + "\n\n") and not chat.streaming
    # Both are in the history; the failure is saved as the book answer it showed.
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT response, model_used FROM chat_history ORDER BY id")
        ).all()
    assert len(rows) == 2 and rows[1][0] == chat.answer
    assert "percepatan" in rows[0][0].lower()


@pytest.mark.usefixtures("tutor_lead_in")
def test_model_failing_does_not_leak_the_slot_while_another_question_is_asked(
    engine: Engine, student: dict[str, object]
) -> None:
    """A second student asks while the first one's lead-in is being written (and then
    fails): the second gets the book's quote at once instead of waiting in line, and the
    failure leaves the slot free for the next question, which gets its lead-in again."""
    model = student["model"]
    assert isinstance(model, BreaksOnce)
    auth.create_user(username="siswa02", password="kata-sandi-1", role="siswa")
    other = auth.login(username="siswa02", password="kata-sandi-1").token
    send = ChatState.event_handlers["send"].fn
    first, second = chat_tab(str(student["token"])), chat_tab(other)
    for c in (first, second):
        c.subject = "FIS_10"
        c.question = "Apa yang dimaksud dengan percepatan?"
    started, second_answered = threading.Event(), threading.Event()
    original = model._reply

    def held_first(messages: Sequence[ChatMessage]) -> str:
        started.set()
        second_answered.wait(60)  # the first holds the model until the second is answered
        return original if isinstance(original, str) else original(messages)

    model._reply = held_first

    async def main() -> None:
        a = asyncio.ensure_future(send(first))
        while not started.is_set():
            await asyncio.sleep(0.01)
        await asyncio.wait_for(send(second), 60)
        # Answered while the first held the model: the quote, no lead-in, no notice.
        assert not a.done() and len(model.queue) == 1
        second_answered.set()
        await asyncio.wait_for(a, 60)
        await settle_streams()
        assert len(model.queue) == 0
        second.question = "Apa yang dimaksud dengan percepatan?"
        await asyncio.wait_for(send(second), 60)

    asyncio.run(main())
    assert first.notice == rag.NOTICE_MODEL_FAILED and first.error == ""
    assert second.answer.startswith(GOOD + "\n\n")
    assert second.notice == "" and second.error == ""
    assert len(model.calls) == 2 and len(model.queue) == 0


FEEDBACK = "Pilihan A tampak benar karena p0 dan q0 mirip pada soal ini."


def test_model_failing_mid_feedback_shows_the_explanation_and_saves_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Practice feedback through PracticeState.stream_feedback: the failed generation falls
    back to the stored explanation with a notice and is not saved, so asking again runs the
    model again and saves its result."""
    from nexus_app.services import practice
    from nexus_app.services.bank_import import import_bank
    from nexus_app.state.practice import PracticeState
    from tests.integration.services.test_practice import _bank_csv

    assert import_bank(
        filename="b.csv", data=_bank_csv("PU", 4), bank_name="Uji", mark_reviewed_by=["A", "B"]
    ).ok
    user = auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")
    token = auth.login(username="siswa01", password="kata-sandi-1").token
    view = practice.start_session(actor=user, section="PU")
    result = practice.submit_answer(
        actor=user,
        session_id=view.session_id,
        question_id=view.question_id,
        position=view.position,
        answer="A",  # the key is B
    )
    assert not result.is_correct
    model = BreaksOnce()
    model._reply = FEEDBACK
    monkeypatch.setattr(tutor, "language_model", lambda: model)
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(PracticeState.get_full_name().split("."))
    sign_in(state, token)
    state.attempt_id = result.attempt_id
    stream_feedback = PracticeState.event_handlers["stream_feedback"].fn
    first: list[object] = []

    async def main() -> None:
        await asyncio.wait_for(stream_feedback(state), 60)
        first.extend([state.feedback_text, state.feedback_notice, state.feedback_id])
        await settle_streams()
        assert len(model.queue) == 0
        await asyncio.wait_for(stream_feedback(state), 60)
        await settle_streams()

    asyncio.run(main())
    text, notice, feedback_id = first
    assert notice == rag.NOTICE_FEEDBACK_FAILED and feedback_id == 0
    assert "Jawaban yang benar: B" in str(text)
    assert state.feedback_id > 0 and state.feedback_notice == ""
    assert len(model.calls) == 2 and state.feedback_text and not state.feedback_busy
    with engine.connect() as conn:
        saved = conn.execute(sa.text("SELECT COUNT(*) FROM attempt_feedback")).scalar()
    assert saved == 1
