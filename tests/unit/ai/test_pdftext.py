"""Text extraction: real PDFs written by the test, Markdown page markers, plain text, bad files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfWriter

from nexus_app.ai.pdftext import (
    NoTextLayer,
    UnreadableDocument,
    UnsupportedFormat,
    extract_document,
    extract_pdf,
    extract_text,
)


def make_text_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF (Helvetica, one text line per entry) with a real text layer."""
    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, lines in enumerate(pages):
        content_id = 4 + 2 * i
        objects.append(
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                f"/Resources << /Font << /F1 {font_id} 0 R >> >> /Contents {content_id} 0 R >>"
            ).encode()
        )
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 770 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def make_blank_pdf(n: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(n):
        writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_text_is_extracted_per_page(tmp_path: Path) -> None:
    pdf = tmp_path / "buku.pdf"
    pdf.write_bytes(
        make_text_pdf(
            [
                ["BAB 1 Eksponen", "Eksponen adalah perkalian berulang."],
                ["Logaritma adalah kebalikan dari eksponen."],
            ]
        )
    )
    pages = extract_document(pdf)
    assert [p.number for p in pages] == [1, 2]
    assert "perkalian berulang" in pages[0].text
    assert "BAB 1 Eksponen" in pages[0].text
    assert "kebalikan dari eksponen" in pages[1].text


def test_pdf_without_text_layer_raises_no_text_layer(tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(make_blank_pdf())
    with pytest.raises(NoTextLayer):
        extract_document(pdf)


@pytest.mark.parametrize(
    "data",
    [b"", b"bukan pdf sama sekali", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", b"\x00" * 64],
)
def test_corrupt_pdf_raises_unreadable(data: bytes) -> None:
    with pytest.raises(UnreadableDocument):
        extract_pdf(data)


def test_truncated_real_pdf_is_unreadable_or_has_no_text() -> None:
    data = make_text_pdf([["Eksponen adalah perkalian berulang."]])
    with pytest.raises((UnreadableDocument, NoTextLayer)):
        extract_pdf(data[: len(data) // 3])


def test_markdown_pages_from_markers_keep_title_on_first_page() -> None:
    text = "# Buku\n\n<!-- halaman 1 -->\n## Bab 1\nSatu.\n\n<!-- halaman 2 -->\nDua.\n"
    pages = extract_text(text)
    assert [p.number for p in pages] == [1, 2]
    assert pages[0].text.startswith("# Buku")
    assert "Satu." in pages[0].text and "Dua." in pages[1].text


def test_text_without_markers_is_paginated_at_paragraphs() -> None:
    paragraphs = [f"Paragraf nomor {i} " + "kata " * 60 for i in range(10)]
    pages = extract_text("\n\n".join(paragraphs), page_chars=800)
    assert len(pages) > 1
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    joined = "\n\n".join(p.text for p in pages)
    for para in paragraphs:
        assert para.strip() in joined  # nothing lost, no paragraph cut


def test_unsupported_and_undecodable_files(tmp_path: Path) -> None:
    doc = tmp_path / "buku.docx"
    doc.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedFormat):
        extract_document(doc)
    bad = tmp_path / "buku.txt"
    bad.write_bytes(b"\xff\xfe\x00a\x00b")
    with pytest.raises(UnreadableDocument):
        extract_document(bad)
    empty = tmp_path / "kosong.md"
    empty.write_text("   \n", encoding="utf-8")
    with pytest.raises(UnreadableDocument):
        extract_document(empty)
