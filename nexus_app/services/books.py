"""Textbooks and their knowledge packages (VKP): ingest, export, import, list.

Packages live under NEXUS_DATA_DIR/packages/<book key>/<version>/; the `books` row carries
the current version and chunk count. A new build becomes current only when complete, so
the previous version keeps serving until then.

The admin page uploads into NEXUS_DATA_DIR/tmp/uploads/<random>/ (:func:`stage_upload`);
a staged file lives only until its ingestion or import ends (the package keeps the text it
needs, never the source file), and stale ones are swept after a day.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Literal

from nexus_app.ai import pdftext, vkp
from nexus_app.ai.embedder import DEFAULT_EMBEDDER, EmbedderUnavailable, get_embedder
from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.services import timefmt
from nexus_app.services.auth import CurrentUser, require_admin
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


# --- the admin page: staged uploads, ingestion with progress, versions, export, import --------


def temp_root() -> Path:
    return get_settings().data_dir / "tmp"


def staging_root() -> Path:
    return temp_root() / "uploads"


@dataclass(frozen=True)
class StagedUpload:
    """An uploaded file waiting for ingestion or import (deleted when that ends)."""

    path: str
    filename: str
    size: int


UploadKind = Literal["book", "package"]
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_filename(filename: str) -> str:
    base = Path((filename or "").replace("\\", "/")).name
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE_NAME.sub("-", stem).strip("-._")[:100] or "berkas"
    suffix = _UNSAFE_NAME.sub("", suffix)[:10].lower()
    return f"{stem}.{suffix}" if suffix else stem


def _limit(kind: UploadKind) -> int:
    return MAX_UPLOAD_BYTES if kind == "book" else MAX_PACKAGE_BYTES


def too_big_message(kind: UploadKind) -> str:
    what = "Buku" if kind == "book" else "Paket"
    return f"{what} terlalu besar: ukuran maksimal {_limit(kind) // 2**20} MB."


def _check_suffix(name: str, kind: UploadKind) -> None:
    suffix = Path(name).suffix.lower()
    if kind == "book" and suffix not in SUPPORTED:
        raise InvalidInput("Format buku tidak didukung: gunakan PDF, Markdown (.md) atau .txt.")
    if kind == "package" and suffix != vkp.EXPORT_SUFFIX:
        raise InvalidInput("Pilih berkas paket pengetahuan berakhiran .vkp.")


def _sweep_stale(now: float | None = None) -> None:
    """Staged uploads whose ingestion never ran (a closed tab) are removed after a day."""
    root = staging_root()
    if not root.is_dir():
        return
    limit = (now or time.time()) - STAGE_MAX_AGE_SECONDS
    for folder in root.iterdir():
        with contextlib.suppress(OSError):
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)


def stage_upload(
    *,
    actor: CurrentUser,
    filename: str,
    source: BinaryIO,
    kind: UploadKind = "book",
    declared_size: int | None = None,
) -> StagedUpload:
    """Copy an uploaded file into a fresh staging folder, refusing a wrong type, an empty
    file or one over the size limit (nothing is kept when refused)."""
    require_admin(actor)
    name = _safe_filename(filename)
    _check_suffix(name, kind)
    limit = _limit(kind)
    if declared_size is not None and declared_size > limit:
        raise InvalidInput(too_big_message(kind))
    staging_root().mkdir(parents=True, exist_ok=True)
    _sweep_stale()
    folder = Path(tempfile.mkdtemp(prefix="up-", dir=staging_root()))
    target = folder / name
    size = 0
    try:
        with open(target, "wb") as out:
            while block := source.read(1 << 20):
                size += len(block)
                if size > limit:  # the declared size may be missing or wrong
                    raise InvalidInput(too_big_message(kind))
                out.write(block)
        if size == 0:
            raise InvalidInput(f"Berkas '{name}' kosong.")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return StagedUpload(path=str(target), filename=name, size=size)


def _staged(path: str) -> Path:
    """A staged file, refusing any path outside the staging folder."""
    root = staging_root().resolve()
    candidate = Path(path).resolve()
    if candidate.parent.parent != root or not candidate.is_file():
        raise NotFound("Berkas unggahan tidak ditemukan lagi; unggah ulang.")
    return candidate


def _discard(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)


def discard_staged(*, actor: CurrentUser, path: str) -> None:
    require_admin(actor)
    with contextlib.suppress(NotFound):
        _discard(_staged(path))


STAGE_LABELS = {
    "model": "Memuat model embedding",
    "extract": "Membaca teks dari berkas",
    "chunk": "Memotong teks menjadi bagian",
    "embed": "Membuat embedding",
    "index": "Membangun indeks pencarian",
    "write": "Menyimpan paket",
    "done": "Selesai",
}
# Share of the bar per stage; embedding is where the time goes.
_STAGE_SPAN = {
    "model": (0, 5),
    "extract": (5, 15),
    "chunk": (15, 20),
    "embed": (20, 88),
    "index": (88, 94),
    "write": (94, 100),
    "done": (100, 100),
}


@dataclass(frozen=True)
class IngestProgress:
    stage: str
    label: str
    done: int
    total: int
    percent: int
    result: IngestResult | None = None


def progress_percent(stage: str, done: int, total: int) -> int:
    start, end = _STAGE_SPAN.get(stage, (0, 0))
    fraction = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
    return round(start + (end - start) * fraction)


def _progress(stage: str, done: int, total: int) -> IngestProgress:
    label = STAGE_LABELS.get(stage, stage)
    if stage == "embed" and total:
        label = f"{label} ({done}/{total} bagian)"
    return IngestProgress(stage, label, done, total, progress_percent(stage, done, total))


def ingest_staged(
    *, actor: CurrentUser, path: str, subject_code: str, title: str
) -> Iterator[IngestProgress]:
    """Ingest a staged upload on a worker thread; the returned iterator yields progress and
    ends with an update carrying the result (or raises the ServiceError). The staged file is
    deleted when the work ends, even if nobody reads the iterator to the end."""
    require_admin(actor)
    staged = _staged(path)
    title = (title or "").strip() or staged.stem.replace("-", " ").replace("_", " ")
    events: queue.Queue[IngestProgress | BaseException] = queue.Queue()

    def work() -> None:
        outcome: IngestProgress | BaseException
        try:
            result = ingest_book(
                path=staged,
                subject_code=subject_code,
                title=title,
                progress=lambda stage, done, total: events.put(_progress(stage, done, total)),
            )
            done = _progress("done", 1, 1)
            outcome = IngestProgress(done.stage, done.label, 1, 1, 100, result)
        except BaseException as exc:  # handed to the reader, who raises it
            outcome = exc
        # The upload goes before the reader hears the end, so "finished" means "cleaned up".
        _discard(staged)
        events.put(outcome)

    threading.Thread(target=work, name="nexus-ingest", daemon=True).start()

    def updates() -> Iterator[IngestProgress]:
        while True:
            item = events.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if item.result is not None:
                return

    return updates()


@dataclass(frozen=True)
class PackageVersionView:
    version: str
    chunk_count: int
    page_count: int
    created_at: str  # "DD-MM-YYYY HH:MM WIB"
    embedder: str
    size_bytes: int
    is_current: bool


@dataclass(frozen=True)
class BookAdminView:
    book_id: int
    subject_code: str
    subject_name: str
    grade: int
    title: str
    filename: str
    current_version: str
    chunk_count: int
    versions: tuple[PackageVersionView, ...]  # newest first


def _book_folder(subject_code: str, title: str) -> Path:
    """The package folder of a book: by the key this server derives, else by the manifest of
    an imported package with that subject and title."""
    root = packages_root()
    folder = vkp.book_dir(root, vkp.make_book_key(subject_code, title))
    if folder.is_dir():
        return folder
    for manifest in vkp.list_books(root, subject_code):
        if manifest.title == title:
            return vkp.book_dir(root, manifest.book_key)
    return folder


def _folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _created(text: str) -> str:
    try:
        return timefmt.format_datetime(datetime.fromisoformat(text))
    except ValueError:
        return text


def _versions(folder: Path) -> tuple[PackageVersionView, ...]:
    current = vkp.current_version(folder) if folder.is_dir() else None
    views: list[PackageVersionView] = []
    for version in reversed(vkp.list_versions(folder)):
        try:
            m = vkp.read_manifest(folder / version)
        except vkp.PackageError:
            continue
        views.append(
            PackageVersionView(
                version=version,
                chunk_count=m.chunk_count,
                page_count=m.page_count,
                created_at=_created(m.created_at),
                embedder=m.embedder,
                size_bytes=_folder_size(folder / version)[1],
                is_current=version == current,
            )
        )
    return tuple(views)


def admin_list_books(*, actor: CurrentUser) -> list[BookAdminView]:
    require_admin(actor)
    with unit_of_work() as session:
        rows = curriculum_repo.list_books_with_subjects(session=session)
    return [
        BookAdminView(
            book_id=r.book_id,
            subject_code=r.subject_code,
            subject_name=r.subject_name,
            grade=r.grade,
            title=r.title,
            filename=r.filename or "",
            current_version=r.vkp_version or "",
            chunk_count=r.chunk_count,
            versions=_versions(_book_folder(r.subject_code, r.title)),
        )
        for r in rows
    ]


def _book_row(book_id: int) -> curriculum_repo.BookRow:
    with unit_of_work() as session:
        row = curriculum_repo.get_book_row(session=session, book_id=book_id)
    if row is None:
        raise NotFound("Buku tidak ditemukan (mungkin sudah dihapus).")
    return row


@dataclass(frozen=True)
class PackageFile:
    filename: str
    data: bytes
    version: str


def admin_export_package(
    *, actor: CurrentUser, book_id: int, version: str | None = None
) -> PackageFile:
    """One version (default: the current one) as .vkp bytes, checked against its manifest."""
    require_admin(actor)
    row = _book_row(book_id)
    folder = _book_folder(row.subject_code, row.title)
    version = version or (vkp.current_version(folder) if folder.is_dir() else None)
    if not version or version not in vkp.list_versions(folder):
        raise NotFound(f"Paket untuk buku '{row.title}' belum ada.")
    temp_root().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vkp-export-", dir=temp_root()) as scratch:
        try:
            written = vkp.export_package(folder / version, Path(scratch))
        except vkp.PackageError as exc:
            raise InvalidInput(f"Paket di server ini rusak, tidak bisa diekspor: {exc}") from exc
        return PackageFile(filename=written.name, data=written.read_bytes(), version=version)


def admin_import_package(*, actor: CurrentUser, path: str) -> IngestResult:
    """Import a staged .vkp upload (see :func:`import_book`); the upload is deleted after."""
    require_admin(actor)
    staged = _staged(path)
    try:
        return import_book(path=staged)
    finally:
        _discard(staged)


def admin_set_current_version(*, actor: CurrentUser, book_id: int, version: str) -> None:
    """Serve an older (or newer) installed version again, e.g. to roll back a bad build."""
    require_admin(actor)
    row = _book_row(book_id)
    folder = _book_folder(row.subject_code, row.title)
    if version not in vkp.list_versions(folder):
        raise NotFound(f"Versi {version} buku '{row.title}' tidak ada.")
    try:
        manifest = vkp.read_manifest(folder / version)
    except vkp.PackageError as exc:
        raise InvalidInput(f"Versi {version} rusak: {exc}") from exc
    with unit_of_work() as session:
        curriculum_repo.update_book_vkp(
            session=session,
            subject_id=row.subject_id,
            title=row.title,
            vkp_version=version,
            chunk_count=manifest.chunk_count,
        )
        # Inside the transaction: if the pointer cannot be written, the row is rolled back.
        vkp.set_current(folder, version)


# --- what a subject's books occupy on disk, and removing it with the subject ------------------


@dataclass(frozen=True)
class PackageFootprint:
    folders: tuple[Path, ...]
    versions: int
    files: int
    bytes: int


def package_footprint(subject_code: str, titles: Iterable[str]) -> PackageFootprint:
    """The package folders of a subject's books (by title, plus any package whose current
    manifest names the subject), with their version, file and byte counts."""
    root = packages_root()
    found = {_book_folder(subject_code, t) for t in titles}
    found |= {vkp.book_dir(root, m.book_key) for m in vkp.list_books(root, subject_code)}
    folders = tuple(sorted(f for f in found if f.is_dir()))
    versions = files = size = 0
    for folder in folders:
        versions += len(vkp.list_versions(folder))
        n, b = _folder_size(folder)
        files += n
        size += b
    return PackageFootprint(folders, versions, files, size)


@contextlib.contextmanager
def removing_packages(folders: Iterable[Path]) -> Iterator[None]:
    """Move package folders aside for the duration of the block: deleted if the block
    succeeds, moved back if it fails (so a failed database delete keeps the files)."""
    present = [f for f in folders if f.is_dir()]
    if not present:
        yield
        return
    trash = packages_root() / f".trash-{uuid.uuid4().hex}"
    trash.mkdir(parents=True)
    moved: list[tuple[Path, Path]] = []
    try:
        for folder in present:
            aside = trash / folder.name
            os.rename(folder, aside)  # same filesystem: atomic, and readers stop seeing it
            moved.append((folder, aside))
        yield
    except BaseException:
        for folder, aside in reversed(moved):
            with contextlib.suppress(OSError):
                os.rename(aside, folder)
        with contextlib.suppress(OSError):
            trash.rmdir()  # only when everything went back
        raise
    shutil.rmtree(trash, ignore_errors=True)
