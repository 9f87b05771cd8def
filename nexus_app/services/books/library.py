"""Books as knowledge packages: ingest a file, export, import, list (CLI and services)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nexus_app.ai import pageview, pdftext, vkp
from nexus_app.ai.embedder import DEFAULT_EMBEDDER, EmbedderUnavailable, get_embedder
from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.services.errors import InvalidInput, NotFound

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# A package of a big textbook (text, embeddings, two indexes) can outgrow its source PDF.
MAX_PACKAGE_BYTES = 200 * 1024 * 1024
SUPPORTED = (".pdf", ".md", ".txt")
Progress = Callable[[str, int, int], None]
STAGE_MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class IngestResult:
    subject: str
    title: str
    version: str
    chunk_count: int
    page_count: int
    created: bool
    seconds: float


@dataclass(frozen=True)
class BookView:
    subject: str
    title: str
    filename: str
    version: str
    chunk_count: int


def packages_root() -> Path:
    return get_settings().data_dir / "packages"


def embedder_name() -> str:
    return get_settings().embed_model or DEFAULT_EMBEDDER


def ingest_book(
    *, path: Path, subject_code: str, title: str, progress: Progress | None = None
) -> IngestResult:
    """Extract, chunk, embed and index a book into a new package version (or reuse the
    current one when the content is unchanged), then record it on the `books` row."""
    subject_code = (subject_code or "").strip().upper()
    title = (title or "").strip()
    if not title or len(title) > 255:
        raise InvalidInput("Judul buku wajib diisi (maksimal 255 karakter).")
    if path.suffix.lower() not in SUPPORTED:
        raise InvalidInput("Format buku tidak didukung: gunakan PDF, Markdown (.md) atau .txt.")
    if not path.is_file():
        raise NotFound(f"Berkas tidak ditemukan: {path}")
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"Berkas terlalu besar (maksimal {MAX_UPLOAD_BYTES // 2**20} MB).")
    with unit_of_work() as session:
        subject = curriculum_repo.get_subject_by_code(session=session, code=subject_code)
        if subject is None:
            raise NotFound(f"Mata pelajaran '{subject_code}' tidak ditemukan.")
    report = progress or (lambda stage, done, total: None)
    try:
        # Loading the embedding model takes seconds the first time; say so.
        report("model", 0, 1)
        embedder = get_embedder(embedder_name())
        report("model", 1, 1)
        result = vkp.build_package(
            path,
            root=packages_root(),
            subject=subject_code,
            title=title,
            embedder=embedder,
            progress=progress,
            source_name=path.name,
        )
    except pdftext.ExtractionError as exc:
        raise InvalidInput(str(exc)) from exc
    except EmbedderUnavailable as exc:
        raise InvalidInput(f"Model embedding tidak tersedia: {exc}") from exc
    except ValueError as exc:
        raise InvalidInput(f"Buku tidak berisi teks yang bisa dipakai: {exc}") from exc
    manifest = result.manifest
    # The file stays beside the package, so a citation can open its page (/sumber); the
    # viewer falls back to the chunks' text when it cannot be kept.
    with contextlib.suppress(OSError, ValueError):
        pageview.keep_source(result.path.parent, path, manifest.source_sha256)
    _record(subject_code, title, path.name, manifest.version, manifest.chunk_count)
    return IngestResult(
        subject=subject_code,
        title=title,
        version=manifest.version,
        chunk_count=manifest.chunk_count,
        page_count=manifest.page_count,
        created=result.created,
        seconds=result.seconds,
    )


def _record(subject_code: str, title: str, filename: str, version: str, chunks: int) -> None:
    with unit_of_work() as session:
        subject = curriculum_repo.get_subject_by_code(session=session, code=subject_code)
        if subject is None or subject.id is None:
            raise NotFound(f"Mata pelajaran '{subject_code}' tidak ditemukan.")
        book = curriculum_repo.get_book(session=session, subject_id=subject.id, title=title)
        if book is None:
            curriculum_repo.create_book(
                session=session,
                subject_id=subject.id,
                title=title,
                filename=filename,
                vkp_version=version,
                chunk_count=chunks,
            )
        else:
            book.filename = filename or book.filename
            book.vkp_version = version
            book.chunk_count = chunks
            session.add(book)


def export_book(*, subject_code: str, title: str, dest: Path) -> Path:
    key = vkp.make_book_key(subject_code.strip().upper(), title.strip())
    folder = vkp.book_dir(packages_root(), key)
    version = vkp.current_version(folder) if folder.is_dir() else None
    if version is None:
        raise NotFound(f"Paket untuk buku '{title}' ({subject_code}) belum ada.")
    if dest.is_dir():
        dest = dest / f"{key}-{version}{vkp.EXPORT_SUFFIX}"
    return vkp.export_package(folder / version, dest)


def import_book(*, path: Path) -> IngestResult:
    """Install a package file from another server; all-or-nothing.

    The file is first unpacked and fully checked in a scratch folder, and its subject must
    exist here, before anything is installed: a bad file or an unknown subject changes nothing.
    """
    if not path.is_file():
        raise NotFound(f"Berkas tidak ditemukan: {path}")
    temp_root().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vkp-check-", dir=temp_root()) as scratch:
        probe = _import_into(path, Path(scratch))
    m = probe.manifest
    with unit_of_work() as session:
        if curriculum_repo.get_subject_by_code(session=session, code=m.subject) is None:
            raise NotFound(
                f"Mata pelajaran '{m.subject}' belum ada di server ini. Buat dulu mata "
                "pelajaran dengan kode itu, lalu impor paketnya lagi."
            )
    result = _import_into(path, packages_root())
    m = result.manifest
    _record(m.subject, m.title, m.source_name, m.version, m.chunk_count)
    return IngestResult(
        m.subject, m.title, m.version, m.chunk_count, m.page_count, result.created, 0.0
    )


def _import_into(path: Path, root: Path) -> vkp.ImportResult:
    try:
        return vkp.import_package(path, root, make_current=True)
    except vkp.CorruptPackage as exc:
        raise InvalidInput(f"Paket rusak atau bukan paket Nexus: {exc}") from exc
    except vkp.PackageError as exc:
        raise InvalidInput(str(exc)) from exc


def list_books(subject_code: str | None = None) -> list[BookView]:
    return [
        BookView(m.subject, m.title, m.source_name, m.version, m.chunk_count)
        for m in vkp.list_books(packages_root(), subject_code)
    ]


def temp_root() -> Path:
    return get_settings().data_dir / "tmp"


def staging_root() -> Path:
    return temp_root() / "uploads"
