"""The admin page's book list: versions, export, import and switching the current one."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nexus_app import formatting
from nexus_app.ai import vkp
from nexus_app.db import unit_of_work
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import InvalidInput, NotFound

from .library import IngestResult, import_book, packages_root, temp_root
from .uploads import _discard, _staged


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
        return formatting.format_datetime(datetime.fromisoformat(text))
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
