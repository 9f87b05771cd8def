"""A cited passage in its place: a book's page or section, and where the passage sits in it.

Pure text work (no database, no Reflex), used by the source viewer (services/books/
source_view.py):

- :func:`keep_source` / :func:`find_source`: the book file an ingestion read is kept beside the
  book's package versions (``<book>/sources/<source sha256>.<suffix>``), so a PDF page can be
  shown exactly as the chunker saw it. It is not part of any version (exports stay as they
  were); deleting the book folder deletes it. Packages built before this, or imported from
  another server, have no source: their views are put together from the chunks instead.
- :func:`pdf_page`: one PDF page's text, extracted and cleaned as at ingestion;
  :func:`render_pdf_page`: the page as a PNG, when pypdfium2 (PDFium) is installed.
- :func:`sections` / :func:`sections_from_chunks`: a Markdown or text book cut at its headings
  (what a Markdown citation, "bagian <heading>", points at).
- :func:`highlight_spans` / :func:`segments`: where the passage's sentences are in a page's
  text, found whitespace-insensitively (chunks join lines with spaces), as plain-text pieces
  the page marks; nothing here produces markup.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import struct
import threading
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nexus_app.ai.chunking import Chunk, split_sentences
from nexus_app.ai.pdftext import (
    ExtractionError,
    Page,
    UnreadableDocument,
    _clean_pdf_text,
)

__all__ = [
    "SOURCE_DIR",
    "Section",
    "find_source",
    "highlight_spans",
    "keep_source",
    "merge_passages",
    "page_from_chunks",
    "pdf_page",
    "pdf_renderer",
    "png_bytes",
    "render_pdf_page",
    "section_of_chunk",
    "sections",
    "sections_from_chunks",
    "segments",
]

SOURCE_DIR = "sources"
_SOURCE_SUFFIXES = (".pdf", ".md", ".markdown", ".txt")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_MARKER = re.compile(r"^\s*<!--.*-->\s*$")
_SPACE = re.compile(r"\s+")
# A sentence shorter than this (without spaces) is too common to place reliably ("Jadi,").
_MIN_NEEDLE = 12


# --- the kept source file -----------------------------------------------------------------


def keep_source(book: Path, file: Path, sha256: str) -> Path:
    """Copy a book file into ``<book>/sources/`` under its checksum (once; atomic rename)."""
    suffix = file.suffix.lower()
    if not _SHA.match(sha256) or suffix not in _SOURCE_SUFFIXES:
        raise ValueError("not a book source")
    folder = book / SOURCE_DIR
    target = folder / f"{sha256}{suffix}"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{uuid.uuid4().hex}.tmp"
    try:
        shutil.copyfile(file, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def find_source(book: Path, sha256: str) -> Path | None:
    """The kept file whose bytes have this checksum, or None (never kept, or not a sha)."""
    if not _SHA.match(sha256 or ""):
        return None
    for suffix in _SOURCE_SUFFIXES:
        path = book / SOURCE_DIR / f"{sha256}{suffix}"
        if path.is_file():
            return path
    return None


def pdf_page(path: Path, number: int) -> tuple[str, int]:
    """The text of PDF page ``number`` (1-based) as ingestion extracted it, and the page count.

    Raises :class:`UnreadableDocument` for a broken file or a page outside the document.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path), strict=False)
        count = len(reader.pages)
        if not 1 <= number <= count:
            raise UnreadableDocument(f"halaman {number} tidak ada (1–{count})")
        return _clean_pdf_text(reader.pages[number - 1].extract_text() or ""), count
    except ExtractionError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise UnreadableDocument(f"PDF tidak bisa dibaca: {exc}") from exc


# PDFium is not thread-safe: one render at a time per process.
_PDFIUM_LOCK = threading.Lock()


def pdf_renderer() -> Any | None:
    """The pypdfium2 module, or None when it is not installed (pages are then shown as text)."""
    try:
        return importlib.import_module("pypdfium2")
    except ImportError:
        return None


def render_pdf_page(path: Path, number: int, *, width: int = 1000) -> bytes:
    """PDF page ``number`` (1-based) as a PNG about ``width`` pixels wide.

    Raises :class:`UnreadableDocument` for a broken file, a page outside the document, or no
    renderer installed.
    """
    pdfium = pdf_renderer()
    if pdfium is None:
        raise UnreadableDocument("tidak ada penampil PDF (pypdfium2) terpasang")
    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(str(path))
        except Exception as exc:  # PdfiumError and friends: a file PDFium cannot open
            raise UnreadableDocument(f"PDF tidak bisa dibuka: {exc}") from exc
        try:
            if not 1 <= number <= len(doc):
                raise UnreadableDocument(f"halaman {number} tidak ada (1–{len(doc)})")
            page = doc[number - 1]
            try:
                scale = min(max(width / max(page.get_width(), 1.0), 0.5), 3.0)
                pixels = np.array(page.render(scale=scale, rev_byteorder=True).to_numpy())
            finally:
                page.close()
        except UnreadableDocument:
            raise
        except Exception as exc:
            raise UnreadableDocument(f"halaman {number} tidak bisa digambar: {exc}") from exc
        finally:
            doc.close()
    return png_bytes(pixels)


def _colourless(rgb: np.ndarray) -> bool:
    return bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())


def png_bytes(pixels: np.ndarray) -> bytes:
    """A PNG of an 8-bit grey (h, w), RGB (h, w, 3) or RGBA (h, w, 4) array (no Pillow)."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    # A page without colour (most text pages) is written grey: a third of the bytes.
    if pixels.ndim == 3 and pixels.shape[2] == 3 and _colourless(pixels):
        pixels = np.ascontiguousarray(pixels[..., 0])
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else int(pixels.shape[2])
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    rows = pixels.reshape(height, width * channels)
    # Filter type 0 (none) on every row: a zero byte in front of each.
    raw = np.hstack([np.zeros((height, 1), np.uint8), rows]).tobytes()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


# --- sections of an unpaged (Markdown or text) book --------------------------------------


@dataclass(frozen=True, slots=True)
class Section:
    """Text under one heading path (up to the next heading), or, in a book without headings,
    one page of it. ``page`` is where it starts."""

    path: tuple[str, ...]
    text: str
    page: int

    @property
    def title(self) -> str:
        return self.path[-1] if self.path else f"Bagian hlm. {self.page}"


def sections(pages: Sequence[Page]) -> list[Section]:
    """Cut a Markdown or text book at its headings, as the chunker reads them (fenced code
    never holds a heading; page-marker comments are dropped). Text before any heading is cut
    by page. Empty sections (a heading right above another) are left out."""
    out: list[Section] = []
    stack: list[tuple[int, str]] = []
    lines: list[str] = []
    start = pages[0].number if pages else 1

    def flush(next_page: int) -> None:
        nonlocal lines, start
        text = "\n".join(lines).strip("\n")
        if text.strip():
            out.append(Section(tuple(t for _, t in stack), _tidy(text), start))
        lines, start = [], next_page

    for page in pages:
        if not stack:  # headless text: one section per page
            flush(page.number)
        in_code = False
        for raw in page.text.split("\n"):
            line = raw.rstrip()
            if _FENCE.match(line):
                in_code = not in_code
            elif not in_code and _MARKER.match(line):
                continue
            elif not in_code and (heading := _HEADING.match(line)):
                flush(page.number)
                level = len(heading.group(1))
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, heading.group(2).strip()))
                continue
            lines.append(line)
    flush(start)
    return out


def _tidy(text: str) -> str:
    # At most one blank line between paragraphs.
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text)


def merge_passages(texts: Sequence[str]) -> str:
    """Consecutive chunks joined without the overlap each repeats from the one before."""
    merged = ""
    for text in texts:
        if not merged:
            merged = text
            continue
        cut = _overlap(merged, text)
        merged = merged + (text[cut:] if cut else "\n\n" + text)
    return merged


def _overlap(before: str, after: str) -> int:
    """Length of the longest end of ``before`` (starting at a word) that ``after`` starts with."""
    window = before[-4000:]
    offset = len(before) - len(window)
    for i in range(len(window)):
        if (i + offset == 0 or before[i + offset - 1].isspace()) and after.startswith(window[i:]):
            if len(window) - i >= _MIN_NEEDLE:
                return len(window) - i
            return 0
    return 0


def sections_from_chunks(chunks: Sequence[Chunk]) -> list[Section]:
    """Sections put together from a package's chunks (no source file kept): consecutive chunks
    with one heading path (and, without headings, one start page) form one section."""
    groups: list[list[Chunk]] = []
    for chunk in chunks:
        last = groups[-1][-1] if groups else None
        same = (
            last is not None
            and last.heading_path == chunk.heading_path
            and (chunk.heading_path or last.page == chunk.page)
        )
        if same:
            groups[-1].append(chunk)
        else:
            groups.append([chunk])
    return [
        Section(g[0].heading_path, merge_passages([c.text for c in g]), g[0].page) for g in groups
    ]


def page_from_chunks(chunks: Sequence[Chunk], number: int) -> str:
    """A page's text put together from the chunks that cover it (no source file kept); a
    chunk crossing a page break brings its neighbour page's sentences along."""
    return merge_passages([c.text for c in chunks if c.page <= number <= c.page_end])


def section_of_chunk(found: Sequence[Section], chunk: Chunk) -> int:
    """Index of the section that holds a chunk: the one with most of its sentences, among
    those with its heading path first (a tiny intro is folded into the next section's path)."""
    if not found:
        return 0

    def score(i: int) -> int:
        return len(highlight_spans(found[i].text, chunk.text))

    # Its own heading path first (usually one section): the whole book only if that fails.
    own = [i for i, s in enumerate(found) if s.path == chunk.heading_path]
    best_own = max(own, key=score) if own else None
    if best_own is not None and score(best_own) > 0:
        return best_own
    scores = [score(i) for i in range(len(found))]
    best = max(range(len(found)), key=lambda i: scores[i])
    if scores[best] > 0 or best_own is None:
        return best
    return best_own


# --- highlighting -----------------------------------------------------------------------


def _compact(text: str) -> tuple[str, list[int]]:
    """The text without whitespace, and each kept character's index in the original."""
    kept: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if not ch.isspace():
            kept.append(ch)
            index.append(i)
    return "".join(kept), index


def highlight_spans(text: str, passage: str) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of ``text`` holding the passage's sentences, in order, merged
    where only whitespace separates them. Sentences not on this page (a chunk crossing a page
    break) are simply not found."""
    compact, index = _compact(text)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for line in passage.split("\n"):
        for sentence in split_sentences(line):
            needle = _SPACE.sub("", sentence)
            if len(needle) < _MIN_NEEDLE and len(needle) < len(_SPACE.sub("", passage)):
                continue
            pos = compact.find(needle, cursor)
            if pos < 0:
                pos = compact.find(needle)
            if pos < 0:
                continue
            cursor = pos + len(needle)
            spans.append((index[pos], index[pos + len(needle) - 1] + 1))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and (start <= merged[-1][1] or not text[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def segments(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text as consecutive (piece, highlighted) pairs covering it whole."""
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in spans:
        if start > at:
            out.append((text[at:start], False))
        if end > start:
            out.append((text[start:end], True))
        at = max(at, end)
    if at < len(text):
        out.append((text[at:], False))
    return out
