"""Issue 12: an answer lists only the sources it used, numbered as its marks are."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexus_app.ai.rag.support import sources_used

ARITMETIKA = (
    "Barisan aritmetika adalah barisan yang selisih dua suku berurutannya selalu tetap. "
    "Selisih tetap itu disebut beda."
)
GEOMETRI = (
    "Barisan geometri adalah barisan yang perbandingan dua suku berurutannya selalu tetap. "
    "Perbandingan tetap itu disebut rasio."
)
GAUSS = "Gauss menjumlahkan bilangan 1 sampai 100 dan memperoleh 5050."


def test_only_the_passage_that_backs_the_answer_is_cited_and_renumbered() -> None:
    text, used = sources_used(
        "Selisih tetap pada barisan aritmetika disebut beda [2].", [GAUSS, ARITMETIKA]
    )
    assert used == [1]
    assert text == "Selisih tetap pada barisan aritmetika disebut beda [1]."


def test_a_wrong_mark_points_at_the_passage_that_backs_the_sentence() -> None:
    # The neighbouring section shares most words; the best cover wins over the model's mark.
    answer = "Barisan geometri adalah barisan dengan perbandingan suku berurutan yang tetap [1]."
    text, used = sources_used(answer, [ARITMETIKA, GEOMETRI])
    assert used == [1]
    assert text.endswith("[1].")


def test_two_sentences_from_two_passages_cite_both_in_order_of_use() -> None:
    answer = (
        "Perbandingan tetap pada barisan geometri disebut rasio [2]. "
        "Selisih tetap pada barisan aritmetika disebut beda [1]."
    )
    text, used = sources_used(answer, [ARITMETIKA, GEOMETRI, GAUSS])
    assert used == [1, 0]
    assert text == (
        "Perbandingan tetap pada barisan geometri disebut rasio [1]. "
        "Selisih tetap pada barisan aritmetika disebut beda [2]."
    )


def test_unmarked_sentences_and_sentences_without_claims() -> None:
    answer = "Gauss menjumlahkan bilangan 1 sampai 100. Itu saja ya [3]."
    text, used = sources_used(answer, [ARITMETIKA, GEOMETRI, GAUSS])
    assert used == [2]
    # A sentence with no claim backs nothing and loses its mark; no mark is invented.
    assert text == "Gauss menjumlahkan bilangan 1 sampai 100. Itu saja ya."


def test_marks_out_of_range_and_lists_are_rewritten() -> None:
    answer = "Selisih tetap pada barisan aritmetika disebut beda [1, 7] [3]."
    text, used = sources_used(answer, [GEOMETRI, ARITMETIKA])
    assert used == [1]
    assert text == "Selisih tetap pada barisan aritmetika disebut beda [1]."


@pytest.mark.llm
def test_real_packaged_model_answer_lists_only_sources_that_back_it(tmp_path: Path) -> None:
    from nexus_app.ai import models
    from nexus_app.ai.embedder import HashingEmbedder
    from nexus_app.ai.llm import LocalLLM
    from nexus_app.ai.pdftext import Page
    from nexus_app.ai.rag import Tutor, support_check
    from nexus_app.ai.rag.calibration import RefusalRule
    from nexus_app.ai.rag.support import shown_sentences
    from nexus_app.ai.retriever import Retriever
    from nexus_app.ai.vkp import build_package, load_current

    try:
        path = models.find_llm_model()
    except models.ModelUnavailable as exc:
        pytest.skip(f"default model not joined: {exc}")
    emb = HashingEmbedder()
    pages = [
        Page(1, "# Matematika\n\n## Bab 2\n\n### Barisan Aritmetika\n\n" + ARITMETIKA),
        Page(2, "### Barisan Geometri\n\n" + GEOMETRI),
        Page(3, "### Deret Aritmetika\n\n" + GAUSS),
    ]
    res = build_package(pages, root=tmp_path, subject="X", title="Buku Uji", embedder=emb)
    retriever = Retriever([load_current(res.path.parent)], embedder_for=lambda _n: emb)
    tutor = Tutor(retriever, llm=LocalLLM(path), rule=RefusalRule(0.1), time_limit_s=120)
    answer = tutor.answer("Apa yang dimaksud dengan barisan geometri?")
    assert answer.cited and len(answer.cited) <= 2
    # The shown sentences are backed by the listed sources alone, and no mark names a
    # source beyond the list.
    if answer.mode == "llm":
        assert f"[{len(answer.cited) + 1}" not in answer.text
        sources = [p.text for p in answer.cited]
        for sentence in shown_sentences(answer.text):
            assert support_check(sentence, sources).reason != "unsupported_sentence"
