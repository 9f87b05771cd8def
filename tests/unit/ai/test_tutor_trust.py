"""Issue 12: quote-first answers, the checked model lead-in, the calibrated refusal rule.

Small fakes (hashing embedder, scripted model); one test runs the real packaged model
(marked ``llm``, skipped when the GGUF is not joined)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from nexus_app.ai.embedder import HashingEmbedder
from nexus_app.ai.llm import ScriptedChatModel
from nexus_app.ai.pdftext import Page
from nexus_app.ai.rag import NOTICE_NOT_COVERED, Tutor, support_check
from nexus_app.ai.rag.calibration import RefusalRule, choose_rule, load_rule
from nexus_app.ai.rag.support import (
    Quote,
    candidate_sentences,
    checked_lead_in,
    quoted_answer,
    select_sentences,
    shown_sentences,
)
from nexus_app.ai.rag.tutor import LEAD_IN_MAX_TOKENS
from nexus_app.ai.retriever import Passage, Retriever
from nexus_app.ai.vkp import build_package, load_current

EMB = HashingEmbedder()
CHEM = (
    "Aturan oktet menyatakan bahwa atom cenderung memiliki delapan elektron di kulit terluar. "
    "Larutan elektrolit adalah larutan yang dapat menghantarkan listrik. "
    "Ikatan ion terbentuk antara atom logam dan atom nonlogam."
)
MATH = (
    "Eksponen atau perpangkatan adalah cara singkat untuk menuliskan perkalian berulang dari "
    "bilangan yang sama. Bilangan a disebut basis atau bilangan pokok. Contohnya 2^5 = 32."
)


@pytest.fixture
def retriever(tmp_path: Path) -> Retriever:
    pages = [
        Page(1, "# Kimia\n\n## Bab 1 Ikatan\n\n### Aturan Oktet\n\n" + CHEM),
        Page(2, "## Bab 2 Eksponen\n\n### Pengertian Eksponen\n\n" + MATH),
    ]
    res = build_package(pages, root=tmp_path, subject="X", title="Buku Uji", embedder=EMB)
    return Retriever([load_current(res.path.parent)], embedder_for=lambda _n: EMB)


def test_lead_in_that_glues_two_sentences_into_a_wrong_claim_is_dropped() -> None:
    # Every word occurs in the passage (the old lexical check passes it), but no single
    # sentence says it: the wrong claim from issue 12.
    wrong = "Aturan oktet adalah aturan yang menghantarkan listrik."
    assert support_check(wrong, [CHEM]).supported
    assert checked_lead_in(wrong, [CHEM], []) is None
    good = "Menurut aturan oktet, atom cenderung memiliki delapan elektron di kulit terluar."
    assert checked_lead_in(good, [CHEM], []) == good
    # A copy of the quoted sentence adds nothing; numbers must be in the backing sentence.
    assert checked_lead_in(good, [CHEM], [CHEM.split(". ")[0]]) is None
    assert (
        checked_lead_in("Atom cenderung memiliki sembilan 9 elektron terluar.", [CHEM], []) is None
    )


def test_select_sentences_picks_the_answer_sentence_with_and_without_dense(
    retriever: Retriever,
) -> None:
    passages = retriever.search("larutan yang bisa menghantarkan listrik namanya apa", k=3).passages
    quotes = select_sentences("larutan yang bisa menghantarkan listrik namanya apa", passages)
    assert 1 <= len(quotes) <= 3
    assert any("elektrolit" in q.sentence for q in quotes)
    dense = [0.0] * 50
    quotes2 = select_sentences("apa itu eksponen", passages, dense_scores=dense[:0])
    assert quotes2  # wrong-length dense scores are ignored, lexical ranking still works


SEQUENCES = (
    "Barisan aritmetika adalah barisan yang selisih dua suku berurutannya selalu tetap. "
    "Selisih tetap itu disebut beda dan dilambangkan b. "
    "Rumus suku ke-n barisan aritmetika adalah Un = a + (n - 1)b. "
    "Suku ke-3 suatu barisan aritmetika adalah 10 dan suku ke-7 adalah 22. "
    "Barisan aritmetika dipakai untuk menghitung tabungan yang bertambah tetap."
)


def _chosen(root: Path, book: str, *, heading: str = "### Barisan Aritmetika\n\n") -> list[str]:
    res = build_package(
        [Page(1, "## Bab 1 Barisan\n\n" + heading + book)],
        root=root,
        subject="X",
        title="Buku Uji",
        embedder=EMB,
    )
    retriever = Retriever([load_current(res.path.parent)], embedder_for=lambda _n: EMB)
    passages = retriever.search("apa yang dimaksud dengan barisan aritmetika", k=3).passages
    return [q.sentence for q in select_sentences("barisan aritmetika itu apa", passages)]


def test_the_sentence_that_goes_on_about_the_definition_comes_with_it(tmp_path: Path) -> None:
    # "beda" is not in the question, but its sentence points back at the definition; it goes
    # before sentences that only repeat the question's words (an exercise, an application).
    assert _chosen(tmp_path / "a", SEQUENCES)[:2] == [
        "Barisan aritmetika adalah barisan yang selisih dua suku berurutannya selalu tetap.",
        "Selisih tetap itu disebut beda dan dilambangkan b.",
    ]
    # A next sentence that does not point back is not pulled in for its shared words alone
    # (a sentence between it and the next quoted one, so it does not join two quotes either).
    plain = SEQUENCES.replace(
        "Selisih tetap itu disebut beda dan dilambangkan b. ",
        "Selisih tetap disebut beda dan dilambangkan b. Lambang ini dipakai di seluruh bab. ",
    )
    assert all("beda" not in s for s in _chosen(tmp_path / "b", plain))


def test_questions_tasks_and_exercises_are_not_quoted_as_the_answer(tmp_path: Path) -> None:
    exercises = (
        "### Latihan Bab 1\n\n"
        "1. Tentukan beda barisan aritmetika 3, 7, 11, dan seterusnya. "
        "2. Jika suku pertama barisan aritmetika adalah 4, tentukan suku ke-10 barisan itu.\n\n"
    )
    section = (
        "### Barisan Aritmetika\n\n"
        "Apa yang dimaksud dengan barisan aritmetika? "
        "Barisan aritmetika adalah barisan yang selisih dua suku berurutannya selalu tetap. "
        "Hitunglah suku ke-5 barisan aritmetika 2, 5, 8, dan seterusnya.\n\n"
    )
    chosen = _chosen(tmp_path, "", heading=exercises + section)
    assert chosen[0].startswith("Barisan aritmetika adalah barisan yang selisih")
    assert not [s for s in chosen if s.endswith("?") or "entukan" in s or "Hitunglah" in s]


def test_a_what_is_question_gets_the_definition_of_exactly_that_first(tmp_path: Path) -> None:
    book = (
        "### Persamaan Eksponen\n\n"
        "Persamaan eksponen adalah persamaan yang variabelnya terdapat pada pangkat eksponen. "
        "Persamaan eksponen diselesaikan dengan menyamakan basis eksponen kedua ruas. "
        "Contoh persamaan eksponen: eksponen kiri sama dengan eksponen kanan. "
        "Setelah basis sama, pangkat kedua ruas disamakan lalu persamaan linear diselesaikan "
        "seperti biasa sampai nilai variabel ditemukan.\n\n"
        "### Pengertian Eksponen\n\n"
        "Eksponen atau perpangkatan adalah cara singkat menuliskan perkalian berulang. "
        "Bilangan a disebut basis, sedangkan n disebut pangkat. "
        "Relasi {(1, 2)} merupakan contoh yang memakai eksponen. "
        "Misalnya dua pangkat tiga berarti dua dikalikan dengan dirinya sendiri tiga kali "
        "sehingga hasilnya delapan.\n\n"
    )
    res = build_package([Page(1, book)], root=tmp_path, subject="X", title="Buku", embedder=EMB)
    retriever = Retriever([load_current(res.path.parent)], embedder_for=lambda _n: EMB)
    question = "eksponen tuh maksudnya apa sih kak"
    passages = retriever.search(question, k=3).passages
    # The neighbour that shares the word ranks first in retrieval; its definition is not
    # what was asked.
    assert passages[0].heading_path[-1] == "Persamaan Eksponen"
    quotes = select_sentences(question, passages)
    assert quotes[0].sentence.startswith("Eksponen atau perpangkatan adalah cara singkat")


def _passages(*texts: str) -> list[Passage]:
    return [
        Passage(
            text=text,
            book_title="Buku",
            book_key="buku",
            subject="X",
            page=1,
            page_end=1,
            heading="Bagian",
            heading_path=("Buku", "Bagian"),
            package_version="1.0.0",
            chunk_id=i,
            score=1.0 / (i + 1),
            dense_score=None,
            bm25_score=None,
        )
        for i, text in enumerate(texts)
    ]


def _quoted(question: str, *texts: str) -> list[str]:
    return [q.sentence for q in select_sentences(question, _passages(*texts))]


ANGLES = (
    "Sudut dapat diukur dalam derajat atau radian. "
    "Satu putaran penuh sama dengan 360 derajat. "
    "Hubungan yang perlu diingat: 180° = π radian, sehingga 1 radian ≈ 57,3°. "
    "Untuk mengubah derajat ke radian, kalikan dengan π/180°. "
    "Untuk mengubah radian ke derajat, kalikan dengan 180°/π."
)


def test_a_sentence_that_repeats_a_phrase_of_the_question_is_quoted() -> None:
    # "1 radian" stands in one sentence; the others only hold both words.
    assert any("57,3°" in s for s in _quoted("1 radian tuh brp derajat kak", ANGLES))
    # One rule of a list, not only the sentences that name the topic.
    rules = (
        "Variabel adalah nama yang dipakai untuk menyimpan sebuah nilai di memori. "
        "Nilai variabel dapat berubah selama program berjalan. "
        "Variabel dapat diibaratkan sebagai kotak berlabel bernama. "
        "Aturan umum penamaan variabel adalah sebagai berikut:\n"
        "- nama variabel tidak boleh mengandung spasi;\n"
        "- nama variabel tidak boleh diawali angka, jadi 1nilai tidak sah;\n"
        "- huruf besar dan kecil dibedakan."
    )
    assert "nama variabel tidak boleh diawali angka, jadi 1nilai tidak sah;" in _quoted(
        "nama variabel boleh diawali angka ga", rules
    )
    # A formula's parts count as words, and "rata2" is "rata-rata".
    functions = (
        "Fungsi adalah rumus siap pakai yang disediakan aplikasi. "
        "Fungsi yang paling sering dipakai adalah:\n"
        "- =SUM(B2:B31) menjumlahkan semua nilai pada range B2 sampai B31;\n"
        "- =AVERAGE(B2:B31) menghitung rata-rata;\n"
        "- =COUNT(B2:B31) menghitung banyak sel yang berisi angka."
    )
    assert "=AVERAGE(B2:B31) menghitung rata-rata;" in _quoted(
        "rumus excel buat ngitung rata2 apa", functions
    )


def test_a_question_for_a_likeness_gets_the_books_picture_and_what_joins_it() -> None:
    book = (
        "Bayangkan sebuah pabrik dengan dua mesin. "
        "Mesin pertama mengolah bahan mentah x menjadi f(x), lalu mesin kedua mengolahnya. "
        "Penggabungan dua fungsi secara berurutan seperti ini disebut fungsi komposisi. "
        "Fungsi komposisi tidak bersifat komutatif."
    )
    quoted = _quoted("fungsi komposisi itu ibaratnya kayak apa", book)
    assert quoted[0] == "Bayangkan sebuah pabrik dengan dua mesin."
    # The sentence between two quoted ones is quoted too: the quote reads as the book does.
    assert quoted[1].startswith("Mesin pertama mengolah")


def test_a_sentence_that_opens_a_list_comes_with_the_item_asked_about() -> None:
    types = (
        "Setiap nilai memiliki tipe data. "
        "Tipe data dasar yang sering dipakai adalah:\n"
        "- integer (int): bilangan bulat, misalnya 16, 0, atau −5;\n"
        "- string (str): teks yang diapit tanda kutip, misalnya nama siswa;\n"
        "- boolean (bool): nilai logika yang hanya memiliki dua kemungkinan, True atau False."
    )
    question = "tipe data boolean isinya apa aja kak"
    quoted = _quoted(question, types)
    opener = "Tipe data dasar yang sering dipakai adalah:"
    assert quoted[quoted.index(opener) + 1 :][-1].startswith("boolean (bool)")
    # With room for one item, it is the one the question names.
    short = [q.sentence for q in select_sentences(question, _passages(types), max_words=30)]
    items = short[short.index(opener) + 1 :] if opener in short else short
    assert [s for s in items if "(" in s and ")" in s] == [
        "boolean (bool): nilai logika yang hanya memiliki dua kemungkinan, True atau False."
    ]


def test_quoted_list_items_stand_on_their_own_lines() -> None:
    rules = (
        "Aturan umum penamaan variabel adalah sebagai berikut:\n"
        "- nama variabel tidak boleh diawali angka, jadi 1nilai tidak sah;\n"
        "- nama variabel tidak boleh mengandung spasi;\n"
        "Sebaiknya nama variabel bermakna dan mudah dipahami."
    )
    passages = _passages(rules)
    quotes = [
        Quote(s, 0, k, 1.0, list_item=k in (1, 2))
        for k, s in enumerate(
            [
                "Aturan umum penamaan variabel adalah sebagai berikut:",
                "nama variabel tidak boleh diawali angka, jadi 1nilai tidak sah;",
                "nama variabel tidak boleh mengandung spasi;",
                "Sebaiknya nama variabel bermakna dan mudah dipahami.",
            ]
        )
    ]
    # What select_sentences sees: the items, and the text after the list on its own.
    assert candidate_sentences(passages) == [q.sentence for q in quotes]
    text, cited = quoted_answer(quotes, passages)
    assert cited == [0]
    assert text == (
        "Aturan umum penamaan variabel adalah sebagai berikut:\n"
        "- nama variabel tidak boleh diawali angka, jadi 1nilai tidak sah;\n"
        "- nama variabel tidak boleh mengandung spasi;\n"
        "Sebaiknya nama variabel bermakna dan mudah dipahami. [1: " + passages[0].citation + "]"
    )


def test_a_sentence_of_two_overlapping_passages_is_quoted_once() -> None:
    shared = "Jika angka boleh berulang, banyak PIN yang mungkin adalah 10 × 10 × 10 × 10 = 10.000."
    quoted = _quoted(
        "PIN 4 angka boleh berulang ada brp kemungkinan",
        "Sebuah PIN terdiri atas 4 angka dari 0 sampai 9. " + shared,
        shared + " Jika angka tidak boleh berulang, banyaknya 10 × 9 × 8 × 7 = 5.040.",
    )
    assert quoted.count(shared) == 1


def test_quote_first_answer_cites_only_used_passages_and_every_sentence_is_supported(
    retriever: Retriever,
) -> None:
    model = ScriptedChatModel("Aturan oktet adalah aturan yang menghantarkan listrik [1].")
    tutor = Tutor(retriever, llm=model, rule=RefusalRule(0.1), style="quote_first")
    answer = tutor.answer("aturan oktet tuh apa sih")
    assert (
        "menghantarkan listrik." not in answer.text.split("\n\n")[0] or answer.mode == "extractive"
    )
    assert "Aturan oktet menyatakan" in answer.text
    assert answer.mode == "extractive" and answer.notice is None  # lead-in rejected, quote shown
    assert answer.cited and "[1: Buku Uji" in answer.text
    sources = [p.text for p in answer.cited]
    for sentence in shown_sentences(answer.text):
        assert support_check(sentence, sources).reason != "unsupported_sentence"
    assert answer.relevance_words in ("tinggi", "sedang", "rendah")


def test_a_backed_lead_in_is_shown_before_the_quote(retriever: Retriever) -> None:
    lead = "Jadi atom cenderung memiliki delapan elektron [1]."
    tutor = Tutor(
        retriever, llm=ScriptedChatModel(lead), rule=RefusalRule(0.1), style="quote_first"
    )
    answer = tutor.answer("aturan oktet tuh apa sih")
    assert answer.mode == "llm", answer.text
    assert answer.text.startswith("Jadi atom cenderung memiliki delapan elektron.")
    assert "Aturan oktet menyatakan" in answer.text


def test_calibrated_rule_refuses_and_words_follow_the_thresholds(retriever: Retriever) -> None:
    strict = Tutor(retriever, rule=RefusalRule(1.01))
    refused = strict.answer("aturan oktet tuh apa sih")
    assert refused.mode == "not_covered" and refused.text == NOTICE_NOT_COVERED
    assert refused.cited == ()
    rule = RefusalRule(0.3, high=0.7, low=0.45)
    assert [rule.words(x) for x in (0.9, 0.5, 0.35)] == ["tinggi", "sedang", "rendah"]


def test_choose_rule_separates_covered_from_out_of_book() -> None:
    def f(rel: float, dense: float, lex: float) -> dict[str, float]:
        return {"relevance": rel, "top_dense": dense, "lexical": lex, "agree": 1.0}

    covered = [f(0.5 + i / 100, 0.85, 0.6) for i in range(30)]
    oob = [f(0.25 + i / 200, 0.82, 0.3) for i in range(20)]
    rule = choose_rule(covered + oob, [False] * 30 + [True] * 20)
    assert all(rule.covers(x) for x in covered)
    assert not any(rule.covers(x) for x in oob)
    assert rule.low <= rule.high


def test_shipped_calibration_file_loads(tmp_path: Path) -> None:
    rule = load_rule()
    assert 0.0 < rule.min_relevance < 1.0
    missing = load_rule.__wrapped__(tmp_path / "none.json")
    assert missing == RefusalRule.legacy()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"min_relevance": 0.5, "min_dense": 0.8}), encoding="utf-8")
    assert load_rule.__wrapped__(bad).min_dense == 0.8


@pytest.mark.llm
def test_real_packaged_model_quote_first_answer_is_supported(retriever: Retriever) -> None:
    from nexus_app.ai import models
    from nexus_app.ai.llm import LocalLLM

    try:
        path = models.find_llm_model()
    except models.ModelUnavailable as exc:
        pytest.skip(f"default model not joined: {exc}")
    llm = LocalLLM(path)
    tutor = Tutor(retriever, llm=llm, rule=RefusalRule(0.1), time_limit_s=120, style="quote_first")
    answer = tutor.answer("aturan oktet itu apa")
    assert answer.mode in ("llm", "extractive")
    assert "Aturan oktet menyatakan" in answer.text
    sources = [p.text for p in answer.cited]
    shown = shown_sentences(answer.text)
    if answer.mode == "llm":
        assert checked_lead_in(shown[0], sources, []) is not None
    for sentence in shown:
        assert support_check(sentence, sources).reason != "unsupported_sentence"


def test_quote_first_streams_the_quote_at_once_and_never_the_models_words(
    retriever: Retriever,
) -> None:
    lead = "Jadi atom cenderung memiliki delapan elektron [1]."
    model = ScriptedChatModel(lead)
    tutor = Tutor(retriever, llm=model, rule=RefusalRule(0.1), style="quote_first")
    events = list(tutor.stream("aturan oktet tuh apa sih"))
    kinds = [e.kind for e in events]
    assert kinds[0] == "passages" and kinds[1] == "token" and kinds[-1] == "final"
    tokens = [e.text for e in events if e.kind == "token"]
    final = events[-1].answer
    assert final is not None and final.mode == "llm"
    # One token: the quoted book sentences, before the model ran; the lead-in only in the
    # final text, put in front of that same quote.
    assert len(tokens) == 1 and "Aturan oktet menyatakan" in tokens[0]
    assert final.text == f"Jadi atom cenderung memiliki delapan elektron.\n\n{tokens[0]}"
    assert len(model.calls) == 1


def test_quote_first_cancelled_keeps_the_quote(retriever: Retriever) -> None:
    model = ScriptedChatModel(" ".join(["elektron"] * 100), delay_s=0.01)
    cancel = threading.Event()
    tutor = Tutor(retriever, llm=model, rule=RefusalRule(0.1), style="quote_first")
    quote = ""
    for event in tutor.stream("aturan oktet tuh apa sih", cancel=cancel):
        if event.kind == "token":
            quote = event.text
            cancel.set()
        last = event
    assert last.answer is not None and last.answer.mode == "cancelled"
    assert last.answer.text == quote and "Aturan oktet menyatakan" in quote


def test_quote_first_asks_the_model_for_a_lead_in_only(retriever: Retriever) -> None:
    model = ScriptedChatModel(" ".join(["elektron"] * 100))
    tutor = Tutor(retriever, llm=model, rule=RefusalRule(0.1), style="quote_first")
    answer = tutor.answer("aturan oktet tuh apa sih")
    assert answer.stats is not None and answer.stats.completion_tokens == LEAD_IN_MAX_TOKENS
    assert answer.mode == "extractive" and "Aturan oktet menyatakan" in answer.text
