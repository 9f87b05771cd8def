"""State of /admin/books (admin only; every handler re-checks the role on the server).

A book upload has two progress bars: the browser's upload (`on_upload_progress`) and then
the ingestion, which runs as a background event fed by the service's progress iterator.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import reflex as rx
from reflex_base.event import EventHandler, EventSpec

from nexus_app.formatting import EMPTY
from nexus_app.services import books, error_log, subjects
from nexus_app.services.auth import CurrentUser
from nexus_app.services.backup import human_size
from nexus_app.services.books import IngestResult
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import Choice, admin_event, admin_setter
from nexus_app.state.auth import AuthState
from nexus_app.state.streaming import in_thread

# What an upload handler hands back to Reflex: nothing, one event, or several.
EventType = EventSpec | list[EventSpec | EventHandler] | None

BOOK_UPLOAD_ID = "book-upload"
PACKAGE_UPLOAD_ID = "package-upload"
MAX_BOOK_BYTES = books.MAX_UPLOAD_BYTES
MAX_PACKAGE_BYTES = books.MAX_PACKAGE_BYTES


@dataclasses.dataclass
class VersionRow:
    row_id: str
    version: str
    chunks: str
    pages: str
    created: str
    size: str
    is_current: bool


@dataclasses.dataclass
class BookRow:
    book_id: int
    card_id: str
    title: str
    subject: str
    filename: str
    current_version: str
    chunks: str
    versions: list[VersionRow]


def _book_row(b: books.BookAdminView) -> BookRow:
    return BookRow(
        book_id=b.book_id,
        card_id=f"book-{b.book_id}",
        title=b.title,
        subject=f"{b.subject_code} · {b.subject_name} kelas {b.grade}",
        filename=b.filename or EMPTY,
        current_version=b.current_version or EMPTY,
        chunks=str(b.chunk_count),
        versions=[
            VersionRow(
                row_id=f"version-{b.book_id}-{v.version.replace('.', '_')}",
                version=v.version,
                chunks=str(v.chunk_count),
                pages=str(v.page_count),
                created=v.created_at,
                size=human_size(v.size_bytes, decimal_comma=True),
                is_current=v.is_current,
            )
            for v in b.versions
        ],
    )


def _rejected_message(rejected: list[dict[str, Any]], kind: books.UploadKind) -> str:
    codes = {
        str(err.get("code", ""))
        for item in rejected
        for err in (item.get("errors") or [])
        if isinstance(err, dict)
    }
    if "file-too-large" in codes:
        return books.too_big_message(kind)
    if "too-many-files" in codes:
        return "Pilih satu berkas saja."
    if kind == "book":
        return "Format buku tidak didukung: gunakan PDF, Markdown (.md) atau .txt."
    return "Pilih berkas paket pengetahuan berakhiran .vkp."


def _percent(progress: dict[str, Any]) -> int:
    """Reflex's upload progress (0-1) as a whole percentage for the bar."""
    return min(100, round(float(progress.get("progress", 0)) * 100))


class AdminBooksState(AuthState):
    books: rx.Field[list[BookRow]] = rx.field(default_factory=list)
    subject_choices: rx.Field[list[Choice]] = rx.field(default_factory=list)
    subject_code: rx.Field[str] = rx.field("")
    title: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    message: rx.Field[str] = rx.field("")

    upload_percent: rx.Field[int] = rx.field(0)
    uploading: rx.Field[bool] = rx.field(False)
    ingesting: rx.Field[bool] = rx.field(False)
    ingest_percent: rx.Field[int] = rx.field(0)
    ingest_label: rx.Field[str] = rx.field("")

    import_percent: rx.Field[int] = rx.field(0)
    importing: rx.Field[bool] = rx.field(False)

    # The book whose "Hapus buku" waits for a second click (0: none).
    confirm_delete_book_id: int = 0

    # Backend-only: the staged upload waiting for the background ingestion.
    _staged_path: str = ""
    _staged_subject: str = ""
    _staged_title: str = ""

    @admin_event
    def load(self, actor: CurrentUser) -> None:
        self._reload(actor)

    def _reload(self, actor: CurrentUser) -> None:
        self.subject_choices = [
            Choice(value=s.code, label=f"{s.code} · {s.name} (kelas {s.grade})")
            for s in subjects.admin_list_subjects(actor=actor)
        ]
        codes = {c.value for c in self.subject_choices}
        if self.subject_code not in codes:
            self.subject_code = self.subject_choices[0].value if self.subject_choices else ""
        self.books = [_book_row(b) for b in books.admin_list_books(actor=actor)]

    set_subject_code = admin_setter("subject_code", str)

    set_title = admin_setter("title", str)

    # --- book upload, then ingestion ------------------------------------------------------------

    @admin_event
    def begin_upload(self) -> None:
        self.error = ""
        self.message = ""
        self.upload_percent = 0
        self.ingest_percent = 0
        self.ingest_label = ""
        self.uploading = True

    @admin_event
    def upload_progress(self, progress: dict[str, Any]) -> None:
        self.upload_percent = _percent(progress)

    @admin_event
    def book_rejected(self, rejected: list[dict[str, Any]]) -> None:
        self.message = ""
        self.error = _rejected_message(rejected, "book")

    @admin_event
    async def upload_book(self, actor: CurrentUser, files: list[rx.UploadFile]) -> EventType:
        self.uploading = False
        if self.ingesting:
            self.error = "Masih ada buku yang sedang diproses; tunggu sampai selesai."
            return None
        if not files:
            self.error = "Pilih berkas buku (PDF, .md atau .txt) terlebih dahulu."
            return None
        if len(files) > 1:
            self.error = "Pilih satu berkas saja."
            return None
        if not self.subject_code:
            self.error = "Buat mata pelajaran dulu, lalu pilih mata pelajaran untuk buku ini."
            return None
        upload = files[0]
        try:
            staged = await asyncio.to_thread(
                books.stage_upload,
                actor=actor,
                filename=upload.name or "",
                source=upload.file,
                kind="book",
                declared_size=upload.size,
            )
        except ServiceError as exc:
            self.error = exc.message
            return rx.clear_selected_files(BOOK_UPLOAD_ID)
        self.upload_percent = 100
        self._staged_path = staged.path
        self._staged_subject = self.subject_code
        self._staged_title = self.title
        self.ingesting = True
        self.ingest_percent = 0
        self.ingest_label = f"Menyiapkan {staged.filename}"
        # `AdminBooksState.run_ingest`, read where its type is known (EventHandler).
        return [
            rx.clear_selected_files(BOOK_UPLOAD_ID),
            AdminBooksState.event_handlers["run_ingest"],
        ]

    @rx.event(background=True)
    async def run_ingest(self) -> None:
        async with self:
            actor = await self._require_async("admin")
            login_id = self._login_nonce
            path, subject, title = self._staged_path, self._staged_subject, self._staged_title
            self._staged_path = ""
            if not path:
                self.ingesting = False
                return
        result: IngestResult | None = None
        try:
            updates = books.ingest_staged(actor=actor, path=path, subject_code=subject, title=title)
            async for update in in_thread(updates):
                async with self:
                    if self._same_login(login_id):
                        self.ingest_percent = update.percent
                        self.ingest_label = update.label
                result = update.result or result
        except ServiceError as exc:
            async with self:
                if self._same_login(login_id):
                    self.error = exc.message
        except Exception as exc:
            await asyncio.to_thread(
                error_log.capture, exc, user_id=actor.id, endpoint="admin/books ingest"
            )
            async with self:
                if self._same_login(login_id):
                    self.error = "Pemrosesan buku gagal karena kesalahan server (sudah dicatat)."
        finally:
            async with self:
                # Logged out meanwhile: the book is saved, the tab is not told.
                if self._same_login(login_id):
                    await asyncio.to_thread(self._ingest_finished, actor, result)

    def _ingest_finished(self, actor: CurrentUser, result: IngestResult | None) -> None:
        self.ingesting = False
        if result is not None:
            state = "versi baru" if result.created else "isi sama, versi lama dipakai"
            self.message = (
                f"'{result.title}' ({result.subject}) siap: versi {result.version}, "
                f"{result.chunk_count} bagian dari {result.page_count} halaman "
                f"({state}, {result.seconds:.1f} detik)."
            )
            self.title = ""
        else:
            self.ingest_percent = 0
            self.ingest_label = ""
        self._reload(actor)

    # --- packages: export, import, switch version ----------------------------------------------

    @admin_event
    def export_package(self, actor: CurrentUser, book_id: int, version: str) -> EventSpec | None:
        self.error = ""
        try:
            package = books.admin_export_package(actor=actor, book_id=int(book_id), version=version)
        except ServiceError as exc:
            self.error = exc.message
            return None
        self.message = f"Paket {package.filename} diekspor."
        return rx.download(
            data=package.data, filename=package.filename, mime_type="application/gzip"
        )

    @admin_event(error="error")
    def make_current(self, actor: CurrentUser, book_id: int, version: str) -> None:
        self.error = ""
        self.message = ""
        books.admin_set_current_version(actor=actor, book_id=int(book_id), version=version)
        self.message = f"Versi {version} sekarang dipakai tutor."
        self._reload(actor)

    # --- deleting a book or one version (services/books/removal.py) ---------------------------

    @admin_event
    def ask_delete_book(self, book_id: int) -> None:
        self.confirm_delete_book_id = int(book_id)

    @admin_event
    def cancel_delete_book(self) -> None:
        self.confirm_delete_book_id = 0

    @admin_event(error="error")
    def delete_book(self, actor: CurrentUser, book_id: int) -> None:
        self.error = ""
        self.message = ""
        self.confirm_delete_book_id = 0
        self.message = books.admin_delete_book(actor=actor, book_id=int(book_id))
        self._reload(actor)

    @admin_event(error="error")
    def delete_version(self, actor: CurrentUser, book_id: int, version: str) -> None:
        self.error = ""
        self.message = ""
        self.message = books.admin_delete_version(
            actor=actor, book_id=int(book_id), version=str(version)
        )
        self._reload(actor)

    @admin_event
    def begin_import(self) -> None:
        self.error = ""
        self.message = ""
        self.import_percent = 0
        self.importing = True

    @admin_event
    def import_progress(self, progress: dict[str, Any]) -> None:
        self.import_percent = _percent(progress)

    @admin_event
    def package_rejected(self, rejected: list[dict[str, Any]]) -> None:
        self.message = ""
        self.error = _rejected_message(rejected, "package")

    @admin_event
    async def import_package(self, actor: CurrentUser, files: list[rx.UploadFile]) -> EventType:
        self.importing = False
        if len(files) != 1:
            self.error = "Pilih satu berkas paket .vkp terlebih dahulu."
            return None
        upload = files[0]
        try:
            staged = await asyncio.to_thread(
                books.stage_upload,
                actor=actor,
                filename=upload.name or "",
                source=upload.file,
                kind="package",
                declared_size=upload.size,
            )
            result = await asyncio.to_thread(
                books.admin_import_package, actor=actor, path=staged.path
            )
        except ServiceError as exc:
            self.error = exc.message
            return rx.clear_selected_files(PACKAGE_UPLOAD_ID)
        self.import_percent = 100
        state = "dipasang" if result.created else "sudah terpasang"
        self.message = (
            f"Paket '{result.title}' ({result.subject}) versi {result.version} {state}, "
            f"{result.chunk_count} bagian."
        )
        await asyncio.to_thread(self._reload, actor)
        return rx.clear_selected_files(PACKAGE_UPLOAD_ID)
