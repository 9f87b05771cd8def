"""Issue 12 through the chat page's state: a follow-up is searched with the conversation's
topic and the page says so; formulas in answers and sources are shown readable.

The question goes the way a tab sends it (ChatState.send -> services.tutor.stream), without a
language model (extractive answers), on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from nexus_app.services import auth, books, subjects, tutor
from nexus_app.state.chat import ChatState
from tests.integration.services.test_tutor_followup import BOOK
from tests.integration.state.tabs import chat_tab, settle_streams


@pytest.fixture
def token(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    subjects.create_subject(grade=10, name="Matematika", code="MAT_10")
    book = tmp_path / "matematika.md"
    book.write_text(BOOK, encoding="utf-8")
    books.ingest_book(path=book, subject_code="MAT_10", title="Matematika Uji")
    auth.create_user(username="siswa21", password="kata-sandi-1", role="siswa")
    monkeypatch.setattr(tutor, "language_model", lambda: None)
    return auth.login(username="siswa21", password="kata-sandi-1").token


def test_a_followup_is_searched_with_the_previous_topic(engine: Engine, token: str) -> None:
    send = ChatState.event_handlers["send"].fn
    set_subject = ChatState.event_handlers["set_subject"].fn
    chat = chat_tab(token)
    chat.subject = "MAT_10"
    seen: dict[str, object] = {}

    async def ask(question: str) -> None:
        chat.question = question
        await asyncio.wait_for(send(chat), 120)
        await settle_streams()

    async def main() -> None:
        await ask("Apa yang dimaksud dengan barisan aritmetika?")
        seen["first_searched"] = chat.searched
        await ask("kalau yang geometri?")
        seen["searched"] = chat.searched
        seen["answer"] = chat.answer
        seen["sources"] = [s.text for s in chat.sources]
        # Another subject is another conversation: the follow-up has nothing to refer to.
        await set_subject(chat, "MAT_10")  # an @off_loop handler: a coroutine
        await ask("contohnya?")
        seen["after_reset"] = chat.searched

    asyncio.run(main())
    assert seen["first_searched"] == ""  # searched as asked: nothing more to say
    assert seen["searched"] == "Apa yang dimaksud dengan barisan geometri?"
    assert "rasio" in str(seen["answer"])
    sources = seen["sources"]
    assert isinstance(sources, list) and 1 <= len(sources) <= 2
    # The book writes "U_n = a × r^(n − 1)": the page shows it as a formula.
    assert any("Uₙ = a × rⁿ⁻¹" in s for s in sources)
    assert not any("r^(" in s or "U_n" in s for s in sources)
    assert seen["after_reset"] == ""
    assert chat.error == ""
