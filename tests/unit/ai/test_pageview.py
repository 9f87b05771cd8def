"""Placing a cited passage in its page or section (nexus_app.ai.pageview), without a model."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from nexus_app.ai.chunking import Chunk, ChunkParams, chunk_pages
from nexus_app.ai.pageview import (
    find_source,
    highlight_spans,
    keep_source,
    merge_passages,
    page_from_chunks,
    pdf_page,
    png_bytes,
    render_pdf_page,
    section_of_chunk,
    sections,
    sections_from_chunks,
    segments,
)
from nexus_app.ai.pdftext import Page, UnreadableDocument, extract_text
from tests.unit.ai.test_pdftext import make_text_pdf

BOOK = """# Matematika

## Bab 1 Barisan

Pengantar singkat.

### Barisan Aritmetika
Barisan aritmetika adalah barisan dengan selisih tetap antara dua suku berurutan.
Selisih itu disebut beda dan ditulis b.

```python
# bukan judul: komentar kode
print(1)
```

### Barisan Geometri
Barisan geometri adalah barisan dengan rasio tetap <b>antar</b> suku.
"""


def test_highlight_ignores_line_breaks_and_keeps_the_text_whole() -> None:
    text = "Judul\nBarisan aritmetika adalah barisan\ndengan selisih tetap. Lain lagi."
    passage = "Barisan aritmetika adalah barisan dengan selisih tetap."
    spans = highlight_spans(text, passage)
    assert [text[a:b] for a, b in spans] == [
        "Barisan aritmetika adalah barisan\ndengan selisih tetap."
    ]
    pieces = segments(text, spans)
    assert "".join(t for t, _ in pieces) == text
    assert [m for _, m in pieces] == [False, True, False]
    assert highlight_spans(text, "Kalimat yang tidak ada di halaman ini sama sekali.") == []


def test_markdown_sections_follow_headings_not_code_comments() -> None:
    found = sections(extract_text(BOOK))
    assert [s.title for s in found] == ["Bab 1 Barisan", "Barisan Aritmetika", "Barisan Geometri"]
    arit = found[1]
    assert arit.path == ("Matematika", "Bab 1 Barisan", "Barisan Aritmetika")
    assert "# bukan judul" in arit.text and "print(1)" in arit.text
    # Markup in a book is text: kept as written, for the page to show escaped.
    assert "<b>antar</b>" in found[2].text


def test_a_chunk_finds_its_section_and_chunks_rebuild_sections() -> None:
    pages = extract_text(BOOK)
    chunks = chunk_pages(pages)
    found = sections(pages)
    geo = next(c for c in chunks if "rasio tetap" in c.text)
    assert found[section_of_chunk(found, geo)].title == "Barisan Geometri"
    rebuilt = sections_from_chunks(chunks)
    assert any("Barisan geometri adalah" in s.text for s in rebuilt)
    assert section_of_chunk([], geo) == 0


def test_overlapping_chunks_merge_without_repeating() -> None:
    sentences = [f"Kalimat nomor {i} menjelaskan satu hal penting." for i in range(40)]
    page = Page(1, " ".join(sentences))
    chunks = chunk_pages([page], ChunkParams(target_words=60, max_words=80, overlap_words=20))
    assert len(chunks) > 2
    merged = merge_passages([c.text for c in chunks])
    assert merged.count("Kalimat nomor 5 ") == 1 and merged.count("nomor 39") == 1
    assert page_from_chunks(chunks, 1) == merged and page_from_chunks(chunks, 2) == ""
    headless = [Chunk(0, "Teks tanpa judul di halaman satu.", 1, 1), Chunk(1, "Dua.", 2, 2)]
    assert [s.title for s in sections_from_chunks(headless)] == ["Bagian hlm. 1", "Bagian hlm. 2"]


def test_kept_source_and_pdf_pages(tmp_path: Path) -> None:
    pdf = tmp_path / "buku.pdf"
    pdf.write_bytes(make_text_pdf([["Halaman pertama."], ["Halaman kedua berisi teks."]]))
    sha = "a" * 64
    book = tmp_path / "book"
    kept = keep_source(book, pdf, sha)
    assert find_source(book, sha) == kept and keep_source(book, pdf, sha) == kept
    assert find_source(book, "b" * 64) is None and find_source(book, "../x") is None
    with pytest.raises(ValueError):
        keep_source(book, pdf, "../../etc")
    text, count = pdf_page(kept, 2)
    assert count == 2 and "Halaman kedua" in text
    with pytest.raises(UnreadableDocument):
        pdf_page(kept, 3)


def test_png_encoder_writes_what_a_decoder_reads() -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    png = png_bytes(grey)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png.endswith(b"IEND\xaeB`\x82")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height, png[25]) == (4, 3, 0)  # colour type 0: grey
    start = png.index(b"IDAT") + 4
    length = int.from_bytes(png[start - 8 : start - 4], "big")
    rows = zlib.decompress(png[start : start + length])
    assert rows == b"".join(b"\x00" + bytes(r) for r in grey.tolist())
    assert png_bytes(np.zeros((2, 2, 3), np.uint8))[25] == 0  # no colour: written grey
    colour = np.zeros((2, 2, 3), np.uint8)
    colour[0, 0] = (200, 10, 10)
    assert png_bytes(colour)[25] == 2


def test_a_pdf_page_renders_to_a_png(tmp_path: Path) -> None:
    pytest.importorskip("pypdfium2")
    pdf = tmp_path / "buku.pdf"
    pdf.write_bytes(make_text_pdf([["Halaman pertama."], ["Halaman kedua."]]))
    png = render_pdf_page(pdf, 2, width=400)
    assert png.startswith(b"\x89PNG") and abs(int.from_bytes(png[16:20], "big") - 400) <= 1
    with pytest.raises(UnreadableDocument):
        render_pdf_page(pdf, 3)
    broken = tmp_path / "rusak.pdf"
    broken.write_bytes(b"%PDF-1.4 bukan pdf")
    with pytest.raises(UnreadableDocument):
        render_pdf_page(broken, 1)
