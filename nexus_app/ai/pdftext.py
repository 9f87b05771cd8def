"""Text extraction: a book file (PDF, Markdown, plain text) becomes a list of numbered pages.

Pages keep their raw text, including Markdown heading lines (``#``, ``##``, ``###``); the
chunker turns those into heading paths. PDF text comes from pypdf, one entry per PDF page.

Errors are typed so callers can show a precise message:

- :class:`NoTextLayer`: the file opened fine but holds no extractable text (a scan).
- :class:`UnreadableDocument`: the file is corrupt, encrypted or not what its name says.
- :class:`UnsupportedFormat`: a suffix other than ``.pdf``, ``.md``, ``.markdown``, ``.txt``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_PAGE_CHARS",
    "ExtractionError",
    "NoTextLayer",
    "Page",
    "UnreadableDocument",
    "UnsupportedFormat",
    "extract_document",
    "extract_pdf",
    "extract_text",
    "sha256_bytes",
    "sha256_file",
]

# Plain text without page markers is cut into pages of about this many characters
# (roughly one printed textbook page), so citations still point somewhere useful.
DEFAULT_PAGE_CHARS = 3000
# Minimum non-blank characters over the whole PDF for it to count as having a text layer.
_MIN_PDF_TEXT_CHARS = 20

_PAGE_MARKER = re.compile(r"^\s*<!--\s*halaman\s+(\d+)\s*-->\s*$", re.IGNORECASE | re.MULTILINE)

log = logging.getLogger(__name__)


class ExtractionError(Exception):
    """Base class: the document's text could not be extracted."""


class NoTextLayer(ExtractionError):
    """The PDF has no extractable text (for example a scanned book without OCR)."""


class UnreadableDocument(ExtractionError):
    """The file is corrupt, encrypted, empty or not decodable."""


class UnsupportedFormat(ExtractionError):
    """The file type is not one Nexus ingests."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a book: its 1-based printed number and its text."""

    number: int
    text: str


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_size):
            h.update(block)
    return h.hexdigest()


def extract_pdf(source: str | Path | bytes) -> list[Page]:
    """Extract text per PDF page with pypdf (page numbers are 1-based PDF page indices).

    Raises :class:`UnreadableDocument` for corrupt or encrypted files and
    :class:`NoTextLayer` when no page yields text.
    """
    # Imported lazily: only ingestion needs pypdf.
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not data.strip():
        raise UnreadableDocument("File PDF kosong.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UnreadableDocument("File PDF terkunci kata sandi; buka kuncinya dulu.")
        pages: list[Page] = []
        for i, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            pages.append(Page(number=i, text=_clean_pdf_text(text)))
    except ExtractionError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        # pypdf signals broken files with a mix of its own and builtin exceptions.
        raise UnreadableDocument(f"File PDF rusak atau tidak bisa dibaca: {exc}") from exc
    if not pages:
        raise UnreadableDocument("File PDF tidak memiliki halaman.")
    total = sum(len(p.text.strip()) for p in pages)
    if total < _MIN_PDF_TEXT_CHARS:
        raise NoTextLayer(
            "PDF ini tidak memiliki lapisan teks (kemungkinan hasil pindai). "
            "Jalankan OCR terlebih dahulu atau unggah versi teks/Markdown."
        )
    return [p for p in pages if p.text.strip()]


def _clean_pdf_text(text: str) -> str:
    # Re-join words hyphenated across line ends ("perpang-\nkatan") and drop NULs.
    text = text.replace("\x00", "")
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    return text.strip()


def extract_text(text: str, *, page_chars: int = DEFAULT_PAGE_CHARS) -> list[Page]:
    """Split Markdown or plain text into pages.

    With ``<!-- halaman N -->`` marker lines, each marker starts page N (text before the first
    marker belongs to page 1, or is prepended to the first marked page). Without markers the
    text is cut at paragraph boundaries into pages of about ``page_chars`` characters.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    markers = list(_PAGE_MARKER.finditer(text))
    if markers:
        pages: list[Page] = []
        preamble = text[: markers[0].start()].strip()
        for i, m in enumerate(markers):
            end = markers[i + 1].start() if i + 1 < len(markers) else len(text)
            body = text[m.end() : end].strip("\n")
            if i == 0 and preamble:
                # The book title above the first marker keeps its heading role.
                body = preamble + "\n\n" + body
            pages.append(Page(number=int(m.group(1)), text=body))
        return [p for p in pages if p.text.strip()]
    return _paginate(text, page_chars)


def _paginate(text: str, page_chars: int) -> list[Page]:
    if page_chars < 200:
        raise ValueError("page_chars must be at least 200")
    paragraphs = re.split(r"\n\s*\n", text)
    pages: list[Page] = []
    current: list[str] = []
    size = 0
    for para in paragraphs:
        if not para.strip():
            continue
        if current and size + len(para) > page_chars:
            pages.append(Page(number=len(pages) + 1, text="\n\n".join(current)))
            current, size = [], 0
        current.append(para.strip("\n"))
        size += len(para) + 2
    if current:
        pages.append(Page(number=len(pages) + 1, text="\n\n".join(current)))
    return pages


def extract_document(path: str | Path, *, page_chars: int = DEFAULT_PAGE_CHARS) -> list[Page]:
    """Extract pages from a ``.pdf``, ``.md``/``.markdown`` or ``.txt`` file by its suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return extract_pdf(path)
    if suffix in {".md", ".markdown", ".txt"}:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableDocument(
                f"File teks harus berenkode UTF-8 (byte tidak valid di posisi {exc.start})."
            ) from exc
        if "\x00" in text:
            raise UnreadableDocument("File ini bukan teks (berisi byte biner).")
        pages = extract_text(text, page_chars=page_chars)
        if not pages:
            raise UnreadableDocument("File teks kosong.")
        return pages
    raise UnsupportedFormat(
        f"Format '{suffix or path.name}' tidak didukung; gunakan .pdf, .md atau .txt."
    )
