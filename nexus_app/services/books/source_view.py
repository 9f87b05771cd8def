"""The source viewer (/sumber): a tutor citation opened at its place in the book.

A citation link names the package version, the page (PDF) and the cited chunk:
``/sumber?buku=<book key>&versi=1.0.0&hlm=4&kutipan=12``. A PDF opens at that page; a
Markdown or text book (whose page numbers are cuts made at import) opens at the section
holding the chunk (``bagian=N`` when paging through sections). The chunk's sentences are
marked in the text; the text is returned as plain pieces for the page to show, never markup.

Who may read: every logged-in role. A student reads the books of the subjects the tutor
offers them, which today is every subject with a registered book (the tutor limits subjects
neither by class nor by grade); a package on disk whose book or subject is not registered
here is refused to everyone. If subjects are ever limited per student, `_may_read` is the one
place to change.

A citation whose version was deleted (or whose book was) is refused with a message that says
so, and, when the book still has a current version, a link to the same place in it.

A PDF page is also shown as a picture when pypdfium2 is installed: the page gets a link to
``/api/sumber/halaman`` signed with the server's key (an <img> request carries no session
token) and valid for an hour; the PNG is rendered once and cached under
``NEXUS_DATA_DIR/cache/halaman/<source sha256>/`` (safe to delete at any time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from nexus_app.ai import pageview, pdftext, vkp
from nexus_app.ai.chunking import Chunk
from nexus_app.ai.retriever import is_paged
from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.services.auth import CurrentUser, require_role
from nexus_app.services.backup_admin import _secret as _server_key
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied

from .library import packages_root

ROUTE = "/sumber"
READER_ROLES = ("siswa", "guru", "admin")
BAD_LINK = "Tautan sumber tidak valid. Buka sumber dari jawaban tutor."
IMAGE_ROUTE = "/api/sumber/halaman"
IMAGE_SECONDS = 3600
IMAGE_WIDTH = 1000
_SEMVER = re.compile(r"^\d{1,6}\.\d{1,6}\.\d{1,6}$")
_NUMBER = re.compile(r"^\d{1,6}$")


class StaleSource(NotFound):
    """The cited book version is gone; ``current_link`` opens the book's current version."""

    def __init__(self, message: str, current_link: str = "") -> None:
        super().__init__(message)
        self.current_link = current_link


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool


@dataclass(frozen=True)
class SourceView:
    title: str
    subject: str  # "Matematika kelas 10"
    version: str
    kind: str  # "halaman" (a PDF page) | "bagian" (a section of a Markdown or text book)
    where: str  # "Halaman 4 dari 12" | "Bagian 3 dari 20"
    heading: str  # the heading path, "Bab 1 … › Barisan Aritmetika"
    segments: tuple[Segment, ...]
    marked: bool  # the cited passage was found (and marked) in this text
    prev_link: str
    next_link: str
    cited_link: str  # back to the cited place ("" when this is it, or nothing was cited)
    notice: str  # how the text was obtained, when not from the book file
    image_link: str = ""  # the page as a picture (PDF, renderer installed), signed


def citation_link(*, book_key: str, version: str, page: int, chunk_id: int, paged: bool) -> str:
    """The /sumber link of one citation; "" for citations saved before they carried a book key
    (those stay readable in the history, without a link)."""
    if not book_key or not version:
        return ""
    query = {"buku": book_key, "versi": version}
    if paged and page > 0:
        query["hlm"] = str(page)
    if chunk_id >= 0:
        query["kutipan"] = str(chunk_id)
    return f"{ROUTE}?{urlencode(query)}"


def _link(key: str, version: str, chunk: int | None, **place: int) -> str:
    query = {"buku": key, "versi": version}
    query.update({name: str(value) for name, value in place.items()})
    if chunk is not None:
        query["kutipan"] = str(chunk)
    return f"{ROUTE}?{urlencode(query)}"


@dataclass(frozen=True)
class _Request:
    key: str
    version: str
    page: int | None
    section: int | None
    chunk: int | None


def _parse(params: Mapping[str, str]) -> _Request:
    key = str(params.get("buku", "") or "")
    version = str(params.get("versi", "") or "")
    numbers: dict[str, int | None] = {}
    for name in ("hlm", "bagian", "kutipan"):
        raw = str(params.get(name, "") or "")
        if raw and not _NUMBER.match(raw):
            raise InvalidInput(BAD_LINK)
        numbers[name] = int(raw) if raw else None
    try:
        vkp.book_dir(packages_root(), key)
    except ValueError as exc:
        raise InvalidInput(BAD_LINK) from exc
    if not _SEMVER.match(version):
        raise InvalidInput(BAD_LINK)
    return _Request(key, version, numbers["hlm"], numbers["bagian"], numbers["kutipan"])


def _may_read(actor: CurrentUser, manifest: vkp.Manifest) -> str:
    """The subject's label if the actor may read this book, else PermissionDenied."""
    with unit_of_work() as session:
        subject = curriculum_repo.get_subject_by_code(session=session, code=manifest.subject)
        book = (
            curriculum_repo.get_book(session=session, subject_id=subject.id, title=manifest.title)
            if subject is not None and subject.id is not None
            else None
        )
    if subject is None or book is None:
        # Not a book of this school (an unregistered package): nobody reads it here.
        raise PermissionDenied("Buku ini tidak terdaftar di sekolahmu.")
    return f"{subject.name} kelas {subject.grade}"


def _stale(actor: CurrentUser, req: _Request, book: Path) -> StaleSource:
    current = vkp.current_version(book) if book.is_dir() else None
    if current is None:
        return StaleSource(
            "Buku yang dikutip sudah dihapus dari server, jadi sumber ini tidak bisa dibuka "
            "lagi. Tanyakan lagi ke tutor untuk mendapatkan sumber yang masih ada."
        )
    try:
        manifest = vkp.read_manifest(book / current)
    except (vkp.PackageError, KeyError, TypeError, ValueError):
        # A damaged current version: the cited one is gone, and there is nowhere to send.
        return StaleSource(
            "Versi buku yang dikutip sudah dihapus atau diganti, dan versi terbarunya tidak "
            "bisa dibaca. Tanyakan lagi ke tutor atau hubungi admin sekolah."
        )
    _may_read(actor, manifest)  # say nothing more about a book the actor may not read
    place = {"hlm": req.page} if req.page and is_paged(manifest.source_name) else {}
    return StaleSource(
        f"Versi buku yang dikutip (v{req.version}) sudah dihapus atau diganti. Isi versi "
        f"terbaru (v{current}) bisa berbeda; tanyakan lagi ke tutor untuk kutipan yang tepat.",
        current_link=_link(req.key, current, None, **place),
    )


@lru_cache(maxsize=16)
def _chunks(folder: str, stamp: str) -> tuple[Chunk, ...]:
    # A version folder never changes once written; `stamp` (its manifest's build time and
    # checksum) tells apart a version number built again after its book was deleted.
    lines = (Path(folder) / vkp.CHUNKS).read_text(encoding="utf-8").splitlines()
    return tuple(Chunk.from_dict(json.loads(line)) for line in lines if line.strip())


@lru_cache(maxsize=256)
def _pdf_page(source: str, number: int) -> tuple[str, int]:
    # A kept file never changes (its name is its checksum): pages turned back and forth, or
    # opened by a class at once, are read once.
    return pageview.pdf_page(Path(source), number)


def _stamp(manifest: vkp.Manifest) -> str:
    return f"{manifest.created_at}|{manifest.source_sha256}|{manifest.chunk_count}"


@lru_cache(maxsize=16)
def _sections(folder: str, stamp: str, source: str) -> tuple[pageview.Section, ...]:
    if source:
        try:
            found = pageview.sections(pdftext.extract_document(Path(source)))
            if found:
                return tuple(found)
        except pdftext.ExtractionError:
            pass
    return tuple(pageview.sections_from_chunks(_chunks(folder, stamp)))


def _segments(text: str, chunk: Chunk | None) -> tuple[tuple[Segment, ...], bool]:
    spans = pageview.highlight_spans(text, chunk.text) if chunk is not None else []
    pieces = tuple(Segment(t, marked) for t, marked in pageview.segments(text, spans))
    return pieces, bool(spans)


_FROM_CHUNKS = (
    "Berkas asli buku ini tidak tersimpan di server, jadi teks di bawah disusun dari "
    "potongan paket pengetahuannya."
)


def open_source(*, actor: CurrentUser, params: Mapping[str, str]) -> SourceView:
    """The page or section a citation link points at, with the cited passage marked."""
    require_role(actor, *READER_ROLES)
    req = _parse(params)
    book = vkp.book_dir(packages_root(), req.key)
    folder = book / req.version
    if not (folder / vkp.MANIFEST).is_file():
        raise _stale(actor, req, book)
    try:
        manifest = vkp.read_manifest(folder)
        chunks = _chunks(str(folder), _stamp(manifest))
    except (vkp.PackageError, OSError, ValueError, KeyError, TypeError) as exc:
        raise NotFound("Paket buku ini rusak; beri tahu admin.") from exc
    subject = _may_read(actor, manifest)
    chunk = chunks[req.chunk] if req.chunk is not None and req.chunk < len(chunks) else None
    source = pageview.find_source(book, manifest.source_sha256)
    if is_paged(manifest.source_name):
        return _page_view(req, manifest, subject, chunks, chunk, source)
    return _section_view(req, manifest, subject, folder, chunk, source)


def _page_view(
    req: _Request,
    manifest: vkp.Manifest,
    subject: str,
    chunks: tuple[Chunk, ...],
    chunk: Chunk | None,
    source: Path | None,
) -> SourceView:
    if not chunks and not req.page:
        raise NotFound("Versi buku ini tidak berisi teks untuk ditampilkan.")
    number = req.page or (chunk.page if chunk is not None else chunks[0].page)
    notice = ""
    if source is not None and source.suffix == ".pdf":
        try:
            text, count = _pdf_page(str(source), number)
        except pdftext.ExtractionError as exc:
            raise NotFound(f"Halaman {number} tidak ada di buku ini.") from exc
        pages = list(range(1, count + 1))
    else:
        pages = sorted({p for c in chunks for p in range(c.page, c.page_end + 1)})
        if number not in pages:
            raise NotFound(f"Halaman {number} tidak ada di buku ini.")
        text, count, notice = pageview.page_from_chunks(chunks, number), pages[-1], _FROM_CHUNKS
    at = pages.index(number)
    image = ""
    if source is not None and source.suffix == ".pdf" and pageview.pdf_renderer() is not None:
        image = image_link(book_key=manifest.book_key, version=manifest.version, page=number)
    on_page = chunk if chunk is not None and chunk.page <= number <= chunk.page_end else None
    pieces, marked = _segments(text, on_page)
    if not text.strip():
        notice = "Halaman ini tidak berisi teks (mungkin hanya gambar)."
    cited = req.chunk if chunk is not None else None

    def go(page: int) -> str:
        return _link(manifest.book_key, manifest.version, cited, hlm=page)

    return SourceView(
        title=manifest.title,
        subject=subject,
        version=manifest.version,
        kind="halaman",
        where=f"Halaman {number} dari {count}",
        heading=" › ".join(_page_headings(chunks, number)),
        segments=pieces,
        marked=marked,
        prev_link=go(pages[at - 1]) if at > 0 else "",
        next_link=go(pages[at + 1]) if at + 1 < len(pages) else "",
        cited_link=go(chunk.page) if chunk is not None and on_page is None else "",
        notice=notice,
        image_link=image,
    )


def _page_headings(chunks: tuple[Chunk, ...], number: int) -> tuple[str, ...]:
    for c in chunks:
        if c.page <= number <= c.page_end and c.heading_path:
            return c.heading_path
    return ()


def _section_view(
    req: _Request,
    manifest: vkp.Manifest,
    subject: str,
    folder: Path,
    chunk: Chunk | None,
    source: Path | None,
) -> SourceView:
    found = _sections(str(folder), _stamp(manifest), str(source) if source is not None else "")
    if not found:
        raise NotFound("Buku ini tidak berisi teks yang bisa ditampilkan.")
    home = pageview.section_of_chunk(found, chunk) if chunk is not None else 0
    if req.section is not None:
        if not 1 <= req.section <= len(found):
            raise NotFound(f"Bagian {req.section} tidak ada di buku ini (1–{len(found)}).")
        at = req.section - 1
    else:
        at = home
    section = found[at]
    pieces, marked = _segments(section.text, chunk)
    cited = req.chunk if chunk is not None else None

    def go(index: int) -> str:
        return _link(manifest.book_key, manifest.version, cited, bagian=index + 1)

    return SourceView(
        title=manifest.title,
        subject=subject,
        version=manifest.version,
        kind="bagian",
        where=f"Bagian {at + 1} dari {len(found)}",
        heading=" › ".join(section.path) or section.title,
        segments=pieces,
        marked=marked,
        prev_link=go(at - 1) if at > 0 else "",
        next_link=go(at + 1) if at + 1 < len(found) else "",
        cited_link=go(home) if chunk is not None and at != home else "",
        notice="" if source is not None else _FROM_CHUNKS,
    )


# --- the page as a picture ------------------------------------------------------------------


def _sign(payload: str) -> str:
    # The server's one signing key (download.key), with a prefix of its own: a backup
    # download signature can never pass for a page picture's, nor the reverse.
    digest = hmac.new(_server_key(), f"sumber-halaman|{payload}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def image_link(*, book_key: str, version: str, page: int, now: float | None = None) -> str:
    """A signed link to the picture of one PDF page, valid for IMAGE_SECONDS. Only made for a
    reader who has just been allowed the page (open_source)."""
    expires = int((now if now is not None else time.time()) + IMAGE_SECONDS)
    payload = f"{book_key}|{version}|{page}|{expires}"
    query = {"buku": book_key, "versi": version, "hlm": str(page), "exp": str(expires)}
    return f"{IMAGE_ROUTE}?{urlencode({**query, 'sig': _sign(payload)})}"


def page_image(*, params: Mapping[str, str], now: float | None = None) -> Path:
    """The cached PNG behind a signed page-picture link (rendered on first use); NotFound for
    a bad, forged or expired link, or a page that cannot be drawn."""
    bad = NotFound("Gambar halaman tidak tersedia.")
    key, version = str(params.get("buku", "")), str(params.get("versi", ""))
    raw_page, raw_exp = str(params.get("hlm", "")), str(params.get("exp", ""))
    if not (_NUMBER.match(raw_page) and raw_exp.isdigit() and _SEMVER.match(version)):
        raise bad
    payload = f"{key}|{version}|{int(raw_page)}|{int(raw_exp)}"
    if not hmac.compare_digest(_sign(payload), str(params.get("sig", ""))):
        raise bad
    if (now if now is not None else time.time()) > int(raw_exp):
        raise NotFound("Tautan gambar halaman sudah kedaluwarsa; muat ulang halaman sumber.")
    try:
        book = vkp.book_dir(packages_root(), key)
        manifest = vkp.read_manifest(book / version)
    except (ValueError, KeyError, TypeError, vkp.PackageError) as exc:  # incl. a damaged one
        raise bad from exc
    source = pageview.find_source(book, manifest.source_sha256)
    if source is None or source.suffix != ".pdf":
        raise bad
    cached = (
        get_settings().data_dir
        / "cache"
        / "halaman"
        / manifest.source_sha256
        / f"{int(raw_page)}-{IMAGE_WIDTH}.png"
    )
    if cached.is_file():
        return cached
    try:
        png = pageview.render_pdf_page(source, int(raw_page), width=IMAGE_WIDTH)
    except pdftext.ExtractionError as exc:
        raise bad from exc
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f".{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_bytes(png)
        os.replace(tmp, cached)  # two workers rendering the same page: either copy wins whole
    finally:
        tmp.unlink(missing_ok=True)
    return cached
