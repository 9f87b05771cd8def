"""A class waits for AI feedback at once and the server keeps moving (hardening finding 0).

Twenty students answer wrong; their PracticeState.stream_feedback background events run
together in one event loop whose default executor has the size this 2-core machine gets
(6 threads), against a scripted model whose first generation holds the slot until the test
lets it go. Meanwhile other work that uses the pool and a tutor question must finish, the line
stays bounded, a student who moves on is dropped from it, and in the end everything has
finished or fallen back with no generation holding the slot. Real database, both engines.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from reflex.state import State
from sqlalchemy.engine import Engine

from nexus_app import config
from nexus_app.ai import rag
from nexus_app.ai.llm import ChatMessage, FifoLock, ScriptedChatModel
from nexus_app.services import auth, books, practice, subjects, tutor
from nexus_app.services.bank_import import import_bank
from nexus_app.state import streaming
from nexus_app.state.chat import ChatState
from nexus_app.state.practice import PracticeState
from tests.integration.services.test_books_tutor import BOOK
from tests.integration.services.test_practice import _bank_csv
from tests.integration.state.tabs import sign_in

T = TypeVar("T")
S = TypeVar("S", bound=State)
STUDENTS = 20
MAX_WAITING = 8  # the default NEXUS_LLM_QUEUE_MAX
POOL_THREADS = 6  # asyncio's default executor here: min(32, cpu_count + 4) on 2 cores
GENEROUS = 120.0  # seconds: only a stuck server reaches these


def _state(cls: type[S], token: str) -> S:
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(cls.get_full_name().split("."))
    sign_in(state, token)
    return state  # type: ignore[return-value]


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """One loop with a 6-thread default executor, closed without waiting for those threads
    (a stuck pool must fail this test, not hang it)."""
    loop = asyncio.new_event_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=POOL_THREADS))
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GENEROUS
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.05)


class GatedModel(ScriptedChatModel):
    """Scripted feedback whose first generation holds the slot until ``gate`` is set."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()
        super().__init__(self._answer, delay_s=0.02, queue=FifoLock(), name="model-uji")

    def _answer(self, messages: Sequence[ChatMessage]) -> str:
        if len(self.calls) == 1:
            self.entered.set()
            self.gate.wait(GENEROUS * 2)
        return "Pilihan A tampak benar karena p0 dan q0 mirip pada soal ini."


@pytest.fixture
def classroom(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Queued feedback may wait long here: this test decides when the model moves.
    monkeypatch.setenv("NEXUS_LLM_FEEDBACK_WAIT", "600")
    config.get_settings.cache_clear()
    subjects.create_subject(grade=10, name="Fisika", code="FIS_10")
    book = tmp_path / "fisika.md"
    book.write_text(BOOK, encoding="utf-8")
    books.ingest_book(path=book, subject_code="FIS_10", title="Fisika Dasar")
    assert import_bank(
        filename="b.csv", data=_bank_csv("PU", 24), bank_name="Uji", mark_reviewed_by=["A", "B"]
    ).ok
    wrong: list[tuple[str, int]] = []
    for i in range(STUDENTS):
        name = f"siswa{i:02d}"
        user = auth.create_user(username=name, password="kata-sandi-1", role="siswa")
        token = auth.login(username=name, password="kata-sandi-1").token
        view = practice.start_session(actor=user, section="PU")
        result = practice.submit_answer(
            actor=user,
            session_id=view.session_id,
            question_id=view.question_id,
            position=view.position,
            answer="A",  # the key is B
        )
        assert not result.is_correct
        wrong.append((token, result.attempt_id))
    model = GatedModel()
    monkeypatch.setattr(tutor, "language_model", lambda: model)
    asker = auth.create_user(username="penanya", password="kata-sandi-1", role="siswa")
    return {
        "wrong": wrong,
        "model": model,
        "asker": asker,
        "asker_token": auth.login(username="penanya", password="kata-sandi-1").token,
    }


def test_twenty_waiting_feedbacks_do_not_stall_the_server(engine: Engine, classroom) -> None:
    model: GatedModel = classroom["model"]
    line = model.queue
    states = []
    for token, attempt_id in classroom["wrong"]:
        state = _state(PracticeState, token)
        state.attempt_id = attempt_id
        states.append(state)
    stream_feedback = PracticeState.event_handlers["stream_feedback"].fn
    send = ChatState.event_handlers["send"].fn
    probe_results: list[str] = []

    def unrelated_db_work() -> str:  # e.g. saving state, a calibration or import step
        return auth.current_user(classroom["asker_token"]).username

    async def main() -> None:
        tasks = [asyncio.ensure_future(stream_feedback(s)) for s in states]
        try:
            # One generation holds the slot and the others have reached the model's line.
            await _until(
                lambda: model.entered.is_set() and len(line) >= 2, "the first generation starts"
            )
            # (a) Work that needs the default pool still runs while they all wait.
            probe = asyncio.to_thread(unrelated_db_work)
            probe_results.append(await asyncio.wait_for(probe, GENEROUS))

            # The line is bounded: the holder plus MAX_WAITING; the rest fell back at once to
            # the stored explanation, saying the AI is busy, and saved nothing.
            await _until(
                lambda: sum(not s.feedback_busy for s in states) == STUDENTS - 1 - MAX_WAITING,
                "the students beyond the bound get the explanation",
            )
            assert len(line) == 1 + MAX_WAITING
            done = [s for s in states if not s.feedback_busy]
            for s in done:
                assert s.feedback_notice == rag.NOTICE_FEEDBACK_BUSY
                assert "Jawaban yang benar: B" in s.feedback_text and s.feedback_id == 0
            # The waiting ones see their place in line and the stated longest wait.
            await _until(
                lambda: (
                    sorted(s.feedback_queue for s in states if s.feedback_busy)
                    == list(range(MAX_WAITING + 1))
                ),
                "every waiting student sees a queue position",
            )
            assert {s.feedback_max_wait for s in states if s.feedback_queue > 0} == {600}

            # (b) A tutor question does not get stuck behind them: the model is busy, so the
            # book's quote is the answer at once (a lead-in never waits in line).
            chat = _state(ChatState, classroom["asker_token"])
            chat.subject = "FIS_10"
            chat.question = "Apa yang dimaksud dengan percepatan?"
            await asyncio.wait_for(send(chat), GENEROUS)
            assert chat.error == "" and chat.notice == ""
            assert "percepatan" in chat.answer.lower() and not chat.streaming
            assert chat.history and chat.history[0].question.startswith("Apa yang")
            assert not model.gate.is_set() and len(line) == 1 + MAX_WAITING

            # A waiting student moves on to the next question: dropped from the line.
            leaving = next(s for s in states if s.feedback_queue == MAX_WAITING)
            leaving.attempt_id = 0
            await _until(lambda: len(line) == MAX_WAITING, "the student who left is dropped")
        finally:
            model.gate.set()
        # (c) Everything finishes or falls back, and nothing keeps the slot.
        await asyncio.wait_for(asyncio.gather(*tasks), GENEROUS)
        await _until(lambda: streaming.running_streams() == 0, "every stream thread ends")

    _run(main())
    assert probe_results == ["penanya"]
    assert len(line) == 0
    generated = [s for s in states if s.feedback_id > 0]
    assert len(generated) == MAX_WAITING  # the holder and the 7 that stayed in line
    assert len(model.calls) == MAX_WAITING
    for s in states:
        if s.attempt_id:
            assert not s.feedback_busy and s.feedback_text and s.feedback_queue == 0
    with engine.connect() as conn:
        saved = conn.execute(sa.text("SELECT COUNT(*) FROM attempt_feedback")).scalar()
        asked = conn.execute(sa.text("SELECT COUNT(*) FROM chat_history")).scalar()
    assert (saved, asked) == (MAX_WAITING, 1)
