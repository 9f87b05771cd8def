"""Grounded answers: input limits, prompts, the support check, fallbacks, and feedback."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from nexus_app.ai.embedder import HashingEmbedder
from nexus_app.ai.llm import FifoLock, ScriptedChatModel
from nexus_app.ai.pdftext import Page
from nexus_app.ai.rag import (
    FEEDBACK_PROMPT_VERSION,
    MAX_QUESTION_CHARS,
    NOTICE_BUSY,
    NOTICE_FEEDBACK_BUSY,
    NOTICE_NO_MODEL,
    NOTICE_NOT_COVERED,
    NOTICE_UNSUPPORTED,
    PROMPT_VERSION,
    SYSTEM_PROMPT,
    EmptyQuestion,
    QuestionTooLong,
    Tutor,
    build_answer_messages,
    build_feedback_messages,
    extractive_answer,
    fallback_feedback,
    stream_feedback,
    strip_leading_citations,
    support_check,
    validate_question,
)
from nexus_app.ai.retriever import Retriever
from nexus_app.ai.vkp import build_package, load_current

EMB = HashingEmbedder()

MATH = (
    "Eksponen atau perpangkatan adalah cara singkat untuk menuliskan perkalian berulang dari "
    "bilangan yang sama. Bilangan a disebut basis atau bilangan pokok, sedangkan n disebut "
    "eksponen atau pangkat. Contohnya 2^5 = 2 × 2 × 2 × 2 × 2 = 32. Jarak Bumi ke Matahari "
    "kira-kira 150.000.000 km."
)
PHYSICS = (
    "Gaya adalah tarikan atau dorongan. Percepatan benda sebanding dengan gaya total yang "
    "bekerja padanya dan berbanding terbalik dengan massanya."
)


def test_question_limits() -> None:
    assert validate_question("  Apa   itu\n eksponen? ") == "Apa itu eksponen?"
    with pytest.raises(EmptyQuestion):
        validate_question(" \n\t ")
    with pytest.raises(QuestionTooLong, match=str(MAX_QUESTION_CHARS)):
        validate_question("a" * (MAX_QUESTION_CHARS + 1))
    with pytest.raises(QuestionTooLong):
        validate_question("x" * 10_000_000)  # a 10 MB paste is refused before any processing
    assert len(validate_question("b" * MAX_QUESTION_CHARS)) == MAX_QUESTION_CHARS


def test_support_check_rejects_the_presiden_answer_over_a_math_context() -> None:
    result = support_check("Presiden pertama Indonesia adalah Indonesia.", [MATH])
    assert not result.supported
    assert result.sentences[0].overlap < 0.6
    assert "presiden" in result.sentences[0].missing_terms
    # Same sentence over a physics context fails too (the invented answer docs/ai.md describes).
    assert not support_check("Presiden pertama Indonesia adalah Indonesia.", [PHYSICS]).supported


def test_support_check_accepts_a_faithful_paraphrase_with_citations() -> None:
    answer = (
        "Eksponen adalah cara singkat menuliskan perkalian berulang dari bilangan yang sama [1]. "
        "Misalnya 2^5 = 32 [1]."
    )
    result = support_check(answer, [MATH])
    assert result.supported and result.score == 1.0 and result.reason == "ok"


def test_support_check_numbers_must_appear_in_the_sources() -> None:
    assert support_check("Jarak Bumi ke Matahari kira-kira 150000000 km.", [MATH]).supported
    wrong = support_check("Jarak Bumi ke Matahari kira-kira 384.000 km.", [MATH])
    assert not wrong.supported and wrong.sentences[0].missing_numbers == ("384000",)


def test_support_check_one_invented_sentence_fails_the_answer() -> None:
    answer = (
        "Eksponen adalah perkalian berulang dari bilangan yang sama. "
        "Eksponen ditemukan oleh ilmuwan Yunani bernama Archimedes pada abad ketiga."
    )
    result = support_check(answer, [MATH])
    assert not result.supported and 0 < result.score < 1


def test_support_check_edge_cases() -> None:
    assert support_check("", [MATH]).reason == "no_content"
    assert support_check("Ya.", [MATH]).reason == "no_content"
    refused = support_check("Buku tidak membahas hal ini.", [MATH])
    assert not refused.supported and refused.reason == "model_refused"


def _passages_pkg(tmp_path: Path):  # type: ignore[no-untyped-def]
    pages = [
        Page(1, "# Matematika\n\n## Bab 1 Eksponen\n\n### Pengertian Eksponen\n\n" + MATH),
        Page(2, "## Bab 2 Fisika Tamu\n\n### Gaya\n\n" + PHYSICS * 2),
    ]
    res = build_package(pages, root=tmp_path, subject="MAT_10", title="Matematika", embedder=EMB)
    return load_current(res.path.parent)


@pytest.fixture
def retriever(tmp_path: Path) -> Retriever:
    # The hashing embedder has no calibration: relevance is the lexical coverage alone.
    return Retriever([_passages_pkg(tmp_path)], embedder_for=lambda _n: EMB)


def test_prompt_is_short_grounded_and_starts_with_the_constant_system_prompt(
    retriever: Retriever,
) -> None:
    passages = retriever.search("Apa itu eksponen?", k=3).passages
    messages = build_answer_messages("Apa itu eksponen?", passages)
    assert messages[0] == {"role": "system", "content": SYSTEM_PROMPT}
    user = messages[1]["content"]
    assert user.startswith("Kutipan buku:\n[1] ")
    assert user.endswith("Jawab dengan 1-3 kalimat lengkap, lalu tulis nomor kutipan.")
    assert "Pertanyaan: Apa itu eksponen?" in user and "[3]" not in user
    assert "hanya memakai informasi dari kutipan" in SYSTEM_PROMPT and "[1]" in SYSTEM_PROMPT
    # Two passages of at most 90 words each keep the prompt near 400 tokens.
    assert len(user.split()) < 260
    long_text = " ".join(f"Kalimat nomor {i} tentang topik lain." for i in range(80))
    long_text += " Logaritma adalah kebalikan dari eksponen."
    long_passage = replace(passages[0], text=long_text)
    trimmed = build_answer_messages("Apa itu logaritma?", [long_passage])[1]["content"]
    assert "Logaritma adalah kebalikan dari eksponen." in trimmed
    assert len(trimmed.split()) < 140


def test_without_a_lead_in_the_quote_needs_no_model_and_no_notice(retriever: Retriever) -> None:
    tutor = Tutor(retriever, llm=None, lead_in=False)
    assert not tutor.writes_with_model
    answer = tutor.answer("Apa itu eksponen?")
    assert answer.mode == "extractive" and answer.notice is None
    assert "perkalian berulang" in answer.text
    assert Tutor(retriever, llm=None).writes_with_model  # the lead-in asks the model
    assert Tutor(retriever, llm=None, style="legacy", lead_in=False).writes_with_model


def test_tutor_without_model_answers_extractively_with_notice(retriever: Retriever) -> None:
    tutor = Tutor(retriever, llm=None)
    answer = tutor.answer("Apa itu eksponen?")
    assert answer.mode == "extractive" and answer.notice == NOTICE_NO_MODEL
    assert "perkalian berulang" in answer.text and "[1: Matematika, hlm. 1" in answer.text
    assert answer.passages and answer.passages[0].page == 1
    assert 0.0 <= answer.confidence <= 1.0 and answer.confidence == pytest.approx(
        answer.retrieval.relevance, abs=1e-4
    )
    assert answer.topics[0] == "Pengertian Eksponen" and answer.prompt_version == PROMPT_VERSION


def test_tutor_not_covered_skips_the_model(retriever: Retriever) -> None:
    model = ScriptedChatModel("Presiden pertama Indonesia adalah Soekarno.")
    answer = Tutor(retriever, llm=model).answer("Siapa presiden pertama Republik Indonesia?")
    assert answer.mode == "not_covered" and answer.text == NOTICE_NOT_COVERED
    assert model.calls == []
    # Not even a "passages" event: the page never lists sources for a refusal.
    events = list(Tutor(retriever, llm=model).stream("Siapa presiden pertama Republik Indonesia?"))
    assert [e.kind for e in events] == ["final"]


def test_tutor_streams_supported_answer(retriever: Retriever) -> None:
    reply = (
        "Eksponen adalah cara singkat menuliskan perkalian berulang dari bilangan yang sama [1]."
    )
    model = ScriptedChatModel(reply)
    events = list(Tutor(retriever, llm=model, style="legacy").stream("Apa itu eksponen?"))
    kinds = [e.kind for e in events]
    assert kinds[0] == "passages" and kinds[1] == "queue" and kinds[-1] == "final"
    assert "".join(e.text for e in events if e.kind == "token") == reply
    final = events[-1].answer
    assert final is not None and final.mode == "llm" and final.text == reply
    assert final.support is not None and final.support.supported
    assert final.stats is not None and final.model == "scripted"
    # The model saw the constant system prompt first.
    assert model.calls[0][0]["content"] == SYSTEM_PROMPT


def test_a_model_answer_opening_with_its_source_number_starts_with_words(
    retriever: Retriever,
) -> None:
    reply = "[1] Eksponen adalah cara singkat menuliskan perkalian berulang [1]."
    answer = Tutor(retriever, llm=ScriptedChatModel(reply), style="legacy").answer(
        "Apa itu eksponen?"
    )
    assert answer.mode == "llm"
    assert answer.text == "Eksponen adalah cara singkat menuliskan perkalian berulang [1]."


def test_tutor_falls_back_when_the_answer_is_unsupported(retriever: Retriever) -> None:
    model = ScriptedChatModel("Presiden pertama Indonesia adalah Indonesia.")
    answer = Tutor(retriever, llm=model, style="legacy").answer("Apa itu eksponen?")
    assert answer.mode == "extractive" and answer.notice == NOTICE_UNSUPPORTED
    assert answer.model_text == "Presiden pertama Indonesia adalah Indonesia."
    assert "perkalian berulang" in answer.text
    assert answer.support is not None and not answer.support.supported


def test_tutor_cancel_and_limits(retriever: Retriever) -> None:
    model = ScriptedChatModel(" ".join(["eksponen"] * 100), delay_s=0.01, queue=FifoLock())
    cancel = threading.Event()
    tutor = Tutor(retriever, llm=model)
    for event in tutor.stream("Apa itu eksponen?", cancel=cancel):
        if event.kind == "token":
            cancel.set()
        last = event
    assert last.answer is not None and last.answer.mode == "cancelled"
    with pytest.raises(QuestionTooLong):
        list(tutor.stream("x" * 5000))


def test_extractive_answer_cites_each_passage(retriever: Retriever) -> None:
    passages = retriever.search("eksponen perkalian berulang", k=2).passages
    text = extractive_answer("eksponen", passages)
    # The book's words first, the source number and citation after them, never a bare "[1]".
    assert not text.startswith("[")
    first, second = text.split("\n\n")
    assert first.endswith(f"[1: {passages[0].citation}]")
    assert second.endswith(f"[2: {passages[1].citation}]")
    assert "hlm." in text and "paket v1.0.0" in text


def test_an_unpaged_book_is_cited_by_its_section(retriever: Retriever) -> None:
    passage = retriever.search("eksponen perkalian berulang", k=1).passages[0]
    markdown = replace(passage, paged=False)
    assert passage.location.startswith("hlm. ")
    assert markdown.location == f"bagian {passage.heading}" and passage.heading
    assert "hlm." not in markdown.citation and passage.heading in markdown.citation
    assert "hlm." not in extractive_answer("eksponen", [markdown])
    no_heading = replace(markdown, heading="")
    assert no_heading.location == "" and no_heading.citation == (
        f"{passage.book_title} (paket v{passage.package_version})"
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("[1] Eksponen adalah perkalian berulang [1].", "Eksponen adalah perkalian berulang [1]."),
        ("[1][2]. Eksponen.", "Eksponen."),
        ("Eksponen adalah perkalian berulang [1].", "Eksponen adalah perkalian berulang [1]."),
    ],
)
def test_a_leading_citation_mark_is_dropped(raw: str, shown: str) -> None:
    assert strip_leading_citations(raw) == shown


ITEM = {
    "stem": "Jika 2^x = 32, berapakah nilai x?",
    "options": {"A": "4", "B": "5", "C": "6", "D": "16", "E": "30"},
    "chosen": "D",
    "correct": "B",
    "explanation": "32 = 2^5, jadi 2^x = 2^5 sehingga x = 5. Pilihan 16 muncul dari 32 dibagi 2.",
}


def test_feedback_prompt_contains_the_item_and_a_version() -> None:
    messages = build_feedback_messages(**ITEM)
    assert FEEDBACK_PROMPT_VERSION == "feedback-v1"
    user = messages[1]["content"]
    for needle in ("Jika 2^x = 32", "D. 16", "Pembahasan: 32", "memilih D (16)", "benar B (5)"):
        assert needle in user
    assert "tampak benar" in messages[0]["content"]
    with pytest.raises(ValueError):
        build_feedback_messages(**{**ITEM, "chosen": "B"})
    with pytest.raises(ValueError):
        build_feedback_messages(**{**ITEM, "chosen": "Z"})


def test_feedback_without_model_is_the_stored_explanation() -> None:
    events = list(stream_feedback(None, **ITEM))
    result = events[-1].result
    assert result is not None and result.source == "explanation"
    assert result.text == fallback_feedback(ITEM["explanation"], "B", ITEM["options"])
    assert result.text.startswith("Jawaban yang benar: B (5).")


def test_feedback_from_model_when_grounded_else_fallback() -> None:
    good = "Pilihan D tampak benar karena 32 dibagi 2 memang 16, tetapi pangkatnya bukan 16."
    model = ScriptedChatModel(good)
    events = list(stream_feedback(model, **ITEM))
    assert "".join(e.text for e in events if e.kind == "token") == good
    result = events[-1].result
    fallback = fallback_feedback(ITEM["explanation"], "B", ITEM["options"])
    # The model's "why it is tempting" sentence, then the key and the stored explanation.
    assert result is not None and result.source == "llm" and result.text == f"{good} {fallback}"
    assert result.stats is not None and result.prompt_version == FEEDBACK_PROMPT_VERSION
    assert model.calls[0][0]["role"] == "system"
    empty = list(stream_feedback(ScriptedChatModel("Pilihan D tampak benar karena."), **ITEM))
    r0 = empty[-1].result
    assert r0 is not None and r0.source == "explanation" and r0.text == fallback
    wrong_key = "Pilihan D salah karena 32 = 2^5, jadi jawaban yang benar adalah C."
    r2 = list(stream_feedback(ScriptedChatModel(wrong_key), **ITEM))[-1].result
    assert r2 is not None and r2.source == "explanation" and r2.support is not None
    assert r2.support.reason == "wrong_key"
    echo = "Siswa memilih D (16), padahal jawaban yang benar B (5). Pembahasan: 32 = 2^5."
    r4 = list(stream_feedback(ScriptedChatModel(echo), **ITEM))[-1].result
    assert r4 is not None and r4.source == "explanation" and r4.support is not None
    assert r4.support.reason == "echo"
    invented = "Soal ini berasal dari olimpiade internasional tahun lalu yang sangat terkenal."
    r3 = list(stream_feedback(ScriptedChatModel(invented), **ITEM))[-1].result
    assert r3 is not None and r3.source == "explanation" and r3.model_text == invented


def test_a_busy_model_gives_the_stored_explanation_or_the_passages_at_once(
    retriever: Retriever,
) -> None:
    lock = FifoLock()
    model = ScriptedChatModel("Pilihan D tampak benar karena 32 dibagi 2 memang 16.", queue=lock)
    holder = model.generate([{"role": "user", "content": "x"}])  # the slot is taken
    fallback = fallback_feedback(ITEM["explanation"], "B", ITEM["options"])
    # The line is full (nobody more may wait): the explanation at once, marked busy.
    (event,) = list(stream_feedback(model, **ITEM, max_waiting=0))
    result = event.result
    assert result is not None and result.busy and result.text == fallback
    assert result.source == "explanation" and result.notice == NOTICE_FEEDBACK_BUSY
    # Room to wait, but only briefly: queue events (position, no estimate yet), then the
    # explanation with a notice that names the wait.
    events = list(stream_feedback(model, **ITEM, max_waiting=4, queue_timeout_s=0.3))
    assert events[0].kind == "queue" and events[0].position == 1 and events[0].wait_s is None
    last = events[-1].result
    assert last is not None and last.busy and last.text == fallback
    assert last.notice is not None and "0 detik" in last.notice and "tersimpan" in last.notice
    assert model.calls == [] and len(lock) == 1
    # The tutor: the quote is the whole answer, at once, and its lead-in is not waited for
    # (no apology either: nothing the student was promised is missing).
    answer = Tutor(retriever, llm=model, max_waiting=5).answer("Apa itu eksponen?")
    assert answer.mode == "extractive" and answer.notice is None
    assert "perkalian berulang" in answer.text and answer.stats is None
    # A legacy answer (the model's own) says the AI is busy.
    legacy = Tutor(retriever, llm=model, max_waiting=0, style="legacy").answer("Apa itu eksponen?")
    assert legacy.mode == "extractive" and legacy.notice == NOTICE_BUSY
    assert "perkalian berulang" in legacy.text and legacy.stats is None
    holder.close()


def test_queue_events_carry_the_estimate_once_generations_were_timed(
    retriever: Retriever,
) -> None:
    lock = FifoLock()
    lock.record_duration(5.0)
    reply = "Eksponen adalah cara singkat menuliskan perkalian berulang [1]."
    model = ScriptedChatModel(reply, queue=lock)
    holder = model.generate([{"role": "user", "content": "x"}])
    # A model's own answer waits in line (a quote-first lead-in never does, above).
    tutor = Tutor(retriever, llm=model, heartbeat_s=0.05, style="legacy")
    stream = tutor.stream("Apa itu eksponen?")
    assert next(stream).kind == "passages"
    queued = next(stream)
    assert (queued.kind, queued.position, queued.wait_s) == ("queue", 1, 5.0)
    holder.close()  # the one ahead is done
    rest = list(stream)
    assert rest[-1].answer is not None and rest[-1].answer.mode == "llm"
