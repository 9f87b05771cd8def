"""Issue 12 through the tutor service: follow-ups searched as standalone questions, only the
sources an answer used, and book text with formulas and markup kept as text.

Uses the real default embedder on a small book written here; the language model is scripted
(no packaged model is loaded), on both databases.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.ai.llm import ScriptedChatModel
from nexus_app.services import auth, books, subjects, tutor

BOOK = """# Matematika Uji

<!-- halaman 1 -->
## Bab 2 Barisan dan Deret

### Barisan Aritmetika
Barisan aritmetika adalah barisan yang selisih dua suku berurutannya selalu tetap. Selisih
tetap itu disebut beda dan dilambangkan b. Rumus suku ke-n barisan aritmetika adalah
U_n = a + (n − 1)b. Contoh barisan aritmetika adalah 3, 7, 11, 15 dengan beda 4.

<!-- halaman 2 -->
### Barisan Geometri
Barisan geometri adalah barisan yang perbandingan dua suku berurutannya selalu tetap.
Perbandingan tetap itu disebut rasio dan dilambangkan r. Rumus suku ke-n barisan geometri
adalah U_n = a × r^(n − 1). Contoh barisan geometri adalah 2, 6, 18, 54 dengan rasio 3.

<!-- halaman 3 -->
### Catatan Penulisan
Penulis buku ini pernah menulis <script>alert('x')</script> dan [tautan](javascript:alert(1))
serta $$x^2$$ sebagai contoh teks yang harus tampil apa adanya di layar siswa.
"""


@pytest.fixture
def school(engine: Engine, tmp_path: Path) -> dict[str, object]:
    subjects.create_subject(grade=10, name="Matematika", code="MAT_10")
    book = tmp_path / "matematika.md"
    book.write_text(BOOK, encoding="utf-8")
    books.ingest_book(path=book, subject_code="MAT_10", title="Matematika Uji")
    student = auth.create_user(username="siswa20", password="kata-sandi-1", role="siswa")
    return {"student": student}


def test_a_followup_is_searched_as_a_standalone_question(engine: Engine, school) -> None:
    student = school["student"]
    first = tutor.ask(
        subject_code="MAT_10",
        question="Apa yang dimaksud dengan barisan aritmetika?",
        use_llm=False,
        actor=student,
    )
    assert first.searched == first.question and not first.rewritten
    assert "selisih" in first.answer

    # Alone, "kalau yang geometri?" names no topic; after the first question it is searched
    # as a question about barisan geometri and answered from that section.
    updates = list(
        tutor.stream(
            subject_code="MAT_10",
            question="kalau yang geometri?",
            use_llm=False,
            actor=student,
            context=[first.searched],
        )
    )
    assert updates[0].kind == "searched"
    assert updates[0].text == "Apa yang dimaksud dengan barisan geometri?"
    final = updates[-1].answer
    assert final is not None and final.mode == "extractive"
    assert final.question == "kalau yang geometri?" and final.rewritten
    assert final.searched == "Apa yang dimaksud dengan barisan geometri?"
    assert "rasio" in final.answer
    assert final.sources[0].heading == "Barisan Geometri"

    # A chain: "contohnya?" keeps the topic of the rewritten question.
    example = tutor.ask(
        subject_code="MAT_10",
        question="contohnya?",
        use_llm=False,
        actor=student,
        context=[first.searched, final.searched],
    )
    assert example.searched == "Apa contoh barisan geometri?"
    assert "2, 6, 18, 54" in example.answer

    # History keeps the student's own words; the topic is the searched one's.
    history = tutor.history(actor=student)
    assert [h.question for h in history[:2]] == ["contohnya?", "kalau yang geometri?"]
    with engine.connect() as conn:
        topics = [
            r.topic for r in conn.execute(sa.text("SELECT topic FROM chat_history ORDER BY id"))
        ]
    assert topics[1:] == ["Barisan Geometri", "Barisan Geometri"]


def test_without_context_a_followup_is_searched_as_asked(engine: Engine, school) -> None:
    updates = list(
        tutor.stream(subject_code="MAT_10", question="kalau yang geometri?", use_llm=False)
    )
    assert all(u.kind != "searched" for u in updates)
    final = updates[-1].answer
    assert final is not None and final.searched == "kalau yang geometri?"


def test_sources_are_only_those_the_answer_used(engine: Engine, school, monkeypatch) -> None:
    # The answer quotes the book; the model's reply (marking the second passage) can only
    # lead it in. Listed: the passages the quote cites, numbered as its marks.
    reply = (
        "Barisan geometri adalah barisan yang perbandingan dua suku berurutannya selalu tetap [2]."
    )
    model = ScriptedChatModel(reply, name="model-uji")
    monkeypatch.setattr(tutor, "language_model", lambda: model)
    updates = list(
        tutor.stream(
            subject_code="MAT_10",
            question="Apa bedanya barisan aritmetika dan barisan geometri?",
            actor=school["student"],
        )
    )
    shown = next(u for u in updates if u.kind == "sources").sources
    final = updates[-1].answer
    assert final is not None and final.mode in ("llm", "extractive"), final
    assert len(shown) == 2  # while writing: the passages the model reads
    assert 1 <= len(final.sources) <= 3
    for n, source in enumerate(final.sources, start=1):
        assert f"[{n}: {source.book}, bagian {source.heading}" in final.answer
    assert f"[{len(final.sources) + 1}:" not in final.answer
    assert "[2]" not in final.answer  # the model's own mark is never shown
    with engine.connect() as conn:
        saved = conn.execute(sa.text("SELECT sources_json FROM chat_history")).scalar_one()
    assert [s["heading"] for s in json.loads(saved)] == [s.heading for s in final.sources]


def test_an_extractive_answer_cites_what_it_quotes(engine: Engine, school) -> None:
    answer = tutor.ask(
        subject_code="MAT_10",
        question="Apa yang dimaksud dengan barisan aritmetika?",
        use_llm=False,
    )
    # Each listed source is quoted in the answer with its number, and nothing else is listed.
    assert 1 <= len(answer.sources) <= 2
    for n, source in enumerate(answer.sources, start=1):
        assert f"[{n}: {source.book}" in answer.answer


def test_book_text_is_kept_as_text_and_formulas_are_readable(engine: Engine, school) -> None:
    answer = tutor.ask(
        subject_code="MAT_10",
        question="Apa rumus suku ke-n barisan geometri?",
        use_llm=False,
    )
    # Stored and returned as the book wrote it; the page shows tutor.readable_text of it.
    assert "U_n = a × r^(n − 1)" in answer.answer
    shown = tutor.readable_text(answer.answer)
    assert "Uₙ = a × rⁿ⁻¹" in shown
    # A passage with markup in it is returned as the book wrote it, and stays text when made
    # readable (the page renders it as a text node: nothing in it becomes a tag or a link).
    found = tutor.retriever_for("MAT_10").search(
        "contoh teks yang harus tampil apa adanya di layar siswa", k=5
    )
    source_text = next(p.text for p in found.passages if "<script>" in p.text)
    shown = tutor.readable_text(source_text)
    assert "<script>alert('x')</script>" in shown
    assert "[tautan](javascript:alert(1))" in shown and "$$x²$$" in shown
