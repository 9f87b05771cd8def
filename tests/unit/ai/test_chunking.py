"""Chunking: sizes, overlap, page and heading tracking, and the BM25 tokenizer."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_app.ai.chunking import (
    ChunkParams,
    chunk_pages,
    content_terms,
    passage_sentences,
    split_sentences,
    spoken_variants,
    stem_id,
    tokenize,
)
from nexus_app.ai.pdftext import Page, extract_document

BOOKS = Path(__file__).resolve().parents[3] / "nexus_app" / "demo" / "data" / "books"


def sentence(i: int, words: int = 12) -> str:
    return "Kalimat " + " ".join(f"kata{i}x{j}" for j in range(words)) + "."


def test_headings_and_pages_are_tracked_across_page_breaks() -> None:
    body1 = " ".join(sentence(i) for i in range(6))
    body2 = " ".join(sentence(i) for i in range(6, 12))
    pages = [
        Page(1, f"# Buku\n\n## Bab 1 Eksponen\n\n### Sifat\n\n{body1}"),
        Page(2, f"{body2}\n\n### Logaritma\n\n{' '.join(sentence(i) for i in range(20, 26))}"),
    ]
    chunks = chunk_pages(pages, ChunkParams(target_words=40, max_words=60, overlap_words=13))
    assert chunks[0].heading_path == ("Buku", "Bab 1 Eksponen", "Sifat")
    assert chunks[0].page == 1
    # The section continues on page 2 under the same heading.
    spill = [c for c in chunks if "kata7x0" in c.text]
    assert spill and all(c.heading == "Sifat" and c.page_end == 2 for c in spill)
    log = [c for c in chunks if "kata20x0" in c.text]
    assert log[0].heading_path == ("Buku", "Bab 1 Eksponen", "Logaritma")
    assert log[0].chapter == "Bab 1 Eksponen"
    assert all(c.page == 2 for c in log)
    assert [c.id for c in chunks] == list(range(len(chunks)))


def test_chunks_overlap_by_whole_sentences() -> None:
    text = " ".join(sentence(i, words=9) for i in range(30))  # 11 words per sentence
    chunks = chunk_pages([Page(1, "## Bab\n\n" + text)], ChunkParams(60, 90, 22, 10))
    assert len(chunks) > 3
    for a, b in itertools.pairwise(chunks):
        last_two = split_sentences(a.text)[-2:]
        assert b.text.startswith(last_two[0])  # two 11-word sentences fit in 22 words
    for c in chunks:
        assert len(c.text.split()) <= 90


def test_tiny_section_is_folded_into_the_next() -> None:
    pages = [Page(1, "## Bab 2\n\nPengantar singkat.\n\n### Variabel\n\n" + sentence(1, 40))]
    chunks = chunk_pages(pages, ChunkParams(60, 90, 10, 20))
    assert len(chunks) == 1
    assert chunks[0].heading == "Variabel"
    assert chunks[0].text.startswith("Pengantar singkat.")


def test_code_fences_stay_whole_and_hash_lines_inside_are_not_headings() -> None:
    code = "```\n# bukan judul\nx = 1\nprint(x)\n```"
    pages = [Page(1, f"## Bab\n\n### Python\n\n{sentence(1, 30)}\n\n{code}\n\n{sentence(2, 30)}")]
    chunks = chunk_pages(pages, ChunkParams(40, 120, 0, 5))
    assert any(code in c.text for c in chunks)
    assert all(c.heading == "Python" for c in chunks)


def test_pdf_chapter_lines_become_headings() -> None:
    pages = [Page(1, "BAB 2 ALGORITMA\n" + sentence(1, 40)), Page(2, sentence(2, 40))]
    chunks = chunk_pages(pages, ChunkParams(30, 60, 0, 5))
    assert chunks[0].heading == "BAB 2 ALGORITMA"
    assert chunks[-1].page == 2


def test_demo_books_chunk_within_bounds_with_pages_and_headings() -> None:
    params = ChunkParams()
    for name in ("matematika-10.md", "informatika-10.md"):
        pages = extract_document(BOOKS / name)
        chunks = chunk_pages(pages, params)
        assert len(chunks) > 50
        numbers = {p.number for p in pages}
        for c in chunks:
            assert c.page in numbers and c.page <= c.page_end
            assert len(c.text.split()) <= params.max_words
            assert len(c.heading_path) >= 2  # book title and chapter at least
            assert "<!--" not in c.text


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=8),
        min_size=1,
        max_size=4,
    ),
    st.integers(min_value=20, max_value=80),
)
def test_every_word_lands_in_some_chunk(
    page_sentence_lengths: list[list[int]], target: int
) -> None:
    params = ChunkParams(target, target + 40, target // 3, min(10, target))
    pages = []
    counter = 0
    for number, lengths in enumerate(page_sentence_lengths, start=1):
        sentences = []
        for n in lengths:
            counter += 1
            sentences.append("Awal " + " ".join(f"w{counter}n{j}" for j in range(n)) + ".")
        pages.append(Page(number, " ".join(sentences)))
    chunks = chunk_pages(pages, params)
    words_in = {w for p in pages for w in re.findall(r"w\d+n\d+", p.text)}
    words_out = {w for c in chunks for w in re.findall(r"w\d+n\d+", c.text)}
    assert words_in == words_out
    for c in chunks:
        assert len(c.text.split()) <= params.max_words


def test_sentence_split_keeps_numbers_together() -> None:
    parts = split_sentences("Jaraknya 150.000.000 km. Nilainya 0,5 saja! Lalu apa? Selesai.")
    assert parts == ["Jaraknya 150.000.000 km.", "Nilainya 0,5 saja!", "Lalu apa?", "Selesai."]


def test_tokenizer_lowercases_drops_stopwords_and_adds_stems() -> None:
    tokens = tokenize("Kalau bilangan DIPANGKATKAN, pangkatnya diapakan? Jaraknya 150.000.000 km.")
    assert "kalau" not in tokens and "dipangkatkan" in tokens
    assert "~pangkat" in tokens  # from dipangkatkan and pangkatnya
    assert "150.000.000" in tokens
    assert all(t == t.lower() for t in tokens)
    assert stem_id("perpangkatan") == "pangkat"
    assert stem_id("menjumlahkan") == "jumlah"
    assert stem_id("bumi") == "bumi"  # a root ending in -i is left alone
    assert content_terms("Apa itu topologi bintang?") == ["topologi", "bintang"]


def test_a_list_item_is_a_sentence_of_its_own_and_wrapped_lines_join() -> None:
    passage = (
        "Aturan umum penamaan variabel adalah sebagai berikut:\n"
        "- nama variabel tidak boleh diawali angka, jadi 1nilai tidak sah;\n"
        "- nama variabel tidak boleh mengandung spasi;\n"
        "- huruf besar dan kecil\ndibedakan. Sebaiknya nama variabel bermakna."
    )
    assert passage_sentences(passage) == [
        "Aturan umum penamaan variabel adalah sebagai berikut:",
        "nama variabel tidak boleh diawali angka, jadi 1nilai tidak sah;",
        "nama variabel tidak boleh mengandung spasi;",
        "huruf besar dan kecil dibedakan.",
        "Sebaiknya nama variabel bermakna.",
    ]


def test_spoken_forms_lead_to_the_book_words() -> None:
    # The stemmer strips "men-" without restoring the t: the book's "menebak" is "ebak".
    assert stem_id("menebak") in spoken_variants("nebak")
    assert "tebak" in spoken_variants("nebak")
    assert "cepat" in spoken_variants("cepet")
    assert "hilang" in spoken_variants("ilang")
    assert "simpan" in spoken_variants("nyimpen")
    assert "putar" in spoken_variants("muter")  # the nasal and the last vowel at once
    assert "akar" in spoken_variants("akarin")  # diakarin: the spoken -in
    assert "sel" in spoken_variants("selnya")  # a -nya the stemmer keeps on a short word
    assert "nebak" not in spoken_variants("nebak")
