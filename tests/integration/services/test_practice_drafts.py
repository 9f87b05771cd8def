"""The local model drafts practice questions from a book chapter (both databases): drafts
pass the import rules, are never served to students, and become practice after a teacher
approves each one. A scripted model stands in for the packaged one here."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from nexus_app.ai.llm import ScriptedChatModel
from nexus_app.services import (
    auth,
    books,
    practice_admin,
    practice_drafts,
    school_practice,
    subjects,
)
from nexus_app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.integration.services.test_books_tutor import BOOK

REPLY = """Berikut soalnya.
SOAL: Apa satuan kecepatan dalam SI?
A: meter per sekon
B: newton
C: joule
D: kelvin
KUNCI: A

SOAL: Sepeda menempuh 100 meter dalam 20 sekon. Berapa kecepatannya?
A: 2 meter per sekon
B: 5 meter per sekon
KUNCI: F

SOAL: Apa satuan kecepatan dalam SI?
A: meter per sekon
B: sekon
KUNCI: A
"""


def test_drafts_wait_for_approval_before_students_see_them(engine: Engine, tmp_path: Path) -> None:
    subject = subjects.create_subject(grade=10, name="Fisika", code="FIS_10")
    book = tmp_path / "fisika.md"
    book.write_text(BOOK, encoding="utf-8")
    books.ingest_book(path=book, subject_code="FIS_10", title="Fisika Dasar")
    guru = auth.create_user(username="guru1", password="kata-sandi-1", role="guru")
    siswa = auth.create_user(username="siswa1", password="kata-sandi-1", role="siswa")
    model = ScriptedChatModel(REPLY)

    result = practice_drafts.draft_questions(
        actor=guru, subject_id=subject.id, chapter="Kecepatan", count=3, model=model
    )
    # The first is kept; the second has a key outside its options, the third repeats it.
    assert len(result.created) == 1 and result.rejected == 2
    assert any("Fisika Dasar" in s for s in result.sources)
    prompt = model.calls[0][-1]["content"]
    assert "Kecepatan adalah perpindahan" in prompt
    (draft_id,) = result.created
    draft = practice_admin.get_question(actor=guru, question_id=draft_id)
    assert (draft.status, draft.topic, draft.answer) == ("draft", "Kecepatan", "A")
    assert draft.options[0] == "meter per sekon"
    drafts = practice_admin.list_questions(actor=guru, subject_id=subject.id, status="draft")
    assert [q.id for q in drafts.rows] == [draft_id]

    # Not served: no practisable topic, and its id cannot be answered directly.
    assert school_practice.list_topics(actor=siswa) == []
    with pytest.raises(NotFound):
        school_practice.answer_question(actor=siswa, question_id=draft_id, selected="A")

    practice_drafts.approve_draft(actor=guru, question_id=draft_id)
    assert [t.topic for t in school_practice.list_topics(actor=siswa)] == ["Kecepatan"]
    with pytest.raises(Conflict):
        practice_drafts.approve_draft(actor=guru, question_id=draft_id)

    with pytest.raises(InvalidInput):
        practice_drafts.draft_questions(actor=guru, subject_id=subject.id, chapter=" ", model=model)
    with pytest.raises(PermissionDenied):
        practice_drafts.draft_questions(
            actor=siswa, subject_id=subject.id, chapter="Kecepatan", model=model
        )
    with pytest.raises(PermissionDenied):
        practice_drafts.approve_draft(actor=siswa, question_id=draft_id)


def test_the_model_answer_format_is_parsed_leniently() -> None:
    rows = practice_drafts.parse_drafts(
        "soal: Dua tambah dua?\na) 3\nb. 4\nkunci: b (empat)\nbaris lain\nSOAL: tanpa kunci\n"
    )
    assert rows == [
        {"question": "Dua tambah dua?", "option_a": "3", "option_b": "4", "answer": "B"}
    ]
