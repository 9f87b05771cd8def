"""Issue 12: an answer lists only the sources it used, numbered as its marks are."""

from __future__ import annotations

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
